package audio

import (
	"bytes"
	"encoding/binary"
	"math"
	"os/exec"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// ffmpegF32 decodes path with the ffmpeg CLI to interleaved float32, keeping
// channels and rate (the reference for every decoder test).
func ffmpegF32(t testing.TB, path string, extra ...string) []float32 {
	t.Helper()
	ff := testenv.Tool(t, "ffmpeg")
	args := append([]string{"-nostdin", "-v", "error", "-i", path}, extra...)
	args = append(args, "-f", "f32le", "-")
	var out, errb bytes.Buffer
	cmd := exec.Command(ff, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg %s: %v: %s", path, err, errb.String())
	}
	return bytesToF32(out.Bytes())
}

func bytesToF32(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// maxAbsDiff returns max |a-b| and its index; lengths must match.
func maxAbsDiff(a, b []float32) (float64, int) {
	m, at := 0.0, -1
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if d > m || math.IsNaN(d) {
			m, at = d, i
		}
	}
	return m, at
}
