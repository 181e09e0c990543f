"""Side-by-side speed reference for package video's decode benchmarks
(go test ./video -run X -bench Decode). PyAV (libav* in-process, the
decoder torchvision/PyAV-based loaders use): open the file, decode the video
stream in order, convert only the wanted frames to rgb24 ndarrays; stop
after the last wanted frame. Same clip, same index sets (HF
default_sample_indices_fn for 8/32 uniform; 2 fps = frame on screen at
k*0.5 s; all). One thread per codec context unless -t.

    scripts/golden/video.sh --bench [-n RUNS] [-t THREADS]
"""
import argparse
import os
import time

import av
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("TOKENFAB_SHARED", os.path.join(ROOT, "..", "shared"))
CLIP = os.path.join(SHARED, "corpus", "video", "mp4_h264_aac_960x540_29.97fps_mdn_cc0_flower.mp4")


def decode(path, want, threads):
    want = set(want)
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
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("-t", type=int, default=0, help="decoder threads (0 = auto)")
    a = ap.parse_args()
    with av.open(CLIP) as c:
        s = c.streams.video[0]
        N = sum(1 for _ in c.demux(s) if _.size)
        fps = float(s.average_rate)
    pts = [i / fps for i in range(N)]
    sets = {
        "uniform8": [i * N // 8 for i in range(8)],
        "uniform32": [i * N // 32 for i in range(32)],
        "fps2": sorted({max(j for j in range(N) if pts[j] <= k * 0.5 + 1e-6) for k in range(int(np.ceil(N / fps / 0.5)))}),
        "all": list(range(N)),
    }
    print(f"PyAV {av.__version__}, {N} frames, threads={a.t or 'auto'}")
    for name, idx in sets.items():
        best = []
        for _ in range(a.n):
            t0 = time.perf_counter()
            fr = decode(CLIP, idx, a.t)
            best.append(time.perf_counter() - t0)
            assert len(fr) == len(idx)
        m = float(np.median(best))
        print(f"{name:10s} {len(idx):4d} frames  median {m*1000:7.1f} ms  {len(idx)/m:7.1f} frames/s")


if __name__ == "__main__":
    main()
