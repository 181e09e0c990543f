package video

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tokenfab/tokenfab/audio"
	"github.com/tokenfab/tokenfab/internal/testenv"
)

// TestAudio: the --video-audio path equals audio.Tokenize on the WAV that
// plain ffmpeg extracts to a (seekable) file, bit for bit (same decoder,
// same float samples; only the WAV header's size fields differ), for the
// whole clip and for a window; a clip without audio gives ErrNoFrames.
func TestAudio(t *testing.T) {
	ff := testenv.Tool(t, "ffmpeg")
	at, err := audio.New(audio.Config{Preset: audio.PresetWhisper80})
	if err != nil {
		t.Fatal(err)
	}
	path := fixture("audio_first_160x120.mp4")
	data, _ := os.ReadFile(path)
	for _, w := range [][2]float64{{0, 0}, {0.5, 1.0}} {
		vt, err := New(Config{Preset: "vit-base-patch16-224", Start: w[0], End: w[1]})
		if err != nil {
			t.Fatal(err)
		}
		got, err := vt.Audio(context.Background(), data, at)
		if err != nil {
			t.Fatal(err)
		}
		ref := filepath.Join(t.TempDir(), "ref.wav")
		args := []string{"-nostdin", "-v", "error"}
		if w[0] > 0 {
			args = append(args, "-ss", "0.5")
		}
		args = append(args, "-i", path)
		if w[1] > 0 {
			args = append(args, "-t", "0.5")
		}
		args = append(args, "-map", "0:a:0", "-c:a", "pcm_f32le", ref)
		if out, err := exec.Command(ff, args...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		rb, _ := os.ReadFile(ref)
		want, err := at.Tokenize(context.Background(), rb)
		if err != nil {
			t.Fatal(err)
		}
		if got.SourceRate != want.SourceRate || len(got.Mel) != len(want.Mel) || got.DurationSeconds != want.DurationSeconds {
			t.Fatalf("window %v: rate %d dur %v, want %d %v", w, got.SourceRate, got.DurationSeconds, want.SourceRate, want.DurationSeconds)
		}
		for i := range got.Mel {
			if got.Mel[i] != want.Mel[i] {
				t.Fatalf("window %v: mel[%d] %v != %v", w, i, got.Mel[i], want.Mel[i])
			}
		}
		if w[1] > 0 && (got.DurationSeconds < 0.49 || got.DurationSeconds > 0.51) {
			t.Fatalf("window audio lasts %v s", got.DurationSeconds)
		}
	}
	vt, _ := New(Config{})
	noAudio, _ := os.ReadFile(fixture("vfr_160x90.mp4"))
	if _, err := vt.Audio(context.Background(), noAudio, at); !errors.Is(err, ErrNoFrames) {
		t.Fatalf("no audio stream: %v", err)
	}
}
