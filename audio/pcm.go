package audio

// PCM is decoded audio: interleaved float32 samples at their native rate.
type PCM struct {
	// Samples are interleaved frames: Samples[i*Channels+c] is channel c of
	// frame i. Nominal range [-1, 1): integer PCM is scaled exactly as
	// `ffmpeg -f f32le` scales it (s16/32768, (u8-128)/128, s24/2^23,
	// s32/2^31); float files are passed through, so values may exceed 1.
	Samples []float32
	// Channels is the number of interleaved channels (>= 1).
	Channels int
	// SampleRate is in Hz (samples per second per channel).
	SampleRate int
	// Truncated is set when the file ended before its declared length (a
	// cut-off WAV data chunk, a truncated FLAC/MP3/Ogg stream): Samples hold
	// what could be decoded.
	Truncated bool
	// Codec names what was decoded, e.g. "wav/pcm_s16le", "flac", "mp3",
	// "vorbis", "ffmpeg".
	Codec string
}

// Frames returns the number of sample frames (samples per channel).
func (p *PCM) Frames() int {
	if p == nil || p.Channels <= 0 {
		return 0
	}
	return len(p.Samples) / p.Channels
}

// Duration returns the length in seconds (Frames / SampleRate), 0 when the
// rate is unknown.
func (p *PCM) Duration() float64 {
	if p == nil || p.SampleRate <= 0 {
		return 0
	}
	return float64(p.Frames()) / float64(p.SampleRate)
}

// Mono returns one float32 sample per frame: the mean of the channels,
// computed in float32 as sum/Channels (numpy/torch `mean(axis=channel)` on
// float32 for 1 or 2 channels). For mono input it returns Samples itself
// (not a copy).
func (p *PCM) Mono() []float32 {
	if p.Channels <= 1 {
		return p.Samples
	}
	n := p.Frames()
	out := make([]float32, n)
	c := p.Channels
	if c == 2 {
		s := p.Samples[:2*n]
		for i := range out {
			out[i] = (s[2*i] + s[2*i+1]) / 2
		}
		return out
	}
	inv := float32(c)
	for i := range out {
		fr := p.Samples[i*c : i*c+c]
		var sum float32
		for _, v := range fr {
			sum += v
		}
		out[i] = sum / inv
	}
	return out
}

// Channel returns channel ch (0-based) as a new slice of Frames() samples.
// Kaldi fbank (the AST reference) uses channel 0 rather than the mean.
func (p *PCM) Channel(ch int) []float32 {
	if p.Channels <= 1 {
		return p.Samples
	}
	n := p.Frames()
	out := make([]float32, n)
	for i := range out {
		out[i] = p.Samples[i*p.Channels+ch]
	}
	return out
}
