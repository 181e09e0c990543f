#!/usr/bin/env python3
"""Single-threaded encode throughput: tokenfab (Go) vs Python tiktoken, same input.

  .venv/bin/python3 scripts/bench_text.py [--runs 5] [--enc cl100k_base ...] [FILE]

FILE defaults to ../shared/corpus/text/en_large_pd_shard_kjv_jargon_devil.txt.
Go: text/internal/cmd/textbench (GOMAXPROCS=1, Encode of the whole file, median
of the runs). Python: tiktoken's enc.encode_ordinary on the whole file
(one call, single thread), median of the runs. Both must
produce the same number of tokens. MB = 10^6 bytes.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden"))
import tiktoken_offline  # noqa: E402

ROOT = tiktoken_offline.ROOT


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--enc", action="append")
    ap.add_argument("file", nargs="?", default=os.path.join(
        ROOT, "..", "shared", "corpus", "text", "en_large_pd_shard_kjv_jargon_devil.txt"))
    a = ap.parse_args()
    encs = a.enc or ["cl100k_base", "o200k_base", "r50k_base"]

    binary = os.path.join(ROOT, ".build", "textbench")
    os.makedirs(os.path.dirname(binary), exist_ok=True)
    subprocess.run(["go", "build", "-o", binary, "./text/internal/cmd/textbench"], cwd=ROOT, check=True)

    with open(a.file, "rb") as f:
        data = f.read()
    text = data.decode("utf-8")
    print(f"input: {a.file} ({len(data):,} bytes), median of {a.runs} runs, single thread")
    print(f"{'encoding':<12} {'go MB/s':>9} {'py MB/s':>9} {'ratio':>7}  tokens")
    for enc_name in encs:
        go = json.loads(subprocess.run([binary, "-enc", enc_name, "-n", str(a.runs), a.file],
                                       check=True, capture_output=True, text=True).stdout)
        enc = tiktoken_offline.get_encoding(enc_name)
        n = len(enc.encode_ordinary(text))  # warm-up
        times = []
        for _ in range(a.runs):
            t = time.perf_counter()
            enc.encode_ordinary(text)
            times.append(time.perf_counter() - t)
        py = len(data) / 1e6 / statistics.median(times)
        if n != go["tokens"]:
            sys.exit(f"{enc_name}: token counts differ: go {go['tokens']}, tiktoken {n}")
        print(f"{enc_name:<12} {go['mb_per_s']:9.2f} {py:9.2f} {go['mb_per_s'] / py:6.2f}x  {n:,}")


if __name__ == "__main__":
    main()
