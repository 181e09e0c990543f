package main

import (
	"math"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenfab/tokenfab/audio"
	"github.com/tokenfab/tokenfab/pipeline"
	"github.com/tokenfab/tokenfab/video"
)

// videoFlags configure the video tokenizer of `run` (docs/pipeline.md,
// "Video").
type videoFlags struct {
	preset, sampling string
	fps, totalPixels float64
	frameRate        float64
	frames           int
	audio            bool
	gifAsVideo       bool
	field            string
}

// defaultVideoPreset is HF Qwen2VLVideoProcessor's defaults (2 fps, 4 to
// 768 frames, smart_resize per frame). Video patches have their own column
// (video_patches), so it does not have to agree with the image preset.
const defaultVideoPreset = "qwen2-vl"

// videoSamplings are the --video-sampling values, the video package's
// policies.
var videoSamplings = []string{video.SampleHFQwen2VL, video.SampleQwenVLUtils, video.SampleLLaVAVideo,
	video.SampleUniform, video.SampleFPS, video.SampleAll}

// register adds the video flags to c and a paragraph and examples to its
// help.
func (f *videoFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.preset, "video-preset", defaultVideoPreset,
		"video preset: "+strings.Join(video.Presets(), "|")+" (qwen2-vl: HF Qwen2VLVideoProcessor, 2 fps, 1176-wide patches)")
	fl.StringVar(&f.sampling, "video-sampling", "", "frame sampling policy: "+strings.Join(videoSamplings, "|")+" (default: the preset's)")
	fl.Float64Var(&f.fps, "video-fps", 0, "target frames per second (fps policy, Qwen policies' fps mode, llava-video; default: the preset's)")
	fl.Float64Var(&f.totalPixels, "video-total-pixels", 0, "qwen2-vl preset: qwen-vl-utils' pixel budget of a whole video (total_pixels; its default is 90316800): each frame gets at most max(min(768*28^2, N / frames * 2), int(min_pixels * 1.05)) pixels. Default 0: off, HF Qwen2VLVideoProcessor's per-frame budget")
	fl.IntVar(&f.frames, "video-frames", 0, "frames to sample (uniform, llava-video max; switches the Qwen policies to num_frames mode; default: the preset's)")
	fl.BoolVar(&f.audio, "video-audio", false, "also tokenize each video's first audio stream with the audio preset: a second row with the same id (modality audio)")
	fl.BoolVar(&f.gifAsVideo, "gif-as-video", false, "animated GIF files (2+ frames) and animated WebP files are video rows through the video preset (no ffmpeg needed: GIFs go through ffmpeg when it is on PATH, else the Go compositor, which gives the same frames; WebP is always decoded in Go); still ones stay images (default: every GIF and WebP is an image, its first frame)")
	fl.StringVar(&f.field, "video-field", "", "JSONL field holding a video path relative to the manifest's directory, or a directory of frame images there (default: none)")
	fl.Float64Var(&f.frameRate, "video-frame-rate", 1, "frames per second of frame directories (*.frames, or a directory in --video-field), whose images carry no time: frame k is at k/RATE seconds (its timestamps, and what fps sampling counts on); recorded in the metadata as frame_rate_for_files")
	c.Long += `

Video (MP4/MOV, WebM/MKV, AVI, Ogg Theora; needs ffmpeg and ffprobe on PATH,
else each video is an error row naming them) becomes video_patches, grid_thw
and timestamps (seconds of the sampled frames) with --video-preset; the
default, qwen2-vl, is HF's Qwen2VLVideoProcessor (2 fps, patches 3x2x14x14 =
1176 samples). --video-audio adds each video's sound as a second row (same
id, modality audio) through the audio preset; --video-field names a manifest
field holding a video path.

A directory of frame images is one video record (no ffmpeg needed) when its
name ends in .frames (clip01.frames/, found in an input or given as one), or
when --video-field names it: its .png/.jpg/.jpeg/.gif/.bmp/.tif/.tiff/.webp
files, in byte order of their names (zero-pad the numbers: frame_00002.png;
unpadded numbers are an error row), are the frames, at --video-frame-rate
(default 1 fps). Other files there are skipped (summary:
skipped.frame_dir_other). Every other directory is walked as before, each
image in it an image row.`
	c.Example += `
  tokenize run clips/ -o out --video-preset videomae --video-audio
  tokenize run clips/ -o out --video-sampling fps --video-fps 1
  tokenize run shots/clip01.frames -o out --video-frame-rate 30   # ffmpeg -i x.mp4 clip01.frames/%05d.png`
}

// apply builds the video tokenizer from the flags (patchDType is
// --patch-dtype, shared with images; video patches are uint8 or float32,
// so float16/bfloat16 give float32 video patches) and registers it in
// opts: the video
// modality, the manifest field and, with --video-audio, the audio modality
// replaced by one that also extracts videos' sound through at.
func (f *videoFlags) apply(opts *pipeline.Options, patchDType string, at *audio.Tokenizer) error {
	if f.sampling != "" && !slices.Contains(videoSamplings, f.sampling) {
		return usagef("--video-sampling %q: want %s", f.sampling, strings.Join(videoSamplings, ", "))
	}
	switch { // name the flag given, not all three
	case f.fps < 0:
		return usagef("--video-fps %v: want a positive number of frames per second", f.fps)
	case f.frames < 0:
		return usagef("--video-frames %d: want a positive number of frames", f.frames)
	case f.totalPixels < 0:
		return usagef("--video-total-pixels %v: want a positive pixel count (0: off)", f.totalPixels)
	}
	if !(f.frameRate > 0) || math.IsInf(f.frameRate, 0) {
		return usagef("--video-frame-rate %v: want a positive number of frames per second", f.frameRate)
	}
	if patchDType != "uint8" {
		patchDType = "float32"
	}
	vt, err := video.New(video.Config{Preset: f.preset, Sampling: f.sampling, FPS: f.fps, NumFrames: f.frames, PatchDType: patchDType,
		TotalPixels: f.totalPixels, FrameRate: f.frameRate})
	if err != nil {
		return usagef("video tokenizer: %v", err)
	}
	vm, err := pipeline.NewVideo(vt)
	if err != nil {
		return err
	}
	opts.Modalities = append(opts.Modalities, vm)
	opts.VideoField, opts.VideoAudio, opts.GIFAsVideo = f.field, f.audio, f.gifAsVideo
	if !f.audio {
		return nil
	}
	am, err := pipeline.NewVideoAudio(vt, at)
	if err != nil {
		return err
	}
	for i, m := range opts.Modalities {
		if m.Name() == pipeline.ModAudio {
			opts.Modalities[i] = am
		}
	}
	return nil
}
