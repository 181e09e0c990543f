package image

import (
	"sort"

	"github.com/tokenfab/tokenfab/codebook"
)

// Resize modes of a preset.
const (
	ModeFixed    = "fixed"    // resize to Height×Width, aspect not kept (ViT, SigLIP)
	ModeShortest = "shortest" // shortest edge to ShortestEdge (long edge int()-truncated), then centre crop (CLIP)
	ModeSmart    = "smart"    // Qwen2-VL smart_resize to multiples of PatchSize·MergeSize within [MinPixels, MaxPixels]
	ModeFit      = "fit"      // Fuyu: downscale only, aspect kept, to fit Height×Width; pad bottom/right to whole patches
)

// Patch layouts (Config.PatchLayout): the order of the samples in a patch row.
const (
	LayoutCHW = "chw" // channel-major: col = ((c*T + t)*P + py)*P + px (ViT/CLIP/SigLIP Conv2d, Qwen)
	LayoutHWC = "hwc" // pixel-major (y, x, c): col = ((t*P + py)*P + px)*3 + c (Fuyu)
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
	// "qwen2.5-vl", "fuyu" (adept/fuyu-8b), "igpt" (openai/imagegpt-*,
	// needs Palette).
	Preset string
	// Mode overrides the resize mode: ModeFixed, ModeShortest, ModeSmart or
	// ModeFit.
	Mode string
	// Width, Height: target size in pixels for ModeFixed; the bounding box
	// for ModeFit.
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
	// PatchLayout: LayoutCHW or LayoutHWC (default: the preset's; Fuyu is
	// HWC, the others CHW).
	PatchLayout string
	// PadValue: ModeFit fills the bottom/right padding up to whole patches
	// with this uint8 sample value, before rescale/normalize. nil: the
	// preset's (Fuyu: 1, i.e. HF padding_value=1.0 applied to the uint8
	// image, so pixel_values −0.99215686).
	PadValue *uint8
	// Palette: the colour clusters of ImageGPT ("clusters" of the
	// checkpoint's preprocessor_config.json; K×(R, G, B) in normalized
	// [-1, 1] units). When set, Tokens.InputIDs holds the nearest cluster
	// of every pixel of the final image (see LoadPalette). Required by the
	// "igpt" preset, which transformers does not ship.
	Palette [][3]float64
	// Codebook: patch k-means centres (codebook.Codebook, trained by
	// `tokenize train-codebook`). When set, Tokens.InputIDs holds the
	// nearest centre of every patch (its uint8 samples as float32). Its Dim
	// must equal PatchDim. Palette and Codebook are exclusive.
	Codebook *codebook.Codebook
	// PatchDType: "uint8" (default; Tokens.Patches only) or "float32" (also
	// fills Tokens.PixelValues, equal to HF pixel_values). "float16" and
	// "bfloat16" fill PixelValues like "float32" and are reported by
	// Describe's patch_dtype; the conversion (round to nearest even of the
	// float32 values) is the writer's (pipeline.NewImage).
	PatchDType string
	// DisableEXIF: do not apply the EXIF orientation (HF load_image applies
	// it; processors given an already opened PIL image do not).
	DisableEXIF bool
	// Background, when set, alpha-composites transparent pixels onto this
	// RGB colour (qwen-vl-utils and Idefics use white) instead of PIL's
	// convert("RGB"), which drops alpha and keeps the hidden colour.
	Background *[3]uint8
	// HFTransparency reproduces transformers' processor(load_image(path))
	// (5.23): load_image's convert("RGB") drops the alpha of RGBA/LA/PA
	// images, but PIL keeps a transparent colour (info["transparency"]:
	// PNG tRNS of a P, L, 1, I;16 or RGB image, GIF transparency index) on
	// the RGB result, and the processor's convert_to_rgb then turns every
	// pixel of that colour white (docs/image.md, "Transparency"). Exclusive
	// with Background.
	HFTransparency bool
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
	hwc                    bool
	pad                    uint8
	newlines               bool // NumTokens counts one |NEWLINE| per patch row (Fuyu)
	needPalette            bool
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
	"fuyu": {mode: ModeFit, width: 1920, height: 1080, resample: Bilinear, mean: halfs, std: halfs, patch: 30, temporal: 1, merge: 1,
		hwc: true, pad: 1, newlines: true,
		reference: "transformers FuyuImageProcessor (PIL backend) + FuyuProcessor variable_sized patches, adept/fuyu-8b"},
	"igpt": {mode: ModeFixed, width: 32, height: 32, resample: Bilinear, mean: halfs, std: halfs, patch: 1, temporal: 1, merge: 1,
		needPalette: true,
		reference:   "transformers ImageGPTImageProcessor (PIL backend), openai/imagegpt-small size 32x32 (clusters from Config.Palette)"},
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
	dtype                  string // "uint8", "float32", "float16", "bfloat16"
	hwc                    bool
	pad                    uint8
	newlines               bool
	palette                [][3]float64
	codebook               *codebook.Codebook
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
		minPixels: p.minPixels, maxPixels: p.maxPixels, reference: p.reference,
		dtype: "uint8", hwc: p.hwc, pad: p.pad, newlines: p.newlines, palette: c.Palette, codebook: c.Codebook}
	switch c.PatchLayout {
	case "":
	case LayoutCHW:
		r.hwc = false
	case LayoutHWC:
		r.hwc = true
	default:
		return nil, errorf(ErrConfig, "PatchLayout %q: want chw or hwc", c.PatchLayout)
	}
	if c.PadValue != nil {
		r.pad = *c.PadValue
	}
	if p.needPalette && c.Palette == nil {
		return nil, errorf(ErrConfig, "preset %s needs Palette (the checkpoint's 512 clusters; transformers does not ship them: see LoadPalette)", name)
	}
	if c.Palette != nil && c.Codebook != nil {
		return nil, errorf(ErrConfig, "Palette and Codebook are exclusive (both fill InputIDs)")
	}
	if c.Palette != nil && (len(c.Palette) == 0 || len(c.Palette) > 1<<24) {
		return nil, errorf(ErrConfig, "Palette needs 1..2^24 colours, got %d", len(c.Palette))
	}
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
	case "float32", "float16", "bfloat16":
		r.f32 = true
		r.dtype = c.PatchDType
	default:
		return nil, errorf(ErrConfig, "PatchDType %q: want uint8, float32, float16 or bfloat16", c.PatchDType)
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
	case ModeFit:
		if r.width <= 0 || r.height <= 0 {
			return nil, errorf(ErrConfig, "ModeFit needs Width and Height > 0")
		}
	default:
		return nil, errorf(ErrConfig, "unknown Mode %q (want fixed, shortest, smart or fit)", r.mode)
	}
	if r.mode != ModeSmart && r.merge != 1 {
		return nil, errorf(ErrConfig, "MergeSize > 1 needs ModeSmart")
	}
	if r.codebook != nil {
		if err := r.codebook.Validate(); err != nil {
			return nil, errorf(ErrConfig, "Codebook: %v", err)
		}
		if d := 3 * r.temporal * r.patch * r.patch; r.codebook.Dim != d {
			return nil, errorf(ErrConfig, "Codebook has Dim %d, the preset's patches have %d samples", r.codebook.Dim, d)
		}
	}
	r.dec = decodeOptions{maxPixels: c.MaxImagePixels, maxFileBytes: c.MaxFileBytes, noEXIF: c.DisableEXIF, background: c.Background, hf: c.HFTransparency}
	if c.HFTransparency && c.Background != nil {
		return nil, errorf(ErrConfig, "HFTransparency and Background both say what transparent pixels become; set one")
	}
	if r.dec.maxPixels == 0 {
		r.dec.maxPixels = DefaultMaxPixels
	}
	if r.dec.maxFileBytes == 0 {
		r.dec.maxFileBytes = 256 << 20
	}
	return r, nil
}
