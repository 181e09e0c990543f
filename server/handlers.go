package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tokenfab/tokenfab/audio"
	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/pipeline"
)

// ArrowStream is the media type of Arrow IPC stream answers (ask for it
// with Accept).
const ArrowStream = "application/vnd.apache.arrow.stream"

// maxFieldBytes caps one non-file multipart field (modality, preset, ...).
const maxFieldBytes = 4 << 10

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/tokenize", s.api("tokenize", s.tokenize))
	mux.Handle("/v1/count", s.api("count", s.count))
	mux.Handle("/healthz", s.plain("healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	mux.Handle("/readyz", s.plain("readyz", func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			writeError(w, errf(http.StatusServiceUnavailable, "draining", "the server is shutting down; send requests to another instance"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}))
	metricsH := promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
	mux.Handle("/metrics", s.plain("metrics", metricsH.ServeHTTP))
	mux.Handle("/", s.plain("other", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errf(http.StatusNotFound, "not_found", "no route %s; use POST /v1/tokenize, POST /v1/count, GET /healthz, /readyz or /metrics", r.URL.Path))
	}))
	return mux
}

// statusWriter records the status and whether the header went out.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// instrument records metrics and turns a panic into a 500 (or, once the
// answer has started, an aborted connection), so the server keeps serving.
func (s *Server) instrument(route string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			started := sw.status != 0 // the answer had begun before the panic
			if v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // sentinel value, compared as net/http does
					panic(v)
				}
				s.met.panics.Inc()
				s.cfg.Logger.Error("request panicked", "route", route, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if !started {
					writeError(sw, errf(http.StatusInternalServerError, "internal", "the server failed on this request (a bug, logged); other requests are unaffected"))
				}
			}
			code := sw.status
			if code == 0 {
				code = http.StatusOK
			}
			s.met.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
			s.met.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
			if v != nil && started {
				panic(http.ErrAbortHandler) // the answer had started: cut it rather than let it look complete
			}
		}()
		h(sw, r)
	}
}

// plain is a GET route without the concurrency limit.
func (s *Server) plain(route string, h http.HandlerFunc) http.Handler {
	return s.instrument(route, func(w http.ResponseWriter, r *http.Request) {
		if route != "other" && r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, errf(http.StatusMethodNotAllowed, "method_not_allowed", "%s %s: use GET", r.Method, r.URL.Path))
			return
		}
		h(w, r)
	})
}

// api is a POST /v1 route: method check, concurrency limit (429 before
// the body is read), body size limit and per-request timeout.
func (s *Server) api(route string, h func(ctx context.Context, w http.ResponseWriter, r *http.Request) *apiError) http.Handler {
	return s.instrument(route, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			writeError(w, errf(http.StatusMethodNotAllowed, "method_not_allowed", "%s %s: use POST", r.Method, r.URL.Path))
			return
		}
		select {
		case s.sem <- struct{}{}:
		default:
			s.tooBusy(w)
			return
		}
		s.met.inFlight.Inc()
		defer func() {
			s.met.inFlight.Dec()
			<-s.sem
		}()
		if r.ContentLength > s.cfg.MaxBodyBytes {
			w.Header().Set("Connection", "close")
			writeError(w, tooLarge(r.ContentLength, s.cfg.MaxBodyBytes))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		if e := h(ctx, w, r); e != nil {
			writeError(w, e)
		}
	})
}

func tooLarge(n, limit int64) *apiError {
	return errf(http.StatusRequestEntityTooLarge, "body_too_large",
		"the body has %d bytes, over the server's limit of %d; send a smaller input (or raise --max-body-bytes)", n, limit)
}

// request is one parsed /v1 request.
type request struct {
	key     tokKey
	data    []byte
	id      string
	patches bool // include patches / mel values in a JSON answer
}

// textJSON is the body of an application/json text request.
type textJSON struct {
	Text     *string `json:"text"`
	Encoding string  `json:"encoding"`
	Modality string  `json:"modality"`
	ID       string  `json:"id"`
}

// parse reads the request's parameters and body. Parameters come from the
// query string, then (multipart) form fields, which override them.
func (s *Server) parse(r *http.Request) (*request, *apiError) {
	q := r.URL.Query()
	req := &request{id: q.Get("id"), key: tokKey{modality: q.Get("modality"), dtype: q.Get("patch_dtype")}}
	req.key.name = firstOf(q.Get("preset"), q.Get("encoding"))
	patches := q.Get("patches")
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" {
		mt, err = "application/octet-stream", nil
	}
	if err != nil {
		return nil, errf(http.StatusUnsupportedMediaType, "bad_content_type", "Content-Type %q cannot be parsed: %v", ct, err)
	}
	switch {
	case mt == "application/json":
		body, e := readBody(r.Body)
		if e != nil {
			return nil, e
		}
		var tj textJSON
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&tj); err != nil || dec.More() {
			if err == nil {
				err = errors.New("trailing data after the object")
			}
			return nil, errf(http.StatusBadRequest, "bad_json", `the JSON body is invalid (%v); send {"text": "...", "encoding": "o200k_base"} (fields: text, encoding, modality, id)`, err)
		}
		if tj.Text == nil {
			return nil, errf(http.StatusBadRequest, "missing_text", `the JSON body has no "text" string; send {"text": "...", "encoding": "o200k_base"} (media: send the bytes as multipart/form-data or a raw body)`)
		}
		if tj.Modality != "" && tj.Modality != modText {
			return nil, errf(http.StatusBadRequest, "bad_modality", "JSON bodies carry text only; send %s as multipart/form-data or a raw body", tj.Modality)
		}
		req.key.modality, req.data = modText, []byte(*tj.Text)
		req.key.name = firstOf(tj.Encoding, req.key.name)
		req.id = firstOf(tj.ID, req.id)
	case mt == "multipart/form-data":
		if e := s.parseMultipart(r, params["boundary"], req, &patches); e != nil {
			return nil, e
		}
	default:
		body, e := readBody(r.Body)
		if e != nil {
			return nil, e
		}
		req.data = body
		if req.key.modality == "" {
			switch {
			case mt == "text/plain":
				req.key.modality = modText
			case strings.HasPrefix(mt, "image/"):
				req.key.modality = modImage
			case strings.HasPrefix(mt, "audio/"):
				req.key.modality = modAudio
			}
		}
	}
	if patches != "" {
		b, err := strconv.ParseBool(patches)
		if err != nil {
			return nil, errf(http.StatusBadRequest, "bad_parameter", "patches=%q: use true or false", patches)
		}
		req.patches = b
	}
	if req.id == "" {
		req.id = "0"
	}
	if e := validate(&req.key); e != nil {
		return nil, e
	}
	return req, nil
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// readBody reads a body limited by http.MaxBytesReader.
func readBody(body io.Reader) ([]byte, *apiError) {
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, bodyErr(err)
	}
	return b, nil
}

func bodyErr(err error) *apiError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errf(http.StatusRequestEntityTooLarge, "body_too_large",
			"the body is over the server's limit of %d bytes; send a smaller input (or raise --max-body-bytes)", mbe.Limit)
	}
	return errf(http.StatusBadRequest, "body_incomplete", "the body could not be read completely (%v); resend the whole body", err)
}

// parseMultipart reads a multipart/form-data body: the part named "file"
// (or "text") is the input; fields modality, preset, encoding,
// patch_dtype, patches and id set parameters.
func (s *Server) parseMultipart(r *http.Request, boundary string, req *request, patches *string) *apiError {
	if boundary == "" {
		return errf(http.StatusBadRequest, "bad_multipart", "multipart/form-data without a boundary parameter; let your HTTP client build the Content-Type")
	}
	mr := multipart.NewReader(r.Body, boundary)
	found := false
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return multipartErr(err)
		}
		name := p.FormName()
		switch name {
		case "file", "text":
			if found {
				return errf(http.StatusBadRequest, "bad_multipart", "more than one input part (file/text); send one input per request")
			}
			b, err := io.ReadAll(p)
			if err != nil {
				return multipartErr(err)
			}
			req.data, found = b, true
			if name == "text" && req.key.modality == "" {
				req.key.modality = modText
			}
			if name == "file" && req.key.modality == "" {
				pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
				switch {
				case pt == "text/plain":
					req.key.modality = modText
				case strings.HasPrefix(pt, "image/"):
					req.key.modality = modImage
				case strings.HasPrefix(pt, "audio/"):
					req.key.modality = modAudio
				}
			}
		case "modality", "preset", "encoding", "patch_dtype", "patches", "id":
			b, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
			if err != nil {
				return multipartErr(err)
			}
			if len(b) > maxFieldBytes {
				return errf(http.StatusBadRequest, "bad_multipart", "form field %q is over %d bytes", name, maxFieldBytes)
			}
			v := string(b)
			switch name {
			case "modality":
				req.key.modality = v
			case "preset", "encoding":
				req.key.name = v
			case "patch_dtype":
				req.key.dtype = v
			case "patches":
				*patches = v
			case "id":
				req.id = v
			}
		default:
			return errf(http.StatusBadRequest, "bad_multipart", "unknown form field %q: use file (or text), modality, preset, encoding, patch_dtype, patches, id", name)
		}
	}
	if !found {
		return errf(http.StatusBadRequest, "bad_multipart", `no "file" (or "text") part in the multipart body; add the input as a part named file`)
	}
	return nil
}

func multipartErr(err error) *apiError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return bodyErr(err)
	}
	return errf(http.StatusBadRequest, "bad_multipart", "the multipart body is truncated or malformed (%v); resend a complete multipart/form-data body", err)
}

// tokenizeErr maps a tokenizer error to an answer.
func tokenizeErr(ctx context.Context, err error) *apiError {
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return errf(http.StatusServiceUnavailable, "timeout", "tokenizing took longer than the request timeout; send a smaller input or retry later")
		}
		return errf(499, "cancelled", "the client went away")
	}
	var re *pipeline.RowError
	switch {
	case errors.Is(err, image.ErrTooManyPixels), errors.Is(err, image.ErrFileTooLarge),
		errors.Is(err, audio.ErrTooLarge), errors.Is(err, audio.ErrTooLong),
		errors.As(err, &re) && re.Kind == pipeline.KindTooLarge:
		// The image package's hint names run's flag; a server's limit is its own.
		msg := strings.ReplaceAll(err.Error(), "(tokenize run --max-image-pixels N, Config.MaxImagePixels)",
			"(start tokenize serve with a larger --max-image-pixels N)")
		return errf(http.StatusRequestEntityTooLarge, "input_too_large", "%s", msg)
	case errors.Is(err, image.ErrUnsupportedFormat), errors.Is(err, audio.ErrUnsupportedFormat), errors.Is(err, audio.ErrNeedFFmpeg):
		return errf(http.StatusUnsupportedMediaType, "unsupported_format", "%v", err)
	}
	return errf(http.StatusUnprocessableEntity, "bad_input", "%v", err)
}

// wantsArrow reports whether the Accept header asks for an Arrow stream.
func wantsArrow(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), ArrowStream)
}

func (s *Server) tokenize(ctx context.Context, w http.ResponseWriter, r *http.Request) *apiError {
	return s.serve(ctx, w, r, false)
}

func (s *Server) count(ctx context.Context, w http.ResponseWriter, r *http.Request) *apiError {
	return s.serve(ctx, w, r, true)
}

func (s *Server) serve(ctx context.Context, w http.ResponseWriter, r *http.Request, countOnly bool) *apiError {
	req, e := s.parse(r)
	if e != nil {
		return e
	}
	tok, err := s.toks.get(req.key)
	if err != nil {
		return errf(http.StatusInternalServerError, "tokenizer_unavailable", "%v", err)
	}
	if !countOnly && wantsArrow(r) {
		return s.arrow(ctx, w, req, tok)
	}
	out := map[string]any{"id": req.id, "modality": req.key.modality}
	var n int
	switch {
	case tok.text != nil:
		out["encoding"] = req.key.name
		if countOnly {
			n = tok.text.Count(req.data)
		} else {
			ids, err := tok.text.Tokenize(ctx, req.data)
			if err != nil {
				return tokenizeErr(ctx, err)
			}
			if ids == nil {
				ids = []int32{}
			}
			n = len(ids)
			out["input_ids"] = ids
		}
	case tok.image != nil:
		tk, err := tok.image.Tokenize(ctx, req.data)
		if err != nil {
			return tokenizeErr(ctx, err)
		}
		n = tk.NumTokens
		out["preset"], out["num_patches"] = req.key.name, tk.NumPatches
		if !countOnly {
			out["grid_thw"] = tk.GridTHW
			out["patch_dim"] = tk.PatchDim
			out["patches_shape"] = [2]int{tk.NumPatches, tk.PatchDim}
			out["patch_dtype"] = req.key.dtype
			out["image_size"] = [2]int{tk.Width, tk.Height}
			// resized_size: the final image the patches are cut from (after
			// any crop or padding); scaled_size: right after the resize.
			out["resized_size"] = [2]int{tk.ImageWidth, tk.ImageHeight}
			out["scaled_size"] = [2]int{tk.ResizedWidth, tk.ResizedHeight}
			if req.patches {
				if req.key.dtype == "float32" {
					out["patches"] = tk.PixelValues
				} else {
					out["patches"] = u8ints(tk.Patches)
				}
			}
		}
	case tok.audio != nil:
		tk, err := tok.audio.Tokenize(ctx, req.data)
		if err != nil {
			return tokenizeErr(ctx, err)
		}
		n = tk.NumTokens
		out["preset"], out["duration_seconds"] = req.key.name, tk.DurationSeconds
		if !countOnly {
			out["mel_shape"] = [2]int{tk.NFrames, tk.NMels}
			out["chunks"] = tk.Chunks
			out["sample_rate"] = tk.SampleRate
			out["truncated"] = tk.Truncated
			if tk.Patches != nil {
				out["patches_shape"] = [2]int{len(tk.Patches) / max(tk.PatchDim, 1), tk.PatchDim}
				out["grid_thw"] = tk.GridTHW
			}
			if req.patches {
				out["mel"] = tk.Mel
			}
		}
	}
	out["num_tokens"] = n
	s.met.tokens.WithLabelValues(req.key.modality).Add(float64(n))
	writeJSON(w, http.StatusOK, out)
	return nil
}

// u8ints makes uint8 samples encode as JSON numbers (encoding/json writes
// []uint8 as base64).
func u8ints(b []uint8) []uint16 {
	out := make([]uint16, len(b))
	for i, v := range b {
		out[i] = uint16(v)
	}
	return out
}

// arrow answers one row as an Arrow IPC stream through pipeline.Writer.
// The input is tokenized first, so a bad input still gets a JSON error.
func (s *Server) arrow(ctx context.Context, w http.ResponseWriter, req *request, tok *tokenizer) *apiError {
	p, err := tok.mod.Tokenize(ctx, req.data)
	if err != nil {
		return tokenizeErr(ctx, err)
	}
	var buf bytes.Buffer
	aw, err := pipeline.NewWriter(&buf, []pipeline.Modality{tok.mod}, pipeline.WriterOptions{})
	if err != nil {
		return errf(http.StatusInternalServerError, "internal", "starting the Arrow stream: %v", err)
	}
	seg := pipeline.Segment{ID: req.id, Source: "http", Modality: req.key.modality}
	werr := aw.WritePayload(ctx, seg, p, nil)
	if cerr := aw.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return tokenizeErr(ctx, werr)
	}
	s.met.tokens.WithLabelValues(req.key.modality).Add(float64(p.NumTokens))
	w.Header().Set("Content-Type", ArrowStream)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, errf(http.StatusInternalServerError, "internal", "encoding the answer: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
