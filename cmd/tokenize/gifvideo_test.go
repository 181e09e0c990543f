package main

import (
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tokenfab/tokenfab/internal/testenv"
)

// TestRunGIFAsVideo: --gif-as-video makes the animated fixture GIF a video
// row (video_patches set) and leaves it an image row without the flag.
func TestRunGIFAsVideo(t *testing.T) {
	gif := filepath.Join(testenv.Root(), "fixtures", "video", "anim_80x45.gif")
	for _, c := range []struct {
		args []string
		want string
	}{{[]string{"--gif-as-video"}, "video"}, {nil, "image"}} {
		out := filepath.Join(t.TempDir(), "out")
		if code, _, stderr := tokenize(t, "", append([]string{"run", gif, "-o", out, "-q"}, c.args...)...); code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, stderr)
		}
		r := openArrow(t, filepath.Join(out, "part-00000.arrow"))
		rec, err := r.RecordBatch(0)
		if err != nil {
			t.Fatal(err)
		}
		sc := r.Schema()
		mod := rec.Column(sc.FieldIndices("modality")[0]).(*array.String)
		vp := rec.Column(sc.FieldIndices("video_patches")[0])
		ip := rec.Column(sc.FieldIndices("patches")[0])
		if rec.NumRows() != 1 || mod.Value(0) != c.want || vp.IsNull(0) != (c.want != "video") || ip.IsNull(0) != (c.want == "video") {
			t.Errorf("%v: %d rows, modality %q, video_patches null %v, patches null %v; want a %s row", c.args, rec.NumRows(), mod.Value(0), vp.IsNull(0), ip.IsNull(0), c.want)
		}
	}
}
