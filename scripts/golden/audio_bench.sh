#!/usr/bin/env bash
# Side-by-side benchmarks for docs/benchmarks.md (audio section), one thread:
# Python references (audio_bench.py in .venv-audio), ffmpeg decode
# throughput, then the Go benchmarks.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED="${TOKENFAB_SHARED:-$ROOT/../shared}"
"$ROOT/.venv-audio/bin/python" "$ROOT/scripts/golden/audio_bench.py"
echo "--- ffmpeg decode to f32le, -threads 1 (best of 5, wall time incl. process start)"
for f in wav_s24_extensible_48k_stereo_speech_librivox_0930_ffmpeg.wav flac_s16_44k_mono_music_lena.flac \
         mp3_128k_44k_mono_id3v24_music_lena.mp3 ogg_vorbis_44k_mono_music_lena.ogg; do
  p="$SHARED/corpus/audio/$f"
  n=$(ffmpeg -nostdin -v error -threads 1 -i "$p" -f f32le - | wc -c)
  best=999
  for _ in 1 2 3 4 5; do
    s=$(date +%s.%N); ffmpeg -nostdin -v error -threads 1 -i "$p" -f f32le - >/dev/null; e=$(date +%s.%N)
    best=$(python3 -c "print(min($best, $e-$s))")
  done
  python3 -c "print(f'$f: {$n/4} samples, {$best*1e3:.1f} ms, {$n/4/$best/1e6:.1f} Msamples/s')"
done
echo "--- Go (GOMAXPROCS=1)"
cd "$ROOT/audio" && GOMAXPROCS=1 go test -run '^$' -bench . -benchtime 2s .
