package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// VersityGWVersion is the versitygw release the object storage tests run
// against: a production S3 gateway, built from the Go module proxy.
const VersityGWVersion = "v1.8.0"

// VersityGW returns the path of a versitygw binary: TOKENFAB_VERSITYGW, else
// one built once (go install, a few minutes the first time) into the user
// cache directory. It skips the test, or fails it under
// TOKENFAB_REQUIRE_ALL=1, when none can be had.
func VersityGW(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("TOKENFAB_VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			missing(t, "versitygw at TOKENFAB_VERSITYGW="+p)
		}
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	bin := filepath.Join(cache, "tokenfab", "versitygw-"+VersityGWVersion)
	exe := filepath.Join(bin, "versitygw")
	if _, err := os.Stat(exe); err == nil {
		return exe
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		missing(t, "the go command (to build versitygw)")
	}
	cmd := exec.Command(goBin, "install", "github.com/versity/versitygw/cmd/versitygw@"+VersityGWVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("go install versitygw: %v\n%s", err, out)
		missing(t, "versitygw "+VersityGWVersion+" (go install failed)")
	}
	return exe
}

// S3Server is a versitygw S3 gateway on loopback, serving buckets from a
// temporary directory.
type S3Server struct {
	// Endpoint is http://127.0.0.1:PORT.
	Endpoint string
	// Dir holds one subdirectory per bucket (posix backend).
	Dir string
	// Access and Secret are the root account's credentials.
	Access, Secret string
}

// StartS3 starts versitygw on 127.0.0.1 with the given root credentials
// and stops it when the test ends.
func StartS3(t testing.TB, access, secret string) *S3Server {
	t.Helper()
	exe := VersityGW(t)
	dir := t.TempDir()
	data, side := filepath.Join(dir, "data"), filepath.Join(dir, "meta")
	for _, d := range []string{data, side} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(exe, "--access", access, "--secret", secret, "--region", "us-east-1",
		"--port", addr, "posix", "--sidecar", side, data)
	logf, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting versitygw: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		logf.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("versitygw exited: %v\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s within 30s", addr)
		}
	}
	return &S3Server{Endpoint: "http://" + addr, Dir: data, Access: access, Secret: secret}
}

// URL is an s3:// URL of bucket/prefix on this server, with the endpoint
// options gocloud's s3blob needs.
func (s *S3Server) URL(bucket, prefix string) string {
	return fmt.Sprintf("s3://%s/%s?endpoint=%s&use_path_style=true&region=us-east-1", bucket, prefix, s.Endpoint)
}

// MakeBucket creates an empty bucket (a directory of the posix backend).
func (s *S3Server) MakeBucket(t testing.TB, name string) {
	t.Helper()
	if err := os.Mkdir(filepath.Join(s.Dir, name), 0o755); err != nil {
		t.Fatal(err)
	}
}
