#!/usr/bin/env python3
"""Audio decode throughput, tokenfab vs ffmpeg, one thread, CPU time.

For each corpus file of audio/bench_test.go's decodeBenchFiles:
  * ffmpeg: `ffmpeg -nostdin -v error -threads 1 -i FILE -f f32le -` to a
    pipe that is read and counted. Its CPU time (user+sys of the child,
    from getrusage) is taken two ways: the whole process ("per file", what a
    subprocess-per-file loader pays, start-up included), and the decode
    alone, as (CPU of `-stream_loop 49`, i.e. 50 decodes in one process,
    minus CPU of 1 decode) / 49.
  * tokenfab: `go test ./audio -bench 'DecodeCorpus$' -cpu 1 -count N`
    (GOMAXPROCS=1), its cpu-ms/op: decoding the file held in memory with the
    builtin decoders (no file reading, like ffmpeg's decode-only column
    with the file in the page cache).
Samples count every channel. Every number is the median of N runs (-n,
default 5). Usage: scripts/bench_audio_decode.py [-n 5] [--shared DIR]
"""
import argparse
import os
import pathlib
import re
import resource
import statistics
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]
LOOPS = 50  # decodes in one ffmpeg process for the decode-only column


def bench_files():
    src = (ROOT / "audio" / "bench_test.go").read_text()
    block = src[src.index("var decodeBenchFiles"):]
    block = block[:block.index("}")]
    return re.findall(r'"([^"]+)"', block)


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def ffmpeg_cpu(path, loops):
    """CPU seconds of one ffmpeg run decoding path `loops` times, and the
    number of float32 samples it wrote."""
    args = ["ffmpeg", "-nostdin", "-v", "error", "-threads", "1"]
    if loops > 1:
        args += ["-stream_loop", str(loops - 1)]
    args += ["-i", str(path), "-f", "f32le", "-"]
    c0 = child_cpu()
    p = subprocess.Popen(args, stdout=subprocess.PIPE)
    n = 0
    while True:
        b = p.stdout.read(1 << 20)
        if not b:
            break
        n += len(b)
    if p.wait() != 0:
        raise SystemExit(f"ffmpeg failed on {path}")
    return child_cpu() - c0, n // 4


def go_cpu_ms(runs):
    env = dict(os.environ, GOMAXPROCS="1")
    out = subprocess.run(["go", "test", "./audio", "-run", "^$", "-bench", "DecodeCorpus$", "-benchtime", "10x",
                          "-cpu", "1", "-count", str(runs)], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    res = {}
    for m in re.finditer(r"BenchmarkDecodeCorpus/(\S+?)\s+\d+\s+.*?([\d.]+) cpu-ms/op", out):
        res.setdefault(m.group(1), []).append(float(m.group(2)))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--shared", default=os.environ.get("TOKENFAB_SHARED", ROOT.parent / "shared"))
    a = ap.parse_args()
    corpus = pathlib.Path(a.shared) / "corpus" / "audio"
    ours = go_cpu_ms(a.n)
    print("| file | samples | ffmpeg per file (process CPU) | ffmpeg decode only (CPU) | tokenfab (CPU) | tokenfab / ffmpeg decode |")
    print("|---|---|---|---|---|---|")
    for f in bench_files():
        one, dec = [], []
        n = 0
        for _ in range(a.n):
            c1, n = ffmpeg_cpu(corpus / f, 1)
            cl, nl = ffmpeg_cpu(corpus / f, LOOPS)
            # MP3: the loops are not trimmed one by one (529 samples more each).
            if abs(nl - LOOPS * n) > LOOPS * n // 100:
                raise SystemExit(f"{f}: -stream_loop {LOOPS - 1} wrote {nl} samples, want about {LOOPS * n}")
            one.append(c1)
            dec.append((cl - c1) / (LOOPS - 1))
        p, d = statistics.median(one), statistics.median(dec)
        o = statistics.median(ours[f]) / 1e3
        ms = lambda s: f"{s * 1e3:.1f} ms = {n / s / 1e6:.1f} M/s"
        print(f"| {f} | {n:,} | {ms(p)} | {ms(d)} | {ms(o)} | {d / o:.2f}× |")


if __name__ == "__main__":
    main()
