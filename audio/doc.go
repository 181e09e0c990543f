// Package audio turns audio files into log-mel spectrogram tokens (Whisper,
// AST) that match the reference feature extractors.
//
// Not built yet: see the audio issue. The pipeline reaches it through
// pipeline.Modality.
package audio
