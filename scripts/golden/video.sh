#!/usr/bin/env bash
# Video goldens: makes the venv .venv-video from requirements-video.txt (once)
# and runs video_golden.py, which writes fixtures/video/golden/ from the HF
# video processors (transformers 5.23.0, torchvision backend), qwen-vl-utils'
# sampling functions, and ffprobe. Needs python3 (3.11), ffmpeg/ffprobe and,
# for corpus goldens, ../shared/corpus/video (TOKENFAB_SHARED overrides).
# `video.sh --fixtures` first re-makes fixtures/video/*.{mp4,webm,gif}
# (video_fixtures.sh). `video.sh --bench` runs the Python side of the bench (PyAV,
# decord, torchcodec); video_bench.sh runs rounds of both sides and the medians.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="$ROOT/.venv-video"
REQ="$ROOT/scripts/golden/requirements-video.txt"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$REQ" "$VENV/.requirements" ; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$REQ"
  cp "$REQ" "$VENV/.requirements"
fi
case "${1:-}" in
  --fixtures) "$ROOT/scripts/golden/video_fixtures.sh" ;;
  --bench) exec "$VENV/bin/python" "$ROOT/scripts/golden/video_bench.py" "${@:2}" ;;
  --venv) exit 0 ;;
esac
exec "$VENV/bin/python" "$ROOT/scripts/golden/video_golden.py"
