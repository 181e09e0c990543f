// Package testenv locates the external tools and data that some tests need:
// the project's Python venv (made by scripts/test) and ../shared.
//
// When TOKENFAB_REQUIRE_ALL=1 (scripts/test and CI set it) a missing tool
// fails the test instead of skipping it, so CI never hides a missing
// dependency behind a skip. A plain `go test ./...` on a machine without the
// venv skips those tests with a message that says how to run them.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Root returns the repository root (the directory holding go.mod).
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func required() bool { return os.Getenv("TOKENFAB_REQUIRE_ALL") == "1" }

func missing(t testing.TB, what string) {
	t.Helper()
	if required() {
		t.Fatalf("%s is missing, and TOKENFAB_REQUIRE_ALL=1 forbids skipping; run scripts/test to install it", what)
	}
	t.Skipf("%s is missing; run scripts/test (it installs everything) to run this test", what)
}

// Python returns the path of the venv's python3 (TOKENFAB_PYTHON, else
// ROOT/.venv/bin/python3), or skips/fails the test when there is none.
func Python(t testing.TB) string {
	t.Helper()
	p := os.Getenv("TOKENFAB_PYTHON")
	if p == "" {
		p = filepath.Join(Root(), ".venv", "bin", "python3")
	}
	if _, err := os.Stat(p); err != nil {
		missing(t, "the test venv ("+p+")")
	}
	return p
}

// Shared returns the path of rel inside ../shared (TOKENFAB_SHARED, else
// ROOT/../shared), or skips/fails the test when it is not there. Tests that
// must always run use fixtures/ instead.
func Shared(t testing.TB, rel string) string {
	t.Helper()
	dir := os.Getenv("TOKENFAB_SHARED")
	if dir == "" {
		dir = filepath.Join(Root(), "..", "shared")
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		missing(t, "shared data "+p)
	}
	return p
}

// Tool returns the path of an executable on PATH, or skips/fails.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, "the "+name+" executable")
	}
	return p
}
