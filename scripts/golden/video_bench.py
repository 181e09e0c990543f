"""Side-by-side speed reference for package video's decode benchmarks
(go test ./video -run X -bench Decode). Three in-process Python loaders on
the same clip and the same index sets (HF default_sample_indices_fn for
8/32 uniform; 2 fps = the frame on screen at k*0.5 s; all):

- PyAV (libav* in-process, what torchvision/PyAV-based loaders use): decode
  the stream in order, convert only the wanted frames to rgb24 ndarrays,
  stop after the last wanted one;
- decord (VideoReader.get_batch: seeks to the keyframe before each wanted
  frame; its own bundled FFmpeg);
- torchcodec (VideoDecoder, seek_mode="exact": get_frames_at for index
  sets, get_frames_played_at for 2 fps, get_frames_in_range for all; uses
  the system's FFmpeg libraries).

Every run opens the file anew (ours probes it anew). Each cell is the median
of -n runs of wall time (perf_counter) and CPU time (process_time: user+sys
of every thread of this process). "1 thread" = one decoder thread
(PyAV thread_count 1 slice, decord num_threads=1, torchcodec
num_ffmpeg_threads=1, torch.set_num_threads(1)); "auto" = each loader's
automatic threading (0 threads).

    scripts/golden/video.sh --bench [-n RUNS] [-t THREADS] [--loaders pyav,decord,torchcodec]

`--aggregate FILE` instead reads the output of rounds of the Go benchmarks
and of this script (scripts/golden/video_bench.sh) and prints each cell's
median over the rounds.
"""
import argparse
import collections
import os
import re
import statistics
import time

import av
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("TOKENFAB_SHARED", os.path.join(ROOT, "..", "shared"))
CLIP = os.path.join(SHARED, "corpus", "video", "mp4_h264_aac_960x540_29.97fps_mdn_cc0_flower.mp4")


def pyav(path, idx, times, threads):
    want = set(idx)
    last = max(want)
    out = []
    with av.open(path) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO" if threads != 1 else "SLICE"
        s.codec_context.thread_count = threads
        for i, fr in enumerate(c.decode(s)):
            if i in want:
                out.append(fr.to_ndarray(format="rgb24"))
            if i >= last:
                break
    return len(out)


def decord_load(path, idx, times, threads):
    import decord

    vr = decord.VideoReader(path, num_threads=threads)
    return vr.get_batch(idx).asnumpy().shape[0]


def torchcodec_load(path, idx, times, threads):
    from torchcodec.decoders import VideoDecoder

    d = VideoDecoder(path, num_ffmpeg_threads=threads, seek_mode="exact")
    if times is not None:
        return d.get_frames_played_at(seconds=times).data.shape[0]
    if idx == list(range(len(idx))) and len(idx) == d.metadata.num_frames:
        return d.get_frames_in_range(start=0, stop=len(idx)).data.shape[0]
    return d.get_frames_at(indices=idx).data.shape[0]


LOADERS = {"pyav": pyav, "decord": decord_load, "torchcodec": torchcodec_load}


def version(name):
    if name == "pyav":
        return av.__version__
    mod = __import__(name)
    return getattr(mod, "__version__", "?")


def aggregate(path):
    go, py, loads = collections.defaultdict(list), collections.defaultdict(list), []
    for line in open(path):
        m = re.match(r"(Benchmark\w+)-\d+\s+\d+\s+(\d+) ns/op\s+([\d.]+) cpu-ms/op", line)
        if m:
            go[m[1]].append((int(m[2]) / 1e6, float(m[3])))
            continue
        m = re.match(r"(\w+ [\w.]+)\s+(\w+)\s+(\w+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+$", line)
        if m:
            py[(m[1], m[2], m[3], int(m[4]))].append((float(m[5]), float(m[6])))
            continue
        if line.startswith(("ROUND", "END")):
            loads.append(line.split()[2])
    med = statistics.median
    print("load average (1 min) at each round's start and the end:", " ".join(loads))
    print(f"{'cell':40s} {'runs':>4s} {'wall ms':>8s} {'cpu ms':>8s}")
    for k, v in go.items():
        print(f"{'tokenfab ' + k:40s} {len(v):4d} {med(w for w, _ in v):8.0f} {med(c for _, c in v):8.0f}")
    for k, v in py.items():
        name = f"{k[0]} t={k[1]} {k[2]} ({k[3]})"
        print(f"{name:40s} {len(v):4d} {med(w for w, _ in v):8.1f} {med(c for _, c in v):8.1f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("-t", type=int, default=None, help="decoder threads (0 = auto); default: both 1 and 0")
    ap.add_argument("--loaders", default="pyav,decord,torchcodec")
    ap.add_argument("--aggregate", metavar="FILE", help="print medians of rounds in FILE (video_bench.sh) and exit")
    a = ap.parse_args()
    if a.aggregate:
        return aggregate(a.aggregate)
    with av.open(CLIP) as c:
        s = c.streams.video[0]
        N = sum(1 for _ in c.demux(s) if _.size)
        fps = float(s.average_rate)
    pts = [i / fps for i in range(N)]
    ticks = [k * 0.5 for k in range(int(np.ceil(N / fps / 0.5)))]
    sets = {
        "uniform8": ([i * N // 8 for i in range(8)], None),
        "uniform32": ([i * N // 32 for i in range(32)], None),
        "fps2": (sorted({max(j for j in range(N) if pts[j] <= t + 1e-6) for t in ticks}), ticks),
        "all": (list(range(N)), None),
    }
    threads = [a.t] if a.t is not None else [1, 0]
    names = a.loaders.split(",")
    if "torchcodec" in names:
        import torch

    print(f"clip {os.path.basename(CLIP)}: {N} frames, {fps:.3f} fps; median of {a.n} runs")
    print(f"{'loader':22s} {'threads':7s} {'set':10s} {'frames':>6s} {'wall ms':>8s} {'cpu ms':>8s} {'frames/s':>8s}")
    for name in names:
        fn = LOADERS[name]
        for t in threads:
            if name == "torchcodec":
                torch.set_num_threads(max(t, 1) if t else os.cpu_count())
            for set_name, (idx, times) in sets.items():
                walls, cpus = [], []
                fn(CLIP, idx, times if set_name == "fps2" else None, t)  # warm the page cache and imports
                for _ in range(a.n):
                    w0, c0 = time.perf_counter(), time.process_time()
                    got = fn(CLIP, idx, times if set_name == "fps2" else None, t)
                    cpus.append(time.process_time() - c0)
                    walls.append(time.perf_counter() - w0)
                    want = len(times) if (set_name == "fps2" and name == "torchcodec") else len(idx)
                    assert got == want, (name, set_name, got, want)
                w, c = statistics.median(walls), statistics.median(cpus)
                print(f"{name + ' ' + version(name):22s} {t or 'auto'!s:7s} {set_name:10s} {len(idx):6d} {w*1000:8.1f} {c*1000:8.1f} {len(idx)/w:8.1f}", flush=True)


if __name__ == "__main__":
    main()
