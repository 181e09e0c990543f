package image_test

import (
	"bytes"
	"context"
	"fmt"
	stdimage "image"
	"image/color"
	"image/png"

	"github.com/tokenfab/tokenfab/image"
)

// gradientPNG encodes a w×h RGB gradient as PNG.
func gradientPNG(w, h int) []byte {
	img := stdimage.NewNRGBA(stdimage.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{R: uint8(255 * x / (w - 1)), G: uint8(255 * y / (h - 1)), B: 128, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// A fixed-size ViT preset: every image becomes 14×14 patches of 768 uint8
// samples (3 channels × 16 × 16).
func ExampleTokenizer_Tokenize() {
	tok, err := image.New(image.Config{Preset: "vit-base-patch16-224"})
	if err != nil {
		panic(err)
	}
	tk, err := tok.Tokenize(context.Background(), gradientPNG(640, 480))
	if err != nil {
		panic(err)
	}
	fmt.Println("grid_thw", tk.GridTHW, "tokens", tk.NumTokens, "patch_dim", tk.PatchDim, "bytes", len(tk.Patches))
	fmt.Println("resized", tk.ImageWidth, "x", tk.ImageHeight, "first samples", tk.Patches[:3])
	// Output:
	// grid_thw [1 14 14] tokens 196 patch_dim 768 bytes 150528
	// resized 224 x 224 first samples [0 1 2]
}

// Qwen2-VL keeps the aspect ratio: the grid follows the image size and
// num_tokens counts LLM tokens after the 2×2 merge.
func ExampleTokenizer_Tokenize_qwen() {
	tok, err := image.New(image.Config{Preset: "qwen2-vl"})
	if err != nil {
		panic(err)
	}
	tk, err := tok.Tokenize(context.Background(), gradientPNG(640, 480))
	if err != nil {
		panic(err)
	}
	fmt.Println("grid_thw", tk.GridTHW, "patches", tk.NumPatches, "tokens", tk.NumTokens, "patch_dim", tk.PatchDim)
	// Output: grid_thw [1 34 46] patches 1564 tokens 391 patch_dim 1176
}
