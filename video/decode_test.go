package video

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

func fixture(name string) string { return filepath.Join(testenv.Root(), "fixtures", "video", name) }

var fixtureClips = []string{"vfr_160x90.mp4", "rot90_160x90.mp4", "odd_95x53_vp9.webm", "audio_first_160x120.mp4", "anim_80x45.gif"}

var corpusClips = []string{
	"avi_mjpeg_pcm_480x270_3s_flower_ffmpeg.avi",
	"gif_animated_240x135_10fps_flower_ffmpeg.gif",
	"mov_h264_aac_remux_friday_ffmpeg.mov",
	"mp4_fragmented_h264_aac_960x540_mdn_flower.mp4",
	"mp4_h264_aac_640x480_audio_stream_first_mdn_cc0_friday.mp4",
	"mp4_h264_aac_960x540_29.97fps_mdn_cc0_flower.mp4",
	"mp4_h264_rotate90_displaymatrix_flower_ffmpeg.mp4",
	"mp4_h264_vfr_640x360_flower_ffmpeg.mp4",
	"webm_vp8_vorbis_960x540_mdn_cc0_flower.webm",
	"webm_vp9_opus_odd_dims_479x269_flower_ffmpeg.webm",
}

// allClips returns fixture paths, plus corpus paths unless -short.
func allClips(t *testing.T) []string {
	var out []string
	for _, f := range fixtureClips {
		out = append(out, fixture(f))
	}
	if !testing.Short() {
		for _, f := range corpusClips {
			out = append(out, testenv.Shared(t, "corpus/video/"+f))
		}
	}
	return out
}

// refFrames is the independent reference: ffprobe -show_frames (decodes
// every frame) for best_effort_timestamp, and -count_frames.
func refFrameTimes(t *testing.T, path string) ([]int64, int) {
	out, err := exec.Command(testenv.Tool(t, "ffprobe"), "-v", "error", "-select_streams", "V:0", "-count_frames",
		"-show_entries", "frame=best_effort_timestamp:stream=nb_read_frames", "-of", "json", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Frames []struct {
			TS *int64 `json:"best_effort_timestamp"`
		} `json:"frames"`
		Streams []struct {
			N string `json:"nb_read_frames"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	var ts []int64
	for _, f := range r.Frames {
		if f.TS != nil {
			ts = append(ts, *f.TS)
		}
	}
	n, _ := strconv.Atoi(r.Streams[0].N)
	return ts, n
}

// TestProbeMatchesDecodedFrames: the frame list the probe builds from
// packets (no decoding) equals the decoded frames' best_effort_timestamp
// list from ffprobe -show_frames, and their count equals -count_frames,
// for every fixture and corpus clip (VFR, fragmented MP4 starting at
// 0.0667 s, B-frames, audio-first MP4, WebM without nb_frames, AVI, GIF).
func TestProbeMatchesDecodedFrames(t *testing.T) {
	ffprobe := testenv.Tool(t, "ffprobe")
	for _, path := range allClips(t) {
		pr, err := runProbe(context.Background(), ffprobe, path, 1<<20)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		ref, n := refFrameTimes(t, path)
		if len(pr.PTS) != n || len(ref) != n {
			t.Errorf("%s: probe %d frames, -count_frames %d, -show_frames %d", filepath.Base(path), len(pr.PTS), n, len(ref))
			continue
		}
		for i := range ref {
			if pr.PTS[i] != ref[i] {
				t.Errorf("%s: frame %d pts %d, decoded %d", filepath.Base(path), i, pr.PTS[i], ref[i])
				break
			}
		}
	}
}

// fullDecode is plain ffmpeg (default autorotate, passthrough) of every
// frame: the reference for pixels.
func fullDecode(t *testing.T, path string, w, h int) [][]byte {
	out, err := exec.Command(testenv.Tool(t, "ffmpeg"), "-nostdin", "-v", "error", "-i", path, "-map", "0:V:0",
		"-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	fs := w * h * 3
	if len(out)%fs != 0 {
		t.Fatalf("%s: full decode %d bytes is not whole %dx%d frames", path, len(out), w, h)
	}
	var frames [][]byte
	for i := 0; i < len(out); i += fs {
		frames = append(frames, out[i:i+fs])
	}
	return frames
}

// TestDecodeMatchesFullDecode: Tokenize's frames (seek + select by pts +
// own rotation) are byte-identical to the same frames of a plain full
// ffmpeg decode with ffmpeg's default autorotate, and the timestamps are
// the frames' pts. Checked through the "all" policy's resize-free path: a
// per-frame preset whose frames we compare before resizing (decodeFrames)
// for several index sets, including late-only frames (seeking).
func TestDecodeMatchesFullDecode(t *testing.T) {
	ffmpeg, ffprobe := testenv.Tool(t, "ffmpeg"), testenv.Tool(t, "ffprobe")
	for _, path := range allClips(t) {
		pr, err := runProbe(context.Background(), ffprobe, path, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		w, h := pr.outSize()
		ref := fullDecode(t, path, w, h)
		if len(ref) != len(pr.PTS) {
			t.Fatalf("%s: full decode %d frames, probe %d", path, len(ref), len(pr.PTS))
		}
		N := len(ref)
		for _, set := range [][]int{{0, N / 3, N - 1}, {N / 2, N/2 + 1, N - 2}, {N - 1}} {
			var want []int64
			seen := map[int]bool{}
			var idx []int
			for _, i := range set {
				if i >= 0 && i < N && !seen[i] {
					seen[i] = true
					idx = append(idx, i)
					want = append(want, pr.PTS[i])
				}
			}
			seek := 0.0
			if idx[0] > 0 {
				seek = (pr.seconds(pr.PTS[idx[0]-1]) + pr.seconds(pr.PTS[idx[0]])) / 2
			}
			got, err := decodeFrames(context.Background(), ffmpeg, path, pr, want, seek, 1<<32)
			if err != nil {
				t.Fatalf("%s %v: %v", path, idx, err)
			}
			if len(got) != len(idx) {
				t.Errorf("%s %v: decoded %d frames (seek %.3f)", filepath.Base(path), idx, len(got), seek)
				continue
			}
			for k, i := range idx {
				if !bytes.Equal(got[k], ref[i]) {
					t.Errorf("%s: frame %d differs from the full decode (seek %.3f)", filepath.Base(path), i, seek)
				}
			}
		}
	}
}

func tokenizeFile(t *testing.T, cfg Config, path string) *Tokens {
	t.Helper()
	tok, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := tok.Tokenize(context.Background(), b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tk
}

// TestRotation: the displaymatrix clip comes out 90×160 (coded 160×90),
// equal to ffmpeg's autorotate output, and the corpus clip 540×960.
func TestRotation(t *testing.T) {
	testenv.Tool(t, "ffmpeg")
	tk := tokenizeFile(t, Config{Preset: "vit-base-patch16-224", NumFrames: 2}, fixture("rot90_160x90.mp4"))
	if tk.Width != 90 || tk.Height != 160 || tk.StoredWidth != 160 || tk.StoredHeight != 90 || tk.Rotation != 90 || tk.RotationFrom != "displaymatrix" {
		t.Fatalf("rotation: %dx%d stored %dx%d rot %d from %q", tk.Width, tk.Height, tk.StoredWidth, tk.StoredHeight, tk.Rotation, tk.RotationFrom)
	}
	if !testing.Short() {
		tk := tokenizeFile(t, Config{Preset: "qwen2-vl"}, testenv.Shared(t, "corpus/video/mp4_h264_rotate90_displaymatrix_flower_ffmpeg.mp4"))
		if tk.Width != 540 || tk.Height != 960 || tk.GridTHW != [3]int32{5, 68, 38} {
			t.Fatalf("corpus rotation: %dx%d grid %v", tk.Width, tk.Height, tk.GridTHW)
		}
	}
}

// TestVFRAt2FPS: the fps policy on the VFR clip (60 frames at 29.97 fps,
// then 0.133-s spacing) gives ticks exactly k·0.5 s and, per tick, the
// frame on screen, checked against ffprobe's decoded timestamps: on the
// fixture and on the corpus clip it was scaled from (same timing).
func TestVFRAt2FPS(t *testing.T) {
	paths := []string{fixture("vfr_160x90.mp4")}
	if !testing.Short() {
		paths = append(paths, testenv.Shared(t, "corpus/video/mp4_h264_vfr_640x360_flower_ffmpeg.mp4"))
	}
	for _, path := range paths {
		checkVFRAt2FPS(t, path)
	}
}

func checkVFRAt2FPS(t *testing.T, path string) {
	name := filepath.Base(path)
	ref, _ := refFrameTimes(t, path)
	tk := tokenizeFile(t, Config{Preset: "vit-base-patch16-224", Sampling: SampleFPS, FPS: 2}, path)
	if tk.SourceFrames != 83 || len(ref) != 83 {
		t.Fatalf("%s: %d frames", name, tk.SourceFrames)
	}
	tb := 1.0 / 30000 // time base of both (libx264 in MP4 from ffmpeg)
	// last frame at pts 148148, its packet lasts 1001 ticks (ffprobe -show_packets)
	end := float64(ref[82]+1001) * tb
	if math.Abs(tk.Duration-end) > 1e-9 {
		t.Fatalf("%s: duration %v, want %v", name, tk.Duration, end)
	}
	wantTicks := int(math.Ceil(end / 0.5))
	if len(tk.SampleTimes) != wantTicks {
		t.Fatalf("%s: %d ticks for %.3f s, want %d", name, len(tk.SampleTimes), end, wantTicks)
	}
	for k, tick := range tk.SampleTimes {
		if math.Abs(tick-float64(k)*0.5) > 1e-12 {
			t.Fatalf("%s: tick %d at %v", name, k, tick)
		}
		i := tk.FrameIndices[k]
		if math.Abs(tk.Timestamps[k]-float64(ref[i])*tb) > 1e-9 {
			t.Fatalf("%s: timestamp %v != pts of frame %d", name, tk.Timestamps[k], i)
		}
		if float64(ref[i])*tb > tick+1e-6 || (i+1 < len(ref) && float64(ref[i+1])*tb <= tick) {
			t.Fatalf("%s: tick %v: frame %d (%.4f s) is not on screen", name, tick, i, float64(ref[i])*tb)
		}
	}
	// the sparse tail really is sparse: consecutive ticks there pick frames 3-4 apart, not 15
	if d := tk.FrameIndices[len(tk.FrameIndices)-1] - tk.FrameIndices[len(tk.FrameIndices)-2]; d > 5 {
		t.Fatalf("%s: tail frames %d apart: the VFR tail was treated as CFR", name, d)
	}
}

// TestOddAndAudioFirst: odd 95×53 VP9 (fixture) and 479×269 (corpus) decode
// at their size; the audio-first MP4 picks the video stream by type.
func TestOddAndAudioFirst(t *testing.T) {
	tk := tokenizeFile(t, Config{Preset: "vit-base-patch16-224", Sampling: SampleAll}, fixture("odd_95x53_vp9.webm"))
	if tk.Width != 95 || tk.Height != 53 || tk.NumFrames != 30 || tk.Codec != "vp9" {
		t.Fatalf("odd: %dx%d %d frames %s", tk.Width, tk.Height, tk.NumFrames, tk.Codec)
	}
	tk = tokenizeFile(t, Config{Preset: "vit-base-patch16-224", NumFrames: 4}, fixture("audio_first_160x120.mp4"))
	if tk.Width != 160 || tk.Height != 120 || tk.SourceFrames != 45 || tk.Codec != "h264" {
		t.Fatalf("audio first: %dx%d %d frames %s", tk.Width, tk.Height, tk.SourceFrames, tk.Codec)
	}
	if !testing.Short() {
		tk = tokenizeFile(t, Config{Preset: "vit-base-patch16-224", NumFrames: 4}, testenv.Shared(t, "corpus/video/webm_vp9_opus_odd_dims_479x269_flower_ffmpeg.webm"))
		if tk.Width != 479 || tk.Height != 269 || tk.SourceFrames != 150 {
			t.Fatalf("odd corpus: %dx%d %d", tk.Width, tk.Height, tk.SourceFrames)
		}
		tk = tokenizeFile(t, Config{Preset: "vit-base-patch16-224", NumFrames: 4}, testenv.Shared(t, "corpus/video/mp4_h264_aac_640x480_audio_stream_first_mdn_cc0_friday.mp4"))
		if tk.Width != 640 || tk.Height != 480 || tk.SourceFrames != 185 {
			t.Fatalf("audio-first corpus: %dx%d %d", tk.Width, tk.Height, tk.SourceFrames)
		}
	}
}

// TestWindow: Start/End restrict sampling to [Start, End) from the first
// frame, and the frames decoded with a seek equal the full decode's.
func TestWindow(t *testing.T) {
	before := seekRetries.Load()
	defer func() {
		if n := seekRetries.Load() - before; n != 0 {
			t.Errorf("%d seeks had to be redone from the start", n)
		}
	}()
	if !testing.Short() {
		// fragmented MP4 starting at 0.0667 s: -ss counts from start_time
		p := testenv.Shared(t, "corpus/video/mp4_fragmented_h264_aac_960x540_mdn_flower.mp4")
		for _, s := range []float64{1, 2.5, 4} {
			tk := tokenizeFile(t, Config{Preset: "vit-base-patch16-224", NumFrames: 2, Start: s}, p)
			if tk.Timestamps[0] < 0.0667+s-1e-6 || tk.Timestamps[0] > 0.0667+s+0.034 {
				t.Errorf("window from %v s starts at %v", s, tk.Timestamps[0])
			}
		}
	}
	path := fixture("audio_first_160x120.mp4")
	tk := tokenizeFile(t, Config{Preset: "vit-base-patch16-224", Sampling: SampleAll, Start: 0.5, End: 1.0}, path)
	if tk.NumFrames != 15 || tk.FrameIndices[0] != 15 || tk.FrameIndices[14] != 29 {
		t.Fatalf("window: %d frames %v", tk.NumFrames, tk.FrameIndices)
	}
	ref := fullDecode(t, path, 160, 120)
	tok, _ := New(Config{Preset: "vit-base-patch16-224", Sampling: SampleAll, Start: 0.5, End: 1.0})
	// compare the resized frames with the image path on the reference frames
	want, err := tok.img.TokenizeFrames(context.Background(), ref[15:30], 160, 120)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(want.Patches) != sha256.Sum256(tk.Patches) {
		t.Fatal("windowed (seeking) decode differs from the full decode")
	}
}

// TestGIFGoMatchesFFmpeg: the pure-Go GIF compositor (disposal, delays)
// gives the same frames and timestamps as ffmpeg's GIF decoder.
func TestGIFGoMatchesFFmpeg(t *testing.T) {
	paths := []string{fixture("anim_80x45.gif")}
	if !testing.Short() {
		paths = append(paths, testenv.Shared(t, "corpus/video/gif_animated_240x135_10fps_flower_ffmpeg.gif"))
	}
	for _, p := range paths {
		a := tokenizeFile(t, Config{Preset: "vit-base-patch16-224", Sampling: SampleAll, GIF: "go"}, p)
		b := tokenizeFile(t, Config{Preset: "vit-base-patch16-224", Sampling: SampleAll, GIF: "ffmpeg"}, p)
		if a.Decoder != "go-gif" || b.Decoder != "ffmpeg" {
			t.Fatalf("decoders %s %s", a.Decoder, b.Decoder)
		}
		if a.NumFrames != b.NumFrames || a.Width != b.Width || a.Height != b.Height {
			t.Fatalf("%s: go %d frames %dx%d, ffmpeg %d %dx%d", p, a.NumFrames, a.Width, a.Height, b.NumFrames, b.Width, b.Height)
		}
		for i := range a.Timestamps {
			if math.Abs(a.Timestamps[i]-b.Timestamps[i]) > 1e-9 {
				t.Fatalf("%s: frame %d at %v (go) vs %v (ffmpeg)", p, i, a.Timestamps[i], b.Timestamps[i])
			}
		}
		if !bytes.Equal(a.Frames, b.Frames) {
			t.Fatalf("%s: composited frames differ from ffmpeg's", p)
		}
	}
}

// TestNoFFmpeg: with no ffmpeg, MP4 fails with ErrNeedFFmpeg naming
// ffmpeg, while GIF and frame files still work.
func TestNoFFmpeg(t *testing.T) {
	tok, _ := New(Config{Preset: "vit-base-patch16-224", NumFrames: 2, FFmpeg: "/nonexistent/ffmpeg", FFprobe: "/nonexistent/ffprobe"})
	b, _ := os.ReadFile(fixture("vfr_160x90.mp4"))
	_, err := tok.Tokenize(context.Background(), b)
	if !errors.Is(err, ErrNeedFFmpeg) || !strings.Contains(err.Error(), "ffmpeg") {
		t.Fatalf("mp4 without ffmpeg: %v", err)
	}
	g, _ := os.ReadFile(fixture("anim_80x45.gif"))
	tk, err := tok.Tokenize(context.Background(), g)
	if err != nil || tk.Decoder != "go-gif" || tk.NumFrames != 2 {
		t.Fatalf("gif without ffmpeg: %v", err)
	}
}

// TestManyDisjointFrames: more than 100 separate frames (ffmpeg's flat-sum
// limit) decode exactly: 150 every-other frames of a 300-frame clip made
// with ffmpeg's testsrc, compared with the full decode.
func TestManyDisjointFrames(t *testing.T) {
	ff := testenv.Tool(t, "ffmpeg")
	p := filepath.Join(t.TempDir(), "t.mp4")
	if out, err := exec.Command(ff, "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=32x24:rate=30:duration=10",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", p).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	tk := tokenizeFile(t, Config{Preset: "vit-base-patch16-224", Sampling: SampleUniform, NumFrames: 150}, p)
	ref := fullDecode(t, p, 32, 24)
	if len(ref) != 300 || tk.NumFrames != 150 {
		t.Fatalf("%d frames, sampled %d", len(ref), tk.NumFrames)
	}
	tok, _ := New(Config{Preset: "vit-base-patch16-224"})
	var seq [][]byte
	for _, i := range tk.FrameIndices {
		if i%2 != 0 {
			t.Fatalf("index %d", i)
		}
		seq = append(seq, ref[i])
	}
	want, _ := tok.img.TokenizeFrames(context.Background(), seq, 32, 24)
	if !bytes.Equal(want.Patches, tk.Patches) {
		t.Fatal("150 disjoint frames differ from the full decode")
	}
}
