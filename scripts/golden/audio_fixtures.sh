#!/usr/bin/env bash
# Makes the small decoder fixtures in fixtures/audio/ with the ffmpeg CLI and,
# next to each, NAME.f32: what `ffmpeg -i NAME -f f32le -` decodes it to (the
# reference the Go decoders are tested against). Sources: a 0.4 s excerpt of
# the public-domain LibriVox recording wav_s16_16k_mono_speech_librivox_0920
# (../shared/corpus/audio) and synthetic tones made by ffmpeg's lavfi.
# Needs: ffmpeg (Debian package `ffmpeg`, 5.1). Re-running rewrites them.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED="${TOKENFAB_SHARED:-$ROOT/../shared}"
OUT="$ROOT/fixtures/audio"
mkdir -p "$OUT"
cd "$OUT"
FF=(ffmpeg -nostdin -v error -y -bitexact)
SPEECH="$SHARED/corpus/audio/wav_s16_16k_mono_speech_librivox_0920.wav"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
# 0.4 s of speech (from 1.0 s), 16 kHz mono s16.
"${FF[@]}" -ss 1.0 -t 0.4 -i "$SPEECH" -c:a pcm_s16le "$TMP/speech.wav"
# 0.3 s stereo: 440 Hz left, 1000 Hz right, 44.1 kHz.
"${FF[@]}" -f lavfi -i "sine=f=440:r=44100:d=0.3" -f lavfi -i "sine=f=1000:r=44100:d=0.3" \
  -filter_complex "[0][1]amerge=inputs=2" -c:a pcm_f32le "$TMP/stereo.wav"

w() { "${FF[@]}" -i "$1" "${@:3}" "$2"; }
w "$TMP/speech.wav" wav_s16.wav -c:a pcm_s16le
w "$TMP/speech.wav" wav_u8.wav -c:a pcm_u8
w "$TMP/speech.wav" wav_s24.wav -c:a pcm_s24le            # extensible (ffmpeg default for 24-bit)
w "$TMP/speech.wav" wav_s32.wav -c:a pcm_s32le
w "$TMP/speech.wav" wav_f32.wav -c:a pcm_f32le
w "$TMP/speech.wav" wav_f64.wav -c:a pcm_f64le
w "$TMP/speech.wav" wav_alaw.wav -c:a pcm_alaw
w "$TMP/speech.wav" wav_mulaw.wav -c:a pcm_mulaw
w "$TMP/speech.wav" wav_rf64_s16.wav -c:a pcm_s16le -rf64 always
w "$TMP/stereo.wav" wav_s16_stereo_44k.wav -c:a pcm_s16le
# Streaming sizes: ffmpeg writing to a pipe leaves 0xFFFFFFFF in RIFF and data.
"${FF[@]}" -i "$TMP/speech.wav" -c:a pcm_s16le -f wav - > wav_s16_streaming.wav
# Truncated: the last 1001 bytes cut off (mid-frame).
cp wav_s16.wav "$TMP/full.wav"; head -c $(( $(stat -c %s "$TMP/full.wav") - 1001 )) "$TMP/full.wav" > wav_s16_truncated.wav
# Compressed formats.
w "$TMP/speech.wav" flac_s16.flac -c:a flac
w "$TMP/speech.wav" flac_s24.flac -c:a flac -sample_fmt s32 -bits_per_raw_sample 24
w "$TMP/stereo.wav" flac_s16_stereo_44k.flac -c:a flac -sample_fmt s16
w "$TMP/speech.wav" mp3_16k_mono.mp3 -c:a libmp3lame -b:a 32k
w "$TMP/stereo.wav" mp3_44k_stereo.mp3 -c:a libmp3lame -b:a 96k
w "$TMP/speech.wav" mp3_16k_mono_cbr_noxing.mp3 -c:a libmp3lame -b:a 32k -write_xing 0
w "$TMP/speech.wav" ogg_vorbis_16k.ogg -c:a libvorbis -q:a 3
w "$TMP/stereo.wav" ogg_vorbis_44k_stereo.ogg -c:a libvorbis -q:a 3
w "$TMP/speech.wav" opus_16k.opus -c:a libopus -b:a 24k

for f in *.wav *.flac *.mp3 *.ogg *.opus; do
  ffmpeg -nostdin -v error -y -i "$f" -f f32le "$f.f32"
done
ls -l "$OUT" | awk '{s+=$5} END {print "fixtures/audio total bytes:", s}'
