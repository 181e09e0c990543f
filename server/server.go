// Package server is tokenfab's HTTP service: it tokenizes one text, image
// or audio file per request and answers JSON or an Arrow IPC stream.
//
// Endpoints (docs/serve.md has the full reference):
//
//	POST /v1/tokenize  token ids (text), patches shape + grid_thw (images), mel shape (audio); JSON or Arrow
//	POST /v1/count     num_tokens only (text: text.Tokenizer.Count, no id slice)
//	GET  /healthz      200 while the process serves
//	GET  /readyz       200, or 503 while draining for shutdown
//	GET  /metrics      Prometheus metrics
//
// Every error is a 4xx/5xx with the JSON body
// {"error": {"code": "...", "message": "..."}}. A panic inside a request is
// recovered into a 500 and the server keeps serving. Requests beyond
// Config.MaxConcurrent get 429 with Retry-After, before their body is read.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config sets the limits of a Server. A zero field takes its default.
type Config struct {
	// MaxBodyBytes caps a request body in bytes (default 16 MiB). A
	// declared Content-Length above it is refused (413) before reading.
	MaxBodyBytes int64
	// MaxImagePixels caps the decoded pixels (width·height, from the
	// header, before any pixel buffer exists) of an image (default
	// 25,000,000; 413 above it).
	MaxImagePixels int64
	// MaxAudioSeconds caps the decoded duration of an audio file in
	// seconds (default 600; 413 above it).
	MaxAudioSeconds float64
	// RequestTimeout bounds reading, tokenizing and answering one request
	// (default 30 s; 503 "timeout" when tokenizing takes longer).
	RequestTimeout time.Duration
	// MaxConcurrent is the number of /v1 requests served at once (default
	// 2·GOMAXPROCS); more get 429 with Retry-After.
	MaxConcurrent int
	// RetryAfter is the Retry-After of a 429, rounded up to whole seconds
	// (default 1 s).
	RetryAfter time.Duration
	// ShutdownTimeout bounds the drain of in-flight requests when the
	// context given to Serve is cancelled (default 30 s).
	ShutdownTimeout time.Duration
	// Logger receives panics and server errors (default: discard).
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultMaxBodyBytes    = 16 << 20
	DefaultMaxImagePixels  = 25_000_000
	DefaultMaxAudioSeconds = 600
	DefaultRequestTimeout  = 30 * time.Second
	DefaultShutdownTimeout = 30 * time.Second
	// Default tokenizer names when a request names none.
	DefaultEncoding    = "o200k_base"
	DefaultImagePreset = "vit-base-patch16-224"
	DefaultAudioPreset = "whisper-80"
)

// Server serves the tokenization API. Create it with New; it holds its own
// Prometheus registry and tokenizer cache (no global state), so several
// Servers can live in one process.
type Server struct {
	cfg      Config
	sem      chan struct{}
	toks     *cache
	met      *metrics
	reg      *prometheus.Registry
	handler  http.Handler
	draining atomic.Bool
}

// New checks cfg, fills its defaults and builds a Server. Tokenizers are
// built lazily on first use.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.MaxBodyBytes < 0, cfg.MaxImagePixels < 0, cfg.MaxAudioSeconds < 0, cfg.RequestTimeout < 0,
		cfg.MaxConcurrent < 0, cfg.RetryAfter < 0, cfg.ShutdownTimeout < 0:
		return nil, fmt.Errorf("server: negative limit in %+v: limits must be positive (0 = default)", cfg)
	}
	def := func(p *int64, v int64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	def(&cfg.MaxImagePixels, DefaultMaxImagePixels)
	if cfg.MaxAudioSeconds == 0 {
		cfg.MaxAudioSeconds = DefaultMaxAudioSeconds
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxConcurrent == 0 {
		cfg.MaxConcurrent = 2 * runtime.GOMAXPROCS(0)
	}
	if cfg.RetryAfter == 0 {
		cfg.RetryAfter = time.Second
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, sem: make(chan struct{}, cfg.MaxConcurrent), reg: prometheus.NewRegistry()}
	s.toks = newCache(cfg)
	s.met = newMetrics(s.reg, cfg.MaxConcurrent)
	s.handler = s.routes()
	return s, nil
}

// Handler is the server's http.Handler (all routes, with panic recovery,
// metrics and limits).
func (s *Server) Handler() http.Handler { return s.handler }

// Registry is the server's Prometheus registry (what /metrics serves).
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// ListenAndServe listens on addr (e.g. "127.0.0.1:8080") and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve answers requests on ln until ctx is cancelled, then drains: /readyz
// turns 503, the listener closes, and in-flight requests finish (up to
// Config.ShutdownTimeout) before Serve returns. It returns nil after a
// clean drain, the error that stopped serving otherwise. In-flight
// requests are not cancelled by ctx. ln is closed on return.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.RequestTimeout,
		WriteTimeout:      2 * s.cfg.RequestTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		srv.Close()
		return fmt.Errorf("server: draining in-flight requests: %w", err)
	}
	return nil
}
