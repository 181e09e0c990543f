package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// cliEnv makes the test binary behave as the tokenize command, so tests
// can start real, separate tokenize processes without building one.
const cliEnv = "TOKENFAB_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(cliEnv) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestTwoProcessesOneOutput starts two tokenize processes on the same -o
// at the same moment. Exactly one writes the output; the other exits 1
// (the output is locked, or already written) without touching it, and the
// summary describes the part file that is there.
func TestTwoProcessesOneOutput(t *testing.T) {
	in := t.TempDir()
	var doc strings.Builder
	for i := range 3000 {
		doc.WriteString(`{"text":"line number `)
		doc.WriteString(strings.Repeat("x", i%50))
		doc.WriteString("\"}\n")
	}
	if err := os.WriteFile(filepath.Join(in, "a.jsonl"), []byte(doc.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	var cmds [2]*exec.Cmd
	var errs [2]bytes.Buffer
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "run", in, "-o", out, "-q", "--workers", "1")
		cmds[i].Env = append(os.Environ(), cliEnv+"=1")
		cmds[i].Stderr = &errs[i]
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	var codes [2]int
	for i, c := range cmds {
		c.Wait()
		codes[i] = c.ProcessState.ExitCode()
	}
	if codes[0]+codes[1] != 1 || codes[0]*codes[1] != 0 {
		t.Fatalf("exit codes %v, want one 0 and one 1\nstderr 0: %s\nstderr 1: %s", codes, errs[0].String(), errs[1].String())
	}
	loser := errs[1].String()
	if codes[0] == 1 {
		loser = errs[0].String()
	}
	if !strings.Contains(loser, "another tokenize run is writing to "+out) && !strings.Contains(loser, "already holds") {
		t.Errorf("the refused run said %q", loser)
	}
	var sum struct {
		Rows  int64
		Files []struct {
			Name   string
			Rows   int64
			SHA256 string
		}
	}
	data, err := os.ReadFile(filepath.Join(out, "_SUMMARY.json"))
	if err == nil {
		err = json.Unmarshal(data, &sum)
	}
	if err != nil || sum.Rows != 3000 || len(sum.Files) != 1 {
		t.Fatalf("summary: %v %+v", err, sum)
	}
	part, err := os.ReadFile(filepath.Join(out, sum.Files[0].Name))
	h := sha256.Sum256(part)
	if err != nil || hex.EncodeToString(h[:]) != sum.Files[0].SHA256 {
		t.Fatalf("%s does not match the summary: %v", sum.Files[0].Name, err)
	}
	ents, _ := os.ReadDir(out)
	if len(ents) != 2 {
		t.Errorf("output holds %d entries, want the part file and the summary", len(ents))
	}
}
