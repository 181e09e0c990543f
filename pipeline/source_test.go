package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestScanOrderIDsAndHidden(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"b.txt": "b", "a/z.txt": "z", "a/b.txt": "ab", "a.txt": "a", "c.jsonl": "{}\n",
		".hidden.txt": "h", ".git/config": "x", "a/.swp": "s", "A.txt": "A",
	})
	extra := filepath.Join(t.TempDir(), "extra.md")
	writeTree(t, filepath.Dir(extra), map[string]string{"extra.md": "e", ".named.txt": "n"})
	named := filepath.Join(filepath.Dir(extra), ".named.txt")
	set, err := scanInputs([]string{dir, extra, named}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer set.close()
	var ids, sources []string
	for _, e := range set.entries {
		ids = append(ids, e.id)
		sources = append(sources, e.source)
	}
	// Byte order of names per directory: "A.txt" < "a" < "a.txt" < "b.txt".
	want := []string{"A.txt", "a/b.txt", "a/z.txt", "a.txt", "b.txt", "c.jsonl", "extra.md", ".named.txt"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("ids = %q, want %q", ids, want)
	}
	if sources[1] != filepath.Join(dir, "a", "b.txt") || sources[6] != extra {
		t.Errorf("sources = %q", sources)
	}
	if set.skipped["hidden"] != 3 {
		t.Errorf("hidden skipped = %d, want 3 (.hidden.txt, .git, a/.swp)", set.skipped["hidden"])
	}
	if set.bytes != 1+1+2+1+1+3+1+1 {
		t.Errorf("bytes = %d", set.bytes)
	}
}

func TestScanMissingInputIsConfigError(t *testing.T) {
	_, err := scanInputs([]string{filepath.Join(t.TempDir(), "nope")}, "")
	if _, ok := err.(*ConfigError); !ok || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err = %v, want a ConfigError naming the path", err)
	}
}

func TestSymlinksStayInsideRoot(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	writeTree(t, base, map[string]string{"secret.txt": "SECRET", "root/in.txt": "inside", "root/sub/x.txt": "x"})
	links := map[string]string{
		"root/good.txt":   "in.txt",                          // relative, inside
		"root/escape.txt": "../secret.txt",                   // relative, outside
		"root/abs.txt":    filepath.Join(base, "secret.txt"), // absolute
		"root/dangling":   "missing.txt",                     // broken
		"root/dirlink":    "sub",                             // directory: not descended
		"root/sub/up.txt": filepath.Join("..", "in.txt"),     // relative, inside via ..
		"root/loop1":      "loop2",                           // a loop
		"root/loop2":      "loop1",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(base, name)); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	sum, err := Run(context.Background(), Options{Inputs: []string{root}, OutputDir: out,
		Modalities: []Modality{byteModality{}}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := readParts(t, out)
	got := map[string]outRow{}
	for _, r := range rows {
		got[r.ID] = r
	}
	if len(rows) != 9 {
		t.Fatalf("%d rows, want 9: %+v", len(rows), rows)
	}
	for _, ok := range []string{"good.txt", "in.txt", "sub/up.txt"} {
		if r := got[ok]; r.Error != "" || string(toBytes(r.IDs)) != "inside" {
			t.Errorf("%s: %+v, want the content of in.txt", ok, r)
		}
	}
	for _, bad := range []string{"escape.txt", "abs.txt"} {
		r := got[bad]
		if !strings.HasPrefix(r.Error, "outside_root: ") || !r.IDsNull || r.HasTokens {
			t.Errorf("%s: %+v, want an outside_root error and null payload", bad, r)
		}
	}
	if r := got["dangling"]; !strings.HasPrefix(r.Error, "read_error: broken symlink") || !strings.Contains(r.Error, "no such file") {
		t.Errorf("dangling: %+v", r)
	}
	if r := got["loop1"]; !strings.HasPrefix(r.Error, "read_error: broken symlink") || !strings.Contains(r.Error, "too many links") {
		t.Errorf("loop: %+v", r)
	}
	if sum.Skipped["symlink_dir"] != 1 {
		t.Errorf("skipped = %v, want symlink_dir 1", sum.Skipped)
	}
	for _, r := range rows {
		if strings.Contains(string(toBytes(r.IDs)), "SECRET") {
			t.Fatalf("content from outside the root was read: %+v", r)
		}
	}
}

func toBytes(ids []int32) []byte {
	b := make([]byte, len(ids))
	for i, id := range ids {
		b[i] = byte(id)
	}
	return b
}

// collect gathers emitted records, parsing manifest lines as a worker would.
func collect(recs *[]*record) emitFunc {
	return func(r *record) error {
		if r.line != nil {
			r.parser.parseLine(r)
		}
		*recs = append(*recs, r)
		return nil
	}
}

func TestManifestLines(t *testing.T) {
	dir := t.TempDir()
	long := `{"id":"long","text":"` + strings.Repeat("x", 200) + `"}`
	lines := []string{
		`{"id":"a","text":"hello"}`,                // 1 ok
		`{"id":"b","text":"oops"`,                  // 2 bad json
		`{"id":"c","body":"no text"}`,              // 3 missing field
		`{"id":"d","text":42}`,                     // 4 wrong type
		`{"id":"e","text":null}`,                   // 5 null
		`{"id":7,"text":"numeric id"}`,             // 6 numeric id
		`{"text":"no id"}`,                         // 7 derived id
		``,                                         // 8 blank: skipped
		`{"id":"s","text":"x\ud800y\udc00"}`,       // 9 lone surrogates -> U+FFFD
		`["not","an","object"]`,                    // 10 array
		long,                                       // 11 too long
		"{\"id\":\"crlf\",\"text\":\"dos\"}\r",     // 12 CRLF
		`{"id":{"x":1},"text":"object id"}`,        // 13 bad id type
		`null`,                                     // 14 null line
		`{"id":"x","text":"a"} {"id":"y"}`,         // 15 two values
		`{"id":"bool","text":true}`,                // 16 boolean text
		`{"id":"last","text":"no newline at end"}`, // 17
	}
	writeTree(t, dir, map[string]string{"m.jsonl": strings.Join(lines, "\n")})
	set, err := scanInputs([]string{filepath.Join(dir, "m.jsonl")}, "")
	if err != nil {
		t.Fatal(err)
	}
	rd := &reader{textField: "text", idField: "id", maxRecord: 100, needsData: func(string) bool { return true }, skipped: map[string]int64{}}
	var recs []*record
	if err := rd.entry(context.Background(), &set.entries[0], collect(&recs)); err != nil {
		t.Fatal(err)
	}
	type want struct{ id, src, kind, text string }
	wants := []want{
		{"a", "1", "", "hello"},
		{"m.jsonl:2", "2", "bad_json", ""},
		{"c", "3", "missing_field", ""},
		{"d", "4", "field_type", ""},
		{"e", "5", "missing_field", ""},
		{"7", "6", "", "numeric id"},
		{"m.jsonl:7", "7", "", "no id"},
		{"s", "9", "", "x\uFFFDy\uFFFD"},
		{"m.jsonl:10", "10", "bad_json", ""},
		{"m.jsonl:11", "11", "too_large", ""},
		{"crlf", "12", "", "dos"},
		{"m.jsonl:13", "13", "field_type", ""},
		{"m.jsonl:14", "14", "bad_json", ""},
		{"m.jsonl:15", "15", "bad_json", ""},
		{"bool", "16", "field_type", ""},
		{"last", "17", "", "no newline at end"},
	}
	if len(recs) != len(wants) {
		t.Fatalf("%d records, want %d", len(recs), len(wants))
	}
	for i, w := range wants {
		r := recs[i]
		seg := r.segs[0]
		kind := ""
		if seg.err != nil {
			kind = string(seg.err.Kind)
		}
		if r.id != w.id || r.source != filepath.Join(dir, "m.jsonl")+":"+w.src || kind != w.kind || string(seg.data) != w.text {
			t.Errorf("line %s: got id=%q source=%q kind=%q text=%q err=%v; want %+v", w.src, r.id, r.source, kind, seg.data, seg.err, w)
		}
		if seg.field != "text" || seg.modality != ModText {
			t.Errorf("line %s: field=%q modality=%q", w.src, seg.field, seg.modality)
		}
	}
	if rd.skipped["blank_lines"] != 1 {
		t.Errorf("blank lines = %d", rd.skipped["blank_lines"])
	}
	for i, want := range map[int]string{
		3:  `field "text" is a number, want a string`,
		8:  "line is an array, want a JSON object",
		12: "line is null, want a JSON object",
		13: "extra data after the JSON value",
		14: `field "text" is a boolean, want a string`,
		2:  `no field "text" in this line`,
		4:  `field "text" is null`,
	} {
		if msg := recs[i].segs[0].err.Msg; !strings.Contains(msg, want) {
			t.Errorf("record %d: message %q, want %q", i, msg, want)
		}
	}
}

// TestManifestBOM: a UTF-8 byte order mark at the start of a manifest is
// skipped (line 1 is a record, not bad_json); one anywhere else is data.
func TestManifestBOM(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"bom.jsonl":  "\ufeff{\"id\":\"a\",\"text\":\"first\"}\r\n\ufeff{\"id\":\"b\",\"text\":\"x\"}\n{\"text\":\"\ufeffkept\"}\n",
		"only.jsonl": "\ufeff\n",
	})
	set, err := scanInputs([]string{dir}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer set.close()
	rd := &reader{textField: "text", idField: "id", maxRecord: 100, needsData: func(string) bool { return true }, skipped: map[string]int64{}}
	var recs []*record
	for i := range set.entries {
		if err := rd.entry(context.Background(), &set.entries[i], collect(&recs)); err != nil {
			t.Fatal(err)
		}
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	if r := recs[0]; r.id != "a" || r.segs[0].err != nil || string(r.segs[0].data) != "first" || r.in != int64(len("\ufeff{\"id\":\"a\",\"text\":\"first\"}\r")) {
		t.Errorf("line 1: id %q err %v text %q in %d", r.id, r.segs[0].err, r.segs[0].data, r.in)
	}
	if r := recs[1]; r.segs[0].err == nil || r.segs[0].err.Kind != KindBadJSON {
		t.Errorf("a BOM on line 2 is not a file start: %v", r.segs[0].err)
	}
	if r := recs[2]; string(r.segs[0].data) != "\ufeffkept" {
		t.Errorf("a BOM inside a string is text: %q", r.segs[0].data)
	}
	if rd.skipped["blank_lines"] != 1 {
		t.Errorf("a manifest holding only a BOM: blank lines %d, want 1", rd.skipped["blank_lines"])
	}
}

func TestReadLineLongerThanBuffer(t *testing.T) {
	// Lines longer than the bufio buffer (1 MiB) must come back whole.
	dir := t.TempDir()
	big := strings.Repeat("é", 700_000) // 1.4 MB
	writeTree(t, dir, map[string]string{"big.jsonl": `{"text":"` + big + `"}` + "\n" + `{"text":"tail"}` + "\n"})
	set, err := scanInputs([]string{dir}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer set.close()
	rd := &reader{textField: "text", idField: "id", maxRecord: 4 << 20, needsData: func(string) bool { return true }, skipped: map[string]int64{}}
	var recs []*record
	rd.entry(context.Background(), &set.entries[0], collect(&recs))
	if len(recs) != 2 || string(recs[0].segs[0].data) != big || string(recs[1].segs[0].data) != "tail" || recs[1].id != "big.jsonl:2" {
		t.Fatalf("got %d records", len(recs))
	}
}

func TestFileRecordsByContent(t *testing.T) {
	dir := t.TempDir()
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + strings.Repeat("\x00", 20)
	writeTree(t, dir, map[string]string{
		"photo.txt":  png,                                          // content wins over the name
		"notes":      "plain UTF-8, no extension",                  // text by content
		"latin1.txt": "caf\xe9",                                    // text by extension although invalid UTF-8
		"blob.bin":   "\x00\x01\xfe\xff binary",                    // unknown
		"late.dat":   strings.Repeat("a", headLen+10) + "\xff\xfe", // invalid UTF-8 after the head
	})
	set, err := scanInputs([]string{dir}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer set.close()
	rd := &reader{maxRecord: 1 << 20, needsData: func(m string) bool { return m == ModText }, skipped: map[string]int64{}}
	got := map[string]segment{}
	for i := range set.entries {
		rd.entry(context.Background(), &set.entries[i], func(r *record) error { got[r.id] = r.segs[0]; return nil })
	}
	check := func(id, mod string, kind ErrorKind) {
		t.Helper()
		s := got[id]
		k := ErrorKind("")
		if s.err != nil {
			k = s.err.Kind
		}
		if s.modality != mod || k != kind {
			t.Errorf("%s: modality %q kind %q (%v), want %q %q", id, s.modality, k, s.err, mod, kind)
		}
	}
	check("photo.txt", ModImage, KindNoTokenizer)
	check("notes", ModText, "")
	check("latin1.txt", ModText, "")
	check("blob.bin", "", KindUnknownType)
	check("late.dat", "", KindUnknownType)
	if got["photo.txt"].err.Error() != "no_tokenizer: no tokenizer for modality image (not built yet)" {
		t.Errorf("message = %q", got["photo.txt"].err.Error())
	}
	if string(got["latin1.txt"].data) != "caf\xe9" {
		t.Errorf("latin1 data = %q", got["latin1.txt"].data)
	}
}

// TestScanDuplicateInputsReadOnce: an input given twice (another spelling
// of the same path included) is read once and counted in
// skipped.duplicate_input; distinct inputs are all kept.
func TestScanDuplicateInputsReadOnce(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.txt": "a", "d/b.txt": "bb"})
	a, d := filepath.Join(dir, "a.txt"), filepath.Join(dir, "d")
	set, err := scanInputs([]string{a, d, filepath.Join(dir, ".", "a.txt"), d + "/", a}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer set.close()
	var ids []string
	for _, e := range set.entries {
		ids = append(ids, e.id)
	}
	if !reflect.DeepEqual(ids, []string{"a.txt", "b.txt"}) || set.skipped["duplicate_input"] != 3 || set.bytes != 3 {
		t.Errorf("ids %q, duplicate_input %d, bytes %d; want [a.txt b.txt], 3, 3", ids, set.skipped["duplicate_input"], set.bytes)
	}
}
