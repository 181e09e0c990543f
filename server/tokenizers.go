package server

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tokenfab/tokenfab/audio"
	"github.com/tokenfab/tokenfab/image"
	"github.com/tokenfab/tokenfab/pipeline"
	"github.com/tokenfab/tokenfab/text"
)

// Modalities served.
const (
	modText  = pipeline.ModText
	modImage = pipeline.ModImage
	modAudio = pipeline.ModAudio
)

// audioPresets are the audio presets served (log-mel needs a LogMelConfig,
// which requests cannot set).
var audioPresets = []string{audio.PresetAST, audio.PresetWhisper128, audio.PresetWhisper80}

// unservedImagePresets are image presets a request cannot build, with why:
// igpt needs the checkpoint's colour clusters (image.Config.Palette), and
// requests have no way to pass them.
var unservedImagePresets = map[string]string{
	"igpt": "preset igpt needs the checkpoint's colour palette (image.Config.Palette), which a request cannot pass; use tokenize run --image-preset igpt --palette PATH",
}

// ImagePresets lists the image presets served: image.Presets() without the
// ones a request cannot build.
func ImagePresets() []string {
	var s []string
	for _, p := range image.Presets() {
		if _, no := unservedImagePresets[p]; !no {
			s = append(s, p)
		}
	}
	return s
}

// patchDTypes are the image patch dtypes served.
var patchDTypes = []string{"uint8", "float32"}

// tokKey names one tokenizer: modality, encoding/preset, and for images
// the patch dtype.
type tokKey struct{ modality, name, dtype string }

// tokenizer is one built tokenizer; exactly one of text, image, audio is
// set. mod is its pipeline adapter, for Arrow answers.
type tokenizer struct {
	key   tokKey
	text  *text.Tokenizer
	image *image.Tokenizer
	audio *audio.Tokenizer
	mod   pipeline.Modality
}

type cacheEntry struct {
	once sync.Once
	tok  *tokenizer
	err  error
}

// cache builds each tokenizer once, on first use. Only known names are
// admitted (validate), so it holds at most one entry per known
// (modality, name, dtype).
type cache struct {
	cfg Config
	mu  sync.Mutex
	m   map[tokKey]*cacheEntry
}

func newCache(cfg Config) *cache { return &cache{cfg: cfg, m: map[tokKey]*cacheEntry{}} }

// validate fills defaults into k and checks it names a known tokenizer; the
// error says what the known names are.
func validate(k *tokKey) *apiError {
	known := func(what, v string, names []string) *apiError {
		if slices.Contains(names, v) {
			return nil
		}
		return errf(400, "unknown_"+what, "unknown %s %s %q: use one of %s", k.modality, what, v, strings.Join(names, ", "))
	}
	switch k.modality {
	case modText:
		if k.name == "" {
			k.name = DefaultEncoding
		}
		if k.dtype != "" {
			return errf(400, "bad_parameter", "patch_dtype is for images; drop it for text")
		}
		return known("encoding", k.name, text.Encodings())
	case modImage:
		if k.name == "" {
			k.name = DefaultImagePreset
		}
		if k.dtype == "" {
			k.dtype = "uint8"
		}
		if why, no := unservedImagePresets[k.name]; no {
			return errf(400, "unsupported_preset", "%s; served image presets: %s", why, strings.Join(ImagePresets(), ", "))
		}
		if e := known("preset", k.name, ImagePresets()); e != nil {
			return e
		}
		return known("patch_dtype", k.dtype, patchDTypes)
	case modAudio:
		if k.name == "" {
			k.name = DefaultAudioPreset
		}
		if k.dtype != "" {
			return errf(400, "bad_parameter", "patch_dtype is for images; drop it for audio")
		}
		return known("preset", k.name, audioPresets)
	case "":
		return errf(400, "missing_modality", "say which modality the body is: modality=text|image|audio (query parameter or form field), or a Content-Type of text/plain, image/* or audio/*")
	}
	return errf(400, "unknown_modality", "unknown modality %q: use text, image or audio", k.modality)
}

// get returns the tokenizer for a validated key, building it on first use.
func (c *cache) get(k tokKey) (*tokenizer, error) {
	c.mu.Lock()
	e := c.m[k]
	if e == nil {
		e = &cacheEntry{}
		c.m[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.tok, e.err = c.build(k) })
	return e.tok, e.err
}

func (c *cache) build(k tokKey) (*tokenizer, error) {
	t := &tokenizer{key: k}
	var err error
	switch k.modality {
	case modText:
		if t.text, err = text.New(text.Config{Encoding: k.name}); err == nil {
			t.mod = pipeline.NewText(t.text)
		}
	case modImage:
		t.image, err = image.New(image.Config{Preset: k.name, PatchDType: k.dtype,
			MaxImagePixels: c.cfg.MaxImagePixels, MaxFileBytes: c.cfg.MaxBodyBytes})
		if err == nil {
			t.mod, err = pipeline.NewImage(t.image)
		}
	case modAudio:
		// FFmpeg off: a server does not start subprocesses per request;
		// WAV, FLAC, MP3 and Ogg Vorbis decode natively.
		t.audio, err = audio.New(audio.Config{Preset: k.name, FFmpeg: "off",
			MaxBytes: c.cfg.MaxBodyBytes, MaxDurationSeconds: c.cfg.MaxAudioSeconds})
		if err == nil {
			t.mod, err = pipeline.NewAudio(t.audio)
		}
	default:
		err = fmt.Errorf("unknown modality %q", k.modality)
	}
	if err != nil {
		return nil, fmt.Errorf("building the %s tokenizer %s: %w", k.modality, k.name, err)
	}
	return t, nil
}
