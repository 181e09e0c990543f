package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tokenfab/tokenfab/audio"
	"github.com/tokenfab/tokenfab/codebook"
)

// TestRunAudioCodebook: a codebook trained by `train-codebook --modality
// audio` and passed as --audio-codebook gives audio rows input_ids, one per
// mel frame, each the nearest centre (codebook.Nearest) of that frame of the
// audio package's own log-mel of the file; mismatched codebooks are refused.
func TestRunAudioCodebook(t *testing.T) {
	dir := t.TempDir()
	wav := filepath.Join(sample, "audio", "librivox_0930.wav")
	cbPath := filepath.Join(dir, "mel.npy")
	if code, _, stderr := tokenize(t, "", "train-codebook", "--modality", "audio", "--preset", "whisper-80", "--k", "16",
		"--sample", "3000", "-o", cbPath, wav); code != 0 {
		t.Fatalf("train-codebook: exit %d: %s", code, stderr)
	}
	cb, err := codebook.Load(cbPath)
	if err != nil || cb.K != 16 || cb.Dim != 80 {
		t.Fatalf("codebook %v: %+v", err, cb)
	}
	out := filepath.Join(dir, "out")
	if code, _, stderr := tokenize(t, "", "run", filepath.Join(sample, "audio"), "-o", out, "-q", "--audio-codebook", cbPath); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}

	// The expected ids, from the audio package's mel of the file.
	at, err := audio.New(audio.Config{Preset: audio.PresetWhisper80})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := at.Tokenize(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	frames := len(tk.Mel) / 80
	want := make([]int32, frames)
	distinct := map[int32]bool{}
	for i := range want {
		k, _ := cb.Nearest(tk.Mel[i*80 : (i+1)*80])
		want[i] = int32(k)
		distinct[want[i]] = true
	}
	if frames != 3000 || len(distinct) < 2 {
		t.Fatalf("%d frames, %d distinct ids: the fixture should give one 30-s chunk using several centres", frames, len(distinct))
	}

	r := openArrow(t, filepath.Join(out, "part-00000.arrow"))
	sc := r.Schema()
	mi, ii, mel := sc.FieldIndices("modality")[0], sc.FieldIndices("input_ids")[0], sc.FieldIndices("mel")[0]
	if d, _ := sc.Metadata().GetValue("tokenfab"); !strings.Contains(d, `"codebook_k":16`) || !strings.Contains(d, "nearest codebook centre per mel frame") {
		t.Errorf("tokenfab metadata lacks the audio codebook: %s", d)
	}
	rows := 0
	for b := 0; b < r.NumRecords(); b++ {
		rec, err := r.RecordBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		mod := rec.Column(mi).(*array.String)
		ids := rec.Column(ii).(*array.List)
		mels := rec.Column(mel).(*array.List)
		for i := 0; i < int(rec.NumRows()); i++ {
			if mod.Value(i) != "audio" {
				continue
			}
			rows++
			ms, me := mels.ValueOffsets(i)
			s, e := ids.ValueOffsets(i)
			if ids.IsNull(i) || int(e-s) != int(me-ms) || int(e-s) != frames {
				t.Fatalf("row %d: %d input_ids (null %v), %d mel frames, want %d", i, e-s, ids.IsNull(i), me-ms, frames)
			}
			vals := ids.ListValues().(*array.Int32).Int32Values()[s:e]
			for j, v := range vals {
				if v != want[j] {
					t.Fatalf("frame %d: id %d, want %d", j, v, want[j])
				}
			}
		}
	}
	if rows != 1 {
		t.Fatalf("%d audio rows, want 1", rows)
	}

	// An image patch codebook (768 values) is not an 80-mel one, and the
	// other way round.
	img := filepath.Join(dir, "img.json")
	os.WriteFile(img, []byte("[["+strings.Repeat("0,", 767)+"0]]"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--audio-codebook", img}, "--audio-codebook " + img + ": its centres have 768 values, but --audio-preset whisper-80 has 80 mel values per frame"},
		{[]string{"--audio-codebook", cbPath, "--audio-preset", "whisper-128"}, "has 128 mel values per frame"},
		{[]string{"--codebook", cbPath}, "--codebook " + cbPath + ": image: invalid config: Codebook has Dim 80, the preset's patches have 768 samples (an audio mel-frame codebook goes to --audio-codebook)"},
	} {
		code, _, stderr := tokenize(t, "", append([]string{"run", filepath.Join(sample, "audio"), "-o", filepath.Join(dir, "bad")}, c.args...)...)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, %s; want %q", c.args, code, stderr, c.want)
		}
	}
}
