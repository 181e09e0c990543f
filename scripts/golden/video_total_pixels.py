"""Goldens of qwen-vl-utils' video total-pixel budget (video.Config.TotalPixels).

Runs qwen_vl_utils 0.0.14 vision_process.fetch_video itself (installed in
.venv-video by scripts/golden/video.sh --venv plus `pip install
qwen-vl-utils==0.0.14`) on stub videos: the video reader backend is replaced
by one returning an (n, 3, H, W) tensor of the requested shape (an expanded
scalar, no memory), smart_resize is wrapped to record the max_pixels
fetch_video computed, and the torchvision resize is replaced by a stub that
records the target size. So every number comes from fetch_video's own lines

    max_pixels = max(min(VIDEO_FRAME_MAX_PIXELS, total_pixels / nframes * FRAME_FACTOR), int(min_pixels * 1.05))
    max_pixels = min(max_pixels_supposed, max_pixels)

and its smart_resize. Writes fixtures/video/golden/total_pixels.json.
Usage: .venv-video/bin/python scripts/golden/video_total_pixels.py
"""
import json
import logging
import os
import types
from importlib.metadata import version

import torch
from qwen_vl_utils import vision_process as qvu

logging.getLogger(qvu.__name__).setLevel(logging.ERROR)  # "The given max_pixels exceeds limit" is expected
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "fixtures", "video", "golden", "total_pixels.json")

seen = {}


def stub_reader(ele):
    n, h, w = ele["_n"], ele["_h"], ele["_w"]
    video = torch.zeros((1, 1, 1, 1), dtype=torch.uint8).expand(n, 3, h, w)
    return video, {"fps": 2.0, "frames_indices": list(range(n)), "total_num_frames": n}, 2.0


orig_smart_resize = qvu.smart_resize


def recording_smart_resize(height, width, factor, min_pixels=None, max_pixels=None):
    seen["factor"], seen["min_pixels"], seen["max_pixels"] = factor, min_pixels, max_pixels
    return orig_smart_resize(height, width, factor, min_pixels=min_pixels, max_pixels=max_pixels)


def stub_resize(video, size, **kw):
    seen["size"] = list(size)
    return torch.zeros(1)


qvu.VIDEO_READER_BACKENDS["stub"] = stub_reader
qvu.get_video_reader_backend = lambda: "stub"
qvu.smart_resize = recording_smart_resize
qvu.transforms = types.SimpleNamespace(functional=types.SimpleNamespace(resize=stub_resize))

F = 28 * 28
DEFAULT_TOTAL = qvu.MODEL_SEQ_LEN * F * 0.9
cases = []
# (h, w, nframes, total_pixels or None, min_pixels or None, max_pixels or None)
grid = []
for h, w in [(1080, 1920), (720, 1280), (480, 640), (1920, 1080), (360, 640), (3000, 4000), (90, 160), (160, 90), (45, 80), (99, 1999)]:
    for n in [2, 4, 8, 100, 300, 302, 400, 768]:
        grid.append((h, w, n, None, None, None))                # the defaults: MODEL_SEQ_LEN budget
        grid.append((h, w, n, 20480 * F, None, None))           # Qwen2.5-VL README's total_pixels
        grid.append((h, w, n, 1000001, None, 360 * 420))        # fractional budgets, an explicit max_pixels
        grid.append((h, w, n, 7001, 3136, None))                # tiny budgets: the int(min_pixels*1.05) floor
# the fixtures of video/totalpixels_test.go, as our decoder and the qwen2-vl
# sampling see them (frames H×W after rotation, sampled count)
grid += [(160, 90, 4, 7001, 3136, 768 * F), (90, 160, 8, 30000, 3136, 768 * F), (45, 80, 4, 7001, 3136, 768 * F)]
for h, w, n, total, mn, mx in grid:
    ele = {"video": "stub", "_n": n, "_h": h, "_w": w}
    if total is not None:
        ele["total_pixels"] = total
    if mn is not None:
        ele["min_pixels"] = mn
    if mx is not None:
        ele["max_pixels"] = mx
    seen.clear()
    try:
        qvu.fetch_video(ele)
        err = None
    except Exception as e:  # smart_resize's aspect ratio check
        err = str(e)
    cases.append({
        "height": h, "width": w, "nframes": n,
        "total_pixels": float(total if total is not None else DEFAULT_TOTAL),
        "min_pixels": mn if mn is not None else qvu.VIDEO_MIN_TOKEN_NUM * F,
        "max_pixels": mx,  # null: not given (fetch_video's computed value)
        "factor": seen.get("factor"),
        "frame_max_pixels": float(seen["max_pixels"]) if "max_pixels" in seen else None,
        "resized": seen.get("size"), "error": err,
    })
with open(OUT, "w") as f:
    head = {"reference": "qwen-vl-utils %s vision_process.fetch_video (stub reader and resize)" % version("qwen-vl-utils"),
            "default_total_pixels": DEFAULT_TOTAL}
    f.write(json.dumps(head)[:-1] + ', "cases": [\n')
    f.write(",\n".join(json.dumps(c) for c in cases))
    f.write("\n]}\n")
print(len(cases), "cases ->", OUT)
