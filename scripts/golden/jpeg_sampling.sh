#!/usr/bin/env bash
# JPEG sampling-factor fixtures and their Pillow goldens: writes
# fixtures/image/jpeg_sampling/*.jpg with our small test encoder (every
# sampling combination libjpeg accepts, restarts, non-interleaved scans,
# RGB/CMYK/YCCK, tiny sizes), then jpeg_sampling.py adds Pillow-encoded
# progressive files with restart intervals and writes golden.json from
# Pillow 13 (.venv-image, made by scripts/golden/image.sh). Used by
# image/internal/jpeg's tests.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
rm -f fixtures/image/jpeg_sampling/*.jpg
go run ./scripts/golden/jpeg_sampling fixtures/image/jpeg_sampling >/dev/null
"$ROOT/.venv-image/bin/python" "$ROOT/scripts/golden/jpeg_sampling.py"
