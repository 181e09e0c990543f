#!/usr/bin/env bash
# Re-makes the small video fixtures in fixtures/video/ from the corpus
# (../shared/corpus/video, CC0; TOKENFAB_SHARED overrides ../shared) with
# ffmpeg (made with ffmpeg 5.1 Debian). Exact commands below; outputs are
# committed, so tests never need this script.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SRC="${TOKENFAB_SHARED:-$ROOT/../shared}/corpus/video"
OUT="$ROOT/fixtures/video"
mkdir -p "$OUT"
FF=(ffmpeg -nostdin -v error -y -bitexact)
# 1. VFR: first 60 frames at 1/29.97 s, then every 4th (0.133 s): 83 frames, 160x90.
"${FF[@]}" -i "$SRC/mp4_h264_vfr_640x360_flower_ffmpeg.mp4" -map 0:v:0 -vf scale=160:90 -fps_mode passthrough \
  -c:v libx264 -preset veryfast -crf 30 -threads 1 -an -map_metadata -1 "$OUT/vfr_160x90.mp4"
# 2. Rotation: 1 s of the flower clip at 160x90 with a 90 degree display matrix (displays 90x160).
"${FF[@]}" -i "$SRC/mp4_h264_aac_960x540_29.97fps_mdn_cc0_flower.mp4" -t 1 -map 0:v:0 -vf scale=160:90 \
  -c:v libx264 -preset veryfast -crf 30 -threads 1 -an -map_metadata -1 "$OUT/tmp_norot.mp4"
"${FF[@]}" -i "$OUT/tmp_norot.mp4" -c copy -metadata:s:v:0 rotate=90 "$OUT/rot90_160x90.mp4"
rm -f "$OUT/tmp_norot.mp4"
# 3. Odd dimensions VP9 + Opus WebM, 1 s, 95x53.
"${FF[@]}" -i "$SRC/webm_vp9_opus_odd_dims_479x269_flower_ffmpeg.webm" -t 1 -vf scale=95:53 -c:v libvpx-vp9 -b:v 100k \
  -deadline good -cpu-used 4 -threads 1 -c:a libopus -b:a 24k -map_metadata -1 "$OUT/odd_95x53_vp9.webm"
# 4. Audio stream first (stream #0 AAC, #1 H.264), 1.5 s, 160x120, B-frames.
"${FF[@]}" -i "$SRC/mp4_h264_aac_640x480_audio_stream_first_mdn_cc0_friday.mp4" -t 1.5 -map 0:a:0 -map 0:v:0 \
  -vf scale=160:120 -c:v libx264 -preset veryfast -crf 30 -threads 1 -c:a aac -b:a 32k -ac 1 -map_metadata -1 "$OUT/audio_first_160x120.mp4"
# 5. Animated GIF, 1 s at 10 fps, 80x45, per-clip palette (ffmpeg's GIF muxer writes disposal/transparency optimisations).
"${FF[@]}" -i "$SRC/gif_animated_240x135_10fps_flower_ffmpeg.gif" -t 1 \
  -vf "scale=80:45:flags=lanczos,split[a][b];[a]palettegen[p];[b][p]paletteuse" "$OUT/anim_80x45.gif"
ls -l "$OUT"
