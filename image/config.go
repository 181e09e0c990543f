package image

import (
	"sort"
)

// Resize modes of a preset.
const (
	ModeFixed    = "fixed"    // resize to Height×Width, aspect not kept (ViT, SigLIP)
	ModeShortest = "shortest" // shortest edge to ShortestEdge (long edge int()-truncated), then centre crop (CLIP)
	ModeSmart    = "smart"    // Qwen2-VL smart_resize to multiples of PatchSize·MergeSize within [MinPixels, MaxPixels]
)

// OpenAI CLIP normalisation constants (transformers OPENAI_CLIP_MEAN/STD).
var (
	ClipMean = []float64{0.48145466, 0.4578275, 0.40821073}
	ClipStd  = []float64{0.26862954, 0.26130258, 0.27577711}
	halfs    = []float64{0.5, 0.5, 0.5}
)

// Config builds a Tokenizer: a named preset plus overrides. A zero field
// means "the preset's value".
type Config struct {
	// Preset is one of Presets(): "vit-base-patch16-224" (the default when
	// empty), "clip-vit-large-patch14", "clip-vit-large-patch14-336",
	// "siglip-base-patch16-224", "siglip-so400m-patch14-384", "qwen2-vl",
	// "qwen2.5-vl".
	Preset string
	// Mode overrides the resize mode: ModeFixed, ModeShortest or ModeSmart.
	Mode string
	// Width, Height: target size in pixels for ModeFixed.
	Width, Height int
	// ShortestEdge: target shortest edge in pixels for ModeShortest.
	ShortestEdge int
	// CropWidth, CropHeight: centre-crop size in pixels for ModeShortest
	// (HF floor offsets, zero padding if the image is smaller).
	CropWidth, CropHeight int
	// Resample: "nearest", "bilinear", "bicubic", "lanczos", "box" or
	// "hamming" (PIL filters, bit-exact).
	Resample string
	// Mean, Std: per-channel (R, G, B) normalisation; pixel_values =
	// (float32(x·RescaleFactor) − float32(mean)) / float32(std) in float32.
	Mean, Std []float64
	// RescaleFactor: multiplies the uint8 value (in float64) before the
	// float32 cast. Default 1/255.
	RescaleFactor float64
	// PatchSize: square patch side in pixels.
	PatchSize int
	// TemporalPatchSize: frames per patch (Qwen: 2; a still image is
	// repeated). 1 for the others.
	TemporalPatchSize int
	// MergeSize: spatial merge of the LLM projector (Qwen: 2): NumTokens =
	// patches / MergeSize². Also fixes the row order of patches.
	MergeSize int
	// MinPixels, MaxPixels: ModeSmart pixel budget of the resized image.
	// Qwen2(.5)-VL checkpoints: 3136 and 12845056 (HF class default max:
	// 1003520).
	MinPixels, MaxPixels int
	// PatchDType: "uint8" (default; Tokens.Patches only) or "float32" (also
	// fills Tokens.PixelValues, equal to HF pixel_values).
	PatchDType string
	// DisableEXIF: do not apply the EXIF orientation (HF load_image applies
	// it; processors given an already opened PIL image do not).
	DisableEXIF bool
	// Background, when set, alpha-composites transparent pixels onto this
	// RGB colour (qwen-vl-utils and Idefics use white) instead of PIL's
	// convert("RGB"), which drops alpha and keeps the hidden colour.
	Background *[3]uint8
	// MaxPixels of the decoded image, checked from the header before any
	// pixel buffer exists. 0: DefaultMaxPixels (PIL's 89,478,485); <0: none.
	MaxImagePixels int64
	// MaxFileBytes of the encoded input. 0: 256 MiB; <0: none.
	MaxFileBytes int64
}

type preset struct {
	mode                   string
	width, height          int
	shortest, cropW, cropH int
	resample               Filter
	mean, std              []float64
	patch, temporal, merge int
	minPixels, maxPixels   int
	reference              string
}

var presets = map[string]preset{
	"vit-base-patch16-224": {mode: ModeFixed, width: 224, height: 224, resample: Bilinear, mean: halfs, std: halfs, patch: 16, temporal: 1, merge: 1,
		reference: "transformers ViTImageProcessor (PIL backend), google/vit-base-patch16-224"},
	"clip-vit-large-patch14": {mode: ModeShortest, shortest: 224, cropW: 224, cropH: 224, resample: Bicubic, mean: ClipMean, std: ClipStd, patch: 14, temporal: 1, merge: 1,
		reference: "transformers CLIPImageProcessor (PIL backend), openai/clip-vit-large-patch14"},
	"clip-vit-large-patch14-336": {mode: ModeShortest, shortest: 336, cropW: 336, cropH: 336, resample: Bicubic, mean: ClipMean, std: ClipStd, patch: 14, temporal: 1, merge: 1,
		reference: "transformers CLIPImageProcessor (PIL backend), openai/clip-vit-large-patch14-336"},
	"siglip-base-patch16-224": {mode: ModeFixed, width: 224, height: 224, resample: Bicubic, mean: halfs, std: halfs, patch: 16, temporal: 1, merge: 1,
		reference: "transformers SiglipImageProcessor (PIL backend), google/siglip-base-patch16-224"},
	"siglip-so400m-patch14-384": {mode: ModeFixed, width: 384, height: 384, resample: Bicubic, mean: halfs, std: halfs, patch: 14, temporal: 1, merge: 1,
		reference: "transformers SiglipImageProcessor (PIL backend), google/siglip-so400m-patch14-384"},
	"qwen2-vl": {mode: ModeSmart, resample: Bicubic, mean: ClipMean, std: ClipStd, patch: 14, temporal: 2, merge: 2, minPixels: 3136, maxPixels: 12845056,
		reference: "transformers Qwen2VLImageProcessor (PIL backend), Qwen/Qwen2-VL-7B-Instruct preprocessor_config.json"},
	"qwen2.5-vl": {mode: ModeSmart, resample: Bicubic, mean: ClipMean, std: ClipStd, patch: 14, temporal: 2, merge: 2, minPixels: 3136, maxPixels: 12845056,
		reference: "transformers Qwen2VLImageProcessor (PIL backend), Qwen/Qwen2.5-VL-7B-Instruct preprocessor_config.json"},
}

// Presets lists the preset names, sorted.
func Presets() []string {
	var s []string
	for k := range presets {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// resolved is a Config with the preset applied and validated.
type resolved struct {
	name                   string
	mode                   string
	width, height          int
	shortest, cropW, cropH int
	resample               Filter
	mean, std              [3]float64
	rescale                float64
	patch, temporal, merge int
	minPixels, maxPixels   int
	f32                    bool
	dec                    decodeOptions
	reference              string
}

func resolve(c Config) (*resolved, error) {
	name := c.Preset
	if name == "" {
		name = "vit-base-patch16-224"
	}
	p, ok := presets[name]
	if !ok {
		return nil, errorf(ErrConfig, "unknown preset %q (have %v)", name, Presets())
	}
	r := &resolved{name: name, mode: p.mode, width: p.width, height: p.height, shortest: p.shortest, cropW: p.cropW, cropH: p.cropH,
		resample: p.resample, rescale: 1.0 / 255, patch: p.patch, temporal: p.temporal, merge: p.merge,
		minPixels: p.minPixels, maxPixels: p.maxPixels, reference: p.reference}
	copy(r.mean[:], p.mean)
	copy(r.std[:], p.std)
	setI := func(dst *int, v int) {
		if v != 0 {
			*dst = v
		}
	}
	if c.Mode != "" {
		r.mode = c.Mode
	}
	setI(&r.width, c.Width)
	setI(&r.height, c.Height)
	setI(&r.shortest, c.ShortestEdge)
	setI(&r.cropW, c.CropWidth)
	setI(&r.cropH, c.CropHeight)
	setI(&r.patch, c.PatchSize)
	setI(&r.temporal, c.TemporalPatchSize)
	setI(&r.merge, c.MergeSize)
	setI(&r.minPixels, c.MinPixels)
	setI(&r.maxPixels, c.MaxPixels)
	if c.Resample != "" {
		f, err := ParseFilter(c.Resample)
		if err != nil {
			return nil, err
		}
		r.resample = f
	}
	if c.Mean != nil {
		if len(c.Mean) != 3 {
			return nil, errorf(ErrConfig, "Mean needs 3 values (R, G, B), got %d", len(c.Mean))
		}
		copy(r.mean[:], c.Mean)
	}
	if c.Std != nil {
		if len(c.Std) != 3 {
			return nil, errorf(ErrConfig, "Std needs 3 values (R, G, B), got %d", len(c.Std))
		}
		copy(r.std[:], c.Std)
	}
	for _, s := range r.std {
		if s == 0 {
			return nil, errorf(ErrConfig, "Std must be non-zero")
		}
	}
	if c.RescaleFactor != 0 {
		r.rescale = c.RescaleFactor
	}
	switch c.PatchDType {
	case "", "uint8":
	case "float32":
		r.f32 = true
	default:
		return nil, errorf(ErrConfig, "PatchDType %q: want uint8 or float32", c.PatchDType)
	}
	if r.patch <= 0 || r.temporal <= 0 || r.merge <= 0 {
		return nil, errorf(ErrConfig, "PatchSize, TemporalPatchSize and MergeSize must be positive")
	}
	if r.patch > 4096 || r.merge > 64 || r.temporal > 64 {
		return nil, errorf(ErrConfig, "PatchSize/MergeSize/TemporalPatchSize out of range")
	}
	switch r.mode {
	case ModeFixed:
		if r.width <= 0 || r.height <= 0 {
			return nil, errorf(ErrConfig, "ModeFixed needs Width and Height > 0")
		}
	case ModeShortest:
		if r.shortest <= 0 || r.cropW <= 0 || r.cropH <= 0 {
			return nil, errorf(ErrConfig, "ModeShortest needs ShortestEdge, CropWidth, CropHeight > 0")
		}
	case ModeSmart:
		if r.minPixels <= 0 || r.maxPixels < r.minPixels {
			return nil, errorf(ErrConfig, "ModeSmart needs 0 < MinPixels <= MaxPixels")
		}
	default:
		return nil, errorf(ErrConfig, "unknown Mode %q (want fixed, shortest or smart)", r.mode)
	}
	if r.mode != ModeSmart && r.merge != 1 {
		return nil, errorf(ErrConfig, "MergeSize > 1 needs ModeSmart")
	}
	r.dec = decodeOptions{maxPixels: c.MaxImagePixels, maxFileBytes: c.MaxFileBytes, noEXIF: c.DisableEXIF, background: c.Background}
	if r.dec.maxPixels == 0 {
		r.dec.maxPixels = DefaultMaxPixels
	}
	if r.dec.maxFileBytes == 0 {
		r.dec.maxFileBytes = 256 << 20
	}
	return r, nil
}
