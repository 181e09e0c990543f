package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/tokenfab/tokenfab/audio"
	"github.com/tokenfab/tokenfab/codebook"
	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/pipeline"
	"github.com/tokenfab/tokenfab/text"
)

// textFlags are the tokenizer flags shared by `run` and `text`.
type textFlags struct {
	fl                 *pflag.FlagSet // to tell which flags were given
	tokenizerJSON      string
	encoding, pattern  string
	allowSpecial       []string
	specialTokens      map[string]int64
	eos, bos           bool
	eosToken, bosToken string
}

// register adds the flags to fl; withDocFlags adds the per-document
// BOS/EOS ones.
func (f *textFlags) register(fl *pflag.FlagSet, withDocFlags bool) {
	f.fl = fl
	fl.StringVar(&f.tokenizerJSON, "tokenizer", "", "Hugging Face tokenizer.json (BPE; gzip ok) to use instead of --encoding; its own added tokens and post-processor (BOS/EOS template) apply")
	fl.StringVar(&f.encoding, "encoding", "o200k_base",
		"text encoding: "+strings.Join(text.Encodings(), "|")+", or the path of a .tiktoken rank file")
	fl.StringVar(&f.pattern, "pattern", "", `pre-tokenizer for a .tiktoken file: gpt2|cl100k|o200k|llama3|qwen2 (embedded encodings use their own)`)
	fl.StringSliceVar(&f.allowSpecial, "allow-special", nil, `special tokens to encode as their ids when they appear in text, comma-separated, or "all" (default: none, special-token text is ordinary text)`)
	fl.StringToInt64Var(&f.specialTokens, "special-token", nil, "extra special token NAME=ID (repeatable; for .tiktoken files)")
	if withDocFlags {
		fl.BoolVar(&f.eos, "eos", false, "append the EOS token to every document")
		fl.BoolVar(&f.bos, "bos", false, "prepend the BOS token to every document (needs --bos-token: OpenAI encodings have none)")
		fl.StringVar(&f.eosToken, "eos-token", "", `EOS special token (default "<|endoftext|>"; with --tokenizer required, one of its added tokens, appended after its post-processor)`)
		fl.StringVar(&f.bosToken, "bos-token", "", "BOS special token")
	}
}

// hfExclusive are the flags a tokenizer.json replaces: the file defines its
// pre-tokenizer, special tokens and BOS/EOS template itself.
// --eos (with --eos-token naming one of its added tokens) may be added:
// packing needs a separator the post-processor seldom gives.
var hfExclusive = []string{"encoding", "pattern", "allow-special", "special-token", "bos", "bos-token"}

func (f *textFlags) tokenizer() (*text.Tokenizer, error) {
	if f.tokenizerJSON != "" {
		for _, name := range hfExclusive {
			if f.fl != nil && f.fl.Changed(name) {
				return nil, usagef("--%s does not apply with --tokenizer: the tokenizer.json defines its pre-tokenizer, special tokens and BOS/EOS template (only --eos --eos-token NAME may be added)", name)
			}
		}
		if f.eos && f.eosToken == "" {
			return nil, usagef("--eos with --tokenizer needs --eos-token NAME, one of the tokenizer.json's added tokens (e.g. <|end_of_text|> for Llama 3, <|endoftext|> for Qwen, </s> for Mistral); --pack turns on --eos")
		}
		if f.eosToken != "" && !f.eos {
			return nil, usagef("--eos-token %s does nothing without --eos (or --pack)", f.eosToken)
		}
		t, err := text.New(text.Config{TokenizerJSON: f.tokenizerJSON, AddEOS: f.eos, EOS: f.eosToken})
		if err != nil {
			var se *text.SpecialTokenError
			if errors.As(err, &se) {
				return nil, usagef("--eos-token %q is not a special token of %s (it has: %s)", se.Token, f.tokenizerJSON, strings.Join(se.Known, " "))
			}
			return nil, usagef("--tokenizer %s: %v", f.tokenizerJSON, err)
		}
		return t, nil
	}
	cfg := text.Config{Encoding: f.encoding, Pattern: f.pattern, AllowedSpecial: f.allowSpecial,
		AddBOS: f.bos, AddEOS: f.eos, BOS: f.bosToken, EOS: f.eosToken}
	if len(f.specialTokens) > 0 {
		cfg.SpecialTokens = map[string]int32{}
		for k, v := range f.specialTokens {
			if v < 0 || v > 1<<31-1 {
				return nil, usagef("--special-token %s=%d: the id must be >= 0 and at most %d (int32)", k, v, int32(math.MaxInt32))
			}
			cfg.SpecialTokens[k] = int32(v)
		}
	}
	t, err := text.New(cfg)
	if err != nil {
		return nil, f.explain(err)
	}
	return t, nil
}

// explain says a text.New error in terms of the command's flags.
func (f *textFlags) explain(err error) error {
	var se *text.SpecialTokenError
	switch {
	case errors.Is(err, text.ErrNoBOS):
		return usagef("--bos needs a BOS token: pass --bos-token NAME (%s has none by default)", f.encoding)
	case errors.Is(err, text.ErrNoPattern):
		return usagef("--pattern is required for a .tiktoken file (%s is no known encoding): one of %s", f.encoding, strings.Join(text.Patterns, ", "))
	case errors.Is(err, text.ErrUnknownPattern):
		return usagef("--pattern %q: want one of %s", f.pattern, strings.Join(text.Patterns, ", "))
	case errors.As(err, &se):
		flag, given := map[string]string{"BOS": "--bos-token", "EOS": "--eos-token", "allowed special": "--allow-special"}[se.Role], ""
		if se.Role == "EOS" && f.eosToken == "" {
			given = " (the default of --eos)"
		}
		known := "none"
		if len(se.Known) > 0 {
			known = strings.Join(se.Known, " ")
		}
		return usagef("%s %q%s is not a special token of %s (it has: %s); pick one of those, or add it with --special-token NAME=ID%s", flag, se.Token, given, se.Encoding, known, trainedSpecials(f.encoding))
	}
	return usagef("%v", err) // the text package's message, prefixed "text:"
}

// imageFlags configure the image tokenizer of `run`.
type imageFlags struct {
	preset, dtype, background string
	noEXIF                    bool
	maxPixels                 int
	maxImagePixels            int64
	codebook, palette         string
}

// defaultImagePreset is the smallest rows: every image becomes 14×14
// patches of 768 uint8 samples (147 KiB) whatever its size, so memory per
// row is small and bounded. The Qwen presets keep the aspect and size (up
// to 12.8 Mpx: ~77 MB of uint8 patches per row), so they are opt-in.
const defaultImagePreset = "vit-base-patch16-224"

// patchDTypes are the --patch-dtype values: what New gets, or why not.
var patchDTypes = map[string]string{
	"uint8":    "",
	"float32":  "",
	"float16":  "",
	"bfloat16": "",
}

// backgrounds are the named --image-background colours.
var backgrounds = map[string]*[3]uint8{"none": nil, "white": {255, 255, 255}, "black": {0, 0, 0}}

func (f *imageFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.preset, "image-preset", defaultImagePreset,
		"image preset: "+strings.Join(image.Presets(), "|")+" (the default gives the smallest, fixed-size rows)")
	fl.StringVar(&f.dtype, "patch-dtype", "uint8", "image patches column: uint8 (resized RGB samples, lossless; normalize with the metadata's mean/std), float32 (normalized pixel values), float16 or bfloat16 (normalized, rounded to nearest even; bfloat16 stored as uint16 bits). Video patches are uint8 or float32 only: with float16/bfloat16 the video_patches column is float32")
	fl.StringVar(&f.codebook, "codebook", "", "patch k-means codebook (.npy or JSON, from tokenize train-codebook): image rows also get input_ids, the nearest centre of each patch")
	fl.StringVar(&f.palette, "palette", "", "ImageGPT colour clusters for --image-preset igpt (.npy, or the checkpoint's preprocessor_config.json): image rows get input_ids, one per pixel")
	fl.StringVar(&f.background, "image-background", "none", `what transparent pixels become: none (PIL convert("RGB"): alpha dropped, hidden colour kept), hf (transformers processor(load_image(path)): alpha dropped, a PNG tRNS / GIF transparent colour turns white), or a colour to composite onto: white, black or R,G,B`)
	fl.BoolVar(&f.noEXIF, "no-exif", false, "do not apply the EXIF orientation of images")
	fl.IntVar(&f.maxPixels, "max-pixels", 0, "pixel budget of the resized image for presets that have one (qwen2-vl, qwen2.5-vl; default: the preset's)")
	fl.Int64Var(&f.maxImagePixels, "max-image-pixels", image.DefaultMaxPixels, "larger images (by their header) become too_large rows before decoding, a guard against decompression bombs (default PIL's limit); -1: no limit")
}

func (f *imageFlags) tokenizer() (*image.Tokenizer, error) {
	if why, ok := patchDTypes[f.dtype]; !ok || why != "" {
		if why == "" {
			why = "use uint8, float32, float16 or bfloat16"
		}
		return nil, usagef("--patch-dtype %s: %s", f.dtype, why)
	}
	bg, ok := backgrounds[f.background]
	hfBG := f.background == "hf"
	if !ok && !hfBG {
		var c [3]uint8
		parts := strings.Split(f.background, ",")
		for i := 0; len(parts) == 3 && i < 3; i++ {
			v, err := strconv.ParseUint(strings.TrimSpace(parts[i]), 10, 8)
			if err != nil {
				break
			}
			c[i], ok = uint8(v), i == 2
		}
		if !ok {
			return nil, usagef("--image-background %q: want none, white, black or R,G,B (0-255 each), or hf", f.background)
		}
		bg = &c
	}
	if f.maxImagePixels == 0 || f.maxImagePixels < -1 {
		return nil, usagef("--max-image-pixels %d: want a positive pixel count, or -1 for no limit", f.maxImagePixels)
	}
	if f.maxPixels < 0 {
		return nil, usagef("--max-pixels %d: want a positive pixel count", f.maxPixels)
	}
	cfg := image.Config{Preset: f.preset, PatchDType: f.dtype, Background: bg, HFTransparency: hfBG, DisableEXIF: f.noEXIF, MaxPixels: f.maxPixels,
		MaxImagePixels: f.maxImagePixels}
	if f.codebook != "" && f.palette != "" {
		return nil, usagef("--codebook and --palette both give image input_ids; pass one")
	}
	if f.codebook != "" {
		cb, err := codebook.Load(f.codebook)
		if err != nil {
			return nil, usagef("--codebook %s: %v", f.codebook, err)
		}
		cfg.Codebook = cb
	}
	if f.palette != "" {
		pal, err := image.LoadPalette(f.palette)
		if err != nil {
			return nil, usagef("--palette: %v", err)
		}
		cfg.Palette = pal
	} else if f.preset == "igpt" {
		return nil, usagef("--image-preset igpt needs --palette PATH: the checkpoint's colour clusters (openai/imagegpt-*: preprocessor_config.json or a (512, 3) .npy)")
	}
	t, err := image.New(cfg)
	if err != nil {
		if cfg.Codebook != nil && errors.Is(err, image.ErrConfig) && strings.Contains(err.Error(), "Codebook has Dim") {
			return nil, usagef("--codebook %s: %v (an audio mel-frame codebook goes to --audio-codebook)", f.codebook, err)
		}
		return nil, usagef("%v", err) // the image package says "image: ..."
	}
	if f.maxPixels > 0 && t.Describe()["mode"] != image.ModeSmart {
		return nil, usagef("--max-pixels: preset %s resizes to a fixed size and has no pixel budget (only the qwen presets do)", f.preset)
	}
	return t, nil
}

// audioFlags configure the audio tokenizer of `run`.
type audioFlags struct {
	fl                *pflag.FlagSet // to tell which flags were given
	preset, longAudio string
	decoder           string
	sampleRate, nMels int
	maxDuration       time.Duration
	codebook          string
}

// defaultAudioPreset is Whisper's 80-mel front end: the features of every
// Whisper checkpoint but large-v3, equal to HF WhisperFeatureExtractor
// (within 5e-5), at a fixed 100 frames/s (960 KB per 30-s chunk), so row
// size follows duration only. whisper-128 (large-v3) is 1.6× larger; ast
// and log-mel serve other models.
const defaultAudioPreset = audio.PresetWhisper80

// defaultMaxDuration keeps a row under the 256 MiB record batch limit for
// every preset (1 h of whisper-128 is 120 chunks, 184 MB) and stops a
// mislabelled multi-hour file before it is tokenized only to be refused.
const defaultMaxDuration = time.Hour

// audioPresets are the --audio-preset values.
var audioPresets = []string{audio.PresetWhisper80, audio.PresetWhisper128, audio.PresetAST, audio.PresetLogMel}

func (f *audioFlags) register(fl *pflag.FlagSet) {
	f.fl = fl
	fl.StringVar(&f.preset, "audio-preset", defaultAudioPreset,
		"audio preset: "+strings.Join(audioPresets, "|")+" (whisper-80: Whisper's log-mel, 80 mels, 30-s chunks of 3000 frames)")
	fl.StringVar(&f.longAudio, "long-audio", "chunk", "whisper presets, audio over 30 s: chunk (every 30-s chunk, one row) or truncate (the first 30 s, HF's default)")
	fl.IntVar(&f.sampleRate, "sample-rate", 0, "log-mel preset: resample to this rate in Hz (default 22050; whisper and ast are fixed at 16000)")
	fl.IntVar(&f.nMels, "n-mels", 0, "log-mel preset: mel bands (default 128; whisper-80/128 and ast fix theirs)")
	fl.StringVar(&f.decoder, "audio-decoder", "builtin", "audio decoder: builtin (WAV, FLAC, MP3, Ogg Vorbis in Go; other formats through ffmpeg) or ffmpeg (every file through ffmpeg to float32, "+
		"as the reference loaders decode; MP3 then matches WhisperFeatureExtractor within 5e-5; needs ffmpeg on PATH)")
	fl.DurationVar(&f.maxDuration, "max-duration", defaultMaxDuration, "longer audio becomes a too_large row (e.g. 30m, 2h)")
	fl.StringVar(&f.codebook, "audio-codebook", "", "mel-frame k-means codebook (.npy or JSON, from tokenize train-codebook --modality audio with the same preset; n_mels values per centre): audio rows also get input_ids, the nearest centre of each mel frame")
}

func (f *audioFlags) tokenizer() (*audio.Tokenizer, error) {
	if !slices.Contains(audioPresets, f.preset) {
		return nil, usagef("--audio-preset %q: want %s", f.preset, strings.Join(audioPresets, ", "))
	}
	// Given is what counts (not the value): --n-mels 0 with whisper is
	// refused as --sample-rate -1 is, not silently ignored.
	changed := func(name string) bool { return f.fl != nil && f.fl.Changed(name) }
	for _, c := range []struct {
		name string
		v    int
	}{{"sample-rate", f.sampleRate}, {"n-mels", f.nMels}} {
		if !changed(c.name) && c.v == 0 {
			continue
		}
		if f.preset != audio.PresetLogMel {
			return nil, usagef("--%s configures the log-mel preset only; %s fixes 16000 Hz and its mel bands (leave --%s out, or use --audio-preset log-mel)", c.name, f.preset, c.name)
		}
		if c.v <= 0 {
			return nil, usagef("--%s %d: want a positive number", c.name, c.v)
		}
	}
	if f.maxDuration <= 0 {
		return nil, usagef("--max-duration %v: want a positive duration such as 30m", f.maxDuration)
	}
	if f.decoder != "builtin" && f.decoder != "ffmpeg" {
		return nil, usagef("--audio-decoder %q: want builtin or ffmpeg", f.decoder)
	}
	cfg := audio.Config{Preset: f.preset, LongAudio: f.longAudio, Decoder: f.decoder,
		LogMel:             audio.LogMelConfig{SampleRate: f.sampleRate, NMels: f.nMels},
		MaxDurationSeconds: f.maxDuration.Seconds()}
	t, err := audio.New(cfg)
	if err != nil {
		return nil, usagef("audio tokenizer: %v", err)
	}
	if f.codebook == "" {
		return t, nil
	}
	cb, err := codebook.Load(f.codebook)
	if err != nil {
		return nil, usagef("--audio-codebook %s: %v", f.codebook, err)
	}
	if n := t.Describe()["n_mels"].(int); cb.Dim != n {
		return nil, usagef("--audio-codebook %s: its centres have %d values, but --audio-preset %s has %d mel values per frame; "+
			"train one with tokenize train-codebook --modality audio --preset %s (an image patch codebook goes to --codebook)", f.codebook, cb.Dim, f.preset, n, f.preset)
	}
	cfg.Codebook = cb
	if t, err = audio.New(cfg); err != nil {
		return nil, usagef("audio tokenizer: %v", err)
	}
	return t, nil
}

type runFlags struct {
	text                       textFlags
	image                      imageFlags
	audio                      audioFlags
	video                      videoFlags // run_video.go
	imageField, audioField     string
	out, format, compression   string
	textField, idField         string
	workers                    int
	maxErrors                  int64
	overwrite, quiet           bool
	logFormat                  string
	batchMiB                   int
	maxFileSize, maxRecordSize string
	numShards, shardIndex      int
	numShardsSet               bool   // --num-shards was given (0 and 1 then ignore the environment)
	shardFrom                  string // the variable the shard index came from, if not --shard-index
	pack                       int
	tokenDType                 string
}

// shardEnvs are the batch schedulers' task index variables, in the order
// tried when --shard-index is not given: the index, the task count (if the
// scheduler sets one) and the first index (subtracted, if set).
var shardEnvs = []struct{ index, count, first string }{
	{"JOB_COMPLETION_INDEX", "", ""}, // Kubernetes Indexed Job
	{"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN"},
}

// numShardsEnv gives the shard count when no flag or scheduler does.
const numShardsEnv = "TOKENFAB_NUM_SHARDS"

// shard resolves --num-shards/--shard-index from the flags, then the
// environment (flags win). 0 shards: an unsharded job. An explicit
// --num-shards 0 or 1 ignores the schedulers' variables, so a job started
// inside a Slurm array task can still run the whole input.
func (f *runFlags) shard(getenv func(string) string) (n, i int, err error) {
	n, i = f.numShards, f.shardIndex
	if f.numShardsSet && n <= 1 {
		getenv = func(string) string { return "" }
	}
	atoi := func(name string) (int, bool, error) {
		v := getenv(name)
		if v == "" {
			return 0, false, nil
		}
		x, err := strconv.Atoi(v)
		if err != nil || x < 0 {
			return 0, false, usagef("%s=%q: want a non-negative integer", name, v)
		}
		return x, true, nil
	}
	if n == 0 {
		x, ok, err := atoi(numShardsEnv)
		if err != nil {
			return 0, 0, err
		}
		if ok {
			n = x
		}
	}
	from := "--shard-index"
	for _, e := range shardEnvs {
		if i >= 0 {
			break
		}
		x, ok, err := atoi(e.index)
		if err != nil || !ok {
			if err != nil {
				return 0, 0, err
			}
			continue
		}
		first, _, err := atoi(e.first)
		if err != nil {
			return 0, 0, err
		}
		i, from = x-first, e.index
		f.shardFrom = e.index
		if c, ok, err := atoi(e.count); err != nil {
			return 0, 0, err
		} else if ok && n == 0 {
			n = c
		}
	}
	switch {
	case n == 0 && i < 0:
		return 0, 0, nil
	case n == 0 && i >= 0:
		return 0, 0, usagef("%s gives shard %d but the shard count is unknown: pass --num-shards N (the Job's completions / array size) or set %s", from, i, numShardsEnv)
	case n > 0 && i < 0 && n == 1:
		i = 0
	case n > 0 && i < 0:
		return 0, 0, usagef("--num-shards %d needs --shard-index I (0 to %d), or JOB_COMPLETION_INDEX / SLURM_ARRAY_TASK_ID", n, n-1)
	case n > 0 && i >= n:
		return 0, 0, usagef("shard index %d (from %s) is out of range for %d shards: want 0 to %d", i, from, n, n-1)
	}
	return n, i, nil
}

func newRunCmd() *cobra.Command {
	var f runFlags
	c := &cobra.Command{
		Use:   "run INPUT... -o DIR",
		Short: "Tokenize files, directories and JSONL manifests into Arrow files",
		Long: `run reads every INPUT (a file, a directory walked recursively in byte order
of names, or a *.jsonl manifest with one record per line), detects each file's
modality from its content, tokenizes text with the chosen encoding, and writes
one row per segment, in input order, to DIR/part-00000.arrow, part-00001.arrow
… plus DIR/_SUMMARY.json.

An INPUT and DIR may also be object storage URLs, s3://BUCKET/PREFIX,
azblob://CONTAINER/PREFIX or, in binaries built with -tags gcs,
gs://BUCKET/PREFIX (a prefix is listed like a directory; options such as ?endpoint=URL&use_path_style=true go in the query;
credentials come from the store's standard environment, e.g.
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_REGION): see docs/batch.md
"Object storage".

Images (PNG, JPEG, GIF, BMP, TIFF, WebP, found by their content) become
patches (uint8 by default) and grid_thw with --image-preset; the default,
vit-base-patch16-224, gives every image the same small size (196 patches of
768 bytes), so rows stay small whatever the input. With --image-field, a
manifest line may also name an image file relative to the manifest; a line
with text and an image becomes two rows with the same id.

Audio (WAV, FLAC, MP3, Ogg Vorbis; Opus, AAC and others through ffmpeg)
becomes log-mel frames in the mel column with --audio-preset; the default,
whisper-80, is Whisper's front end: 3000 frames × 80 mels per 30-s chunk,
every chunk of a file in its one row. --audio-field names a manifest field
holding an audio path, as --image-field does for images.

A record that fails (bad JSON line, missing field, unreadable file, corrupt
image, audio or video) keeps its row with the error
column set and null tokens; the job goes on and exits 0. Hidden files inside
directories are skipped; symlinks are followed only when they stay inside
their input directory.

The output is byte-identical for the same inputs and flags whatever --workers.`,
		Example: `  tokenize run fixtures/sample -o out
  tokenize run corpus/ extra.jsonl -o out --encoding cl100k_base --eos --workers 8
  tokenize run data.jsonl -o out --text-field content --id-field doc_id --max-errors 100
  tokenize run data.jsonl -o out-hf --format arrow-stream   # for datasets.Dataset.from_file
  tokenize run data.jsonl -o out-meg --format megatron --eos # part-00000.bin/.idx for Megatron-LM --data-path out-meg/part-00000
  tokenize run docs/ -o out --encoding ./my.tiktoken --pattern cl100k --special-token '<|end|>=100257'
  tokenize run photos/ -o out --image-preset qwen2-vl --max-pixels 1003520
  tokenize run pairs.jsonl -o out --image-field image --image-preset clip-vit-large-patch14 --patch-dtype float32
  tokenize run speech/ -o out --audio-preset whisper-128 --max-duration 20m
  tokenize run corpus/ -o out --num-shards 8 --shard-index 3   # one shard; then: tokenize finalize out
  tokenize run clips.jsonl -o out --audio-field audio --audio-preset log-mel --sample-rate 16000 --n-mels 64`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd, args) },
	}
	f.text.register(c.Flags(), true)
	f.image.register(c.Flags())
	f.audio.register(c.Flags())
	f.video.register(c) // run_video.go
	fl := c.Flags()
	fl.StringVarP(&f.out, "output", "o", "", "output directory or s3://, gs://, azblob:// URL prefix (required; created if missing)")
	fl.StringVar(&f.format, "format", "arrow", "arrow (IPC file, memory-mappable), arrow-stream (IPC stream, .arrows) or megatron (Megatron-LM .bin/.idx of the text rows; add --eos for EOD, docs/batch.md) or parquet (ZSTD; only in a binary built with -tags parquet)")
	fl.StringVar(&f.compression, "compression", "none", "none, zstd or lz4 (compressed files are not zero-copy)")
	fl.StringVar(&f.textField, "text-field", "text", "JSONL field holding the text")
	fl.StringVar(&f.imageField, "image-field", "", "JSONL field holding an image path relative to the manifest's directory (default: none)")
	fl.StringVar(&f.audioField, "audio-field", "", "JSONL field holding an audio file path relative to the manifest's directory (default: none)")
	fl.StringVar(&f.idField, "id-field", "id", "JSONL field holding the record id (default when absent: FILE.jsonl:LINE)")
	fl.IntVar(&f.workers, "workers", 0, "tokenizing workers (default GOMAXPROCS)")
	fl.Int64Var(&f.maxErrors, "max-errors", -1, "stop (exit 2) once more than N rows failed; -1: no limit")
	fl.BoolVar(&f.overwrite, "overwrite", false, "replace part files and _SUMMARY.json already in the output directory")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress and no final report on stderr")
	fl.StringVar(&f.logFormat, "log-format", "text", "progress and summary lines on stderr when it is not a terminal (log/slog): text (key=value) or json (one object a line, also on a terminal)")
	fl.IntVar(&f.batchMiB, "batch-size", 32, "record batch target in MiB (16-64)")
	fl.StringVar(&f.maxFileSize, "max-file-size", "1GiB", "roll over to a new part file past this size (e.g. 512MiB, 2GiB)")
	fl.StringVar(&f.maxRecordSize, "max-record-size", "64MiB", "larger files or lines become too_large error rows")
	fl.IntVar(&f.pack, "pack", 0, "write packed sequences of exactly L text tokens (input_ids fixed_size_list, plus length; the last row is padded with 0); turns on --eos (docs/batch.md)")
	fl.StringVar(&f.tokenDType, "token-dtype", "", "token dtype of --pack (default int32) and --format megatron (default uint16 when the vocabulary has < 65500 tokens, else int32): int32 or uint16")
	fl.IntVar(&f.numShards, "num-shards", 0, "split the input files into N shards and run one (resumable; docs/batch.md); default "+numShardsEnv+" or SLURM_ARRAY_TASK_COUNT, else unsharded")
	fl.IntVar(&f.shardIndex, "shard-index", -1, "the shard to run, 0 to N-1 (default JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID)")
	return c
}

func (f *runFlags) run(cmd *cobra.Command, inputs []string) error {
	if f.out == "" {
		return usagef("missing -o DIR: where to write the Arrow files")
	}
	if f.textField == "" || f.idField == "" {
		return usagef("--text-field and --id-field need a JSONL field name (defaults: text, id); an empty name matches no field")
	}
	if f.batchMiB < 16 || f.batchMiB > 64 {
		return usagef("--batch-size %d: use 16 to 64 (MiB)", f.batchMiB)
	}
	if f.logFormat != "text" && f.logFormat != "json" {
		return usagef("--log-format %q: want text or json", f.logFormat)
	}
	if f.workers < 0 {
		return usagef("--workers %d: use a positive number (0 means GOMAXPROCS)", f.workers)
	}
	if f.maxErrors < -1 {
		return usagef("--max-errors %d: use -1 (no limit) or N >= 0", f.maxErrors)
	}
	f.numShardsSet = cmd.Flags().Changed("num-shards")
	if cmd.Flags().Changed("pack") && f.pack <= 0 { // 0 is not "off": omit the flag for that
		return usagef("--pack %d: want a sequence length of 1 or more (leave --pack out for one row per segment)", f.pack)
	}
	numShards, shardIndex, err := f.shard(os.Getenv)
	if err != nil {
		return err
	}
	maxFile, err := parseSize("--max-file-size", f.maxFileSize, 1<<20)
	if err != nil {
		return err
	}
	maxRecord, err := parseSize("--max-record-size", f.maxRecordSize, 1)
	if err != nil {
		return err
	}
	if f.pack > 0 {
		f.text.eos = true // documents are joined with EOS
	}
	tok, err := f.text.tokenizer()
	if err != nil {
		return err
	}
	itok, err := f.image.tokenizer()
	if err != nil {
		return err
	}
	img, err := pipeline.NewImage(itok)
	if err != nil {
		return err
	}
	atok, err := f.audio.tokenizer()
	if err != nil {
		return err
	}
	aud, err := pipeline.NewAudio(atok)
	if err != nil {
		return err
	}
	opts := pipeline.Options{
		Inputs: inputs, OutputDir: f.out, Overwrite: f.overwrite,
		Modalities: []pipeline.Modality{pipeline.NewText(tok), img, aud},
		TextField:  f.textField, IDField: f.idField, ImageField: f.imageField, AudioField: f.audioField,
		Format: pipeline.Format(f.format), Compression: pipeline.Compression(f.compression),
		Workers: f.workers, BatchBytes: int64(f.batchMiB) << 20, MaxFileBytes: maxFile, MaxRecordBytes: maxRecord,
		LimitErrors: f.maxErrors >= 0, MaxErrors: f.maxErrors,
		NumShards: numShards, ShardIndex: shardIndex, PackLength: f.pack, TokenDType: f.tokenDType,
	}
	if err := f.video.apply(&opts, f.image.dtype, atok); err != nil { // run_video.go
		return err
	}
	prog := newProgress(cmd.ErrOrStderr(), f.logFormat)
	if !f.quiet {
		opts.Progress = prog.update
	}
	if f.shardFrom != "" && !f.quiet {
		// A scheduler's variable chose this task's share: say so, since
		// the same command outside the array would run everything.
		msg := fmt.Sprintf("running shard %d of %d (index from %s; --num-shards 0 runs the whole input)", shardIndex, numShards, f.shardFrom)
		if prog.log != nil {
			prog.log.Info(prog.msg("shard", msg), "shard", shardIndex, "shards", numShards, "from", f.shardFrom)
		} else {
			fmt.Fprintf(cmd.ErrOrStderr(), "tokenize: %s\n", msg)
		}
	}
	sum, err := pipeline.Run(cmd.Context(), opts)
	prog.done()
	switch {
	case sum != nil && sum.Shard != nil && sum.Shard.AlreadyDone && f.quiet:
		// -q: nothing on stderr, as for a run that did work
	case sum != nil && sum.Shard != nil && sum.Shard.AlreadyDone && prog.log != nil:
		prog.log.Info(prog.msg("shard_done", fmt.Sprintf("shard %d of %d is already done (its marker %s/part-%05d.json validated); nothing to do",
			sum.Shard.Index, sum.Shard.Count, pipeline.DoneDir, sum.Shard.Index)), "shard", sum.Shard.Index, "shards", sum.Shard.Count)
	case sum != nil && sum.Shard != nil && sum.Shard.AlreadyDone:
		fmt.Fprintf(cmd.ErrOrStderr(), "tokenize: shard %d of %d is already done (its marker %s/part-%05d.json validated); nothing to do\n",
			sum.Shard.Index, sum.Shard.Count, pipeline.DoneDir, sum.Shard.Index)
	case sum != nil && !f.quiet && prog.log != nil:
		prog.summary(sum, units(opts.Modalities))
	case sum != nil && !f.quiet:
		report(cmd.ErrOrStderr(), sum, units(opts.Modalities))
	}
	return err
}

// units names what num_tokens counts for each registered modality.
func units(mods []pipeline.Modality) map[string]string {
	u := map[string]string{}
	for _, m := range mods {
		desc, _ := m.Describe()["num_tokens"].(string)
		u[m.Name()] = unitOf(m.Name(), desc)
	}
	return u
}

// parseSize reads a byte size: a number with an optional unit (B, KB, MB,
// GB, TB powers of 1000; KiB, MiB, GiB, TiB powers of 1024).
func parseSize(flag, s string, minimum int64) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}, {"", 1}}
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil {
			break
		}
		v := int64(n * float64(u.mult))
		if v < minimum {
			return 0, usagef("%s %s is below the minimum of %d bytes", flag, s, minimum)
		}
		return v, nil
	}
	return 0, usagef("%s %q: want a size such as 512MiB, 1GiB or 1000000", flag, s)
}

// progress shows a bar on a terminal and a log/slog line every few seconds
// elsewhere (logs of batch jobs), both on stderr. With --log-format json it
// logs JSON lines even on a terminal.
type progress struct {
	w     io.Writer
	tty   bool
	json  bool
	log   *slog.Logger // nil: the bar and the plain report (a terminal)
	bar   *progressbar.ProgressBar
	last  time.Time
	start time.Time
	p     pipeline.Progress
}

// logEvery is the interval of the progress log lines (a variable for tests).
var logEvery = 5 * time.Second

func newProgress(w io.Writer, format string) *progress {
	f, ok := w.(*os.File)
	tty := ok && term.IsTerminal(int(f.Fd()))
	p := &progress{w: w, tty: tty, json: format == "json", start: time.Now(), last: time.Now()}
	switch {
	case p.json:
		p.log, p.tty = slog.New(slog.NewJSONHandler(w, nil)), false
	case !tty:
		p.log = slog.New(slog.NewTextHandler(w, nil))
	}
	return p
}

// msg is a log record's message: a fixed event name in JSON (to filter
// on; the numbers are attributes), the human sentence in text.
func (p *progress) msg(event, sentence string) string {
	if p.json {
		return event
	}
	return sentence
}

// round2 keeps two decimals of a rate or duration for the logs.
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// summary logs the end-of-job summary: one "done" (or "stopped") record,
// then one "errors" record per error kind.
func (p *progress) summary(s *pipeline.Summary, units map[string]string) {
	// slog quotes a message with line breaks itself (as \n): no escaping here.
	head, kinds := reportLines(s, units, func(s string) string { return s })
	event := "done"
	attrs := []any{"records", s.Records, "rows", s.Rows, "tokens", s.Tokens, "errors", s.Errors.Total, "warnings", s.Warnings,
		"files", len(s.Files), "bytes_in", s.BytesIn, "bytes_out", s.BytesOut, "wall_seconds", round2(s.WallSeconds),
		"mb_per_second", round2(s.MBPerSecond), "tokens_per_second", math.Round(s.TokensPerSecond), "workers", s.Workers,
		"output", s.Output}
	if !s.Completed {
		event = "stopped"
		attrs = append(attrs, "stopped", s.Stopped)
	}
	p.log.Info(p.msg(event, strings.TrimPrefix(head, "tokenize: ")), attrs...)
	if n := s.Skipped["duplicate_input"]; n > 0 {
		p.log.Warn(p.msg("duplicate_inputs", dupLine(n)), "count", n)
	}
	for _, k := range kinds {
		ks := s.Errors.ByKind[k.kind]
		a := []any{"kind", k.kind, "count", ks.Count}
		if len(ks.Examples) > 0 {
			a = append(a, "first_source", ks.Examples[0].Source, "first_id", ks.Examples[0].ID, "first_message", ks.Examples[0].Message)
		}
		p.log.Warn(p.msg("errors", k.line), a...)
	}
}

func (p *progress) update(pr pipeline.Progress) {
	p.p = pr
	if p.tty {
		if p.bar == nil { // the total is known from the first update on
			p.bar = progressbar.NewOptions64(pr.TotalBytes,
				progressbar.OptionSetWriter(p.w),
				progressbar.OptionShowBytes(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
				progressbar.OptionSetPredictTime(true),
			)
		}
		p.bar.Describe(fmt.Sprintf("tokenizing: %d records, %d tokens, %d errors", pr.Records, pr.Tokens, pr.Errors))
		p.bar.Set64(pr.BytesIn)
		return
	}
	if time.Since(p.last) >= logEvery {
		p.last = time.Now()
		p.line()
	}
}

func (p *progress) line() {
	secs := time.Since(p.start).Seconds()
	pct := 0.0
	if p.p.TotalBytes > 0 {
		pct = 100 * float64(p.p.BytesIn) / float64(p.p.TotalBytes)
	}
	mbps := float64(p.p.BytesIn) / 1e6 / max(secs, 1e-9)
	// Two decimals below 10 MB, so a small job does not read "0.0 of 0.0 MB".
	mb := "%.1f of %.1f MB"
	if p.p.TotalBytes < 10e6 {
		mb = "%.2f of %.2f MB"
	}
	sentence := fmt.Sprintf("%s, "+mb+" (%.0f%%), %s, %s, %.1f MB/s",
		plural(p.p.Records, "record"), float64(p.p.BytesIn)/1e6, float64(p.p.TotalBytes)/1e6, pct,
		plural(p.p.Tokens, "token"), plural(p.p.Errors, "error"), mbps)
	p.log.Info(p.msg("progress", sentence), "records", p.p.Records, "bytes_in", p.p.BytesIn, "total_bytes", p.p.TotalBytes,
		"percent", round2(pct), "tokens", p.p.Tokens, "errors", p.p.Errors, "mb_per_second", round2(mbps),
		"elapsed_seconds", round2(secs))
}

func (p *progress) done() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// plural is "1 file", "2 files".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatInt(n, 10) + " " + noun + "s"
}

// oneLine escapes line breaks so that a message (an ffmpeg error of several
// lines, say) stays on its one report or log line.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\r`).Replace(s)
}

// kindLine is the report line of one error kind.
type kindLine struct{ kind, line string }

// unitOf names what num_tokens counts for a modality, from its Describe()
// "num_tokens" (docs/pipeline.md, the num_tokens column): text ids, image
// patches (LLM tokens after the merge for Qwen), audio mel frames (patches
// for ast), video patches or LLM tokens.
func unitOf(modality, desc string) string {
	switch {
	case modality == "text":
		return "ids"
	case desc == "frames":
		return "mel frames"
	case desc == "patches":
		return "patches"
	case strings.Contains(desc, "LLM tokens"):
		return "LLM tokens"
	case strings.HasPrefix(desc, "grid_h*(grid_w+1)"):
		return "patches+row ends"
	case strings.HasPrefix(desc, "image pixels"):
		return "pixels"
	}
	return "tokens"
}

// singular are the units of one token.
var singular = map[string]string{"ids": "id", "patches": "patch", "mel frames": "mel frame", "LLM tokens": "LLM token",
	"pixels": "pixel", "tokens": "token"}

// modalityTokens is "text 120 ids, image 392 patches": the per-modality
// parts of a token total, whose units differ, in a fixed order.
func modalityTokens(tokens map[string]int64, units map[string]string) string {
	var parts []string
	names := make([]string, 0, len(tokens))
	for m := range tokens {
		names = append(names, m)
	}
	order := map[string]int{"text": 0, "image": 1, "audio": 2, "video": 3}
	sort.Slice(names, func(i, j int) bool {
		oi, ok := order[names[i]]
		if !ok {
			oi = len(order)
		}
		oj, ok := order[names[j]]
		if !ok {
			oj = len(order)
		}
		return oi < oj || oi == oj && names[i] < names[j]
	})
	for _, m := range names {
		if tokens[m] == 0 && m != "text" {
			continue
		}
		unit := units[m]
		if unit == "" {
			unit = unitOf(m, "")
		}
		if one, ok := singular[unit]; ok && tokens[m] == 1 {
			unit = one
		}
		parts = append(parts, fmt.Sprintf("%s %d %s", m, tokens[m], unit))
	}
	return strings.Join(parts, ", ")
}

// reportLines is the end-of-job summary: the head line, then one line per
// error kind (sorted), each a single line whatever the messages hold.
// esc makes a message one line (oneLine) where nothing else does.
func reportLines(s *pipeline.Summary, units map[string]string, esc func(string) string) (string, []kindLine) {
	state := "done"
	if !s.Completed {
		state = "stopped (" + s.Stopped + ")"
	}
	tokens := plural(s.Tokens, "token")
	per := map[string]int64{}
	for m, ms := range s.Modalities {
		if m != "unknown" {
			per[m] = ms.Tokens
		}
	}
	if mt := modalityTokens(per, units); mt != "" {
		tokens += " (" + mt + ")"
	}
	// Bytes in and out are both named: the rate is of bytes in.
	errs := plural(s.Errors.Total, "error")
	if s.Warnings > 0 { // e.g. truncated WAVs: tokenized, flagged in the warning column
		errs += ", " + plural(s.Warnings, "warning") + " (column warning)"
	}
	head := fmt.Sprintf("tokenize: %s: %s, %s, %s, %s; %s, %.2f MB in -> %.2f MB out in %.2f s (%.1f MB/s in, %.0f tokens/s) -> %s",
		state, plural(s.Records, "record"), plural(s.Rows, "row"), tokens, errs,
		plural(int64(len(s.Files)), "file"), float64(s.BytesIn)/1e6, float64(s.BytesOut)/1e6,
		s.WallSeconds, s.MBPerSecond, s.TokensPerSecond, s.Output)
	kinds := make([]string, 0, len(s.Errors.ByKind))
	for k := range s.Errors.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var lines []kindLine
	for _, k := range kinds {
		ks := s.Errors.ByKind[k]
		line := fmt.Sprintf("%s: %d", k, ks.Count)
		if len(ks.Examples) > 0 {
			line += fmt.Sprintf(" (first: %s: %s)", esc(ks.Examples[0].Source), esc(ks.Examples[0].Message))
		}
		lines = append(lines, kindLine{k, line})
	}
	return head, lines
}

// dupLine says that inputs given more than once were read once.
func dupLine(n int64) string {
	return fmt.Sprintf("%s given more than once read once (skipped.duplicate_input %d)", plural(n, "input"), n)
}

// report prints the end-of-job summary on stderr.
func report(w io.Writer, s *pipeline.Summary, units map[string]string) {
	head, kinds := reportLines(s, units, oneLine)
	fmt.Fprintln(w, head)
	if n := s.Skipped["duplicate_input"]; n > 0 {
		fmt.Fprintf(w, "  %s\n", dupLine(n))
	}
	for _, k := range kinds {
		fmt.Fprintf(w, "  %s\n", k.line)
	}
}
