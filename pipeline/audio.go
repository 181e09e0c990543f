package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tokenfab/tokenfab/audio"
)

// audioModality adapts an *audio.Tokenizer to Modality and brings the mel
// column (and, for AST, grid_thw), whose types it fixes from the preset.
type audioModality struct {
	t     *audio.Tokenizer
	nMels int  // width of a mel entry (values per frame)
	grid  bool // AST: rows carry the patch grid
	desc  map[string]any
}

// audioErrKinds maps the audio package's errors to row error kinds; any
// other error (corrupt or unsupported file, ffmpeg missing) is a "tokenize"
// row.
var audioErrKinds = []struct {
	err  error
	kind ErrorKind
}{
	{audio.ErrTooLarge, KindTooLarge},
	{audio.ErrTooLong, KindTooLarge},
}

// audioPresetDesc is what the adapter adds to the tokenizer's Describe(),
// per preset: the STFT geometry as numbers (the package gives it as prose)
// and how a row's frames are laid out. log-mel takes n_fft and hop_length
// from its own "log_mel" description.
var audioPresetDesc = map[string]map[string]any{
	audio.PresetWhisper80:  whisperDesc,
	audio.PresetWhisper128: whisperDesc,
	audio.PresetAST: {
		"n_fft": 512, "win_length": 400, "hop_length": 160,
		"rows": "one row per file: mel = HF ASTFeatureExtractor input_values, always 1024 frames × 128 (padded or cut to 10.24 s); " +
			"grid_thw = (1, 12, 101); the 1212 patch tokens are 16×16 windows of mel at stride 10 (frequency-major, token f*101+t), " +
			"which the model's patch embedding takes itself, so they are not stored",
	},
	audio.PresetLogMel: {
		"rows": "one row per file: every frame of the whole file, no chunking",
	},
}

var whisperDesc = map[string]any{
	"n_fft": 400, "hop_length": 160,
	"rows": "one row per file: all 30-s chunks, n_chunks × 3000 frames; frames [3000k, 3000(k+1)) are chunk k " +
		"(each padded to 30 s and normalized with its own max, as WhisperFeatureExtractor does per call); n_chunks = len(mel) / chunk_frames",
}

// NewAudio wraps an audio tokenizer as the "audio" modality and adds its
// columns to the job's schema, after the base (and image) ones:
//
//   - mel, list<fixed_size_list<float32, n_mels>>: frames × n_mels float32,
//     frame-major (value [t][m] is entry t, element m). whisper-80/128: the
//     log-mel in Whisper's (x+4)/4 units, n_chunks·3000 frames (one row
//     holds every 30-s chunk of a file; chunk k is frames [3000k,
//     3000(k+1))); log-mel: every frame of the file (log10 power by
//     default); ast: HF ASTFeatureExtractor input_values, 1024 × 128.
//   - grid_thw, fixed_size_list<int32, 3> (ast only): (1, 12, 101), the
//     patch grid over mel. The 1212 patches (16×16 at stride 10) are not
//     written: the model's patch embedding cuts them from input_values, and
//     the job's patches column belongs to the image preset (uint8 or
//     float32 of another width), so AST rows never clash with it.
//
// num_tokens is frames (whisper: n_chunks·3000; log-mel: all frames) or,
// for ast, the 1212 patches; Describe's "num_tokens" says which. Corrupt,
// unsupported and ffmpeg-needing files are "tokenize" rows; inputs over the
// tokenizer's MaxBytes or MaxDurationSeconds are "too_large" rows. The
// error is for a tokenizer whose Describe() lacks an int n_mels > 0.
//
// A tokenizer with a codebook (audio.Config.Codebook) also fills input_ids
// on audio rows: the nearest centre of every mel frame (audio.Tokens.InputIDs,
// one per mel entry); without one, audio rows' input_ids are null.
func NewAudio(t *audio.Tokenizer) (Modality, error) {
	d := t.Describe()
	n, ok := d["n_mels"].(int)
	preset, _ := d["preset"].(string)
	extra, known := audioPresetDesc[preset]
	if !ok || n <= 0 || !known {
		return nil, fmt.Errorf("audio tokenizer description %v: want int n_mels > 0 and a known preset", d)
	}
	m := &audioModality{t: t, nMels: n, grid: preset == audio.PresetAST, desc: maps.Clone(d)}
	maps.Copy(m.desc, extra)
	if lm, ok := d["log_mel"].(map[string]any); ok {
		m.desc["n_fft"], m.desc["hop_length"] = lm["n_fft"], lm["hop_length"]
	}
	m.desc["mel_layout"] = "frame-major: mel[t] is frame t, n_mels float32 values (low to high frequency)"
	return m, nil
}

func (m *audioModality) Name() string { return ModAudio }

func (m *audioModality) Tokenize(ctx context.Context, data []byte) (Payload, error) {
	tk, err := m.t.Tokenize(ctx, data)
	if err != nil {
		for _, e := range audioErrKinds {
			if errors.Is(err, e.err) {
				return Payload{}, &RowError{Kind: e.kind, Msg: err.Error()}
			}
		}
		return Payload{}, err
	}
	p := Payload{NumTokens: tk.NumTokens, Mel: tk.Mel, NMels: tk.NMels, InputIDs: tk.InputIDs}
	switch {
	case tk.DurationSeconds == 0:
		// HF pads an empty signal to 30 s of silence too, so the row is the
		// reference's; but a data engineer wants to know.
		p.Warning = fmt.Sprintf("empty: the %s file holds no samples; the features are padding only", tk.Codec)
	case tk.SourceTruncated:
		p.Warning = fmt.Sprintf("truncated: the %s file ends before its declared length; %.3f s decoded", tk.Codec, tk.DurationSeconds)
	}
	if p.Mel == nil {
		p.Mel = []float32{} // no frames (log-mel without centring on a short clip): an empty list, not null
	}
	if m.grid {
		p.GridTHW, p.HasGrid = tk.GridTHW, true
	}
	return p, nil
}

// Describe is the tokenizer's own Describe() (preset, sample_rate, n_mels,
// resampler, decoder, downmix, features, reference, chunk_frames, long_audio,
// num_tokens, ...) plus n_fft and hop_length (samples at sample_rate), rows
// (what one row holds: chunks, AST grid) and mel_layout.
func (m *audioModality) Describe() map[string]any { return maps.Clone(m.desc) }

// columns are mel and, for AST, grid_thw.
func (m *audioModality) columns() []column {
	n := m.nMels
	cols := []column{{name: "mel", typ: arrow.ListOf(arrow.FixedSizeListOf(int32(n), arrow.PrimitiveTypes.Float32)),
		hf: hfSeq(hfSeq(hfValue("float32"), n), 0),
		append: func(b array.Builder, r *row) {
			lb := b.(*array.ListBuilder)
			if r.err != nil || r.p.Mel == nil {
				lb.AppendNull()
				return
			}
			lb.Append(true)
			fb := lb.ValueBuilder().(*array.FixedSizeListBuilder)
			for range len(r.p.Mel) / n {
				fb.Append(true)
			}
			fb.ValueBuilder().(*array.Float32Builder).AppendValues(r.p.Mel, nil)
		},
		// 4 bytes per value plus the builder's validity bits (per value and
		// per frame), as for patches: a 30-s whisper-80 chunk is 960 KB.
		size: func(r *row) int64 {
			v := int64(len(r.p.Mel))
			return 4*v + v/8 + v/int64(8*n) + 1
		},
		check: func(p *Payload) *RowError {
			if p.Mel != nil && (p.NMels != n || len(p.Mel)%n != 0) {
				return rowErr(KindInternal, "mel frames of width %d (%d values) do not fit the job's n_mels %d (a bug)", p.NMels, len(p.Mel), n)
			}
			return nil
		}}}
	if m.grid {
		cols = append(cols, gridColumn)
	}
	return cols
}
