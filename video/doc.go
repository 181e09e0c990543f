// Package video turns video files into frame tokens: it probes the file
// with ffprobe (true per-frame pts, rotation), samples frames with the
// policy of the model family (HF Qwen2-VL, qwen-vl-utils, LLaVA-Video,
// uniform, fps on true timestamps), decodes only those frames with ffmpeg,
// and tokenizes them through package image (same PIL-exact resize,
// normalize and patchify as images; Qwen temporal patches, VideoMAE/ViViT
// tubelets, per-frame ViT/SigLIP). Animated GIFs and frame-image
// directories work without ffmpeg. Audio tracks go to package audio
// (Tokenizer.Audio). See docs/video.md.
//
// The pipeline reaches it through pipeline.Modality.
package video
