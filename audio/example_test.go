package audio_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/tokenfab/tokenfab/audio"
)

// sineWAV is a mono 16-bit 16 kHz WAV file of a 440 Hz tone.
func sineWAV(seconds float64) []byte {
	const rate = 16000
	n := int(seconds * rate)
	b := make([]byte, 44+2*n)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], rate)
	binary.LittleEndian.PutUint32(b[28:], 2*rate)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*n))
	for i := range n {
		v := int16(math.Round(8000 * math.Sin(2*math.Pi*440*float64(i)/rate)))
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	return b
}

// Whisper features: one 30-s chunk of 3000 frames × 80 mels, whatever the
// clip's length (it is padded, as openai/whisper does).
func ExampleTokenizer_Tokenize() {
	tok, err := audio.New(audio.Config{Preset: audio.PresetWhisper80})
	if err != nil {
		panic(err)
	}
	tk, err := tok.Tokenize(context.Background(), sineWAV(1.5))
	if err != nil {
		panic(err)
	}
	fmt.Println("frames", tk.NFrames, "mels", tk.NMels, "tokens", tk.NumTokens, "chunks", tk.Chunks)
	fmt.Printf("duration %.2fs codec %s rate %d\n", tk.DurationSeconds, tk.Codec, tk.SampleRate)
	// Output:
	// frames 3000 mels 80 tokens 3000 chunks 1
	// duration 1.50s codec wav/pcm_s16le rate 16000
}
