package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"go.uber.org/goleak"

	"github.com/tokenfab/tokenfab/audio"
	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
	"github.com/tokenfab/tokenfab/pipeline"
	"github.com/tokenfab/tokenfab/text"
)

// testServer is a Server listening on a loopback port.
type testServer struct {
	*Server
	url    string
	client *http.Client
	cancel context.CancelFunc
	done   chan error
}

// start serves cfg on 127.0.0.1:0. Cleanup shuts it down, checks Serve
// returned nil and that no goroutine is left.
func start(t *testing.T, cfg Config) *testServer {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{Server: s, url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1),
		client: &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}}
	go func() { ts.done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		ts.stop(t)
		goleak.VerifyNone(t)
	})
	return ts
}

// stop shuts the server down (once) and checks Serve's result.
func (ts *testServer) stop(t *testing.T) {
	t.Helper()
	if ts.cancel == nil {
		return
	}
	ts.cancel()
	ts.cancel = nil
	if err := <-ts.done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	ts.client.CloseIdleConnections()
}

func (ts *testServer) do(t *testing.T, method, path, contentType string, body []byte, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// wantError checks a JSON error answer with the given status and code.
func wantError(t *testing.T, what string, status int, hdr http.Header, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if status != wantStatus {
		t.Errorf("%s: status %d, want %d (%s)", what, status, wantStatus, body)
	}
	if ct := hdr.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != wantCode || e.Error.Message == "" {
		t.Errorf("%s: body %s (%v), want error code %q with a message", what, body, err, wantCode)
	}
}

func fixture(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Root(), "fixtures", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const elephant = "sample/images/elephant-660-480.jpg"

// TestText: ids equal text.Tokenize (and tiktoken's o200k ids for "hello
// world"); /v1/count equals text.Count and has no ids.
func TestText(t *testing.T) {
	ts := start(t, Config{})
	tt, err := text.New(text.Config{Encoding: "cl100k_base"})
	if err != nil {
		t.Fatal(err)
	}
	doc := "The quick brown fox — 🦊 — jumps over the lazy dog. 日本語のテキスト。"
	wantIDs, _ := tt.Tokenize(context.Background(), []byte(doc))

	var got struct {
		InputIDs  []int32 `json:"input_ids"`
		NumTokens int     `json:"num_tokens"`
		Encoding  string
		Modality  string
	}
	body, _ := json.Marshal(map[string]string{"text": doc, "encoding": "cl100k_base"})
	st, _, b := ts.do(t, "POST", "/v1/tokenize", "application/json", body)
	if err := json.Unmarshal(b, &got); st != 200 || err != nil {
		t.Fatalf("status %d: %s", st, b)
	}
	if !reflect.DeepEqual(got.InputIDs, wantIDs) || got.NumTokens != len(wantIDs) || got.Encoding != "cl100k_base" || got.Modality != "text" {
		t.Errorf("got %+v, want ids %v", got, wantIDs)
	}

	// Default encoding o200k_base; tiktoken: enc.encode("hello world") == [24912, 2375].
	st, _, b = ts.do(t, "POST", "/v1/tokenize", "text/plain", []byte("hello world"))
	got.InputIDs = nil
	if err := json.Unmarshal(b, &got); st != 200 || err != nil || !reflect.DeepEqual(got.InputIDs, []int32{24912, 2375}) || got.Encoding != "o200k_base" {
		t.Errorf("default encoding: %d %s", st, b)
	}

	// count: text.Count, no input_ids.
	st, _, b = ts.do(t, "POST", "/v1/count?encoding=cl100k_base", "text/plain; charset=utf-8", []byte(doc))
	var cnt map[string]any
	if err := json.Unmarshal(b, &cnt); st != 200 || err != nil {
		t.Fatalf("count: %d %s", st, b)
	}
	if cnt["num_tokens"] != float64(tt.Count([]byte(doc))) || cnt["input_ids"] != nil {
		t.Errorf("count answer %v, want num_tokens %d and no input_ids", cnt, tt.Count([]byte(doc)))
	}

	// Multipart text, and an empty text (empty id list, not null).
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("encoding", "cl100k_base")
	mw.WriteField("text", doc)
	mw.Close()
	st, _, b = ts.do(t, "POST", "/v1/count", mw.FormDataContentType(), mp.Bytes())
	if json.Unmarshal(b, &cnt); st != 200 || cnt["num_tokens"] != float64(len(wantIDs)) {
		t.Errorf("multipart count: %d %s", st, b)
	}
	st, _, b = ts.do(t, "POST", "/v1/tokenize", "application/json", []byte(`{"text": ""}`))
	if st != 200 || !strings.Contains(string(b), `"input_ids":[]`) || !strings.Contains(string(b), `"num_tokens":0`) {
		t.Errorf("empty text: %d %s", st, b)
	}
}

// TestImage: grid_thw and shape are the image package's; patches only on
// request, equal to image.Tokens.Patches.
func TestImage(t *testing.T) {
	ts := start(t, Config{})
	jpg := fixture(t, elephant)
	it, err := image.New(image.Config{Preset: "qwen2-vl"})
	if err != nil {
		t.Fatal(err)
	}
	want, err := it.Tokenize(context.Background(), jpg)
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		NumTokens    int       `json:"num_tokens"`
		NumPatches   int       `json:"num_patches"`
		GridTHW      [3]int32  `json:"grid_thw"`
		PatchesShape [2]int    `json:"patches_shape"`
		Patches      *[]uint8x `json:"patches"`
	}
	var a answer
	st, _, b := ts.do(t, "POST", "/v1/tokenize?modality=image&preset=qwen2-vl", "application/octet-stream", jpg)
	if err := json.Unmarshal(b, &a); st != 200 || err != nil {
		t.Fatalf("%d %s", st, b)
	}
	if a.NumTokens != want.NumTokens || a.NumPatches != want.NumPatches || a.GridTHW != want.GridTHW ||
		a.PatchesShape != [2]int{want.NumPatches, want.PatchDim} || a.Patches != nil {
		t.Errorf("got %+v, want tokens %d grid %v", a, want.NumTokens, want.GridTHW)
	}

	// Multipart with patches=true; Content-Type image/jpeg picks the modality.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("preset", "qwen2-vl")
	mw.WriteField("patches", "true")
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="file"; filename="e.jpg"`}
	h["Content-Type"] = []string{"image/jpeg"}
	pw, _ := mw.CreatePart(h)
	pw.Write(jpg)
	mw.Close()
	st, _, b = ts.do(t, "POST", "/v1/tokenize", mw.FormDataContentType(), mp.Bytes())
	a = answer{}
	if err := json.Unmarshal(b, &a); st != 200 || err != nil || a.Patches == nil {
		t.Fatalf("%d %.300s", st, b)
	}
	if len(*a.Patches) != len(want.Patches) {
		t.Fatalf("%d patch values, want %d", len(*a.Patches), len(want.Patches))
	}
	for i, v := range *a.Patches {
		if uint8(v) != want.Patches[i] {
			t.Fatalf("patch value %d = %d, want %d", i, v, want.Patches[i])
		}
	}

	// CLIP scales the 660×480 image's short side to 224 (308×224), then
	// center-crops to 224×224: scaled_size is the former, resized_size the
	// final size.
	var sizes struct {
		ImageSize   [2]int `json:"image_size"`
		ScaledSize  [2]int `json:"scaled_size"`
		ResizedSize [2]int `json:"resized_size"`
	}
	st, _, b = ts.do(t, "POST", "/v1/tokenize?preset=clip-vit-large-patch14", "image/jpeg", jpg)
	if err := json.Unmarshal(b, &sizes); st != 200 || err != nil ||
		sizes.ImageSize != [2]int{660, 480} || sizes.ScaledSize != [2]int{308, 224} || sizes.ResizedSize != [2]int{224, 224} {
		t.Errorf("clip sizes: %d %+v %.200s", st, sizes, b)
	}

	// count: num_tokens only.
	st, _, b = ts.do(t, "POST", "/v1/count?preset=qwen2-vl", "image/jpeg", jpg)
	if st != 200 || !strings.Contains(string(b), fmt.Sprintf(`"num_tokens":%d`, want.NumTokens)) || strings.Contains(string(b), "grid_thw") {
		t.Errorf("count: %d %s", st, b)
	}
}

// uint8x decodes a JSON number 0..255.
type uint8x uint16

// readArrow reads an Arrow IPC stream answer.
func readArrow(t *testing.T, b []byte) (*arrow.Schema, []arrow.RecordBatch) {
	t.Helper()
	r, err := ipc.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	var recs []arrow.RecordBatch
	for r.Next() {
		rec := r.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return r.Schema(), recs
}

// TestArrow: Accept: application/vnd.apache.arrow.stream gives one row
// with the pipeline schema (text ids, image patches and grid).
func TestArrow(t *testing.T) {
	ts := start(t, Config{})
	tt, _ := text.New(text.Config{Encoding: "o200k_base"})
	doc := "Arrow answers hold the same ids."
	wantIDs, _ := tt.Tokenize(context.Background(), []byte(doc))
	st, hdr, b := ts.do(t, "POST", "/v1/tokenize?id=doc-1", "text/plain", []byte(doc), "Accept", ArrowStream)
	if st != 200 || hdr.Get("Content-Type") != ArrowStream {
		t.Fatalf("%d %s %s", st, hdr.Get("Content-Type"), b)
	}
	schema, recs := readArrow(t, b)
	if len(recs) != 1 || recs[0].NumRows() != 1 {
		t.Fatalf("%d batches", len(recs))
	}
	rec := recs[0]
	ids := rec.Column(schema.FieldIndices("input_ids")[0]).(*array.List)
	s, e := ids.ValueOffsets(0)
	got := ids.ListValues().(*array.Int32).Int32Values()[s:e]
	if !reflect.DeepEqual(got, wantIDs) || rec.Column(0).(*array.String).Value(0) != "doc-1" {
		t.Errorf("ids %v, want %v", got, wantIDs)
	}
	if md, _ := schema.Metadata().GetValue("tokenfab"); !strings.Contains(md, `"name":"o200k_base"`) || !strings.Contains(md, `"format":"arrow-stream"`) {
		t.Errorf("tokenfab metadata %s", md)
	}
	rec.Release()

	it, _ := image.New(image.Config{})
	jpg := fixture(t, elephant)
	want, _ := it.Tokenize(context.Background(), jpg)
	st, _, b = ts.do(t, "POST", "/v1/tokenize?modality=image", "", jpg, "Accept", ArrowStream)
	if st != 200 {
		t.Fatalf("%d %s", st, b)
	}
	schema, recs = readArrow(t, b)
	rec = recs[0]
	pl := rec.Column(schema.FieldIndices("patches")[0]).(*array.List)
	vals := pl.ListValues().(*array.FixedSizeList).ListValues().(*array.Uint8).Uint8Values()
	grid := rec.Column(schema.FieldIndices("grid_thw")[0]).(*array.FixedSizeList).ListValues().(*array.Int32).Int32Values()
	if !bytes.Equal(vals, want.Patches) || !reflect.DeepEqual(grid, want.GridTHW[:]) {
		t.Errorf("patches %d values grid %v, want %d values grid %v", len(vals), grid, len(want.Patches), want.GridTHW)
	}
	rec.Release()
}

// TestBadRequests: each bad request gets a 4xx JSON error, and the server
// keeps serving.
func TestBadRequests(t *testing.T) {
	ts := start(t, Config{MaxBodyBytes: 1 << 20})
	jpg := fixture(t, elephant)
	ok := func() {
		t.Helper()
		st, _, b := ts.do(t, "POST", "/v1/count", "text/plain", []byte("still serving"))
		if st != 200 || !strings.Contains(string(b), `"num_tokens":2`) {
			t.Fatalf("server stopped answering: %d %s", st, b)
		}
	}

	// A truncated multipart body: the closing boundary never comes.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("modality", "image")
	fw, _ := mw.CreateFormFile("file", "e.jpg")
	fw.Write(jpg)
	mw.Close()
	trunc := mp.Bytes()[:mp.Len()/2]
	st, hdr, b := ts.do(t, "POST", "/v1/tokenize", mw.FormDataContentType(), trunc)
	wantError(t, "truncated multipart", st, hdr, b, 400, "bad_multipart")
	ok()

	// A declared Content-Length of 10 GB: refused before the body is read.
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /v1/tokenize?modality=image HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 10000000000\r\n\r\n")
	conn.Write(jpg[:1000])
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	wantError(t, "10 GB Content-Length", resp.StatusCode, resp.Header, b, 413, "body_too_large")
	conn.Close()
	ok()

	// A chunked body over the limit (no Content-Length): 413 while reading.
	req, _ := http.NewRequest("POST", ts.url+"/v1/count", io.MultiReader(bytes.NewReader(make([]byte, 2<<20))))
	req.Header.Set("Content-Type", "text/plain")
	if resp, err := ts.client.Do(req); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantError(t, "chunked over the limit", resp.StatusCode, resp.Header, b, 413, "body_too_large")
	} else {
		t.Errorf("chunked over the limit: %v", err)
	}
	ok()

	cases := []struct {
		what, method, path, ct string
		body                   []byte
		status                 int
		code                   string
	}{
		{"corrupt image", "POST", "/v1/tokenize?modality=image", "", jpg[:len(jpg)/3], 422, "bad_input"},
		{"not an image", "POST", "/v1/tokenize", "image/png", []byte("hello, not a PNG"), 415, "unsupported_format"},
		{"unknown preset", "POST", "/v1/tokenize?modality=image&preset=vit-huge-9000", "", jpg, 400, "unknown_preset"},
		{"igpt (needs a palette)", "POST", "/v1/tokenize?preset=igpt", "image/jpeg", jpg, 400, "unsupported_preset"},
		{"unknown encoding", "POST", "/v1/tokenize", "application/json", []byte(`{"text":"a","encoding":"gpt5"}`), 400, "unknown_encoding"},
		{"unknown modality", "POST", "/v1/count?modality=smell", "", []byte("x"), 400, "unknown_modality"},
		{"no modality", "POST", "/v1/count", "application/octet-stream", []byte("x"), 400, "missing_modality"},
		{"bad JSON", "POST", "/v1/tokenize", "application/json", []byte(`{"text": "a"`), 400, "bad_json"},
		{"unknown JSON field", "POST", "/v1/tokenize", "application/json", []byte(`{"txt": "a"}`), 400, "bad_json"},
		{"JSON without text", "POST", "/v1/tokenize", "application/json", []byte(`{}`), 400, "missing_text"},
		{"bad patches flag", "POST", "/v1/tokenize?modality=image&patches=maybe", "", jpg, 400, "bad_parameter"},
		{"bad dtype", "POST", "/v1/tokenize?modality=image&patch_dtype=int4", "", jpg, 400, "unknown_patch_dtype"},
		{"multipart without file", "POST", "/v1/tokenize", "multipart/form-data; boundary=x", []byte("--x--\r\n"), 400, "bad_multipart"},
		{"bad content type", "POST", "/v1/tokenize", "text/", []byte("a"), 415, "bad_content_type"},
		{"GET tokenize", "GET", "/v1/tokenize", "", nil, 405, "method_not_allowed"},
		{"no route", "GET", "/v2/whatever", "", nil, 404, "not_found"},
		{"corrupt audio as Arrow", "POST", "/v1/tokenize?modality=audio", "", []byte("RIFF\x10\x00\x00\x00WAVEfmt "), 422, "bad_input"},
	}
	for _, c := range cases {
		st, hdr, b := ts.do(t, c.method, c.path, c.ct, c.body, "Accept", ArrowStream)
		wantError(t, c.what, st, hdr, b, c.status, c.code)
	}
	ok()
}

// blockingMod is a text modality whose Tokenize waits for release (or
// ctx) and panics on "PANIC".
type blockingMod struct {
	entered chan struct{}
	release chan struct{}
}

func (blockingMod) Name() string { return pipeline.ModText }
func (blockingMod) Describe() map[string]any {
	return map[string]any{"name": "blocking"}
}
func (m blockingMod) Tokenize(ctx context.Context, data []byte) (pipeline.Payload, error) {
	if string(data) == "PANIC" {
		panic("test panic")
	}
	m.entered <- struct{}{}
	select {
	case <-m.release:
	case <-ctx.Done():
		return pipeline.Payload{}, ctx.Err()
	}
	return pipeline.Payload{NumTokens: 1, InputIDs: []int32{7}}, nil
}

// withMod makes the Arrow path of text/o200k_base use m.
func (ts *testServer) withMod(t *testing.T, m pipeline.Modality) {
	tok, err := ts.toks.get(tokKey{modality: modText, name: DefaultEncoding})
	if err != nil {
		t.Fatal(err)
	}
	tok.mod = m
}

func (ts *testServer) arrowText(body string) (*http.Response, error) {
	req, _ := http.NewRequest("POST", ts.url+"/v1/tokenize", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Accept", ArrowStream)
	return ts.client.Do(req)
}

// TestPanicRecovered: a panic in one request is a 500 JSON error, counted,
// and the server goes on.
func TestPanicRecovered(t *testing.T) {
	ts := start(t, Config{})
	ts.withMod(t, blockingMod{})
	for range 3 {
		st, hdr, b := ts.do(t, "POST", "/v1/tokenize", "text/plain", []byte("PANIC"), "Accept", ArrowStream)
		wantError(t, "panic", st, hdr, b, 500, "internal")
	}
	st, _, b := ts.do(t, "POST", "/v1/tokenize", "text/plain", []byte("hello world"))
	if st != 200 || !strings.Contains(string(b), "[24912,2375]") {
		t.Errorf("after panics: %d %s", st, b)
	}
	_, _, m := ts.do(t, "GET", "/metrics", "", nil)
	for _, want := range []string{"tokenfab_http_panics_total 3", `tokenfab_http_requests_total{code="500",route="tokenize"} 3`,
		`tokenfab_http_requests_total{code="200",route="tokenize"} 1`, `tokenfab_tokens_total{modality="text"} 2`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestLimitAndDrain: with MaxConcurrent 1 a second request gets 429 with
// Retry-After while the first is in flight; cancelling Serve's context
// turns /readyz 503, lets the in-flight request finish with 200, and Serve
// returns nil (goleak checks in cleanup).
func TestLimitAndDrain(t *testing.T) {
	ts := start(t, Config{MaxConcurrent: 1, RetryAfter: 1500 * time.Millisecond})
	m := blockingMod{entered: make(chan struct{}, 1), release: make(chan struct{})}
	ts.withMod(t, m)
	type result struct {
		status int
		body   []byte
		err    error
	}
	first := make(chan result, 1)
	go func() {
		resp, err := ts.arrowText("slow")
		if err != nil {
			first <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		first <- result{resp.StatusCode, b, err}
	}()
	<-m.entered
	st, hdr, b := ts.do(t, "POST", "/v1/count", "text/plain", []byte("x"))
	wantError(t, "over the limit", st, hdr, b, 429, "overloaded")
	if hdr.Get("Retry-After") != "2" {
		t.Errorf("Retry-After %q, want 2", hdr.Get("Retry-After"))
	}
	if st, _, _ := ts.do(t, "GET", "/healthz", "", nil); st != 200 {
		t.Errorf("healthz %d while full", st)
	}
	if st, _, _ := ts.do(t, "GET", "/readyz", "", nil); st != 200 {
		t.Errorf("readyz %d before shutdown", st)
	}

	// Shut down with the request in flight.
	ts.cancel()
	ts.cancel = nil
	deadline := time.Now().Add(5 * time.Second)
	for !ts.draining.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	rr := httptestRecorder{}
	ts.Handler().ServeHTTP(&rr, mustReq("GET", "/readyz"))
	if rr.status != 503 {
		t.Errorf("readyz while draining: %d", rr.status)
	}
	select {
	case err := <-ts.done:
		t.Fatalf("Serve returned %v before the in-flight request finished", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(m.release)
	r := <-first
	if r.err != nil || r.status != 200 {
		t.Fatalf("in-flight request: %d %v %s", r.status, r.err, r.body)
	}
	if err := <-ts.done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	ts.client.CloseIdleConnections()
	if _, err := ts.client.Get(ts.url + "/healthz"); err == nil {
		t.Error("the server still accepts connections after shutdown")
	}
}

// TestTimeout: a request that takes longer than RequestTimeout is a 503
// "timeout", and the slot is freed.
func TestTimeout(t *testing.T) {
	ts := start(t, Config{RequestTimeout: 200 * time.Millisecond, MaxConcurrent: 1})
	m := blockingMod{entered: make(chan struct{}, 1), release: make(chan struct{})}
	ts.withMod(t, m)
	resp, err := ts.arrowText("slow")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantError(t, "timeout", resp.StatusCode, resp.Header, b, 503, "timeout")
	<-m.entered
	if st, _, b := ts.do(t, "POST", "/v1/count", "text/plain", []byte("hello world")); st != 200 {
		t.Errorf("after timeout: %d %s", st, b)
	}
}

// httptestRecorder is a minimal ResponseWriter.
type httptestRecorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (r *httptestRecorder) Header() http.Header {
	if r.h == nil {
		r.h = http.Header{}
	}
	return r.h
}
func (r *httptestRecorder) WriteHeader(c int)           { r.status = c }
func (r *httptestRecorder) Write(p []byte) (int, error) { return r.body.Write(p) }

func mustReq(method, path string) *http.Request {
	r, err := http.NewRequest(method, "http://x"+path, nil)
	if err != nil {
		panic(err)
	}
	return r
}

func TestNewRejectsNegative(t *testing.T) {
	if _, err := New(Config{MaxConcurrent: -1}); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("New: %v", err)
	}
	var _ = errors.New
}

// TestAudio: JSON shapes are the audio package's; the Arrow row has the
// pipeline's mel column with the same values.
func TestAudio(t *testing.T) {
	ts := start(t, Config{})
	wav := fixture(t, "sample/audio/librivox_0930.wav")
	at, err := audio.New(audio.Config{Preset: "whisper-80", FFmpeg: "off"})
	if err != nil {
		t.Fatal(err)
	}
	want, err := at.Tokenize(context.Background(), wav)
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		NumTokens int     `json:"num_tokens"`
		MelShape  [2]int  `json:"mel_shape"`
		Duration  float64 `json:"duration_seconds"`
	}
	st, _, b := ts.do(t, "POST", "/v1/tokenize", "audio/wav", wav)
	if err := json.Unmarshal(b, &a); st != 200 || err != nil {
		t.Fatalf("%d %s", st, b)
	}
	if a.NumTokens != want.NumTokens || a.MelShape != [2]int{want.NFrames, want.NMels} || a.Duration != want.DurationSeconds {
		t.Errorf("got %+v, want %d tokens, %d×%d", a, want.NumTokens, want.NFrames, want.NMels)
	}
	st, _, b = ts.do(t, "POST", "/v1/tokenize?modality=audio", "", wav, "Accept", ArrowStream)
	if st != 200 {
		t.Fatalf("%d %s", st, b)
	}
	schema, recs := readArrow(t, b)
	mel := recs[0].Column(schema.FieldIndices("mel")[0]).(*array.List).ListValues().(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
	if !reflect.DeepEqual(mel, want.Mel) {
		t.Errorf("Arrow mel: %d values, want %d equal to audio.Tokenize", len(mel), len(want.Mel))
	}
	recs[0].Release()
	// Over the duration limit: 413.
	ts.stop(t)
	ts2 := start(t, Config{MaxAudioSeconds: 0.5})
	st, hdr, b := ts2.do(t, "POST", "/v1/count", "audio/wav", wav)
	wantError(t, "audio too long", st, hdr, b, 413, "input_too_large")
}

// TestServedImagePresets: every image preset a request may name builds (so
// none is a 500), igpt is refused with a 400 that says why and is not listed,
// and docs/serve.md lists exactly the served presets.
func TestServedImagePresets(t *testing.T) {
	served := ImagePresets()
	if slices.Contains(served, "igpt") || !slices.Contains(served, "fuyu") || len(served) != len(image.Presets())-1 {
		t.Fatalf("ImagePresets() = %v", served)
	}
	c := newCache(Config{})
	for _, p := range served {
		k := tokKey{modality: modImage, name: p}
		if e := validate(&k); e != nil {
			t.Errorf("validate %s: %v", p, e.Message)
			continue
		}
		if _, err := c.build(k); err != nil {
			t.Errorf("build %s: %v", p, err)
		}
	}
	k := tokKey{modality: modImage, name: "igpt"}
	e := validate(&k)
	if e == nil || e.status != 400 || e.Code != "unsupported_preset" || !strings.Contains(e.Message, "palette") ||
		!strings.HasSuffix(e.Message, "served image presets: "+strings.Join(served, ", ")) {
		t.Errorf("validate igpt = %+v", e)
	}
	k = tokKey{modality: modImage, name: "nope"}
	if e := validate(&k); e == nil || strings.Contains(e.Message, "igpt") || !strings.Contains(e.Message, "fuyu") {
		t.Errorf("validate nope = %+v", e)
	}
	doc, err := os.ReadFile(filepath.Join(testenv.Root(), "docs", "serve.md"))
	if err != nil {
		t.Fatal(err)
	}
	var quoted []string
	for _, p := range served {
		quoted = append(quoted, "`"+p+"`")
	}
	if want := "image: `ImagePresets()` (" + strings.Join(quoted, ", ") + ": "; !strings.Contains(string(doc), want) {
		t.Errorf("docs/serve.md does not list the served presets; want %q", want)
	}
}

// TestImageTooLargeNamesServeFlag: a 413 for too many pixels tells the
// operator to raise serve's own --max-image-pixels, not run's.
func TestImageTooLargeNamesServeFlag(t *testing.T) {
	ts := start(t, Config{MaxImagePixels: 100})
	img := fixture(t, "sample/images/elephant-660-480.jpg")
	st, hdr, b := ts.do(t, "POST", "/v1/count", "image/jpeg", img)
	wantError(t, "image over the pixel limit", st, hdr, b, 413, "input_too_large")
	if !strings.Contains(string(b), "start tokenize serve with a larger --max-image-pixels N") || strings.Contains(string(b), "tokenize run") {
		t.Errorf("413 message: %s", b)
	}
}
