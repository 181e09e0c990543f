#!/usr/bin/env bash
# Scale test of `tokenize run`: ~2 GB of JSONL text (the shared corpus
# repeated), default workers, sampled every second. Reports peak RSS, mean
# CPU busy %, records/s, MB/s, tokens and part files, and fails (exit 1)
# when the peak RSS reaches 1 GiB, when a part file's input_ids offsets do
# not fit int32, or when a part file exceeds --max-file-size.
#
# Usage: scripts/scale_test.sh   (env: SIZE_MB=2048 MAX_FILE_SIZE=256MiB
#        WORKERS=0 TMPDIR=/tmp NICE=10; needs .venv with pyarrow, from
#        scripts/test). The temp data is removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
size_mb=${SIZE_MB:-2048}
max_file=${MAX_FILE_SIZE:-256MiB}
workers=${WORKERS:-0}
py="$root/.venv/bin/python3"
corpus="$root/../shared/corpus/text"
[ -x "$py" ] || { echo "scale_test: $py missing; run scripts/test once" >&2; exit 1; }
"$py" -c 'import pyarrow' || exit 1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tokenfab-scale.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/in" "$tmp/bin"

echo "== build"
go build -o "$tmp/bin/tokenize" ./cmd/tokenize

echo "== make ${size_mb} MB of JSONL in ~64 MB files"
"$py" - "$corpus" "$tmp/in" "$size_mb" <<'EOF'
import json, pathlib, sys
corpus, out, size_mb = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
# Records: the corpus's .txt files cut into paragraphs, joined up to ~4 KB.
recs, cur = [], ""
for p in sorted(corpus.glob("*.txt")):
    for para in p.read_text(encoding="utf-8").split("\n\n"):
        cur += para + "\n\n"
        if len(cur) >= 4096:
            recs.append(cur); cur = ""
if cur:
    recs.append(cur)
lines = [json.dumps({"text": r}, ensure_ascii=False).encode() + b"\n" for r in recs]
block = b"".join(lines)
target, per_file, n, i = size_mb * 10**6, 64 * 10**6, 0, 0
while n < target:
    want = min(per_file, target - n)
    with open(out / f"shard-{i:04d}.jsonl", "wb") as f:
        w = 0
        while w < want:
            f.write(block); w += len(block)
    n += w; i += 1
print(f"{i} files, {n/1e6:.0f} MB, {len(lines)} distinct records of ~4 KB")
EOF

echo "== tokenize run (workers=${workers:-default}, --max-file-size $max_file, nice ${NICE:-10})"
nice -n "${NICE:-10}" "$tmp/bin/tokenize" run "$tmp/in" -o "$tmp/out" --workers "$workers" \
  --max-file-size "$max_file" --quiet &
pid=$!
tck=$(getconf CLK_TCK)
ncpu=$(nproc)
t0=$(date +%s.%N)
samples=0 busy_sum=0 peak_rss=0 hwm=0
prev_ticks=0 prev_t=$t0
while kill -0 "$pid" 2>/dev/null; do
  sleep 1
  st=$(cat "/proc/$pid/stat" 2>/dev/null) || break
  status=$(cat "/proc/$pid/status" 2>/dev/null) || break
  now=$(date +%s.%N)
  # utime, stime: fields 14 and 15 (the command name has no spaces).
  ticks=$(awk '{print $14+$15}' <<<"$st")
  rss=$(awk '/^VmRSS:/{print $2}' <<<"$status")
  h=$(awk '/^VmHWM:/{print $2}' <<<"$status")
  [ -n "$rss" ] && [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
  [ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
  busy=$(awk -v d="$((ticks - prev_ticks))" -v tck="$tck" -v dt="$(awk -v a="$now" -v b="$prev_t" 'BEGIN{print a-b}')" -v n="$ncpu" \
    'BEGIN{printf "%.1f", 100*d/tck/dt/n}')
  busy_sum=$(awk -v a="$busy_sum" -v b="$busy" 'BEGIN{print a+b}')
  samples=$((samples + 1)) prev_ticks=$ticks prev_t=$now
  printf '  t=%4ds rss=%4d MiB hwm=%4d MiB cpu=%5s%%\n' "$samples" $((rss / 1024)) $((h / 1024)) "$busy"
done
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || { echo "scale_test: tokenize run exited $rc" >&2; exit 1; }
peak_kib=$(( hwm > peak_rss ? hwm : peak_rss ))
mean_busy=$(awk -v s="$busy_sum" -v n="$samples" 'BEGIN{printf "%.1f", n ? s/n : 0}')

echo "== check part files"
"$py" - "$tmp/out" "$max_file" "$peak_kib" "$mean_busy" "$ncpu" <<'EOF'
import json, pathlib, re, sys
import pyarrow as pa
out, max_file, peak_kib, mean_busy, ncpu = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
m = re.fullmatch(r"(\d+)(MiB|GiB)", max_file)
limit = int(m[1]) << (20 if m[2] == "MiB" else 30)
s = json.loads((out / "_SUMMARY.json").read_text())
fail = []
parts = sorted(out.glob("part-*.arrow"))
total = 0
for p in parts:
    with pa.memory_map(str(p)) as src:
        r = pa.ipc.open_file(src)
        toks, last = 0, 0
        for i in range(r.num_record_batches):
            col = r.get_batch(i).column("input_ids")
            off = col.offsets[-1].as_py() - col.offsets[0].as_py()
            toks += off
            last = max(last, col.offsets[-1].as_py())
        total += toks
        size = p.stat().st_size
        print(f"  {p.name}: {size/2**20:.0f} MiB, {r.num_record_batches} batches, {toks} tokens, max offset {last}")
        if toks >= 2**31:
            fail.append(f"{p.name}: {toks} tokens >= 2^31 (one list<int32> column of the whole file would overflow)")
        if last >= 2**31:
            fail.append(f"{p.name}: input_ids offset {last} >= 2^31")
        if size > limit and r.num_record_batches > 1:
            fail.append(f"{p.name}: {size} bytes > --max-file-size {limit}")
if total != s["tokens"]:
    fail.append(f"tokens in files {total} != summary {s['tokens']}")
if len(parts) != len(s["files"]):
    fail.append(f"{len(parts)} part files, summary lists {len(s['files'])}")
if s["errors"]["total"]:
    fail.append(f"{s['errors']['total']} error rows")
if peak_kib >= 1 << 20:
    fail.append(f"peak RSS {peak_kib/1024:.0f} MiB >= 1 GiB")
print(f"RESULT input {s['bytes_in']/1e6:.0f} MB, {s['records']} records, {s['tokens']} tokens, "
      f"{len(parts)} part files ({s['bytes_out']/1e6:.0f} MB), {s['workers']} workers on {ncpu} CPUs")
print(f"RESULT {s['wall_seconds']:.1f} s wall, {s['records']/s['wall_seconds']:.0f} records/s, "
      f"{s['mb_per_second']:.1f} MB/s, {s['tokens_per_second']/1e6:.2f} M tokens/s")
print(f"RESULT peak RSS {peak_kib/1024:.0f} MiB (VmHWM), mean CPU busy {mean_busy}% of {ncpu} CPUs")
for f in fail:
    print("FAIL", f)
sys.exit(1 if fail else 0)
EOF
echo "scale_test: ok"
