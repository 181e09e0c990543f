package jpeg

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// TestSamplingGolden: every sampling-factor combination libjpeg accepts
// (h1v2, h2v1, h2v2 fancy; 3:1, 4:1, 1:4 replication; chroma sampled finer
// than luma; mixed per-component ratios; chroma ≤ 2 samples wide where the
// fancy filters switch off; 1×1 images), restart intervals, non-interleaved
// baseline scans, progressive files with restart intervals (Pillow-encoded),
// RGB (Adobe transform 0 and 'R','G','B' ids), CMYK, YCCK
// and grayscale: Decode's bytes must be Pillow's, sha256-equal (tolerance
// 0). Files and goldens: scripts/golden/jpeg_sampling.sh.
func TestSamplingGolden(t *testing.T) {
	dir := filepath.Join(testenv.Root(), "fixtures", "image", "jpeg_sampling")
	b, err := os.ReadFile(filepath.Join(dir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Files []struct {
			File          string
			Mode          string
			Width, Height int
			RawSHA        string `json:"raw_sha256"`
		}
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Files) < 30 {
		t.Fatalf("only %d sampling goldens", len(g.Files))
	}
	for _, rec := range g.Files {
		t.Run(rec.File, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, rec.File))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Decode(data, Options{MaxPixels: -1})
			if err != nil {
				t.Fatal(err)
			}
			if m.Width != rec.Width || m.Height != rec.Height || m.Mode != rec.Mode {
				t.Fatalf("%dx%d %s, Pillow %dx%d %s", m.Width, m.Height, m.Mode, rec.Width, rec.Height, rec.Mode)
			}
			s := sha256.Sum256(m.Pix)
			if got := hex.EncodeToString(s[:]); got != rec.RawSHA {
				t.Errorf("samples differ from Pillow's (sha256 %s, Pillow %s)", got[:12], rec.RawSHA[:12])
			}
		})
	}
}
