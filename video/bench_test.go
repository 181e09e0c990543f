package video

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// Benchmarks on the 960×540 29.97 fps H.264 corpus clip (150 frames,
// 5.0 s). "decode" = ffprobe + ffmpeg decode of the sampled frames to
// rgb24 (what Tokenize spends before package image); "tokenize" = the whole
// Tokenize. Metrics: frames/s = sampled frames per second of wall time;
// cpu-ms/op = user+sys CPU of this process and of the ffprobe/ffmpeg
// children it waited for (RUSAGE_CHILDREN), per op, since the shared
// machine makes wall time noisy and most of the work is in the children.
//
//	go test ./video -run X -bench . -benchtime 5x
const benchClip = "corpus/video/mp4_h264_aac_960x540_29.97fps_mdn_cc0_flower.mp4"

// cpuTime is user+sys CPU time of this process plus its waited-for
// children (ffprobe, ffmpeg).
func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	return time.Duration(self.Utime.Nano() + self.Stime.Nano() + kids.Utime.Nano() + kids.Stime.Nano())
}

func benchDecode(b *testing.B, cfg Config) {
	path := testenv.Shared(b, benchClip)
	ffmpeg, ffprobe := testenv.Tool(b, "ffmpeg"), testenv.Tool(b, "ffprobe")
	tok, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		pr, err := runProbe(context.Background(), ffprobe, path, 1<<20)
		if err != nil {
			b.Fatal(err)
		}
		pts := make([]float64, len(pr.PTS))
		for k, v := range pr.PTS {
			pts[k] = pr.seconds(v)
		}
		idx, _, err := tok.sample(pts, pts[len(pts)-1]+1/pr.AvgFPS, pr.AvgFPS)
		if err != nil {
			b.Fatal(err)
		}
		uniq := compactInts(append([]int(nil), idx...))
		want := make([]int64, len(uniq))
		for k, j := range uniq {
			want[k] = pr.PTS[j]
		}
		seek := 0.0
		if uniq[0] > 0 {
			seek = (pts[uniq[0]-1] + pts[uniq[0]]) / 2
		}
		fr, err := decodeFrames(context.Background(), ffmpeg, path, pr, want, seek, 1<<33)
		if err != nil || len(fr) != len(want) {
			b.Fatal(err, len(fr))
		}
		n += len(fr)
	}
	b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "frames/s")
}

func BenchmarkDecodeUniform8(b *testing.B) {
	benchDecode(b, Config{Preset: "vit-base-patch16-224", NumFrames: 8})
}
func BenchmarkDecodeUniform32(b *testing.B) {
	benchDecode(b, Config{Preset: "vit-base-patch16-224", NumFrames: 32})
}
func BenchmarkDecodeFPS2(b *testing.B) {
	benchDecode(b, Config{Preset: "vit-base-patch16-224", Sampling: SampleFPS, FPS: 2})
}
func BenchmarkDecodeAll(b *testing.B) {
	benchDecode(b, Config{Preset: "vit-base-patch16-224", Sampling: SampleAll})
}

func benchTokenize(b *testing.B, cfg Config) {
	data, err := os.ReadFile(testenv.Shared(b, benchClip))
	if err != nil {
		b.Fatal(err)
	}
	testenv.Tool(b, "ffmpeg")
	tok, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		tk, err := tok.Tokenize(context.Background(), data)
		if err != nil {
			b.Fatal(err)
		}
		n += tk.NumFrames
	}
	b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "frames/s")
}

func BenchmarkTokenizeQwen2VL(b *testing.B)  { benchTokenize(b, Config{Preset: "qwen2-vl"}) }
func BenchmarkTokenizeVideoMAE(b *testing.B) { benchTokenize(b, Config{Preset: "videomae"}) }
