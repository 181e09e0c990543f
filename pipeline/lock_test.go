package pipeline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lockHelperEnv makes the test binary a helper process that takes the
// lock at the path it names, prints "locked" and holds it until its stdin
// closes.
const lockHelperEnv = "TOKENFAB_TEST_LOCK_HELPER"

func TestMain(m *testing.M) {
	if path := os.Getenv(lockHelperEnv); path != "" {
		l, err := lockOutput(path, filepath.Dir(path))
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		l.release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// holdLock starts another process holding the lock file at path; the
// returned function releases it (closes the helper's stdin and waits).
func holdLock(t *testing.T, path string) (pid int, release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "locked\n" {
		stdin.Close()
		cmd.Wait()
		t.Fatalf("lock helper: %q", line)
	}
	done := false
	release = func() {
		if !done {
			done = true
			stdin.Close()
			if err := cmd.Wait(); err != nil {
				t.Errorf("lock helper: %v", err)
			}
		}
	}
	t.Cleanup(release)
	return cmd.Process.Pid, release
}

// TestRunLocksOutput: while another process writes to -o, a second run
// there fails fast (ConfigError naming the holder's pid and -o) and leaves
// the directory alone; once the holder is gone, the run goes ahead.
func TestRunLocksOutput(t *testing.T) {
	in := t.TempDir()
	writeTree(t, in, map[string]string{"a.txt": "hello", "b.txt": "world"})
	out := t.TempDir()
	pid, release := holdLock(t, filepath.Join(out, lockName))
	opts := Options{Inputs: []string{in}, OutputDir: out, Modalities: []Modality{byteModality{}}}
	_, err := Run(context.Background(), opts)
	var ce *ConfigError
	want := fmt.Sprintf("another tokenize run is writing to %s (lock held by pid %d); wait for it or choose another -o", out, pid)
	if !errors.As(err, &ce) || err.Error() != want {
		t.Fatalf("second writer: %v\nwant ConfigError %q", err, want)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 1 || ents[0].Name() != lockName {
		t.Fatalf("the refused run touched the output: %v", ents)
	}
	release()
	sum, err := Run(context.Background(), opts)
	if err != nil || sum.Rows != 2 {
		t.Fatalf("after the holder exited: %v, %+v", err, sum)
	}
	ents, _ := os.ReadDir(out)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if fmt.Sprint(names) != "[_SUMMARY.json part-00000.arrow]" {
		t.Errorf("output holds %v; the lock file should be gone", names)
	}
}

// TestRunLocksShard: shards of one job lock only themselves, so different
// shards write into one directory at once while a second writer of the
// same shard is refused.
func TestRunLocksShard(t *testing.T) {
	in := t.TempDir()
	writeTree(t, in, map[string]string{"a.txt": "hello", "b.txt": "world", "c.txt": "again", "d.txt": "more"})
	out := t.TempDir()
	if err := os.MkdirAll(filepath.Join(out, DoneDir), 0o755); err != nil {
		t.Fatal(err)
	}
	pid, release := holdLock(t, filepath.Join(out, DoneDir, shardLockName(0)))
	opts := Options{Inputs: []string{in}, OutputDir: out, Modalities: []Modality{byteModality{}}, NumShards: 2}
	opts.ShardIndex = 1
	if sum, err := Run(context.Background(), opts); err != nil || sum.Rows != 2 {
		t.Fatalf("shard 1 while shard 0 is locked: %v, %+v", err, sum)
	}
	opts.ShardIndex = 0
	_, err := Run(context.Background(), opts)
	want := fmt.Sprintf("another tokenize run is writing to %s (shard 0) (lock held by pid %d)", out, pid)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("second writer of shard 0: %v, want %q…", err, want)
	}
	release()
	if sum, err := Run(context.Background(), opts); err != nil || sum.Rows != 2 {
		t.Fatalf("shard 0 after its holder exited: %v, %+v", err, sum)
	}
}
