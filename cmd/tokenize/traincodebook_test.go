package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokenfab/tokenfab/codebook"
	"github.com/tokenfab/tokenfab/internal/testenv"
)

func TestTrainCodebookImage(t *testing.T) {
	dir := t.TempDir()
	in := []string{filepath.Join(testenv.Root(), "fixtures", "image", "synth_70x70.png"),
		filepath.Join(testenv.Root(), "fixtures", "image", "synth_lzw.tif")}
	var prev []byte
	for _, w := range []string{"1", "2"} {
		out := filepath.Join(dir, "cb"+w+".npy")
		var stderr bytes.Buffer
		args := append([]string{"train-codebook", "--modality", "image", "--preset", "vit-base-patch16-224", "--k", "8",
			"--workers", w, "-o", out}, in...)
		if code := run(context.Background(), args, nil, &bytes.Buffer{}, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil && !bytes.Equal(prev, b) {
			t.Fatal("--workers changed the codebook")
		}
		prev = b
		cb, err := codebook.Load(out)
		if err != nil || cb.K != 8 || cb.Dim != 768 {
			t.Fatalf("codebook %v: %+v", err, cb)
		}
		var meta map[string]any
		mb, _ := os.ReadFile(out + ".json")
		if err := json.Unmarshal(mb, &meta); err != nil || meta["vectors_used"].(float64) != 392 {
			t.Fatalf("meta %v %v", meta, err)
		}
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"train-codebook", "--k", "0", "-o", filepath.Join(dir, "x.npy"), in[0]}, nil, &bytes.Buffer{}, &stderr); code != exitUsage {
		t.Fatalf("--k 0: exit %d", code)
	}
}

func TestTrainCodebookAudio(t *testing.T) {
	out := filepath.Join(t.TempDir(), "mel.npy")
	in := filepath.Join(testenv.Root(), "fixtures", "audio", "flac_s16.flac")
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"train-codebook", "--modality", "audio", "--preset", "whisper-80", "--k", "4",
		"--sample", "1000", "-o", out, in}, nil, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	cb, err := codebook.Load(out)
	if err != nil || cb.K != 4 || cb.Dim != 80 {
		t.Fatalf("codebook %v: %+v", err, cb)
	}
}
