package pipeline

import "context"

// Modality is the one interface through which every modality plugs into the
// pipeline. Implementations wrap a modality package's tokenizer (text, image,
// audio, video); those packages know nothing about the pipeline, so the
// adapters live here and the imports point one way.
//
// Tokenize is called concurrently from many workers and must be safe for
// concurrent use. It returns a per-segment error for bad input; the pipeline
// keeps the row with the error and goes on.
type Modality interface {
	// Name is the modality column value: "text", "image", "audio" or "video".
	Name() string
	// Tokenize turns one segment's raw bytes (UTF-8 text, an encoded image,
	// an audio or video file) into the row's token columns. An error that is
	// a *RowError keeps its kind; any other becomes kind "tokenize". A panic
	// is recovered into an "internal" row error.
	Tokenize(ctx context.Context, data []byte) (Payload, error)
	// Describe returns what goes into the `tokenfab` schema metadata for this
	// modality: tokenizer name, vocabulary sha256 and options. It must be
	// deterministic (same config, same value).
	Describe() map[string]any
}

// Payload is the token columns of one output row. Only the fields of the
// producing modality are set; the others stay zero and are written as null.
// Columns exist for NumTokens, InputIDs, and, when an image tokenizer is
// registered (NewImage), the patches and grid_thw of images, and when an
// audio tokenizer is (NewAudio), mel (plus grid_thw for AST), and when a
// video tokenizer is (NewVideo), video_patches, grid_thw and timestamps.
type Payload struct {
	// Warning notes something wrong with an input that still tokenized
	// (column warning, null when ""): e.g. a truncated WAV, decoded up to
	// where the file ends. The summary counts these rows.
	Warning string
	// NumTokens is the number of tokens the segment costs: len(InputIDs) for
	// text, patches (after merging) for images and video, frames for audio.
	// It must fit int32 (column num_tokens); larger is a too_large row.
	NumTokens int
	// InputIDs are text token ids, or image/audio codebook (palette)
	// indices (column input_ids, list<int32>). nil
	// writes null (the modality has no ids); a non-nil empty slice writes
	// an empty list (an empty text).
	InputIDs []int32
	// Patches are image patch rows of PatchDim uint8 samples each, row-major:
	// [NumPatches*PatchDim]uint8 (column patches,
	// list<fixed_size_list<uint8, PatchDim>>, the default patch dtype).
	// PatchValues is the same layout in float32 (normalized pixel values)
	// for a job whose patch dtype is float32. A row sets at most one of
	// them, the one matching the job's column type.
	Patches     []uint8
	PatchValues []float32
	PatchDim    int
	// GridTHW is the patch grid (temporal, height, width) in patches;
	// valid when HasGrid (column grid_thw, fixed_size_list<int32, 3>).
	GridTHW [3]int32
	HasGrid bool
	// Mel is log-mel frames of NMels float32 values each, frame-major:
	// [NFrames*NMels] (column mel, list<fixed_size_list<float32, NMels>>);
	// nil writes null, an empty slice an empty list.
	Mel   []float32
	NMels int
	// VideoPatches are video patch rows of VideoPatchDim uint8 samples
	// each, row-major: [NumPatches*VideoPatchDim]uint8 in video.Tokens
	// layout (column video_patches, list<fixed_size_list<uint8,
	// VideoPatchDim>>); VideoPatchValues the same in float32 for a job
	// whose patch dtype is float32. They are separate from Patches so that
	// the image and the video preset can have different patch widths in
	// one job (768 for the default image preset, 1176 for qwen2-vl video).
	VideoPatches     []uint8
	VideoPatchValues []float32
	VideoPatchDim    int
	// Timestamps are the sampled frames' presentation times in seconds,
	// pts·time_base as the file stores them, one per sampled frame (column
	// timestamps, list<float64>); nil writes null.
	Timestamps []float64
}
