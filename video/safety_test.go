package video

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// TestUnsafeInputs: playlists and lists that would make ffmpeg open
// another local file or a URL are refused by sniffing, before any process
// starts; unknown bytes are ErrUnsupportedFormat.
func TestUnsafeInputs(t *testing.T) {
	local := fixture("vfr_160x90.mp4")
	cases := map[string]string{
		"hls local":      "#EXTM3U\n#EXT-X-TARGETDURATION:5\n#EXTINF:5.0,\n" + local + "\n#EXT-X-ENDLIST\n",
		"hls url":        "#EXTM3U\n#EXTINF:5.0,\nhttp://127.0.0.1:1/x.ts\n",
		"hls bom+spaces": "\xEF\xBB\xBF  \n#EXTM3U\n" + local + "\n",
		"ffconcat":       "ffconcat version 1.0\nfile '" + local + "'\n",
		"concat list":    "file '" + local + "'\nfile '/etc/passwd'\n",
		"sdp":            "v=0\no=- 0 0 IN IP4 127.0.0.1\nm=video 5004 RTP/AVP 96\n",
		"dash":           "<?xml version=\"1.0\"?><MPD><BaseURL>file:///etc/passwd</BaseURL></MPD>",
		"text url":       "some header line\nhttp://example.invalid/video.mp4\n",
	}
	tok, _ := New(Config{FFmpeg: "/nonexistent/ffmpeg", FFprobe: "/nonexistent/ffprobe"}) // no process may start
	for name, c := range cases {
		if _, err := tok.Tokenize(context.Background(), []byte(c)); !errors.Is(err, ErrUnsafeInput) {
			t.Errorf("%s: %v, want ErrUnsafeInput", name, err)
		}
		if _, err := tok.AudioWAV(context.Background(), []byte(c)); !errors.Is(err, ErrUnsafeInput) {
			t.Errorf("%s (audio): %v, want ErrUnsafeInput", name, err)
		}
	}
	for _, b := range [][]byte{nil, []byte("hello"), bytes.Repeat([]byte{0}, 100)} {
		if _, err := tok.Tokenize(context.Background(), b); !errors.Is(err, ErrUnsupportedFormat) {
			t.Errorf("%q: %v, want ErrUnsupportedFormat", b, err)
		}
	}
}

// TestWhitelistsBehindSniffing: even a playlist that reached ffprobe or
// ffmpeg (bypassing sniff) cannot open the file it names: the demuxer
// whitelist refuses hls/concat, so the probe fails instead of reading the
// referenced clip.
func TestWhitelistsBehindSniffing(t *testing.T) {
	ffmpeg, ffprobe := testenv.Tool(t, "ffmpeg"), testenv.Tool(t, "ffprobe")
	dir := t.TempDir()
	local := fixture("vfr_160x90.mp4")
	for name, c := range map[string]string{
		"x.m3u8":   "#EXTM3U\n#EXT-X-TARGETDURATION:5\n#EXTINF:5.0,\n" + local + "\n#EXT-X-ENDLIST\n",
		"x.ffcat":  "ffconcat version 1.0\nfile '" + local + "'\n",
		"x.concat": "file '" + local + "'\n",
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(c), 0o600)
		if pr, err := runProbe(context.Background(), ffprobe, p, 1000); err == nil {
			t.Errorf("%s: ffprobe read it: %d frames", name, len(pr.PTS))
		}
		fake := &probe{StoredW: 160, StoredH: 90, TimeBase: [2]int64{1, 30000}}
		if fr, err := decodeFrames(context.Background(), ffmpeg, p, fake, []int64{0}, 0, 1<<30); err == nil && len(fr) > 0 {
			t.Errorf("%s: ffmpeg decoded %d frames through the playlist", name, len(fr))
		}
	}
}

// TestLimits: each limit refuses with its sentinel; temp files are gone
// after every call, failed or not; a timeout kills ffmpeg.
func TestLimits(t *testing.T) {
	testenv.Tool(t, "ffmpeg")
	data, _ := os.ReadFile(fixture("vfr_160x90.mp4"))
	tmp := t.TempDir()
	cases := []struct {
		cfg  Config
		want error
	}{
		{Config{MaxBytes: 1000}, ErrTooLarge},
		{Config{MaxDurationSeconds: 2}, ErrTooLong},
		{Config{MaxSourceFrames: 50}, ErrTooLong},
		{Config{Sampling: SampleAll, MaxSampledFrames: 20}, ErrTooLong},
		{Config{Sampling: SampleAll, MaxDecodedBytes: 100_000}, ErrTooLarge},
		{Config{Start: 10, End: 11}, ErrNoFrames},
		{Config{Preset: "vivit", Start: 4}, ErrNoFrames}, // 7 frames in [4 s, end): 32 uniform frames impossible (HF raises too)
		{Config{Timeout: time.Nanosecond}, context.DeadlineExceeded},
	}
	for _, c := range cases {
		c.cfg.TempDir = tmp
		tok, err := New(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tok.Tokenize(context.Background(), data)
		if !errors.Is(err, c.want) {
			t.Errorf("%+v: %v, want %v", c.cfg, err, c.want)
		}
	}
	tok, _ := New(Config{TempDir: tmp})
	if _, err := tok.Tokenize(context.Background(), data); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tok.Tokenize(ctx, data); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Fatalf("temp files left: %v", ents)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{{Preset: "nope"}, {Sampling: "nope"}, {Start: 2, End: 1}, {NumFrames: -1}, {GIF: "x"},
		{Sampling: SampleFPS, FPS: -1}, {PatchDType: "int8"}} {
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

// TestConcurrentTokenize: one Tokenizer, many goroutines, same result.
func TestConcurrentTokenize(t *testing.T) {
	testenv.Tool(t, "ffmpeg")
	tok, _ := New(Config{Preset: "videomae"})
	data, _ := os.ReadFile(fixture("vfr_160x90.mp4"))
	first, err := tok.Tokenize(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk, err := tok.Tokenize(context.Background(), data)
			if err == nil && !bytes.Equal(tk.Patches, first.Patches) {
				err = errors.New("different patches")
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if first.NumTokens != 1568 || first.GridTHW != [3]int32{8, 14, 14} || first.PatchDim != 3*2*16*16 {
		t.Fatalf("videomae: %d tokens grid %v dim %d", first.NumTokens, first.GridTHW, first.PatchDim)
	}
}

// TestTokenCounts: ViViT 32 frames → 16×14×14 = 3136 tokens; Qwen with an
// odd frame count pads by repeating the last frame (both temporal slots of
// the last group hold the same frame).
func TestTokenCounts(t *testing.T) {
	testenv.Tool(t, "ffmpeg")
	tk := tokenizeFile(t, Config{Preset: "vivit"}, fixture("audio_first_160x120.mp4"))
	if tk.NumTokens != 3136 || tk.GridTHW != [3]int32{16, 14, 14} || tk.NumFrames != 32 {
		t.Fatalf("vivit: %d tokens %v", tk.NumTokens, tk.GridTHW)
	}
	tk = tokenizeFile(t, Config{Preset: "qwen2-vl", Sampling: SampleUniform, NumFrames: 5}, fixture("audio_first_160x120.mp4"))
	if tk.NumFrames != 5 || tk.PaddedFrames != 1 || tk.GridTHW[0] != 3 {
		t.Fatalf("qwen odd: %d frames padded %d grid %v", tk.NumFrames, tk.PaddedFrames, tk.GridTHW)
	}
	per := int(tk.GridTHW[1] * tk.GridTHW[2])
	pp := 14 * 14
	for row := 2 * per; row < 3*per; row++ {
		r := tk.Patches[row*tk.PatchDim : (row+1)*tk.PatchDim]
		for c := 0; c < 3; c++ {
			if !bytes.Equal(r[(c*2)*pp:(c*2+1)*pp], r[(c*2+1)*pp:(c*2+2)*pp]) {
				t.Fatalf("row %d channel %d: padded slot differs from the last frame", row, c)
			}
		}
	}
	if tk.NumTokens != 3*per/4 {
		t.Fatalf("qwen tokens %d", tk.NumTokens)
	}
}

// TestToolErrorIsDeterministic: ffmpeg's stderr in an error row carries no
// heap address or temp name, and is one line, so reruns are byte-identical.
func TestToolErrorIsDeterministic(t *testing.T) {
	in := "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x558599e1e2c0] moov atom not found\n" +
		"file:/tmp/tokenfab-video-123456789: Invalid data found when processing input\n"
	got := cleanToolOutput(in)
	want := "[mov,mp4,m4a,3gp,3g2,mj2] moov atom not found INPUT: Invalid data found when processing input"
	if got != want {
		t.Fatalf("cleanToolOutput = %q, want %q", got, want)
	}
}
