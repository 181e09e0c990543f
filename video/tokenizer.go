package video

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"sort"
	"sync/atomic"

	"github.com/tokenfab/tokenfab/image"
)

// Tokenizer turns video files into frame tokens. Built once by New;
// immutable afterwards and safe for concurrent use.
type Tokenizer struct {
	r   *resolved
	img *image.Tokenizer
}

// Tokens is the result of one Tokenize call.
type Tokens struct {
	// Patches is [NumPatches*PatchDim]uint8, row-major, temporal-group
	// major (see image.Tokenizer.TokenizeFrames): for qwen2-vl exactly HF
	// pixel_values_videos' layout (before normalisation); for
	// videomae/vivit tubelets of 2×16×16 with columns ((c*2+t)*16+py)*16+px
	// (Conv3d weight order), rows (t, gy, gx) raster; per-frame presets:
	// frame-major, then the image preset's row order.
	Patches []uint8
	// PixelValues: Patches normalized (float32), only with PatchDType
	// "float32". Tokenizer.Image().PatchValues computes it on demand.
	PixelValues []float32
	PatchDim    int
	NumPatches  int
	// GridTHW: (temporal groups, patch rows, patch cols); HF
	// video_grid_thw for qwen2-vl.
	GridTHW [3]int32
	// NumTokens: qwen2-vl: NumPatches/4 (LLM tokens); others: NumPatches.
	NumTokens int
	// FrameIndices: the sampled frames' indices in the whole stream
	// (0-based, presentation order; not window-relative), one per sampled
	// frame (before temporal padding). Can repeat (fps policy above the
	// local frame rate).
	FrameIndices []int
	// Timestamps: presentation time of each sampled frame in seconds
	// (pts·time_base as the file stores it, so a stream starting at 0.0667 s
	// has its first frame at 0.0667).
	Timestamps []float64
	// SampleTimes: fps policy only: the tick time (seconds, same clock as
	// Timestamps) each frame was chosen for.
	SampleTimes []float64
	// NumFrames: sampled frames; PaddedFrames: frames added by temporal
	// padding (repeat of the last frame).
	NumFrames, PaddedFrames int
	// SecondPerGridT: TemporalPatchSize / sample_fps with sample_fps =
	// NumFrames / SourceFrames · AvgFPS (qwen-vl-utils second_per_grid_t);
	// 0 when unknown.
	SecondPerGridT float64
	// Width, Height: decoded frames in pixels, after rotation;
	// StoredWidth/Height as coded. Rotation: degrees counter-clockwise
	// applied (0, 90, 180, 270), from RotationFrom ("displaymatrix",
	// "tag rotate" or "").
	Width, Height             int
	StoredWidth, StoredHeight int
	Rotation                  int
	RotationFrom              string
	// FrameWidth, FrameHeight and Frames: the final (resized, cropped)
	// frames, [NumFrames*FrameHeight*FrameWidth*3]uint8 HWC rgb24.
	FrameWidth, FrameHeight int
	Frames                  []uint8
	// SourceFrames: frames in the stream; AvgFPS: ffprobe avg_frame_rate
	// (frames/s, what HF/qwen-vl-utils call the video fps); Duration:
	// seconds from the first frame's pts to the end of the last frame.
	SourceFrames int
	AvgFPS       float64
	Duration     float64
	// Container (ffprobe format_name, or "gif"/"frames") and Codec.
	Container, Codec string
	// Decoder: "ffmpeg", "go-gif" or "image" (frame files).
	Decoder string
	// FrameMaxPixels: with Config.TotalPixels, the per-frame smart_resize
	// budget the frames got (FrameMaxPixels of the sampled count); else 0.
	FrameMaxPixels float64
}

// New validates cfg and builds a Tokenizer. Errors wrap ErrConfig (or the
// image package's ErrConfig for bad pixel/patch overrides).
func New(cfg Config) (*Tokenizer, error) {
	r, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	var it *image.Tokenizer
	if r.p.offset != 0 {
		it, err = image.NewOffset(r.imgCfg, r.p.offset)
	} else {
		it, err = image.New(r.imgCfg)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return &Tokenizer{r: r, img: it}, nil
}

// Image returns the image tokenizer the frames go through (for
// Normalize/PatchValues/PixelValuesCHW).
func (t *Tokenizer) Image() *image.Tokenizer { return t.img }

func (t *Tokenizer) tools() (ffmpeg, ffprobe string, err error) {
	look := func(p, def string) (string, error) {
		if p == "" {
			p = def
		}
		return exec.LookPath(p)
	}
	if ffmpeg, err = look(t.r.ffmpeg, "ffmpeg"); err != nil {
		return "", "", fmt.Errorf("%w (ffmpeg: %v)", ErrNeedFFmpeg, err)
	}
	if ffprobe, err = look(t.r.ffprobe, "ffprobe"); err != nil {
		return "", "", fmt.Errorf("%w (ffprobe: %v)", ErrNeedFFmpeg, err)
	}
	return ffmpeg, ffprobe, nil
}

// Tokenize decodes one video file given as bytes, samples frames by the
// configured policy, and tokenizes them through package image (same
// PIL-exact resize, normalize and patchify as images).
//
// How: the bytes are sniffed (known containers only; playlists refused with
// ErrUnsafeInput), written to a private temp file (0600, removed before
// return; a file, not a pipe, because MP4 needs seeking), probed once with
// ffprobe (stream metadata, rotation, per-packet pts without decoding),
// sampled, and only the sampled frames are decoded: ffmpeg -ss (seek to
// the first wanted frame) -copyts, select by exact pts, -fps_mode
// passthrough, rotation applied with transpose, rawvideo rgb24. Animated
// GIFs decode in Go when ffmpeg is missing (Config.GIF); animated WebP
// always decodes in Go (image.DecodeWebPFrames, Pillow's frames; frame k
// at the sum of the ANMF durations before it).
//
// Errors: ErrUnsafeInput, ErrUnsupportedFormat, ErrNeedFFmpeg, ErrCorrupt,
// ErrTooLarge, ErrTooLong, ErrNoFrames, image errors (e.g. aspect ratio >
// 200 for Qwen), context errors (ctx or Config.Timeout; ffmpeg is killed
// and waited for).
func (t *Tokenizer) Tokenize(ctx context.Context, data []byte) (*Tokens, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := t.r
	if int64(len(data)) > r.maxBytes {
		return nil, errorf(ErrTooLarge, "%d bytes > MaxBytes %d", len(data), r.maxBytes)
	}
	format, unsafe := sniff(data)
	if unsafe {
		return nil, ErrUnsafeInput
	}
	if format == "" {
		return nil, errorf(ErrUnsupportedFormat, "unknown magic bytes % x", data[:min(8, len(data))])
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	ffmpeg, ffprobe, terr := t.tools()
	if format == "gif" && (r.gif == "go" || (r.gif == "auto" && terr != nil)) {
		src, err := decodeGIF(data, r.maxDec, r.maxSrc)
		if err != nil {
			return nil, err
		}
		return t.fromSequence(ctx, src)
	}
	if format == "webp" { // ffmpeg 5.1 cannot decode animated WebP
		src, err := decodeWebP(data, r.maxDec, r.maxSrc)
		if err != nil {
			return nil, err
		}
		return t.fromSequence(ctx, src)
	}
	if terr != nil {
		return nil, terr
	}
	path, cleanup, err := t.tempFile(data)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	pr, err := runProbe(ctx, ffprobe, path, int(min(int64(r.maxSrc), 1<<26)))
	if err != nil {
		return nil, err
	}
	if len(pr.PTS) == 0 {
		return nil, errorf(ErrNoFrames, "the video stream has no frames")
	}
	pts := make([]float64, len(pr.PTS))
	for i, v := range pr.PTS {
		pts[i] = pr.seconds(v)
	}
	end := pts[len(pts)-1] + t.lastDuration(pr, pts)
	tk := &Tokens{SourceFrames: len(pts), AvgFPS: pr.AvgFPS, Duration: end - pts[0], Container: pr.Format, Codec: pr.Codec,
		StoredWidth: pr.StoredW, StoredHeight: pr.StoredH, Rotation: pr.Rotation, RotationFrom: pr.RotationFrom, Decoder: "ffmpeg"}
	tk.Width, tk.Height = pr.outSize()
	if tk.Duration > r.maxDur {
		return nil, errorf(ErrTooLong, "%.1f s > MaxDurationSeconds %.1f", tk.Duration, r.maxDur)
	}
	idx, ticks, err := t.sample(pts, end, pr.AvgFPS)
	if err != nil {
		return nil, err
	}
	// unique pts to decode, ascending
	uniq := append([]int(nil), idx...)
	sort.Ints(uniq)
	uniq = compactInts(uniq)
	want := make([]int64, len(uniq))
	for i, j := range uniq {
		want[i] = pr.PTS[j]
	}
	seek := 0.0
	if uniq[0] > 0 {
		seek = (pts[uniq[0]-1] + pts[uniq[0]]) / 2
	}
	frames, err := decodeFrames(ctx, ffmpeg, path, pr, want, seek, r.maxDec)
	if err == nil && len(frames) < len(want) && seek > 0 {
		// a container whose seek landed after a wanted frame: decode from the start
		seekRetries.Add(1)
		frames, err = decodeFrames(ctx, ffmpeg, path, pr, want, 0, r.maxDec)
	}
	if err != nil {
		return nil, err
	}
	if len(frames) != len(want) {
		return nil, errorf(ErrCorrupt, "ffmpeg decoded %d of the %d sampled frames (probe and decoder disagree)", len(frames), len(want))
	}
	pos := make(map[int]int, len(uniq))
	for i, j := range uniq {
		pos[j] = i
	}
	seq := make([][]uint8, len(idx))
	tk.FrameIndices = idx
	tk.Timestamps = make([]float64, len(idx))
	for k, j := range idx {
		seq[k] = frames[pos[j]]
		tk.Timestamps[k] = pts[j]
	}
	tk.SampleTimes = ticks
	return t.finish(ctx, tk, seq)
}

// seekRetries counts decodes redone from the start because a seek
// skipped a wanted frame (tests assert it stays 0 on the corpus).
var seekRetries atomic.Int64

// lastDuration is the last frame's display duration in seconds: its packet
// duration, else 1/avg_frame_rate, else the previous frame spacing.
func (t *Tokenizer) lastDuration(pr *probe, pts []float64) float64 {
	if d := pr.Dur[len(pr.Dur)-1]; d > 0 {
		return pr.seconds(d)
	}
	if pr.AvgFPS > 0 {
		return 1 / pr.AvgFPS
	}
	if len(pts) > 1 {
		return pts[len(pts)-1] - pts[len(pts)-2]
	}
	return 0
}

// sample applies the window and the policy to the frame times pts
// (seconds, ascending). It returns global frame indices and, for the fps
// policy, the tick times.
func (t *Tokenizer) sample(pts []float64, end, avgFPS float64) ([]int, []float64, error) {
	r := t.r
	lo, hi := 0, len(pts)
	if r.start > 0 || r.end > 0 {
		t0 := pts[0]
		lo = sort.Search(len(pts), func(i int) bool { return pts[i]-t0 >= r.start-1e-9 })
		if r.end > 0 {
			hi = sort.Search(len(pts), func(i int) bool { return pts[i]-t0 >= r.end-1e-9 })
			end = math.Min(end, t0+r.end)
		}
		if hi <= lo {
			return nil, nil, errorf(ErrNoFrames, "no frames in the window [%v, %v) s", r.start, r.end)
		}
	}
	var idx []int
	var ticks []float64
	var err error
	if r.samp.policy == SampleFPS {
		startT := pts[lo]
		if r.start > 0 {
			startT = pts[0] + r.start
		}
		win := pts[lo:hi]
		// ticks from the window start; frame on screen at each tick
		var rel []int
		rel, ticks = sampleTimesFrom(win, startT, end, r.samp.fps)
		for _, i := range rel {
			idx = append(idx, lo+i)
		}
	} else {
		idx, err = sampleIndices(hi-lo, avgFPS, r.samp)
		if err != nil {
			return nil, nil, err
		}
		for i := range idx {
			idx[i] += lo
		}
	}
	if len(idx) == 0 {
		return nil, nil, errorf(ErrNoFrames, "the policy sampled no frames")
	}
	if len(idx) > r.maxSamp {
		return nil, nil, errorf(ErrTooLong, "%d sampled frames > MaxSampledFrames %d", len(idx), r.maxSamp)
	}
	for _, i := range idx {
		if i < 0 || i >= len(pts) {
			return nil, nil, errorf(ErrNoFrames, "sampled index %d outside 0..%d", i, len(pts)-1)
		}
	}
	return idx, ticks, nil
}

// sampleTimesFrom is sampleTimes with ticks starting at t0 (which may lie
// before the first frame of win, then the first frame is taken).
func sampleTimesFrom(win []float64, t0, end, fps float64) ([]int, []float64) {
	var idx []int
	var ticks []float64
	for k := 0; k < 1<<24; k++ {
		tk := t0 + float64(k)/fps
		if k > 0 && tk >= end-1e-9 {
			break
		}
		i := sort.Search(len(win), func(i int) bool { return win[i] > tk+1e-6 }) - 1
		if i < 0 {
			i = 0
		}
		idx = append(idx, i)
		ticks = append(ticks, tk)
	}
	return idx, ticks
}

func compactInts(s []int) []int {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// finish runs the image tokenizer over the sampled frames (with
// TotalPixels: at qwen-vl-utils' per-frame budget for their count).
func (t *Tokenizer) finish(ctx context.Context, tk *Tokens, seq [][]uint8) (*Tokens, error) {
	var it *image.Tokens
	var err error
	if t.r.totalPixels > 0 {
		n := (len(seq) + qwenFrameFactor - 1) / qwenFrameFactor * qwenFrameFactor
		tk.FrameMaxPixels = FrameMaxPixels(t.r.totalPixels, n, t.r.imgCfg.MinPixels, t.r.userMaxPixels)
		it, err = t.img.TokenizeFramesMaxPixels(ctx, seq, tk.Width, tk.Height, tk.FrameMaxPixels)
	} else {
		it, err = t.img.TokenizeFrames(ctx, seq, tk.Width, tk.Height)
	}
	if err != nil {
		if errors.Is(err, ctx.Err()) && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	tk.Patches, tk.PixelValues, tk.PatchDim, tk.NumPatches = it.Patches, it.PixelValues, it.PatchDim, it.NumPatches
	tk.GridTHW, tk.NumTokens = it.GridTHW, it.NumTokens
	tk.FrameWidth, tk.FrameHeight, tk.Frames = it.ImageWidth, it.ImageHeight, it.Image
	tk.NumFrames = len(seq)
	tk.PaddedFrames = int(it.GridTHW[0])*t.temporal() - len(seq)
	if tk.SourceFrames > 0 && tk.AvgFPS > 0 && tk.NumFrames > 0 {
		sampleFPS := float64(tk.NumFrames) / float64(tk.SourceFrames) * tk.AvgFPS
		tk.SecondPerGridT = float64(t.temporal()) / sampleFPS
	}
	return tk, nil
}

func (t *Tokenizer) temporal() int {
	if t.r.imgCfg.TemporalPatchSize > 0 {
		return t.r.imgCfg.TemporalPatchSize
	}
	if t.r.imgCfg.Preset == "qwen2-vl" {
		return 2
	}
	return 1
}

func (t *Tokenizer) tempFile(data []byte) (string, func(), error) {
	f, err := os.CreateTemp(t.r.tempDir, "tokenfab-video-*")
	if err != nil {
		return "", nil, fmt.Errorf("video: temp file: %w", err)
	}
	name := f.Name()
	cleanup := func() { os.Remove(name) }
	if _, err := f.Write(data); err != nil {
		f.Close()
		cleanup()
		return "", nil, fmt.Errorf("video: temp file: %w", err)
	}
	if err := f.Close(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("video: temp file: %w", err)
	}
	return name, cleanup, nil
}

// gifDecoder is the GIF decoder this Tokenizer uses on this machine:
// "auto" resolves to ffmpeg when it is on PATH. It is in Describe, so a
// sharded job whose machines differ (ffmpeg here, not there; the two
// sample some GIFs differently) is refused instead of mixing outputs.
func (t *Tokenizer) gifDecoder() string {
	if t.r.gif != "auto" {
		return t.r.gif
	}
	if _, _, err := t.tools(); err != nil {
		return "go"
	}
	return "ffmpeg"
}

// Describe returns the deterministic description of the configuration for
// the Arrow schema metadata: preset, reference, sampling policy and
// parameters, window, limits, the GIF decoder in use ("gif_decoder"), and the image
// tokenizer's description under "image".
func (t *Tokenizer) Describe() map[string]any {
	r := t.r
	d := map[string]any{
		"preset":               r.name,
		"reference":            r.p.reference,
		"sampling":             r.samp.policy,
		"num_frames":           r.samp.numFrames,
		"fps":                  r.samp.fps,
		"min_frames":           r.samp.minFrames,
		"max_frames":           r.samp.maxFrame,
		"force_sample":         r.samp.forceSample,
		"frame_factor":         r.samp.factor,
		"window_start_s":       r.start,
		"window_end_s":         r.end,
		"temporal_padding":     "repeat last frame",
		"decoder":              "ffmpeg: -copyts, select by exact pts, -fps_mode passthrough, rotation by transpose, rgb24 (ffmpeg default swscale); GIF without ffmpeg: Go compositor",
		"timestamps":           "pts*time_base seconds",
		"rescale_offset":       r.p.offset,
		"max_bytes":            r.maxBytes,
		"max_duration_s":       r.maxDur,
		"max_source_frames":    r.maxSrc,
		"max_sampled_frames":   r.maxSamp,
		"max_decoded_bytes":    r.maxDec,
		"frame_rate_for_files": r.frameRate,
		"gif_decoder":          t.gifDecoder(),
		"image":                t.img.Describe(),
	}
	if r.totalPixels > 0 {
		d["total_pixels"] = r.totalPixels
		d["frame_max_pixels"] = "qwen-vl-utils 0.0.14 fetch_video: min(max_pixels, max(min(768*28^2, total_pixels / n * 2), int(min_pixels * 1.05))), n = sampled frames rounded up to even"
	}
	return d
}
