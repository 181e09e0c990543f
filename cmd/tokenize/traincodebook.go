package main

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/tokenfab/tokenfab/audio"
	"github.com/tokenfab/tokenfab/codebook"
	"github.com/tokenfab/tokenfab/image"
)

// newTrainCodebookCmd is `tokenize train-codebook`: package codebook on
// image patches or audio mel frames.
func newTrainCodebookCmd() *cobra.Command {
	var (
		modality, preset, out string
		k, maxIter, workers   int
		sample                int
		seed                  uint64
	)
	c := &cobra.Command{
		Use:   "train-codebook --modality image|audio --k K -o FILE INPUT...",
		Short: "Learn a k-means codebook of image patches or audio mel frames (.npy)",
		Long: `train-codebook tokenizes INPUT files (directories are walked, files sorted)
with --preset and learns K centres by k-means: image vectors are the uint8
patches of the image preset as float32 (3·T·P² values); audio vectors are
the mel frames of the audio preset (NMels values). At most --sample vectors
are kept (reservoir sampling, seeded by --seed, inputs in order). Seeding
is k-means++ and Lloyd iterations run in parallel; the result depends only
on the inputs, --k, --sample, --max-iter and --seed, not on --workers.

FILE is a NumPy .npy, float32 little-endian, shape (K, D): np.load(FILE).
FILE.json records modality, preset, K, D, seed, the vector counts and the
objective per iteration. Assignment (tokenize run --codebook FILE for
image rows' input_ids, --audio-codebook FILE for audio rows', one per mel
frame): the nearest centre by Σ(x−c)² in float32, lowest index on ties
(docs/image.md, docs/audio.md).`,
		Example: `  tokenize train-codebook --modality image --preset vit-base-patch16-224 --k 1024 photos/ -o patches.npy
  tokenize train-codebook --modality audio --preset whisper-80 --k 256 speech/ -o mel.npy`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("-o FILE is required")
			}
			if k <= 0 || sample < k {
				return usagef("--k %d and --sample %d: want 0 < k <= sample", k, sample)
			}
			var tokenize func(data []byte) ([]float32, int, error)
			switch modality {
			case "image":
				if preset == "" {
					preset = "vit-base-patch16-224"
				}
				t, err := image.New(image.Config{Preset: preset})
				if err != nil {
					return usageError{err}
				}
				tokenize = func(data []byte) ([]float32, int, error) {
					tk, err := t.Tokenize(cmd.Context(), data)
					if err != nil {
						return nil, 0, err
					}
					v := make([]float32, len(tk.Patches))
					for i, x := range tk.Patches {
						v[i] = float32(x)
					}
					return v, tk.PatchDim, nil
				}
			case "audio":
				if preset == "" {
					preset = audio.PresetWhisper80
				}
				t, err := audio.New(audio.Config{Preset: preset})
				if err != nil {
					return usageError{err}
				}
				tokenize = func(data []byte) ([]float32, int, error) {
					tk, err := t.Tokenize(cmd.Context(), data)
					if err != nil {
						return nil, 0, err
					}
					return tk.Mel, tk.NMels, nil
				}
			default:
				return usagef("--modality %q: want image or audio", modality)
			}
			var files []string
			for _, a := range args {
				st, err := os.Stat(a)
				if err != nil {
					return usagef("input: %v", err)
				}
				if !st.IsDir() {
					files = append(files, a)
					continue
				}
				var sub []string
				err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
					if err == nil && d.Type().IsRegular() {
						sub = append(sub, p)
					}
					return err
				})
				if err != nil {
					return err
				}
				slices.Sort(sub)
				files = append(files, sub...)
			}
			rng := rand.New(rand.NewPCG(seed, 0x636f6465626f6f6b))
			var res []float32 // reservoir, sample vectors of dim
			dim, seen, failed := 0, 0, 0
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					return err
				}
				v, d, err := tokenize(data)
				if err != nil {
					if cmd.Context().Err() != nil {
						return cmd.Context().Err()
					}
					failed++
					fmt.Fprintf(cmd.ErrOrStderr(), "train-codebook: %s: %v (skipped)\n", f, err)
					continue
				}
				if dim == 0 {
					dim = d
				}
				for i := 0; i+d <= len(v); i += d {
					if seen < sample {
						res = append(res, v[i:i+d]...)
					} else if j := rng.IntN(seen + 1); j < sample {
						copy(res[j*d:(j+1)*d], v[i:i+d])
					}
					seen++
				}
			}
			n := 0
			if dim > 0 {
				n = len(res) / dim
			}
			if n < k {
				return fmt.Errorf("%d vectors from %d files (%d failed): fewer than --k %d", n, len(files), failed, k)
			}
			cb, st, err := codebook.Train(cmd.Context(), res, dim, codebook.Options{K: k, MaxIter: maxIter, Seed: seed, Workers: workers})
			if err != nil {
				return err
			}
			if err := writeAtomic(out, cb.WriteNPY); err != nil {
				return err
			}
			meta := map[string]any{
				"format": "npy float32 little-endian, shape (k, dim), centre-major", "modality": modality, "preset": preset,
				"k": k, "dim": dim, "seed": seed, "max_iter": maxIter, "files": len(files), "failed_files": failed,
				"vectors_seen": seen, "vectors_used": n, "iterations": st.Iterations, "converged": st.Converged,
				"objective": st.Objective,
				"distance":  "sum_i (x_i - c_i)^2 in float32, i ascending, lowest index on ties",
			}
			if modality == "image" {
				meta["vector"] = "uint8 patch samples as float32, image.Tokens.Patches layout"
			} else {
				meta["vector"] = "one mel frame (audio.Tokens.Mel row)"
			}
			if err := writeAtomic(out+".json", func(w io.Writer) error {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(meta)
			}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "train-codebook: %d centres of %d from %d vectors (%d seen); %d iterations, objective %.6g\n",
				k, dim, n, seen, st.Iterations, st.Objective[len(st.Objective)-1])
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&modality, "modality", "image", "image (patches of --preset) or audio (mel frames of --preset)")
	f.StringVar(&preset, "preset", "", "image or audio preset (default vit-base-patch16-224 / whisper-80)")
	f.IntVar(&k, "k", 0, "number of centres (required)")
	f.IntVar(&sample, "sample", 100000, "at most this many vectors (reservoir sample)")
	f.IntVar(&maxIter, "max-iter", 50, "Lloyd iterations at most")
	f.Uint64Var(&seed, "seed", 0, "seed of the sampling and the k-means++ seeding")
	f.IntVar(&workers, "workers", 0, "goroutines (default GOMAXPROCS); does not change the result")
	f.StringVarP(&out, "output", "o", "", "output .npy file (required); FILE.json gets the metadata")
	return c
}
