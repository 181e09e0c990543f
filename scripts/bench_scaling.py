#!/usr/bin/env python3
"""Scaling of `tokenize run` on text from 1 to 2 workers.

  python3 scripts/bench_scaling.py [--runs 3] [--copies 8] [--encoding cl100k_base]
                                   [--tokenizer PATH] [--workers 1,2] [FILE]

Builds cmd/tokenize, cuts FILE (default the 6.4 MB
../shared/corpus/text/en_large_pd_shard_kjv_jargon_devil.txt) into ~8 KB
records at line ends, writes them --copies times into a temporary JSONL
(about 51 MB by default) and runs `tokenize run JSONL -o DIR -q --workers N`
for each N, alternating the worker counts within each round, --runs rounds.
For each N it prints the median wall time, MB/s (10^6 bytes of record text
per wall second), process CPU time (user+sys of the child, from wait4),
CPU/wall (the cores the shared machine really lent the process), MB per
CPU-second (work per byte: flat if a second worker adds no overhead,
whatever the load) and the speedup over the first N. The load average
before and after goes with the table, as the machine is shared. Every run
must write the same token count and part files (SHA-256 in _SUMMARY.json).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def records(data, size=8192):
    """Splits text into pieces of about size bytes, ending at a newline."""
    out, i = [], 0
    while i < len(data):
        j = data.find("\n", i + size)
        j = len(data) if j < 0 else j + 1
        out.append(data[i:j])
        i = j
    return out


def run_once(binary, jsonl, outdir, workers, extra):
    shutil.rmtree(outdir, ignore_errors=True)
    cmd = [binary, "run", jsonl, "-o", outdir, "-q", "--workers", str(workers)] + extra
    t = time.perf_counter()
    p = subprocess.Popen(cmd)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {p.returncode}")
    with open(os.path.join(outdir, "_SUMMARY.json")) as f:
        summary = json.load(f)
    return wall, ru.ru_utime + ru.ru_stime, summary


def tokens_of(summary):
    """The token count and the part files' SHA-256 in _SUMMARY.json."""
    return summary["tokens"], tuple(f["sha256"] for f in summary["files"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--copies", type=int, default=8)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--encoding", default="cl100k_base")
    ap.add_argument("--tokenizer", help="HF tokenizer.json instead of --encoding")
    ap.add_argument("file", nargs="?", default=os.path.join(
        ROOT, "..", "shared", "corpus", "text", "en_large_pd_shard_kjv_jargon_devil.txt"))
    a = ap.parse_args()
    workers = [int(w) for w in a.workers.split(",")]
    extra = ["--tokenizer", a.tokenizer] if a.tokenizer else ["--encoding", a.encoding]

    binary = os.path.join(ROOT, ".build", "tokenize")
    os.makedirs(os.path.dirname(binary), exist_ok=True)
    subprocess.run(["go", "build", "-o", binary, "./cmd/tokenize"], cwd=ROOT, check=True)

    with open(a.file, encoding="utf-8") as f:
        recs = records(f.read())
    tmp = tempfile.mkdtemp(prefix="bench_scaling.")
    try:
        jsonl = os.path.join(tmp, "in.jsonl")
        nbytes = 0
        with open(jsonl, "w", encoding="utf-8") as f:
            for c in range(a.copies):
                for k, r in enumerate(recs):
                    f.write(json.dumps({"id": f"{c}-{k}", "text": r}) + "\n")
                    nbytes += len(r.encode("utf-8"))
        load0 = os.getloadavg()
        print(f"input: {a.copies} x {a.file} as {a.copies * len(recs):,} records of ~8 KB, "
              f"{nbytes / 1e6:.1f} MB of text; {' '.join(extra)}; median of {a.runs} alternating runs")
        print(f"load average before: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}; cpus: {os.cpu_count()}")
        res = {w: [] for w in workers}
        ref = None
        for _ in range(a.runs):
            for w in workers:
                wall, cpu, summary = run_once(binary, jsonl, os.path.join(tmp, "out"), w, extra)
                tok = tokens_of(summary)
                if ref is None:
                    ref = tok
                elif tok != ref:
                    sys.exit(f"--workers {w}: output differs ({tok} vs {ref})")
                res[w].append((wall, cpu))
        load1 = os.getloadavg()
        print(f"{'workers':>7} {'wall s':>8} {'MB/s':>7} {'CPU s':>7} {'CPU/wall':>8} {'MB/CPU-s':>8} {'speedup':>8}")
        base = None
        for w in workers:
            wall = statistics.median(x[0] for x in res[w])
            cpu = statistics.median(x[1] for x in res[w])
            base = base or wall
            print(f"{w:>7} {wall:>8.2f} {nbytes / 1e6 / wall:>7.1f} {cpu:>7.2f} {cpu / wall:>8.2f} "
                  f"{nbytes / 1e6 / cpu:>8.1f} {base / wall:>7.2f}x")
        print(f"load average after: {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}; "
              f"tokens: {ref[0]:,}, same part files (SHA-256) in every run")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
