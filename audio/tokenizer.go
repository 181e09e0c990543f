package audio

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"

	"github.com/tokenfab/tokenfab/codebook"
)

// Presets.
const (
	PresetWhisper80  = "whisper-80"  // openai/whisper (all but large-v3): 80 Slaney mels, 16 kHz, 30-s chunks of 3000 frames
	PresetWhisper128 = "whisper-128" // whisper large-v3: 128 mels, otherwise as whisper-80
	PresetAST        = "ast"         // Audio Spectrogram Transformer: Kaldi fbank 128 × 1024 frames, 1212 16×16 patches
)

// Config builds a Tokenizer: a preset plus overrides. The zero value is
// whisper-80 with the torchaudio resampler and chunked long audio.
type Config struct {
	// Preset is "whisper-80" (default), "whisper-128", "ast" or "log-mel"
	// (configured by LogMel).
	Preset string
	// LogMel configures the "log-mel" preset (zero fields: librosa's
	// defaults; see LogMelConfig). Ignored by the other presets.
	LogMel LogMelConfig
	// Resampler converts the decoded rate to the preset's 16 kHz:
	// "torchaudio" (default; a port of torchaudio.functional.resample,
	// sinc × Hann, width 6, rolloff 0.99) or "ffmpeg" (decode, downmix and
	// resample with the ffmpeg executable exactly as openai/whisper's
	// load_audio does: `ffmpeg -i - -f s16le -ac 1 -acodec pcm_s16le -ar
	// 16000`, then /32768; needs ffmpeg on PATH).
	Resampler string
	// LongAudio says what Whisper presets do with audio over 30 s:
	// "chunk" (default: consecutive 30-s chunks of 3000 frames, each
	// normalized with its own max, as HF does per call) or "truncate"
	// (keep the first 30 s, HF's default truncation=True; Tokens.Truncated
	// is set). AST always cuts to 1024 frames (10.24 s), as HF does.
	LongAudio string
	// Downmix is "mean" (default for Whisper: mono = channel mean, before
	// resampling) or "first" (channel 0; the default for "ast", because
	// Kaldi fbank, as AST uses it, takes channel 0).
	Downmix string
	// Decoder is "builtin" (default: WAV, FLAC, MP3 and Ogg Vorbis in Go,
	// anything else through ffmpeg) or "ffmpeg" (every file through the
	// ffmpeg executable, `-c:a pcm_f32le`: DecodeOptions.PreferFFmpeg).
	// "ffmpeg" reproduces a loader that decodes with ffmpeg to float32
	// (as the golden files do) sample for sample, MP3 included: the
	// builtin MP3 decoder differs from ffmpeg's by up to ~5e-5 per sample
	// (docs/audio.md). It needs ffmpeg on PATH (ErrNeedFFmpeg from New).
	Decoder string
	// FFmpeg controls the decoder fallback for formats without a Go
	// decoder (Opus, AAC, ...): "auto"/"" (use ffmpeg on PATH if any),
	// "off", or a path to the executable.
	FFmpeg string
	// MaxBytes rejects larger inputs with ErrTooLarge before decoding
	// (0 = 1 GiB; negative = no limit).
	MaxBytes int64
	// MaxDurationSeconds rejects longer decoded audio with ErrTooLong
	// (0 = 4 hours; negative = no limit).
	MaxDurationSeconds float64
	// Codebook: k-means centres over mel frames (codebook.Codebook, e.g.
	// from `tokenize train-codebook --modality audio` with the same
	// preset). When set, Tokens.InputIDs holds the nearest centre of every
	// mel frame (Codebook.Nearest). Its Dim must equal the preset's n_mels.
	Codebook *codebook.Codebook
}

// Tokens is the output for one input.
type Tokens struct {
	// Mel is log-mel frames, frame-major [NFrames][NMels] float32. Whisper:
	// the log-mel in Whisper's (x+4)/4 units; AST: the normalized fbank
	// input_values (1024 × 128).
	Mel     []float32
	NMels   int
	NFrames int
	// Patches (AST only): 1212 patches of PatchDim (256) float32 values,
	// frequency-major, grid GridTHW = (1, 12, 101).
	Patches  []float32
	PatchDim int
	GridTHW  [3]int32
	// NumTokens: frames (Whisper: Chunks·3000) or patches (AST: 1212).
	NumTokens int
	// SampleRate is the rate of the features' input, Hz (16000; log-mel:
	// LogMel.SampleRate).
	SampleRate int
	// SourceRate is the decoded file's rate, Hz; SourceChannels its channels.
	SourceRate     int
	SourceChannels int
	// DurationSeconds is the decoded audio's length in seconds.
	DurationSeconds float64
	// Truncated: audio was cut (LongAudio "truncate", AST beyond 1024
	// frames) or the file itself was cut off (PCM.Truncated).
	Truncated bool
	// SourceTruncated: the file itself was cut off (PCM.Truncated, e.g. a
	// WAV whose data chunk ends early); the features cover what is there.
	SourceTruncated bool
	// Chunks is the number of 30-s Whisper chunks (1 for AST);
	// ChunkFrames the frames per chunk (3000; AST 1024).
	Chunks      int
	ChunkFrames int
	// Codec is what decoded the input (PCM.Codec).
	Codec string
	// InputIDs (only with Config.Codebook): the nearest codebook centre of
	// every mel frame, len NFrames (Whisper: Chunks·3000; AST: the 1024
	// input_values frames, while NumTokens stays the 1212 patches), by
	// codebook.Dist in float32, lowest index on ties.
	InputIDs []int32
}

// Tokenizer turns audio files into spectrogram tokens. Safe for concurrent
// use.
type Tokenizer struct {
	cfg    Config
	nMels  int
	rate   int           // feature sample rate, Hz
	logmel *logMelEngine // "log-mel" preset only
}

// New validates cfg and builds a Tokenizer. Errors wrap ErrConfig.
func New(cfg Config) (*Tokenizer, error) {
	if cfg.Preset == "" {
		cfg.Preset = PresetWhisper80
	}
	t := &Tokenizer{cfg: cfg, rate: 16000}
	switch cfg.Preset {
	case PresetLogMel:
		e, err := newLogMelEngine(cfg.LogMel)
		if err != nil {
			return nil, err
		}
		t.logmel, t.nMels, t.rate = e, e.c.NMels, e.c.SampleRate
		t.cfg.LogMel = e.c
	case PresetWhisper80:
		t.nMels = 80
	case PresetWhisper128:
		t.nMels = 128
	case PresetAST:
		t.nMels = astMels
	default:
		return nil, fmt.Errorf("%w: Preset %q (want whisper-80, whisper-128, ast or log-mel)", ErrConfig, cfg.Preset)
	}
	switch t.cfg.Resampler {
	case "":
		t.cfg.Resampler = "torchaudio"
	case "torchaudio":
	case "ffmpeg":
		if _, err := ffmpegPath(cfg.FFmpeg); err != nil {
			return nil, fmt.Errorf("%w: Resampler \"ffmpeg\": %v", ErrNeedFFmpeg, err)
		}
	default:
		return nil, fmt.Errorf("%w: Resampler %q (want torchaudio or ffmpeg)", ErrConfig, cfg.Resampler)
	}
	switch t.cfg.Decoder {
	case "":
		t.cfg.Decoder = "builtin"
	case "builtin":
	case "ffmpeg":
		if cfg.FFmpeg == "off" {
			return nil, fmt.Errorf("%w: Decoder \"ffmpeg\" with FFmpeg \"off\"", ErrConfig)
		}
		if _, err := ffmpegPath(cfg.FFmpeg); err != nil {
			return nil, fmt.Errorf("%w: Decoder \"ffmpeg\": %v", ErrNeedFFmpeg, err)
		}
	default:
		return nil, fmt.Errorf("%w: Decoder %q (want builtin or ffmpeg)", ErrConfig, cfg.Decoder)
	}
	switch t.cfg.LongAudio {
	case "":
		t.cfg.LongAudio = "chunk"
	case "chunk", "truncate":
	default:
		return nil, fmt.Errorf("%w: LongAudio %q (want chunk or truncate)", ErrConfig, cfg.LongAudio)
	}
	switch t.cfg.Downmix {
	case "":
		t.cfg.Downmix = "mean"
		if cfg.Preset == PresetAST {
			t.cfg.Downmix = "first"
		}
	case "mean", "first":
	default:
		return nil, fmt.Errorf("%w: Downmix %q (want mean or first)", ErrConfig, cfg.Downmix)
	}
	if t.cfg.FFmpeg == "" {
		t.cfg.FFmpeg = "auto"
	}
	if t.cfg.MaxBytes == 0 {
		t.cfg.MaxBytes = 1 << 30
	}
	if t.cfg.MaxDurationSeconds == 0 {
		t.cfg.MaxDurationSeconds = 4 * 3600
	}
	if cb := t.cfg.Codebook; cb != nil {
		if err := cb.Validate(); err != nil {
			return nil, fmt.Errorf("%w: Codebook: %v", ErrConfig, err)
		}
		if cb.Dim != t.nMels {
			return nil, fmt.Errorf("%w: Codebook has Dim %d, the %s preset's mel frames have n_mels %d values", ErrConfig, cb.Dim, t.cfg.Preset, t.nMels)
		}
	}
	return t, nil
}

// Name returns the preset name.
func (t *Tokenizer) Name() string { return t.cfg.Preset }

// Describe returns a deterministic description of the configuration for
// the Arrow schema metadata.
func (t *Tokenizer) Describe() map[string]any {
	d := map[string]any{
		"preset":               t.cfg.Preset,
		"sample_rate":          t.rate,
		"n_mels":               t.nMels,
		"resampler":            t.cfg.Resampler,
		"decoder":              t.cfg.Decoder,
		"downmix":              t.cfg.Downmix,
		"max_bytes":            t.cfg.MaxBytes,
		"max_duration_seconds": t.cfg.MaxDurationSeconds,
	}
	if t.cfg.Decoder == "ffmpeg" {
		d["decoder_params"] = "ffmpeg -i pipe:0 -map 0:a:0 -c:a pcm_f32le (float32, native rate and channels)"
	}
	if t.cfg.Resampler == "torchaudio" {
		d["resampler_params"] = "sinc_interp_hann lowpass_filter_width=6 rolloff=0.99"
	}
	switch t.cfg.Preset {
	case PresetLogMel:
		d["reference"] = "librosa.feature.melspectrogram formulas (as transformers audio_utils.spectrogram/mel_filter_bank), then log"
		d["log_mel"] = t.logmel.describe()
		d["num_tokens"] = "frames"
	case PresetAST:
		d["reference"] = "transformers ASTFeatureExtractor (torchaudio.compliance.kaldi.fbank)"
		d["features"] = "kaldi fbank: 25 ms / 10 ms, snip_edges, dc removal, preemphasis 0.97, hanning (symmetric), 512-point FFT, 128 mel 20-8000 Hz, log floor 1.1920929e-07; pad/cut to 1024 frames; (x+4.2677393)/9.1379948"
		d["max_frames"] = astMaxFrames
		d["patch"] = "16x16 stride 10, frequency-major, grid (1,12,101)"
		d["num_tokens"] = "patches"
	default:
		d["reference"] = "transformers WhisperFeatureExtractor (numpy path) = openai/whisper log_mel_spectrogram"
		d["features"] = "n_fft 400, hop 160, periodic hann, centre reflect, power, slaney mel 0-8000 Hz, log10 clamp 1e-10, max-8, (x+4)/4"
		d["chunk_seconds"] = 30
		d["chunk_frames"] = whisperFrames
		d["long_audio"] = t.cfg.LongAudio
		if t.cfg.LongAudio == "chunk" {
			d["long_audio_norm"] = "max-8 per 30 s chunk (as HF per call)"
		}
		d["num_tokens"] = "frames"
	}
	if t.cfg.Codebook != nil {
		d["input_ids"] = "nearest codebook centre per mel frame: argmin_k sum_i (x_i - c_ki)^2 in float32, i ascending, lowest k on ties"
		d["codebook_k"] = t.cfg.Codebook.K
	}
	return d
}

// Tokenize decodes one audio file (any format Decode accepts), downmixes,
// resamples to 16 kHz and computes the preset's features. Errors: those of
// Decode (ErrCorrupt, ErrUnsupportedFormat, ErrNeedFFmpeg), ErrTooLarge,
// ErrTooLong, or ctx.Err(). Empty audio is not an error: Whisper pads it
// (all frames −1.5), AST pads it (all values 0.467033). With
// Config.Codebook, InputIDs holds the nearest centre of each mel frame.
func (t *Tokenizer) Tokenize(ctx context.Context, data []byte) (*Tokens, error) {
	tok, err := t.tokenize(ctx, data)
	if err != nil || t.cfg.Codebook == nil {
		return tok, err
	}
	tok.InputIDs = make([]int32, len(tok.Mel)/t.nMels)
	t.cfg.Codebook.Assign(tok.Mel, tok.InputIDs)
	return tok, nil
}

func (t *Tokenizer) tokenize(ctx context.Context, data []byte) (*Tokens, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if t.cfg.MaxBytes > 0 && int64(len(data)) > t.cfg.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, len(data), t.cfg.MaxBytes)
	}
	var (
		x   []float32
		tok = &Tokens{SampleRate: t.rate}
	)
	if t.cfg.Resampler == "ffmpeg" {
		pcm, err := DecodeContext(ctx, data, t.decodeOptions())
		if err != nil {
			return nil, err
		}
		tok.SourceRate, tok.SourceChannels, tok.Codec = pcm.SampleRate, pcm.Channels, pcm.Codec
		if x, err = whisperLoadAudio(ctx, data, t.cfg.FFmpeg, t.rate); err != nil {
			return nil, err
		}
		tok.Truncated, tok.SourceTruncated = pcm.Truncated, pcm.Truncated
	} else {
		pcm, err := DecodeContext(ctx, data, t.decodeOptions())
		if err != nil {
			return nil, err
		}
		tok.SourceRate, tok.SourceChannels, tok.Codec, tok.Truncated = pcm.SampleRate, pcm.Channels, pcm.Codec, pcm.Truncated
		tok.SourceTruncated = pcm.Truncated
		if t.cfg.MaxDurationSeconds > 0 && pcm.Duration() > t.cfg.MaxDurationSeconds {
			return nil, fmt.Errorf("%w: %.1f s > %.1f s", ErrTooLong, pcm.Duration(), t.cfg.MaxDurationSeconds)
		}
		if t.cfg.Downmix == "first" {
			x = pcm.Channel(0)
		} else {
			x = pcm.Mono()
		}
		r, err := NewResampler(pcm.SampleRate, t.rate)
		if err != nil {
			return nil, err
		}
		x = r.Resample(x)
	}
	tok.DurationSeconds = float64(len(x)) / float64(t.rate)
	if t.cfg.MaxDurationSeconds > 0 && tok.DurationSeconds > t.cfg.MaxDurationSeconds {
		return nil, fmt.Errorf("%w: %.1f s > %.1f s", ErrTooLong, tok.DurationSeconds, t.cfg.MaxDurationSeconds)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if t.logmel != nil {
		mel, nf := t.logmel.compute(x)
		tok.Mel, tok.NMels, tok.NFrames, tok.NumTokens = mel, t.nMels, nf, nf
		tok.Chunks, tok.ChunkFrames = 1, nf
		return tok, nil
	}
	if t.cfg.Preset == PresetAST {
		feat, cut := ASTFeatures(x)
		tok.Mel, tok.NMels, tok.NFrames = feat, astMels, astMaxFrames
		tok.Patches, tok.PatchDim = ASTPatches(feat), astPatch*astPatch
		tok.GridTHW = [3]int32{1, astFDim, astTDim}
		tok.NumTokens = astFDim * astTDim
		tok.Chunks, tok.ChunkFrames = 1, astMaxFrames
		tok.Truncated = tok.Truncated || cut
		return tok, nil
	}
	if t.cfg.LongAudio == "truncate" && len(x) > whisperSamples {
		x = x[:whisperSamples]
		tok.Truncated = true
	}
	mel, chunks := WhisperLogMel(x, t.nMels)
	tok.Mel, tok.NMels, tok.NFrames = mel, t.nMels, chunks*whisperFrames
	tok.NumTokens = tok.NFrames
	tok.Chunks, tok.ChunkFrames = chunks, whisperFrames
	return tok, nil
}

// decodeOptions maps Config.Decoder and Config.FFmpeg to DecodeOptions.
func (t *Tokenizer) decodeOptions() DecodeOptions {
	return DecodeOptions{FFmpeg: t.cfg.FFmpeg, PreferFFmpeg: t.cfg.Decoder == "ffmpeg"}
}

// whisperLoadAudio is openai/whisper audio.load_audio: ffmpeg decodes,
// downmixes (-ac 1) and resamples (swresample default) to 16-kHz s16le;
// samples are int16/32768.
func whisperLoadAudio(ctx context.Context, data []byte, ffopt string, rate int) ([]float32, error) {
	ff, err := ffmpegPath(ffopt)
	if err != nil {
		return nil, &DecodeError{Format: "ffmpeg", Kind: ErrNeedFFmpeg, Detail: "Resampler \"ffmpeg\""}
	}
	cmd := exec.CommandContext(ctx, ff, "-nostdin", "-threads", "0", "-v", "error", "-i", "pipe:0",
		"-f", "s16le", "-ac", "1", "-acodec", "pcm_s16le", "-ar", strconv.Itoa(rate), "pipe:1")
	cmd.Stdin = bytes.NewReader(data)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &DecodeError{Format: "ffmpeg", Kind: ErrCorrupt, Detail: "ffmpeg load_audio failed: " + errb.String(), Err: err}
	}
	b := out.Bytes()
	x := make([]float32, len(b)/2)
	for i := range x {
		x[i] = float32(int16(uint16(b[2*i])|uint16(b[2*i+1])<<8)) / 32768
	}
	return x, nil
}
