package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tokenfab/tokenfab/audio"
	"github.com/tokenfab/tokenfab/video"
)

// videoModality adapts a *video.Tokenizer to Modality and brings the video
// columns, whose types it fixes from the tokenizer's configuration.
type videoModality struct {
	t     *video.Tokenizer
	dim   int    // patch width in samples: 3·temporal_patch_size·patch_size²
	dtype string // "uint8" or "float32"
	desc  map[string]any
}

// videoErrKinds maps the video package's errors to row error kinds; any
// other error (corrupt or unsupported file, ffmpeg missing, no frames) is a
// "tokenize" row whose message is the video package's (ErrNeedFFmpeg names
// ffmpeg/ffprobe and how to install them).
var videoErrKinds = []struct {
	err  error
	kind ErrorKind
}{
	{video.ErrTooLarge, KindTooLarge},
	{video.ErrTooLong, KindTooLarge},
	{audio.ErrTooLarge, KindTooLarge},
	{audio.ErrTooLong, KindTooLarge},
}

func videoRowErr(err error) error {
	for _, e := range videoErrKinds {
		if errors.Is(err, e.err) {
			return &RowError{Kind: e.kind, Msg: err.Error()}
		}
	}
	return err
}

// NewVideo wraps a video tokenizer as the "video" modality and adds its
// columns to the job's schema, after the base, image and audio ones:
//
//   - video_patches, list<fixed_size_list<uint8, D>> (the tokenizer's
//     PatchDType "uint8", the default) or list<fixed_size_list<float32,
//     D>> ("float32"): one entry per patch in video.Tokens.Patches layout,
//     D = 3·temporal_patch_size·patch_size² samples (1176 for qwen2-vl,
//     1536 for videomae/vivit tubelets, 768/588 for the per-frame
//     presets). A column of its own, not the images' patches: a job's
//     image and video presets may then differ in D (the default job has
//     768-wide image patches and 1176-wide qwen2-vl video patches), as
//     Qwen2-VL itself keeps pixel_values and pixel_values_videos apart.
//   - grid_thw, fixed_size_list<int32, 3>: (temporal groups, patch rows,
//     patch cols), Qwen's video_grid_thw; len(video_patches) = t·h·w. The
//     column is shared with images and AST audio (one type for all).
//   - timestamps, list<float64>: the presentation time in seconds
//     (pts·time_base as stored, so a stream starting at 0.0667 s has its
//     first frame there) of each sampled frame, before temporal padding.
//
// num_tokens is video.Tokens.NumTokens: for qwen2-vl the LLM tokens after
// the 2×2 merge (patches/4), else the patches; Describe's "num_tokens"
// says which. Inputs over the size or duration limits are "too_large"
// rows; corrupt or unsupported files, playlists, clips without frames and
// containers that need a missing ffmpeg are "tokenize" rows. The error is
// for a tokenizer whose Describe() lacks the image patch geometry or whose
// PatchDType is not uint8 or float32.
func NewVideo(t *video.Tokenizer) (Modality, error) {
	d := t.Describe()
	img, _ := d["image"].(map[string]any)
	p, ok1 := img["patch_size"].(int)
	tp, ok2 := img["temporal_patch_size"].(int)
	dtype, ok3 := img["patch_dtype"].(string)
	if !ok1 || !ok2 || !ok3 || (dtype != "uint8" && dtype != "float32") || p <= 0 || tp <= 0 {
		return nil, fmt.Errorf("video tokenizer description %v: want an image description with int patch_size and temporal_patch_size and patch_dtype uint8 or float32 (video patches have no float16/bfloat16 column yet)", d)
	}
	m := &videoModality{t: t, dim: 3 * tp * p * p, dtype: dtype, desc: jsonSafe(d)}
	m.desc["patch_dim"] = m.dim
	m.desc["patch_dtype"] = dtype
	if img["preset"] == "qwen2-vl" {
		m.desc["num_tokens"] = "patches / merge_size^2 (LLM tokens)"
	} else {
		m.desc["num_tokens"] = "patches"
	}
	m.desc["columns"] = "video_patches (D = patch_dim), grid_thw = (t, h, w) patches with len(video_patches) = t*h*w, timestamps = seconds of the sampled frames"
	return m, nil
}

// jsonSafe clones a description, recursively, turning []uint8 values
// (e.g. an image background) into []int: JSON would write them as base64.
func jsonSafe(d map[string]any) map[string]any {
	out := maps.Clone(d)
	for k, v := range out {
		switch x := v.(type) {
		case []uint8:
			n := make([]int, len(x))
			for i, b := range x {
				n[i] = int(b)
			}
			out[k] = n
		case map[string]any:
			out[k] = jsonSafe(x)
		}
	}
	return out
}

func (m *videoModality) Name() string { return ModVideo }

func (m *videoModality) Tokenize(ctx context.Context, data []byte) (Payload, error) {
	tk, err := m.t.Tokenize(ctx, data)
	if err != nil {
		return Payload{}, videoRowErr(err)
	}
	return m.payload(tk), nil
}

// tokenizeFrames tokenizes a frame directory (pipeline/frames.go) with
// video.Tokenizer.TokenizeFrameFS: frames in byte order of their names,
// frame k at k/FrameRate seconds, only the sampled ones read.
func (m *videoModality) tokenizeFrames(ctx context.Context, fd *frameDir) (Payload, error) {
	tk, err := m.t.TokenizeFrameFS(ctx, fd.fsys, fd.names)
	if err != nil {
		return Payload{}, videoRowErr(err)
	}
	return m.payload(tk), nil
}

func (m *videoModality) payload(tk *video.Tokens) Payload {
	p := Payload{NumTokens: tk.NumTokens, VideoPatchDim: tk.PatchDim, GridTHW: tk.GridTHW, HasGrid: true,
		Timestamps: tk.Timestamps}
	if p.Timestamps == nil {
		p.Timestamps = []float64{}
	}
	if m.dtype == "float32" {
		p.VideoPatchValues = tk.PixelValues
		if p.VideoPatchValues == nil {
			p.VideoPatchValues = []float32{}
		}
	} else {
		p.VideoPatches = tk.Patches
		if p.VideoPatches == nil {
			p.VideoPatches = []uint8{}
		}
	}
	return p
}

// Describe is the video tokenizer's own Describe() (preset, reference,
// sampling, num_frames, fps, min/max_frames, window_start_s/window_end_s,
// decoder, timestamps, limits, and the frame image tokenizer's description
// under "image") plus patch_dim (the width of a video_patches entry),
// patch_dtype, num_tokens (what the count means) and columns.
func (m *videoModality) Describe() map[string]any { return jsonSafe(m.desc) }

// columns are video_patches, grid_thw and timestamps, typed for this
// tokenizer.
func (m *videoModality) columns() []column {
	dim, f32 := m.dim, m.dtype == "float32"
	elem := int64(1)
	if f32 {
		elem = 4
	}
	n := func(p *Payload) int { return max(len(p.VideoPatches), len(p.VideoPatchValues)) }
	return []column{
		{name: "video_patches", typ: arrow.ListOf(arrow.FixedSizeListOf(int32(dim), patchDTypes[m.dtype])),
			hf: hfSeq(hfSeq(hfValue(m.dtype), dim), 0),
			append: func(b array.Builder, r *row) {
				lb := b.(*array.ListBuilder)
				if r.err != nil || (r.p.VideoPatches == nil && r.p.VideoPatchValues == nil) {
					lb.AppendNull()
					return
				}
				lb.Append(true)
				fb := lb.ValueBuilder().(*array.FixedSizeListBuilder)
				for range n(&r.p) / dim {
					fb.Append(true)
				}
				if f32 {
					fb.ValueBuilder().(*array.Float32Builder).AppendValues(r.p.VideoPatchValues, nil)
				} else {
					fb.ValueBuilder().(*array.Uint8Builder).AppendValues(r.p.VideoPatches, nil)
				}
			},
			// as for image patches: value bytes plus validity bits
			size: func(r *row) int64 {
				v := int64(n(&r.p))
				return v*elem + v/8 + v/int64(8*dim) + 1
			},
			check: func(p *Payload) *RowError {
				if p.VideoPatches == nil && p.VideoPatchValues == nil {
					return nil
				}
				if (p.VideoPatches != nil && f32) || (p.VideoPatchValues != nil && !f32) || (p.VideoPatches != nil && p.VideoPatchValues != nil) {
					return rowErr(KindInternal, "video patches are not of the job's dtype %s (a bug)", m.dtype)
				}
				if v := n(p); p.VideoPatchDim != dim || v%dim != 0 {
					return rowErr(KindInternal, "video patches of width %d (%d values) do not fit the job's patch_dim %d (a bug)", p.VideoPatchDim, v, dim)
				}
				return nil
			}},
		gridColumn,
		timestampsColumn,
	}
}

// timestampsColumn is timestamps, list<float64>: seconds of a video row's
// sampled frames, null for other rows.
var timestampsColumn = column{name: "timestamps", typ: arrow.ListOf(arrow.PrimitiveTypes.Float64),
	hf: hfSeq(hfValue("float64"), 0),
	append: func(b array.Builder, r *row) {
		lb := b.(*array.ListBuilder)
		if r.err != nil || r.p.Timestamps == nil {
			lb.AppendNull()
			return
		}
		lb.Append(true)
		lb.ValueBuilder().(*array.Float64Builder).AppendValues(r.p.Timestamps, nil)
	},
	size: func(r *row) int64 { return 8*int64(len(r.p.Timestamps)) + 1 }}

// videoAudioModality is the "audio" modality of a job with VideoAudio: an
// audioModality that, given a video file (the second segment of a video
// record), tokenizes its first audio stream instead.
type videoAudioModality struct {
	*audioModality
	vt *video.Tokenizer
}

// NewVideoAudio wraps an audio tokenizer as the "audio" modality of a job
// whose video records also get their sound (Options.VideoAudio, the CLI's
// --video-audio); register it instead of NewAudio(at). Its columns are
// NewAudio's (mel, and grid_thw for AST). Audio files are tokenized as by
// NewAudio; bytes that the pipeline detects as a video container (the
// audio segment of a video record) go through vt.Audio(ctx, data, at): the
// first audio stream within vt's Start/End window, extracted by ffmpeg as
// float32 WAV, then at's features, so the mel equals audio.Tokenize on
// that WAV. A video without an audio stream is a "tokenize" row
// ("video: no frames to sample: the video has no audio stream"). Describe
// is NewAudio's plus "video_audio". The error is NewAudio's.
func NewVideoAudio(vt *video.Tokenizer, at *audio.Tokenizer) (Modality, error) {
	m, err := NewAudio(at)
	if err != nil {
		return nil, err
	}
	am := m.(*audioModality)
	am.desc["video_audio"] = "audio segments of video records: the first audio stream within the video window (video.Tokenizer.Audio: ffmpeg -map 0:a:0 -c:a pcm_f32le), then these features"
	return &videoAudioModality{audioModality: am, vt: vt}, nil
}

func (m *videoAudioModality) Tokenize(ctx context.Context, data []byte) (Payload, error) {
	if mod, _ := detect("", data, true); mod != ModVideo {
		return m.audioModality.Tokenize(ctx, data)
	}
	tk, err := m.vt.Audio(ctx, data, m.t)
	if err != nil {
		return Payload{}, videoRowErr(err)
	}
	p := Payload{NumTokens: tk.NumTokens, Mel: tk.Mel, NMels: tk.NMels, InputIDs: tk.InputIDs}
	if p.Mel == nil {
		p.Mel = []float32{}
	}
	if m.grid {
		p.GridTHW, p.HasGrid = tk.GridTHW, true
	}
	return p, nil
}

// checkVideo validates the video options against the registered
// modalities (called by Options.withDefaults, before any output exists):
// the video field must differ from the other fields, and VideoAudio needs
// a video tokenizer and NewVideoAudio as the audio one. It records
// video_field and video_audio in o.JobOptions (a copy).
func (o *Options) checkVideo(mods map[string]Modality) error {
	if o.VideoField != "" && (o.VideoField == o.TextField || o.VideoField == o.IDField || o.VideoField == o.ImageField || o.VideoField == o.AudioField) {
		return configErr("the video field %q is also the text, id, image or audio field; pick another --video-field", o.VideoField)
	}
	if o.VideoAudio {
		if mods[ModVideo] == nil {
			return configErr("VideoAudio needs a video tokenizer (pipeline.NewVideo) in Options.Modalities")
		}
		if _, ok := mods[ModAudio].(*videoAudioModality); !ok {
			return configErr("VideoAudio needs the audio modality made by pipeline.NewVideoAudio (it extracts a video's audio stream), not NewAudio")
		}
	}
	if o.GIFAsVideo && mods[ModVideo] == nil {
		return configErr("GIFAsVideo needs a video tokenizer (pipeline.NewVideo) in Options.Modalities")
	}
	if o.VideoField == "" && !o.VideoAudio && !o.GIFAsVideo {
		return nil
	}
	jo := maps.Clone(o.JobOptions)
	if jo == nil {
		jo = map[string]any{}
	}
	if o.VideoField != "" {
		jo["video_field"] = o.VideoField
	}
	if o.VideoAudio {
		jo["video_audio"] = true
	}
	if o.GIFAsVideo {
		jo["gif_as_video"] = true
	}
	o.JobOptions = jo
	return nil
}
