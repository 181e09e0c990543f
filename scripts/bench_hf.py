#!/usr/bin/env python3
"""Single-threaded encode throughput for tokenizer.json models: tokenfab (Go)
vs Python HF `tokenizers`, same input.

  .venv/bin/python3 scripts/bench_hf.py [--runs 3] [--tok llama3 ...] [FILE]

FILE defaults to ../shared/corpus/text/en_large_pd_shard_kjv_jargon_devil.txt
(6.4 MB). Tokenizers are ../shared/vocab/hf/NAME/tokenizer.json (default
llama3 and qwen3). Go: text/internal/cmd/textbench -tokenizer (GOMAXPROCS=1,
Encode of the whole file = encode(text, add_special_tokens=False), median of
the runs). Python: Tokenizer.encode(text, add_special_tokens=False) on the
whole file, one call per run, RAYON_NUM_THREADS=1 (no encode_batch), median of
the runs. Both must produce the same ids. MB = 10^6 bytes.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"  # before tokenizers starts its pool
from tokenizers import Tokenizer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tok", action="append")
    ap.add_argument("file", nargs="?", default=os.path.join(
        ROOT, "..", "shared", "corpus", "text", "en_large_pd_shard_kjv_jargon_devil.txt"))
    a = ap.parse_args()
    names = a.tok or ["llama3", "qwen3"]

    binary = os.path.join(ROOT, ".build", "textbench")
    os.makedirs(os.path.dirname(binary), exist_ok=True)
    subprocess.run(["go", "build", "-o", binary, "./text/internal/cmd/textbench"], cwd=ROOT, check=True)

    with open(a.file, "rb") as f:
        data = f.read()
    text = data.decode("utf-8")
    print(f"input: {a.file} ({len(data):,} bytes), median of {a.runs} runs, single thread")
    print(f"{'tokenizer':<12} {'go MB/s':>9} {'hf MB/s':>9} {'ratio':>7}  tokens")
    for name in names:
        path = os.path.join(ROOT, "..", "shared", "vocab", "hf", name, "tokenizer.json")
        go = json.loads(subprocess.run([binary, "-tokenizer", path, "-n", str(a.runs), a.file],
                                       check=True, capture_output=True, text=True).stdout)
        tok = Tokenizer.from_file(path)
        ids = tok.encode(text, add_special_tokens=False).ids  # warm-up and the reference
        times = []
        for _ in range(a.runs):
            t = time.perf_counter()
            tok.encode(text, add_special_tokens=False)
            times.append(time.perf_counter() - t)
        hf = len(data) / 1e6 / statistics.median(times)
        if len(ids) != go["tokens"]:
            sys.exit(f"{name}: token counts differ: go {go['tokens']}, HF {len(ids)}")
        print(f"{name:<12} {go['mb_per_s']:9.2f} {hf:9.2f} {go['mb_per_s'] / hf:6.1f}x  {len(ids):,}")


if __name__ == "__main__":
    main()
