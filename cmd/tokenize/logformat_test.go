package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenfab/tokenfab/pipeline"
)

// TestLogFormatJSON: --log-format json writes only JSON objects on stderr:
// progress records, then "done" with the summary's numbers, then one
// "errors" record per kind.
func TestLogFormatJSON(t *testing.T) {
	old := logEvery
	logEvery = 0 // a progress line at every update
	t.Cleanup(func() { logEvery = old })
	in := filepath.Join(t.TempDir(), "a.jsonl")
	os.WriteFile(in, []byte(`{"text":"hello world"}`+"\n"+`{"text":"a b c"}`+"\n"+`not json`+"\n"), 0o644)
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := tokenize(t, "", "run", in, "-o", out, "--log-format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, pipeline.SummaryName))
	if err != nil {
		t.Fatal(err)
	}
	var sum pipeline.Summary
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Tokens != 5 || sum.Records != 3 || sum.Errors.Total != 1 {
		t.Fatalf("summary: %d tokens, %d records, %d errors; want 5, 3, 1", sum.Tokens, sum.Records, sum.Errors.Total)
	}
	var events []string
	var done, errs, prog map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q (%v)", line, err)
		}
		if _, err := time.Parse(time.RFC3339Nano, m["time"].(string)); err != nil {
			t.Errorf("time %v: %v", m["time"], err)
		}
		ev := m["msg"].(string)
		events = append(events, ev)
		switch ev {
		case "done":
			done = m
		case "errors":
			errs = m
		case "progress":
			prog = m
		}
	}
	if len(events) < 3 || events[len(events)-2] != "done" || events[len(events)-1] != "errors" || prog == nil {
		t.Fatalf("events %q: want progress..., done, errors", events)
	}
	for k, want := range map[string]float64{"records": 3, "rows": 3, "tokens": 5, "errors": 1, "files": 1,
		"bytes_in": float64(sum.BytesIn), "bytes_out": float64(sum.BytesOut), "workers": float64(sum.Workers)} {
		if done[k] != want {
			t.Errorf("done %s = %v, want %v", k, done[k], want)
		}
	}
	if done["level"] != "INFO" || done["output"] != out {
		t.Errorf("done: %v", done)
	}
	if errs["level"] != "WARN" || errs["kind"] != "bad_json" || errs["count"] != 1.0 ||
		errs["first_source"] != in+":3" || !strings.Contains(errs["first_message"].(string), "invalid") {
		t.Errorf("errors: %v", errs)
	}
	st, _ := os.Stat(in)
	if prog["total_bytes"] != float64(st.Size()) || prog["records"].(float64) > 3 || prog["tokens"].(float64) > 5 {
		t.Errorf("progress: %v", prog)
	}

	// text: key=value lines whose msg is the human sentence.
	out2 := filepath.Join(t.TempDir(), "out")
	code, _, stderr = tokenize(t, "", "run", in, "-o", out2, "--log-format", "text")
	if code != 0 || !strings.Contains(stderr, `level=INFO msg="done: 3 records, 3 rows, 5 tokens (text 5 ids), 1 error; 1 file, 0.00 MB in -> 0.0`) ||
		!strings.Contains(stderr, " tokens=5 errors=1 warnings=0 files=1 ") || !strings.Contains(stderr, `level=WARN msg="bad_json: 1 (first: `+in+":3") {
		t.Errorf("text: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := tokenize(t, "", "run", in, "-o", t.TempDir(), "--log-format", "xml"); code != 1 || !strings.Contains(stderr, `--log-format "xml": want text or json`) {
		t.Errorf("xml: exit %d %s", code, stderr)
	}
}
