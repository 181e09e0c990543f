#!/usr/bin/env bash
# Instruction counts of text encoding under valgrind's callgrind: repeatable
# whatever the machine's load, unlike timings.
#
#   scripts/callgrind_text.sh [ENCODING] [BYTES]
#
# Encodes the first BYTES (default 1 MiB, cut back to a line end) of
# ../shared/corpus/text/en_large_pd_shard_kjv_jargon_devil.txt with
# text/internal/cmd/textbench (GOMAXPROCS=1; -n 1: a warm-up Encode and a
# timed one, so the input is encoded twice) for ENCODING (default
# cl100k_base; a path ending in .json is a Hugging Face tokenizer.json,
# e.g. ../shared/vocab/hf/deepseek_v3/tokenizer.json), and prints: total
# instructions (Ir) of the process; the Ir of one Encode, per byte (textbench -n 2 minus -n 1: callgrind's
# inclusive counts overflow 100% through recursive calls, so they cannot be
# used for that); and the top 10 functions by inclusive Ir
# (callgrind_annotate --inclusive=yes) and by self Ir, of the -n 1 run.
# Output files go to a temporary directory, kept and named at the end.
# GODEBUG=asyncpreemptoff=1: callgrind asserts on the Go runtime's
# preemption signals (SIGURG).
set -euo pipefail
cd "$(dirname "$0")/.."
enc=${1:-cl100k_base}
bytes=${2:-1048576}
flag=-enc
case $enc in *.json | *.json.gz) flag=-tokenizer ;; esac
src=../shared/corpus/text/en_large_pd_shard_kjv_jargon_devil.txt
command -v valgrind >/dev/null || { echo "valgrind missing: apt-get install -y valgrind" >&2; exit 1; }
tmp=$(mktemp -d /tmp/callgrind_text.XXXXXX)
go build -o "$tmp/textbench" ./text/internal/cmd/textbench
python3 - "$src" "$bytes" "$tmp/in.txt" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()[: int(sys.argv[2])]
data = data[: data.rfind(b"\n") + 1]
open(sys.argv[3], "wb").write(data)
PY
n=$(stat -c %s "$tmp/in.txt")
run() { # run N: callgrind textbench -n N; prints its total Ir
	GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind.$1.out" \
		"$tmp/textbench" $flag "$enc" -n "$1" "$tmp/in.txt" >"$tmp/textbench.json" 2>"$tmp/valgrind.$1.log"
	callgrind_annotate "$tmp/callgrind.$1.out" >"$tmp/exclusive.$1.txt"
	awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$tmp/exclusive.$1.txt"
}
total2=$(run 2)
total=$(run 1)
callgrind_annotate --inclusive=yes "$tmp/callgrind.1.out" >"$tmp/inclusive.txt"
echo "input: $n bytes of $(basename "$src"), encoding $enc, textbench -n 1 (encoded twice; and -n 2)"
echo "valgrind: $(valgrind --version); go: $(go env GOVERSION); tokens: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokens"])' "$tmp/textbench.json")"
awk -v t="$total" -v e="$((total2 - total))" -v n="$n" 'BEGIN {
	printf "total Ir: %.0f (%.1f per input byte, incl. loading the encoding)\n", t, t / n
	printf "one Encode: %.0f Ir (%.1f per byte; the -n 2 run minus the -n 1 run)\n", e, e / n
}'
fns() { # the top N functions of an annotate listing (a function listed
	# under two file names once), without file and binary names
	awk -v n="$2" '/^ *[0-9,]+ +[(]/ && !/PROGRAM TOTALS/ {
		line = $0; sub(/ \[[^]]*\]$/, "", line)
		ir = $1; match(line, /[(][ 0-9.]+%[)]/); pct = substr(line, RSTART, RLENGTH); gsub(/ /, "", pct); fn = line; sub(/^ *[0-9,]+ +[(][ 0-9.]+%[)] +/, "", fn); sub(/^[^ :]*:/, "", fn)
		if (seen[fn]++ || k >= n) next
		k++; printf "%15s %-9s %s\n", ir, pct, fn
	}' "$1"
}
echo "top 10 by inclusive Ir:"
fns "$tmp/inclusive.txt" 10
echo "top 10 by self Ir:"
fns "$tmp/exclusive.1.txt" 10
echo "files: $tmp"
