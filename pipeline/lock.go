package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Output locks (docs/pipeline.md, "Files"). Two processes writing the same
// output would replace each other's part files and summary, so a run holds
// an exclusive flock while it writes: on DIR/.lock for an unsharded run, on
// DIR/_done/.lock-part-IIIII for shard I of a sharded run (different shards
// of one job write into one directory at the same time; that is the
// Kubernetes/Slurm case). The second process fails fast with a
// ConfigError. flock locks are released by the kernel when the process
// dies, so a crash never leaves a held lock; a leftover lock file is
// harmless (and hidden).

// lockName is the unsharded run's lock file; shardLockName a shard's,
// inside DoneDir.
const lockName = ".lock"

func shardLockName(i int) string { return fmt.Sprintf(".lock-part-%05d", i) }

// outputLock is a held lock; release removes the file and unlocks it.
type outputLock struct {
	f    *os.File
	path string
}

// lockOutput takes the exclusive lock at path, which names the output
// directory dir in messages. The lock file holds the holder's pid.
func lockOutput(path, dir string) (*outputLock, error) {
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, configErr("cannot create the lock file %s of output directory %s: %v", path, dir, unwrapPath(err))
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			data, _ := os.ReadFile(path)
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				holder := "another process"
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(data))); perr == nil && pid > 0 {
					holder = "pid " + strconv.Itoa(pid)
				}
				return nil, configErr("another tokenize run is writing to %s (lock held by %s); wait for it or choose another -o", dir, holder)
			}
			return nil, configErr("cannot lock output directory %s (%s): %v", dir, path, err)
		}
		// The holder before us may have removed the file between our open
		// and our flock: then we hold a lock on a file nobody else sees.
		// Only a lock on the file that is still at path counts.
		var a, b unix.Stat_t
		if unix.Fstat(int(f.Fd()), &a) != nil || unix.Stat(path, &b) != nil || a.Ino != b.Ino || a.Dev != b.Dev {
			f.Close()
			continue
		}
		f.Truncate(0)
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		return &outputLock{f: f, path: path}, nil
	}
	return nil, configErr("cannot lock output directory %s: the lock file %s keeps being replaced", dir, path)
}

// release removes the lock file (while still holding the lock, so a
// waiting process notices the file changed) and unlocks it.
func (l *outputLock) release() {
	if l == nil {
		return
	}
	os.Remove(l.path)
	l.f.Close()
}

// lockRun takes the lock of this run's output: the directory's for an
// unsharded run, the shard's for a sharded one. It creates the directories
// it needs.
//
// Object storage has no lock (docs/batch.md, "Object storage"): nil.
func lockRun(o Options) (*outputLock, error) {
	if IsURL(o.OutputDir) {
		return nil, nil
	}
	dir := o.OutputDir
	if o.NumShards > 0 {
		dir = filepath.Join(o.OutputDir, DoneDir)
		// Refuse before creating _done/: a refused run leaves no trace.
		if ents, err := os.ReadDir(o.OutputDir); err == nil {
			names := make([]string, len(ents))
			for i, e := range ents {
				names[i] = e.Name()
			}
			if err := refuseUnsharded(o.OutputDir, names); err != nil {
				return nil, err
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, configErr("cannot create output directory: %v", err)
	}
	if o.NumShards > 0 {
		return lockOutput(filepath.Join(dir, shardLockName(o.ShardIndex)), fmt.Sprintf("%s (shard %d)", o.OutputDir, o.ShardIndex))
	}
	return lockOutput(filepath.Join(dir, lockName), o.OutputDir)
}
