package video

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

func goldenDir() string { return filepath.Join(testenv.Root(), "fixtures", "video", "golden") }

type samplingCase struct {
	Policy      string          `json:"policy"`
	N           int             `json:"N"`
	AvgFPS      float64         `json:"avg_fps"`
	FPS         float64         `json:"fps"`
	NumFrames   int             `json:"num_frames"`
	ForceSample bool            `json:"force_sample"`
	Indices     json.RawMessage `json:"indices"`
}

// TestSamplingGoldens: every index list equals the reference's exactly
// (transformers Qwen2VLVideoProcessor.sample_frames and
// default_sample_indices_fn, qwen-vl-utils smart_nframes + torch.linspace,
// LLaVA-Video's numpy formula), and every case the reference refuses is
// refused (ErrNoFrames).
func TestSamplingGoldens(t *testing.T) {
	f, err := os.Open(filepath.Join(goldenDir(), "sampling.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		CPU   string         `json:"cpu_capability"`
		Cases []samplingCase `json:"cases"`
	}
	if err := json.NewDecoder(zr).Decode(&g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) < 3000 {
		t.Fatalf("only %d cases", len(g.Cases))
	}
	bad := 0
	for _, c := range g.Cases {
		p := samplingParams{policy: c.Policy, numFrames: c.NumFrames, fps: c.FPS, minFrames: 4, maxFrame: 768, forceSample: c.ForceSample, factor: 2}
		got, err := sampleIndices(c.N, c.AvgFPS, p)
		var want []int
		if json.Unmarshal(c.Indices, &want) != nil {
			// reference raised
			if err == nil || !errors.Is(err, ErrNoFrames) {
				t.Errorf("%+v: reference raised %s, we returned %v, %v", c, c.Indices, got, err)
				bad++
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			bad++
			if bad < 10 {
				t.Errorf("%s N=%d avg_fps=%v fps=%v n=%d: %s", c.Policy, c.N, c.AvgFPS, c.FPS, c.NumFrames, firstDiff(got, want, err))
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d cases differ (reference torch CPU capability %s)", bad, len(g.Cases), g.CPU)
	}
}

// Hand-checked vectors from docs/the notes: N=300 at 30 fps, 2 fps → 20
// frames; N/n = 15 → 0, 15, 30, … for HF. n=38 frames: HF picks
// floor(i·300/38) = 0,7,15,…; qwen-vl-utils round(i·299/37) = 0,8,16,….
func TestSamplingVectors(t *testing.T) {
	hf, err := SampleIndices(SampleHFQwen2VL, 300, 30, 38, 0, 4, 768, false, 2)
	if err != nil || hf[0] != 0 || hf[1] != 7 || hf[2] != 15 || len(hf) != 38 {
		t.Fatalf("HF n=38: %v %v", hf[:3], err)
	}
	ut, err := SampleIndices(SampleQwenVLUtils, 300, 30, 38, 0, 4, 768, false, 2)
	if err != nil || ut[0] != 0 || ut[1] != 8 || ut[2] != 16 || ut[37] != 299 {
		t.Fatalf("utils n=38: %v %v", ut, err)
	}
	fps, _ := SampleIndices(SampleHFQwen2VL, 300, 30, 0, 2, 4, 768, false, 2)
	if len(fps) != 20 || fps[1] != 15 || fps[19] != 285 {
		t.Fatalf("HF fps=2: %v", fps)
	}
	// odd request rounds to even (round half to even: 7/2=3.5 → 4 → 8 frames)
	n7, _ := SampleIndices(SampleHFQwen2VL, 100, 30, 7, 0, 4, 768, false, 2)
	if len(n7) != 8 {
		t.Fatalf("HF num_frames=7 → %d frames, want 8", len(n7))
	}
	// LLaVA: 150 frames at 29.97 → step 30 → 0,30,60,90,120; force 4 → linspace truncated 0,49,99,149
	ll, _ := SampleIndices(SampleLLaVAVideo, 150, 29.97, 32, 1, 0, 0, false, 1)
	if !reflect.DeepEqual(ll, []int{0, 30, 60, 90, 120}) {
		t.Fatalf("llava %v", ll)
	}
	ll, _ = SampleIndices(SampleLLaVAVideo, 150, 29.97, 4, 1, 0, 0, true, 1)
	if !reflect.DeepEqual(ll, []int{0, 49, 99, 149}) {
		t.Fatalf("llava force %v", ll)
	}
	u, _ := SampleIndices(SampleUniform, 83, 17.4, 16, 0, 0, 0, false, 1)
	if u[1] != 5 || u[15] != 77 {
		t.Fatalf("uniform %v", u)
	}
	if _, err := SampleIndices(SampleUniform, 10, 30, 16, 0, 0, 0, false, 1); !errors.Is(err, ErrNoFrames) {
		t.Fatalf("uniform 16 of 10: %v", err)
	}
}

// TestSampleTimesVFR: fps sampling on true timestamps gives uniform ticks
// and, per tick, the frame on screen (last pts ≤ tick), whatever the frame
// spacing.
func TestSampleTimesVFR(t *testing.T) {
	var pts []float64
	for i := 0; i < 60; i++ {
		pts = append(pts, float64(i)/29.97)
	}
	for i := 0; i < 22; i++ {
		pts = append(pts, 60/29.97+float64(i)*0.1334)
	}
	end := pts[len(pts)-1] + 0.1334
	idx, ticks := sampleTimesFrom(pts, 0, end, 2)
	if len(ticks) != int(end*2)+1 {
		t.Fatalf("%d ticks for %.3f s", len(ticks), end)
	}
	for k, tk := range ticks {
		if tk != float64(k)*0.5 {
			t.Fatalf("tick %d = %v", k, tk)
		}
		i := idx[k]
		if pts[i] > tk+1e-6 || (i+1 < len(pts) && pts[i+1] <= tk) {
			t.Fatalf("tick %v: frame %d at %v is not the frame on screen", tk, i, pts[i])
		}
	}
}

func firstDiff(got, want []int, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	if len(got) != len(want) {
		return fmt.Sprintf("%d indices, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Sprintf("index %d: %d, want %d", i, got[i], want[i])
		}
	}
	return "equal"
}
