"""Pillow side of `go test ./image -run X -bench WebPAnim -cpu 1`: the
corpus animated WebP decoded by Pillow 13 (libwebp WebPAnimDecoder), every
frame seeked and convert("RGB")-ed, and the first frame alone (open + load +
convert). Prints the median of 5 rounds of process CPU ms per call.
Run: .venv-image/bin/python scripts/golden/webp_anim_bench.py [file]
"""
import io, os, statistics, sys, time
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "corpus", "image", "webp_animated_pillow_iss634.webp")
data = open(path, "rb").read()


def all_frames():
    im = Image.open(io.BytesIO(data))
    for k in range(im.n_frames):
        im.seek(k)
        im.convert("RGB")


def first_frame():
    Image.open(io.BytesIO(data)).convert("RGB")


def cpu_ms(fn, n):
    out = []
    for _ in range(5):
        t = time.process_time()
        for _ in range(n):
            fn()
        out.append((time.process_time() - t) * 1000 / n)
    return statistics.median(out)


print(f"Pillow all frames: {cpu_ms(all_frames, 5):.2f} cpu-ms/op")
print(f"Pillow first frame: {cpu_ms(first_frame, 50):.3f} cpu-ms/op")
