"""Video goldens for package video (run through scripts/golden/video.sh).

Writes fixtures/video/golden/:
  sampling.json.gz  frame indices from the references for a grid of
                    (N frames, source fps, parameters):
                    - transformers 5.23.0 Qwen2VLVideoProcessor.sample_frames
                    - transformers default_sample_indices_fn (uniform)
                    - qwen-vl-utils 0.0.14 smart_nframes + the torch.linspace
                      line of its readers
                    - LLaVA-Video load_video's formula (numpy)
  presets.json      per case: the frame indices the reference sampler picks,
                    video_grid_thw / pixel_values shape, sha256 of the float32
                    pixel values, and the name of a .bin.gz with a strided
                    subset of the reference values (float32) for tolerance
                    checks.
  <case>.bin.gz     little-endian: uint32 count, uint32 stride, then count
                    float32 values pixel_values.flat[0::stride].

Frames: every frame of the file decoded by plain ffmpeg (default autorotate,
-fps_mode passthrough, rgb24), then indexed with the reference sampler's
indices, then the HF video processor (torchvision backend) on the uint8
frames. Needs ffmpeg; corpus cases need ../shared/corpus/video.
"""
import gzip
import hashlib
import json
import math
import os
import struct
import subprocess
import sys

import numpy as np
import torch
from transformers import Qwen2VLVideoProcessor, VideoMAEVideoProcessor, VivitVideoProcessor
from transformers.video_utils import VideoMetadata, default_sample_indices_fn
from qwen_vl_utils import vision_process as qvu

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.environ.get("TOKENFAB_SHARED", os.path.join(ROOT, "..", "shared"))
OUT = os.path.join(ROOT, "fixtures", "video", "golden")
IMAGENET_DEFAULT_MEAN = [0.485, 0.456, 0.406]
IMAGENET_DEFAULT_STD = [0.229, 0.224, 0.225]


def hf_qwen_indices(N, fps_src, num_frames=None, fps=None):
    p = Qwen2VLVideoProcessor()
    md = VideoMetadata(total_num_frames=N, fps=fps_src)
    kw = {}
    if num_frames is not None:
        kw["num_frames"] = num_frames
    else:
        kw["fps"] = fps
    return [int(i) for i in p.sample_frames(md, **kw)]


def utils_indices(N, fps_src, nframes=None, fps=None):
    ele = {"nframes": nframes} if nframes is not None else {"fps": fps}
    n = qvu.smart_nframes(ele, total_frames=N, video_fps=fps_src)
    # the index line of qwen-vl-utils' readers (start_frame 0, end_frame N-1)
    return [int(i) for i in torch.linspace(0, N - 1, n).round().long().tolist()]


def llava_indices(N, fps_src, max_frames_num, fps=1, force_sample=False):
    # LLaVA-NeXT load_video (llava/train video loader and demos):
    #   fps = round(vr.get_avg_fps()/fps); frame_idx = [i for i in range(0, len(vr), fps)]
    #   if len(frame_idx) > max_frames_num or force_sample:
    #       frame_idx = np.linspace(0, total_frame_num - 1, max_frames_num, dtype=int).tolist()
    step = round(fps_src / fps)
    idx = list(range(0, N, step)) if step >= 1 else []
    if len(idx) > max_frames_num or force_sample or step < 1:
        idx = np.linspace(0, N - 1, max_frames_num, dtype=int).tolist()
    return [int(i) for i in idx]


def uniform_indices(N, num_frames):
    return [int(i) for i in default_sample_indices_fn(VideoMetadata(total_num_frames=N, fps=30.0), num_frames=num_frames)]


def try_(f, *a, **k):
    try:
        return f(*a, **k)
    except (ValueError, ZeroDivisionError, AssertionError) as e:
        return {"error": type(e).__name__}


def sampling_cases():
    Ns = list(range(1, 65)) + [83, 90, 97, 150, 185, 299, 300, 301, 600, 997, 1000, 1799, 3001, 9999, 30000, 100001]
    fpss = [29.97002997002997, 30.0, 25.0, 17.395416, 10.0, 60.0, 1.0, 0.4]
    nfs = [1, 2, 3, 4, 7, 8, 16, 32, 38, 64, 768]
    cases = []
    for N in Ns:
        for f in fpss:
            cases.append({"policy": "hf-qwen2-vl", "N": N, "avg_fps": f, "fps": 2.0, "indices": try_(hf_qwen_indices, N, f, fps=2.0)})
            cases.append({"policy": "hf-qwen2-vl", "N": N, "avg_fps": f, "fps": 0.5, "indices": try_(hf_qwen_indices, N, f, fps=0.5)})
            cases.append({"policy": "qwen-vl-utils", "N": N, "avg_fps": f, "fps": 2.0, "indices": try_(utils_indices, N, f, fps=2.0)})
            for m in (32, 64):
                cases.append({"policy": "llava-video", "N": N, "avg_fps": f, "fps": 1.0, "num_frames": m, "indices": try_(llava_indices, N, f, m)})
            cases.append({"policy": "llava-video", "N": N, "avg_fps": f, "fps": 1.0, "num_frames": 16, "force_sample": True,
                          "indices": try_(llava_indices, N, f, 16, force_sample=True)})
        for n in nfs:
            cases.append({"policy": "hf-qwen2-vl", "N": N, "avg_fps": 30.0, "num_frames": n, "indices": try_(hf_qwen_indices, N, 30.0, num_frames=n)})
            cases.append({"policy": "qwen-vl-utils", "N": N, "avg_fps": 30.0, "num_frames": n, "indices": try_(utils_indices, N, 30.0, nframes=n)})
            cases.append({"policy": "uniform", "N": N, "avg_fps": 30.0, "num_frames": n, "indices": try_(uniform_indices, N, n)})
    return cases


def ffprobe_meta(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "V:0", "-count_frames", "-show_entries",
                          "stream=avg_frame_rate,nb_read_frames", "-of", "json", path], capture_output=True, check=True).stdout
    s = json.loads(out)["streams"][0]
    a, b = s["avg_frame_rate"].split("/")
    return int(s["nb_read_frames"]), float(a) / float(b)


def all_frames(path):
    w, h = [int(x) for x in subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "V:0", "-show_entries", "stream=width,height:stream_side_data=rotation",
         "-of", "csv=p=0", path], capture_output=True, check=True).stdout.decode().split("\n")[0].split(",")[:2]]
    rot = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "V:0", "-show_entries", "stream_side_data=rotation",
                          "-of", "csv=p=0", path], capture_output=True, check=True).stdout.decode().strip()
    if rot and abs(int(float(rot.split(",")[-1] or 0))) % 180 == 90:
        w, h = h, w
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:V:0", "-fps_mode", "passthrough",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def run_case(name, path, preset, max_values):
    N, fps_src = ffprobe_meta(path)
    frames = all_frames(path)
    assert frames.shape[0] == N, (path, frames.shape, N)
    if preset == "qwen2-vl":
        idx = hf_qwen_indices(N, fps_src, fps=2.0)
        proc = Qwen2VLVideoProcessor()
        out = proc(videos=[frames[idx]], return_tensors="pt", cap_pixels_per_frame=False)
        pv, grid = out["pixel_values_videos"], out["video_grid_thw"][0].tolist()
    elif preset == "videomae":
        idx = uniform_indices(N, 16)
        proc = VideoMAEVideoProcessor(image_mean=IMAGENET_DEFAULT_MEAN, image_std=IMAGENET_DEFAULT_STD)
        out = proc(videos=[frames[idx]], return_tensors="pt")
        pv, grid = out["pixel_values"], None
    elif preset == "vivit":
        idx = uniform_indices(N, 32)
        proc = VivitVideoProcessor()
        out = proc(videos=[frames[idx]], return_tensors="pt")
        pv, grid = out["pixel_values"], None
    else:
        raise ValueError(preset)
    a = pv.numpy().astype(np.float32)
    stride = max(1, a.size // max_values)
    sub = a.reshape(-1)[0::stride]
    fn = name + ".bin.gz"
    with gzip.open(os.path.join(OUT, fn), "wb", compresslevel=9) as f:
        f.write(struct.pack("<II", sub.size, stride))
        f.write(sub.astype("<f4").tobytes())
    return {"name": name, "file": os.path.relpath(path, ROOT) if path.startswith(ROOT) else "corpus/video/" + os.path.basename(path),
            "preset": preset, "total_frames": N, "avg_fps": fps_src, "indices": idx, "grid_thw": grid,
            "shape": list(a.shape), "sha256_f32": hashlib.sha256(a.tobytes()).hexdigest(), "values": fn,
            "reference": type(proc).__name__ + " (transformers 5.23.0, torchvision backend)"}


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = sampling_cases()
    with gzip.open(os.path.join(OUT, "sampling.json.gz"), "wt", compresslevel=9) as f:
        json.dump({"torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(), "cases": cases}, f, separators=(",", ":"))
    fx = os.path.join(ROOT, "fixtures", "video")
    cv = os.path.join(SHARED, "corpus", "video")
    specs = [
        ("fx_vfr_qwen", os.path.join(fx, "vfr_160x90.mp4"), "qwen2-vl", 60000),
        ("fx_rot90_qwen", os.path.join(fx, "rot90_160x90.mp4"), "qwen2-vl", 60000),
        ("fx_odd_qwen", os.path.join(fx, "odd_95x53_vp9.webm"), "qwen2-vl", 60000),
        ("fx_gif_qwen", os.path.join(fx, "anim_80x45.gif"), "qwen2-vl", 60000),
        ("fx_vfr_videomae", os.path.join(fx, "vfr_160x90.mp4"), "videomae", 60000),
        ("fx_audiofirst_vivit", os.path.join(fx, "audio_first_160x120.mp4"), "vivit", 60000),
        ("corpus_flower_qwen", os.path.join(cv, "mp4_h264_aac_960x540_29.97fps_mdn_cc0_flower.mp4"), "qwen2-vl", 100000),
        ("corpus_rot90_qwen", os.path.join(cv, "mp4_h264_rotate90_displaymatrix_flower_ffmpeg.mp4"), "qwen2-vl", 50000),
        ("corpus_flower_videomae", os.path.join(cv, "mp4_h264_aac_960x540_29.97fps_mdn_cc0_flower.mp4"), "videomae", 50000),
        ("corpus_vp9_vivit", os.path.join(cv, "webm_vp9_opus_odd_dims_479x269_flower_ffmpeg.webm"), "vivit", 50000),
    ]
    recs = []
    for name, path, preset, mv in specs:
        if not os.path.exists(path):
            print("skip (missing):", path, file=sys.stderr)
            continue
        recs.append(run_case(name, path, preset, mv))
        print(name, recs[-1]["shape"], recs[-1]["grid_thw"], file=sys.stderr)
    with open(os.path.join(OUT, "presets.json"), "w") as f:
        json.dump({"cases": recs}, f, indent=1)


if __name__ == "__main__":
    main()
