package video

import (
	"sort"
	"time"

	"github.com/tokenfab/tokenfab/image"
)

// ImageNet default normalisation (transformers IMAGENET_DEFAULT_MEAN/STD),
// what the VideoMAE checkpoints' preprocessor_config.json use.
var (
	ImageNetMean = []float64{0.485, 0.456, 0.406}
	ImageNetStd  = []float64{0.229, 0.224, 0.225}
)

// Config builds a Tokenizer: a named preset plus overrides. A zero field
// means "the preset's value".
type Config struct {
	// Preset is one of Presets():
	//   - "qwen2-vl" (default): HF Qwen2VLVideoProcessor defaults: sampling
	//     hf-qwen2-vl at 2 fps (min 4, max 768 frames, even count), per-frame
	//     smart_resize to multiples of 28 within 128·28²..768·28² pixels,
	//     bicubic, CLIP mean/std, patch 14, temporal patch 2 (odd counts pad
	//     by repeating the last frame), merge 2: NumTokens = patches/4.
	//   - "videomae": 16 frames (uniform), shortest edge 224 + centre crop
	//     224, bilinear, ImageNet mean/std (MCG-NJU/videomae-base
	//     preprocessor_config), tubelets 2×16×16 → 8×14×14 = 1568 tokens.
	//   - "vivit": 32 frames (uniform), shortest edge 256 + crop 224,
	//     bilinear, x·(1/127.5) − 1 then (x − 0.5)/0.5 (VivitVideoProcessor),
	//     tubelets 2×16×16 → 16×14×14 = 3136 tokens.
	//   - "vit-base-patch16-224", "siglip-base-patch16-224": per-frame image
	//     presets (T = 1), 8 uniform frames, 196 tokens per frame.
	//   - "siglip-so400m-patch14-384": per-frame SigLIP-384 with LLaVA-Video
	//     sampling (1 fps, at most 32 frames), 729 tokens per frame.
	Preset string
	// Sampling overrides the policy: SampleHFQwen2VL, SampleQwenVLUtils,
	// SampleLLaVAVideo, SampleUniform, SampleFPS or SampleAll.
	Sampling string
	// NumFrames: frames to sample (uniform, HF/qwen-vl-utils num_frames
	// mode, LLaVA max_frames_num). Setting it on a Qwen policy switches it
	// from fps mode to num_frames mode.
	NumFrames int
	// FPS: target frames per second (fps policy; Qwen policies' fps mode;
	// LLaVA's fps, default 1).
	FPS float64
	// MinFrames, MaxFrames: Qwen policies' bounds (4 and 768).
	MinFrames, MaxFrames int
	// ForceSample: LLaVA-Video force_sample (always linspace NumFrames).
	ForceSample bool
	// Start, End: a window in seconds from the first frame's pts; only
	// frames with Start ≤ t < End are sampled (End 0 = to the end). The
	// decoder seeks (-ss before -i) instead of decoding from the start.
	Start, End float64
	// MinPixels, MaxPixels: per-frame pixel budget of smart_resize (Qwen).
	MinPixels, MaxPixels int
	// TotalPixels (qwen2-vl preset only) turns on qwen-vl-utils' total
	// pixel budget of a video (fetch_video's total_pixels). 0 (default):
	// off, every frame is smart_resized within MinPixels..MaxPixels, as HF
	// Qwen2VLVideoProcessor does (what the goldens check). > 0: the frames
	// of a video of n sampled frames (rounded up to even, FRAME_FACTOR 2)
	// get the per-frame budget FrameMaxPixels(TotalPixels, n, MinPixels,
	// MaxPixels given or 0), so longer videos get smaller frames; MaxPixels
	// then bounds the budget only when given (qwen-vl-utils' max_pixels).
	// QwenVLUtilsTotalPixels is qwen-vl-utils' default.
	TotalPixels float64
	// PatchDType: "uint8" (default: Tokens.Patches only) or "float32"
	// (also Tokens.PixelValues).
	PatchDType string
	// FFmpeg, FFprobe: executables ("" = look up "ffmpeg"/"ffprobe" on PATH).
	FFmpeg, FFprobe string
	// GIF: "auto" (default: ffmpeg when available, else the pure-Go
	// compositor), "go" (always the pure-Go compositor) or "ffmpeg".
	GIF string
	// FrameRate: the rate assigned to frame sequences that carry no time
	// (TokenizeFrameFiles), frames per second. Default 1.
	FrameRate float64
	// TempDir: where the input is written for ffmpeg (a private 0600 file,
	// removed when Tokenize returns). "" = os.TempDir().
	TempDir string
	// Limits (0 = default, < 0 = none): MaxBytes of input (2 GiB),
	// MaxDurationSeconds of video (4 h), MaxSourceFrames in the stream
	// (1,000,000), MaxSampledFrames after sampling (4096), MaxDecodedBytes
	// of sampled rgb24 frames (4 GiB), Timeout per Tokenize (10 min).
	MaxBytes           int64
	MaxDurationSeconds float64
	MaxSourceFrames    int
	MaxSampledFrames   int
	MaxDecodedBytes    int64
	Timeout            time.Duration
}

// qwen-vl-utils 0.0.14 (src/qwen_vl_utils/vision_process.py) constants of
// the video pixel budget, for Qwen2-VL's image factor 28 (patch 14 · merge
// 2).
const (
	// QwenVLUtilsTotalPixels is fetch_video's default total_pixels:
	// MODEL_SEQ_LEN (128000, its environment default) · 28² · 0.9.
	QwenVLUtilsTotalPixels = 128000 * 28 * 28 * 0.9
	// qwenVideoFrameMaxPixels is VIDEO_MAX_TOKEN_NUM (768) · 28².
	qwenVideoFrameMaxPixels = 768 * 28 * 28
	// qwenFrameFactor is FRAME_FACTOR.
	qwenFrameFactor = 2
)

// FrameMaxPixels is qwen-vl-utils 0.0.14 fetch_video's per-frame pixel
// budget for a video of nframes frames (Qwen2-VL, image factor 28):
//
//	max_pixels = max(min(VIDEO_FRAME_MAX_PIXELS, total_pixels / nframes * FRAME_FACTOR), int(min_pixels * 1.05))
//	max_pixels = min(max_pixels_supposed, max_pixels)
//
// with VIDEO_FRAME_MAX_PIXELS = 768·28², FRAME_FACTOR = 2, and
// max_pixels_supposed the configured maxPixels (ele["max_pixels"]; its
// default is the computed value, so pass maxPixels ≤ 0 for "not given").
// Evaluated in float64 as Python does (the result may be fractional).
// The frames are then smart_resized with it (image.SmartResizeF): equal to
// qwen-vl-utils' smart_resize except where that floors a side to 0 (an
// extreme aspect ratio with a tiny budget; its resize then fails), where
// ours keeps one factor (28), as transformers' smart_resize does.
func FrameMaxPixels(totalPixels float64, nframes, minPixels, maxPixels int) float64 {
	m := max(min(float64(qwenVideoFrameMaxPixels), totalPixels/float64(nframes)*qwenFrameFactor), float64(int(float64(minPixels)*1.05)))
	if maxPixels > 0 {
		m = min(float64(maxPixels), m)
	}
	return m
}

type preset struct {
	image     image.Config
	offset    float64
	sampling  string
	numFrames int
	fps       float64
	minF      int
	maxF      int
	reference string
}

var presets = map[string]preset{
	"qwen2-vl": {
		image:    image.Config{Preset: "qwen2-vl", MinPixels: 128 * 28 * 28, MaxPixels: 768 * 28 * 28},
		sampling: SampleHFQwen2VL, fps: 2, minF: 4, maxF: 768,
		reference: "transformers 5.23.0 Qwen2VLVideoProcessor (class defaults, do_sample_frames=True, fps=2)",
	},
	"videomae": {
		image: image.Config{Preset: "vit-base-patch16-224", Mode: image.ModeShortest, ShortestEdge: 224, CropWidth: 224, CropHeight: 224,
			Resample: "bilinear", Mean: ImageNetMean, Std: ImageNetStd, PatchSize: 16, TemporalPatchSize: 2},
		sampling: SampleUniform, numFrames: 16,
		reference: "transformers 5.23.0 VideoMAEVideoProcessor with MCG-NJU/videomae-base preprocessor_config (ImageNet mean/std); VideoMAE tubelet 2x16x16",
	},
	"vivit": {
		image: image.Config{Preset: "vit-base-patch16-224", Mode: image.ModeShortest, ShortestEdge: 256, CropWidth: 224, CropHeight: 224,
			Resample: "bilinear", RescaleFactor: 1 / 127.5, PatchSize: 16, TemporalPatchSize: 2},
		offset:   1,
		sampling: SampleUniform, numFrames: 32,
		reference: "transformers 5.23.0 VivitVideoProcessor (google/vivit-b-16x2-kinetics400); tubelet 2x16x16",
	},
	"vit-base-patch16-224": {
		image:    image.Config{Preset: "vit-base-patch16-224"},
		sampling: SampleUniform, numFrames: 8,
		reference: "per-frame transformers ViTImageProcessor (PIL backend); frames by default_sample_indices_fn",
	},
	"siglip-base-patch16-224": {
		image:    image.Config{Preset: "siglip-base-patch16-224"},
		sampling: SampleUniform, numFrames: 8,
		reference: "per-frame transformers SiglipImageProcessor (PIL backend); frames by default_sample_indices_fn",
	},
	"siglip-so400m-patch14-384": {
		image:    image.Config{Preset: "siglip-so400m-patch14-384"},
		sampling: SampleLLaVAVideo, numFrames: 32, fps: 1,
		reference: "LLaVA-Video load_video sampling + per-frame SiglipImageProcessor 384 (PIL backend)",
	},
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

type resolved struct {
	name   string
	p      preset
	imgCfg image.Config
	samp   samplingParams
	// totalPixels: qwen-vl-utils' total_pixels (0: off).
	totalPixels float64
	// userMaxPixels: Config.MaxPixels (0: not given), qwen-vl-utils'
	// max_pixels_supposed.
	userMaxPixels int
	start         float64
	end           float64
	ffmpeg        string
	ffprobe       string
	gif           string
	frameRate     float64
	tempDir       string
	maxBytes      int64
	maxDur        float64
	maxSrc        int
	maxSamp       int
	maxDec        int64
	timeout       time.Duration
}

func resolve(c Config) (*resolved, error) {
	name := c.Preset
	if name == "" {
		name = "qwen2-vl"
	}
	p, ok := presets[name]
	if !ok {
		return nil, errorf(ErrConfig, "unknown preset %q (have %v)", name, Presets())
	}
	r := &resolved{name: name, p: p, imgCfg: p.image}
	if c.MinPixels != 0 {
		r.imgCfg.MinPixels = c.MinPixels
	}
	if c.MaxPixels != 0 {
		r.imgCfg.MaxPixels = c.MaxPixels
	}
	r.imgCfg.PatchDType = c.PatchDType
	if c.TotalPixels < 0 || c.TotalPixels != c.TotalPixels {
		return nil, errorf(ErrConfig, "TotalPixels %v: want 0 (off) or a positive pixel count", c.TotalPixels)
	}
	if c.TotalPixels > 0 && name != "qwen2-vl" {
		return nil, errorf(ErrConfig, "TotalPixels (qwen-vl-utils' video pixel budget) applies to the qwen2-vl preset only, not %s", name)
	}
	r.totalPixels, r.userMaxPixels = c.TotalPixels, c.MaxPixels
	r.samp = samplingParams{policy: p.sampling, numFrames: p.numFrames, fps: p.fps, minFrames: p.minF, maxFrame: p.maxF, factor: max(1, p.image.TemporalPatchSize)}
	if p.image.Preset == "qwen2-vl" {
		r.samp.factor = 2
	}
	if c.Sampling != "" {
		r.samp.policy = c.Sampling
		if c.Sampling != p.sampling {
			// a different policy starts from its own defaults
			switch c.Sampling {
			case SampleHFQwen2VL, SampleQwenVLUtils:
				r.samp.numFrames, r.samp.fps, r.samp.minFrames, r.samp.maxFrame = 0, 2, 4, 768
			case SampleLLaVAVideo:
				r.samp.numFrames, r.samp.fps = 32, 1
			case SampleFPS:
				r.samp.numFrames, r.samp.fps = 0, 2
			}
		}
	}
	switch r.samp.policy {
	case SampleHFQwen2VL, SampleQwenVLUtils, SampleLLaVAVideo, SampleUniform, SampleFPS, SampleAll:
	default:
		return nil, errorf(ErrConfig, "unknown Sampling %q (want hf-qwen2-vl, qwen-vl-utils, llava-video, uniform, fps or all)", r.samp.policy)
	}
	if c.NumFrames < 0 || c.FPS < 0 || c.MinFrames < 0 || c.MaxFrames < 0 {
		return nil, errorf(ErrConfig, "NumFrames, FPS, MinFrames, MaxFrames must not be negative")
	}
	if c.NumFrames > 0 {
		r.samp.numFrames = c.NumFrames
	}
	if c.FPS > 0 {
		r.samp.fps = c.FPS
		if c.NumFrames == 0 && (r.samp.policy == SampleHFQwen2VL || r.samp.policy == SampleQwenVLUtils || r.samp.policy == SampleUniform) {
			r.samp.numFrames = 0
		}
	}
	if c.MinFrames > 0 {
		r.samp.minFrames = c.MinFrames
	}
	if c.MaxFrames > 0 {
		r.samp.maxFrame = c.MaxFrames
	}
	r.samp.forceSample = c.ForceSample
	if r.samp.policy == SampleFPS && r.samp.fps <= 0 {
		return nil, errorf(ErrConfig, "Sampling fps needs FPS > 0")
	}
	if r.samp.policy == SampleUniform && r.samp.numFrames <= 0 && r.samp.fps <= 0 {
		return nil, errorf(ErrConfig, "Sampling uniform needs NumFrames > 0")
	}
	if c.Start < 0 || c.End < 0 || (c.End > 0 && c.End <= c.Start) {
		return nil, errorf(ErrConfig, "window Start=%v End=%v: want 0 <= Start < End (End 0 = to the end)", c.Start, c.End)
	}
	r.start, r.end = c.Start, c.End
	r.ffmpeg, r.ffprobe = c.FFmpeg, c.FFprobe
	switch c.GIF {
	case "", "auto":
		r.gif = "auto"
	case "go", "ffmpeg":
		r.gif = c.GIF
	default:
		return nil, errorf(ErrConfig, "GIF %q: want auto, go or ffmpeg", c.GIF)
	}
	r.frameRate = c.FrameRate
	if r.frameRate == 0 {
		r.frameRate = 1
	}
	if r.frameRate < 0 {
		return nil, errorf(ErrConfig, "FrameRate must be positive")
	}
	r.tempDir = c.TempDir
	r.maxBytes = lim64(c.MaxBytes, 2<<30)
	r.maxDur = c.MaxDurationSeconds
	if r.maxDur == 0 {
		r.maxDur = 4 * 3600
	}
	r.maxSrc = int(lim64(int64(c.MaxSourceFrames), 1_000_000))
	r.maxSamp = int(lim64(int64(c.MaxSampledFrames), 4096))
	r.maxDec = lim64(c.MaxDecodedBytes, 4<<30)
	r.timeout = c.Timeout
	if r.timeout == 0 {
		r.timeout = 10 * time.Minute
	}
	return r, nil
}

func lim64(v, def int64) int64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 1<<62 - 1
	}
	return v
}
