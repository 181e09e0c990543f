package main

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenfab/tokenfab/server"
)

// newServeCmd is `tokenize serve`: the HTTP service of package server.
func newServeCmd() *cobra.Command {
	var (
		addr string
		cfg  server.Config
	)
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve POST /v1/tokenize and /v1/count over HTTP (JSON or Arrow IPC answers)",
		Long: `serve answers tokenization requests over HTTP until SIGINT/SIGTERM, then
drains in-flight requests and exits 0. It listens on loopback by default;
there is no authentication, so put it behind a proxy before exposing it.

Endpoints: POST /v1/tokenize, POST /v1/count, GET /healthz, /readyz,
/metrics. See docs/serve.md.`,
		Example: `  tokenize serve --addr 127.0.0.1:8080
  curl -s localhost:8080/v1/tokenize -H 'Content-Type: application/json' -d '{"text":"hello world"}'
  curl -s 'localhost:8080/v1/tokenize?modality=image&preset=qwen2-vl' --data-binary @photo.jpg`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.MaxBodyBytes < 0 || cfg.MaxImagePixels < 0 || cfg.MaxAudioSeconds < 0 || cfg.MaxConcurrent < 0 ||
				cfg.RequestTimeout < 0 || cfg.ShutdownTimeout < 0 {
				return usagef("limits must be positive (0 means the default)")
			}
			cfg.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			s, err := server.New(cfg)
			if err != nil {
				return usageError{err}
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return usagef("--addr %s: %v", addr, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "tokenize: serving on http://%s (Ctrl-C to stop)\n", ln.Addr())
			if err := s.Serve(cmd.Context(), ln); err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "tokenize: drained, stopped")
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8080", "listen address (loopback by default; :8080 listens on every interface)")
	fl.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", server.DefaultMaxBodyBytes, "largest request body in bytes (413 above)")
	fl.Int64Var(&cfg.MaxImagePixels, "max-image-pixels", server.DefaultMaxImagePixels, "largest decoded image, width×height pixels (413 above)")
	fl.Float64Var(&cfg.MaxAudioSeconds, "max-audio-seconds", server.DefaultMaxAudioSeconds, "longest decoded audio in seconds (413 above)")
	fl.DurationVar(&cfg.RequestTimeout, "timeout", server.DefaultRequestTimeout, "per-request time limit")
	fl.IntVar(&cfg.MaxConcurrent, "max-concurrent", 0, "requests served at once; more get 429 (default 2×GOMAXPROCS)")
	fl.DurationVar(&cfg.RetryAfter, "retry-after", time.Second, "Retry-After of a 429")
	fl.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", server.DefaultShutdownTimeout, "how long SIGINT/SIGTERM waits for in-flight requests")
	return c
}
