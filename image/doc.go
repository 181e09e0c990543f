// Package image turns encoded images into patch tokens (ViT, CLIP/SigLIP,
// Qwen2-VL-style dynamic grids) that match the Hugging Face image processors.
//
// Not built yet: see the image issue. The pipeline reaches it through
// pipeline.Modality.
package image
