#!/usr/bin/env bash
# Side-by-side video decode benchmarks for docs/benchmarks.md (Video): R
# interleaved rounds (default 5) of ours (go test ./video -bench . -benchtime
# 5x: ffprobe + ffmpeg subprocesses, cpu-ms/op includes them) and the Python
# loaders (video_bench.py -n 1: PyAV, decord, torchcodec, 1 thread and auto),
# then the median over rounds of every cell, wall and CPU. Interleaving keeps
# both sides under the same load; the load average is printed per round.
#
#   scripts/golden/video_bench.sh [ROUNDS]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ROUNDS="${1:-5}"
"$ROOT/scripts/golden/video.sh" --venv
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$ROOT" && go test -c -o "$TMP/video.test" ./video)
for r in $(seq "$ROUNDS"); do
  echo "ROUND $r $(cat /proc/loadavg)"
  (cd "$ROOT/video" && "$TMP/video.test" -test.run X -test.bench . -test.benchtime 5x -test.count 1)
  "$ROOT/.venv-video/bin/python" "$ROOT/scripts/golden/video_bench.py" -n 1
done | tee "$TMP/rounds.txt"
echo "END $(cat /proc/loadavg)" >> "$TMP/rounds.txt"
echo "=== medians over $ROUNDS rounds"
"$ROOT/.venv-video/bin/python" "$ROOT/scripts/golden/video_bench.py" --aggregate "$TMP/rounds.txt"
