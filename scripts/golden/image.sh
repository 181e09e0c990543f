#!/usr/bin/env bash
# Image goldens: makes the venv .venv-image from requirements-image.txt (once)
# and runs image_golden.py, which (re)writes the synthetic inputs in
# fixtures/image/ and the goldens in fixtures/image/golden/ from PIL and the
# transformers PIL-backend processors. Needs python3 (3.11) and, for the
# corpus part, ../shared/corpus/image (TOKENFAB_SHARED overrides ../shared).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="$ROOT/.venv-image"
REQ="$ROOT/scripts/golden/requirements-image.txt"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$REQ" "$VENV/.requirements" ; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$REQ"
  cp "$REQ" "$VENV/.requirements"
fi
# `image.sh extra`: only the fuyu/igpt/float16 goldens (image_extra.py).
if [ "${1:-}" = "extra" ]; then
  exec "$VENV/bin/python" "$ROOT/scripts/golden/image_extra.py"
fi
"$VENV/bin/python" "$ROOT/scripts/golden/image_golden.py" "$@"
exec "$VENV/bin/python" "$ROOT/scripts/golden/image_extra.py"
