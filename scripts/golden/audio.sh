#!/usr/bin/env bash
# Audio goldens: makes the venv .venv-audio from requirements-audio.txt (once)
# and runs audio_golden.py, which writes fixtures/audio/golden/. Needs python3
# (3.11), ffmpeg and ../shared/corpus/audio. `audio.sh --fixtures` also
# re-makes the decoder fixtures (audio_fixtures.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="$ROOT/.venv-audio"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import torchaudio, transformers" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$ROOT/scripts/golden/requirements-audio.txt"
fi
if [ "${1:-}" = "--fixtures" ]; then "$ROOT/scripts/golden/audio_fixtures.sh"; fi
"$VENV/bin/python" "$ROOT/scripts/golden/audio_golden.py"
