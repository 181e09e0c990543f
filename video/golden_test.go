package video

import (
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/internal/testenv"
)

type presetCase struct {
	Name     string    `json:"name"`
	File     string    `json:"file"`
	Preset   string    `json:"preset"`
	Total    int       `json:"total_frames"`
	AvgFPS   float64   `json:"avg_fps"`
	Indices  []int     `json:"indices"`
	GridTHW  []int32   `json:"grid_thw"`
	Shape    []int     `json:"shape"`
	SHA      string    `json:"sha256_f32"`
	Values   string    `json:"values"`
	Ref      string    `json:"reference"`
	levelsOf []float64 // per channel: 1 uint8 level in output units
}

func readValues(t *testing.T, name string) ([]float32, int) {
	f, err := os.Open(filepath.Join(goldenDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint32(b))
	stride := int(binary.LittleEndian.Uint32(b[4:]))
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[8+4*i:]))
	}
	return v, stride
}

// hfLayout returns our output in the reference's array layout: Qwen
// pixel_values_videos (= PixelValues), or (1, T, C, H, W) pixel_values of
// VideoMAE/ViViT (each final frame through image's PixelValuesCHW).
func hfLayout(tok *Tokenizer, tk *Tokens) []float32 {
	if tok.r.name == "qwen2-vl" {
		return tk.PixelValues
	}
	fs := tk.FrameWidth * tk.FrameHeight * 3
	var out []float32
	for i := 0; i < tk.NumFrames; i++ {
		one := &image.Tokens{ImageWidth: tk.FrameWidth, ImageHeight: tk.FrameHeight, Image: tk.Frames[i*fs : (i+1)*fs]}
		out = append(out, tok.img.PixelValuesCHW(one)...)
	}
	return out
}

// TestPresetGoldens compares each preset with the HF video processor
// (transformers 5.23.0, torchvision backend) on the same ffmpeg frames:
// sampled indices, grid and shape exactly; values within tolerance.
//
// Tolerance, and why: HF resizes with torchvision's uint8 antialiased
// bicubic/bilinear, we with Pillow's (image package, bit-exact with PIL).
// Measured on these cases: at most 1 uint8 level, on ≤ 0.43 % of values
// (0 for ViViT's bilinear downscale here); normalisation differs by float32
// rounding only (HF fuses rescale into mean/std: (x − 255·mean)/(255·std)).
// So, with margin: every value within 2 levels (output units:
// 1/(255·std) per level for CLIP/ImageNet, 1/(127.5·0.5) for ViViT), at
// most 1 % of values more than 0.5 level off, mean |diff| < 0.01 level.
func TestPresetGoldens(t *testing.T) {
	testenv.Tool(t, "ffmpeg")
	b, err := os.ReadFile(filepath.Join(goldenDir(), "presets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Cases []presetCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) < 6 {
		t.Fatalf("%d cases", len(g.Cases))
	}
	for _, c := range g.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var path string
			if strings.HasPrefix(c.File, "corpus/") {
				if testing.Short() {
					t.Skip("corpus case (-short)")
				}
				path = testenv.Shared(t, c.File)
			} else {
				path = filepath.Join(testenv.Root(), c.File)
			}
			cfg := Config{Preset: c.Preset, PatchDType: "float32"}
			if strings.HasSuffix(path, ".gif") {
				cfg.GIF = "go" // the Go compositor must give HF's (ffmpeg-decoded) frames too
			}
			tok, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			tk := tokenizeFile(t, cfg, path)
			if tk.SourceFrames != c.Total || math.Abs(tk.AvgFPS-c.AvgFPS) > 1e-6*c.AvgFPS && tk.Decoder != "go-gif" {
				t.Fatalf("source frames %d avg fps %v, reference %d %v", tk.SourceFrames, tk.AvgFPS, c.Total, c.AvgFPS)
			}
			if !reflect.DeepEqual(tk.FrameIndices, c.Indices) {
				t.Fatalf("indices %v, reference %v", tk.FrameIndices, c.Indices)
			}
			if c.GridTHW != nil && tk.GridTHW != [3]int32{c.GridTHW[0], c.GridTHW[1], c.GridTHW[2]} {
				t.Fatalf("grid %v, reference %v", tk.GridTHW, c.GridTHW)
			}
			got := hfLayout(tok, tk)
			n := 1
			for _, s := range c.Shape {
				n *= s
			}
			if len(got) != n {
				t.Fatalf("%d values, reference shape %v", len(got), c.Shape)
			}
			ref, stride := readValues(t, c.Values)
			level := levelUnits(c.Preset)
			var maxL, sumL float64
			over := 0
			for k, rv := range ref {
				i := k * stride
				ch := channelOf(c, i)
				d := math.Abs(float64(got[i])-float64(rv)) / level[ch]
				maxL = math.Max(maxL, d)
				sumL += d
				if d > 0.5 {
					over++
				}
			}
			mean := sumL / float64(len(ref))
			msg := fmt.Sprintf("%d values (stride %d): max %.3f levels, %.3f%% > 0.5 level, mean %.4f", len(ref), stride, maxL, 100*float64(over)/float64(len(ref)), mean)
			t.Log(msg)
			if maxL > 2 || float64(over) > 0.01*float64(len(ref)) || mean > 0.01 {
				t.Fatal("beyond tolerance: " + msg)
			}
		})
	}
}

// levelUnits: one uint8 level in output units per channel.
func levelUnits(preset string) [3]float64 {
	switch preset {
	case "qwen2-vl":
		return [3]float64{1 / (255 * image.ClipStd[0]), 1 / (255 * image.ClipStd[1]), 1 / (255 * image.ClipStd[2])}
	case "videomae":
		return [3]float64{1 / (255 * ImageNetStd[0]), 1 / (255 * ImageNetStd[1]), 1 / (255 * ImageNetStd[2])}
	default: // vivit: x/127.5 − 1, then /0.5
		l := 1 / (127.5 * 0.5)
		return [3]float64{l, l, l}
	}
}

// channelOf maps a flat index of the reference array to its channel.
func channelOf(c presetCase, i int) int {
	if c.Preset == "qwen2-vl" {
		col := i % c.Shape[1]
		return col / (2 * 14 * 14)
	}
	// (1, T, C, H, W)
	hw := c.Shape[3] * c.Shape[4]
	return (i / hw) % 3
}
