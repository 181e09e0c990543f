#!/usr/bin/env bash
# Side-by-side benchmarks for docs/benchmarks.md (audio section), one thread:
# Python references (audio_bench.py in .venv-audio), decode throughput vs
# ffmpeg (bench_audio_decode.py), then the Go benchmarks.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED="${TOKENFAB_SHARED:-$ROOT/../shared}"
"$ROOT/.venv-audio/bin/python" "$ROOT/scripts/golden/audio_bench.py"
echo "--- decode throughput, tokenfab vs ffmpeg, CPU time (scripts/bench_audio_decode.py)"
python3 "$ROOT/scripts/bench_audio_decode.py" --shared "$SHARED"
echo "--- Go (GOMAXPROCS=1)"
cd "$ROOT/audio" && GOMAXPROCS=1 go test -run '^$' -bench . -benchtime 2s .
