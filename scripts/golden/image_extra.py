"""Goldens for the fuyu and igpt presets and the float16/bfloat16 patch dtypes.

Run through scripts/golden/image.sh (pinned venv; `image.sh extra` runs only
this script). Writes:
  fixtures/image/fuyu/synth_*.png     synthetic inputs larger than 1920x1080
                                      (landscape and portrait), so the
                                      downscale path is exercised
  fixtures/image/igpt_test_palette.npy  a 512x3 float64 TEST palette
      (RandomState(2024).uniform(-1, 1), row 511 = row 7 so ties occur).
      It is NOT openai/imagegpt-small's clusters: those are part of the
      checkpoint's preprocessor_config.json, which transformers and PyPI do
      not ship and which is not reachable here.
  fixtures/image/golden/image_extra.json
      fuyu: per input, FuyuImageProcessorPil (transformers 5.23) outputs:
        unpadded height/width, sha256 of images[0][0] cropped to
        ceil(h/30)*30 x ceil(w/30)*30 (what FuyuProcessor's variable_sized
        path keeps), and sha256 of patchify_image() of that crop (float32 LE).
      igpt: per input, ImageGPTImageProcessorPil(size 32x32,
        clusters=the test palette) input_ids.
      f16: float32 bit patterns (edge values: +-0, subnormals, ties,
        overflow, NaN/Inf, plus every HF pixel value of the presets) and
        numpy's float16 bits (np.float32 -> np.float16, round to nearest
        even). bf16: the same inputs with the bfloat16 bits computed here
        from the definition (nearest representable, ties to even; NaN kept
        quiet) in exact float64/int arithmetic: no package in the pinned
        venvs implements bfloat16 (no torch, no ml_dtypes), so this is a
        reference-by-definition, not an independent library.
Every number is computed by PIL/transformers/numpy; nothing is typed by hand.
"""
import hashlib
import json
import math
import os
import warnings

import numpy as np
from PIL import Image
import PIL
import transformers
from transformers.models.fuyu.image_processing_pil_fuyu import FuyuImageProcessorPil
from transformers.models.imagegpt.image_processing_pil_imagegpt import ImageGPTImageProcessorPil

warnings.filterwarnings("ignore")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "fixtures", "image")
GOLD = os.path.join(FIX, "golden")
SHARED = os.environ.get("TOKENFAB_SHARED", os.path.join(ROOT, "..", "shared"))
CORPUS = os.path.join(SHARED, "corpus", "image")

# Lossless inputs only (hashes need bit-exact decoding); relative to fixtures/image
# or (corpus:) to the corpus directory.
FUYU_INPUTS = ["synth_70x70.png", "synth_lzw.tif", "synth_rgba_alpha0.png", "fuyu/synth_fuyu_2100x1300.png",
               "fuyu/synth_fuyu_900x2500.png", "corpus:png_rgb_skimage_astronaut.png",
               "corpus:png_palette_skimage_green_palette.png", "corpus:tiff_adobe_deflate_pillow.tif"]
IGPT_INPUTS = ["synth_70x70.png", "synth_lzw.tif", "synth_palette_trns.png", "synth_exif6.png",
               "corpus:png_rgb_skimage_astronaut.png", "corpus:tiff_adobe_deflate_pillow.tif"]


def sha(b):
    return hashlib.sha256(b).hexdigest()


def make_inputs():
    for (w, h) in ((2100, 1300), (900, 2500)):
        yy, xx = np.mgrid[0:h, 0:w]
        img = np.stack([(xx * 7 + (yy // 3)) % 256, (yy * 5 + (xx // 11) * 3) % 256,
                        ((xx // 4) ^ (yy // 4)) % 256], -1).astype(np.uint8)
        Image.fromarray(img).save(os.path.join(FIX, "fuyu", f"synth_fuyu_{w}x{h}.png"), optimize=True)
    rs = np.random.RandomState(2024)
    pal = rs.uniform(-1, 1, (512, 3))
    pal[511] = pal[7]
    np.save(os.path.join(FIX, "igpt_test_palette.npy"), pal)
    return pal


def path_of(rel):
    if rel.startswith("corpus:"):
        return os.path.join(CORPUS, rel[7:])
    return os.path.join(FIX, rel)


def open_rgb(rel):
    im = Image.open(path_of(rel))
    from PIL import ImageOps
    im = ImageOps.exif_transpose(im).convert("RGB")
    im.info.pop("transparency", None)
    return im


def fuyu():
    proc = FuyuImageProcessorPil()
    out = []
    for rel in FUYU_INPUTS:
        if not os.path.exists(path_of(rel)):
            print("missing", rel)
            continue
        im = open_rgb(rel)
        r = proc(images=im, return_tensors=None)
        img = np.asarray(r["images"][0][0], dtype=np.float32)
        uh, uw = int(r["image_unpadded_heights"][0][0]), int(r["image_unpadded_widths"][0][0])
        nh = min(img.shape[1], math.ceil(uh / 30) * 30)
        nw = min(img.shape[2], math.ceil(uw / 30) * 30)
        crop = np.ascontiguousarray(img[:, :nh, :nw])
        patches = np.ascontiguousarray(proc.patchify_image(crop)).astype("<f4")
        out.append({"file": rel, "unpadded_height": uh, "unpadded_width": uw, "height": nh, "width": nw,
                    "pixel_values_sha256": sha(crop.astype("<f4").tobytes()),
                    "patches_shape": list(patches.shape), "patches_sha256": sha(patches.tobytes()),
                    "pad_pixel_value": float(img[0, -1, -1])})
    return out


def igpt(pal):
    proc = ImageGPTImageProcessorPil(clusters=pal, size={"height": 32, "width": 32})
    out = []
    for rel in IGPT_INPUTS:
        if not os.path.exists(path_of(rel)):
            print("missing", rel)
            continue
        r = proc(images=open_rgb(rel), return_tensors="np")
        ids = np.asarray(r["input_ids"][0])
        out.append({"file": rel, "input_ids": [int(x) for x in ids]})
    return out


def bf16_bits(u):
    """float32 bits -> bfloat16 bits, round to nearest even, by definition."""
    u = int(u)
    sign, exp, man = u >> 31, (u >> 23) & 0xFF, u & 0x7FFFFF
    if exp == 0xFF:
        return (u >> 16) | (0x40 if man else 0)
    x = float(np.uint32(u).view(np.float32))
    # candidates: truncation and the next bfloat16 up in magnitude
    lo = u & 0xFFFF0000
    hi = lo + 0x10000
    flo = float(np.uint32(lo).view(np.float32))
    # past the largest finite value the next step up is 2^128 (IEEE rounds
    # with an unbounded exponent, then overflows to Inf: hi's bits)
    fhi = float(np.uint32(hi).view(np.float32)) if ((hi >> 23) & 0xFF) != 0xFF else math.copysign(2.0 ** 128, x)
    dlo, dhi = abs(x - flo), abs(fhi - x)  # exact in float64
    if dlo < dhi or (dlo == dhi and ((lo >> 16) & 1) == 0):
        return lo >> 16
    return hi >> 16


def f16():
    v = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, -65520.0, 1e9, np.inf, -np.inf, np.nan,
         2.0 ** -24, 2.0 ** -25, 2.0 ** -25 * 1.0000001, 2.0 ** -26, 3 * 2.0 ** -25, 2.0 ** -14, 2.0 ** -14 - 2.0 ** -25,
         1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 1 + 2.0 ** -11 + 2.0 ** -20, 1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8,
         1 + 2.0 ** -8 + 2.0 ** -20, 3.3895314e38, 3.4028235e38, 1e-40, -1e-45, 0.1, -0.99215686, 2.0 ** -126]
    x = np.array(v, dtype=np.float32)
    rs = np.random.RandomState(7)
    x = np.concatenate([x, rs.standard_normal(200).astype(np.float32),
                        (np.arange(256, dtype=np.float32) / np.float32(255) - np.float32(0.5)) / np.float32(0.5),
                        rs.randint(0, 2 ** 32, 300, dtype=np.uint64).astype(np.uint32).view(np.float32)])
    bits = x.view(np.uint32)
    h = x.astype(np.float16).view(np.uint16)
    return {"f32_bits": [int(b) for b in bits], "f16_bits": [int(b) for b in h],
            "bf16_bits": [bf16_bits(b) for b in bits]}


def main():
    os.makedirs(os.path.join(FIX, "fuyu"), exist_ok=True)
    pal = make_inputs()
    g = {"generator": {"pillow": PIL.__version__, "transformers": transformers.__version__, "numpy": np.__version__},
         "fuyu": fuyu(), "igpt": igpt(pal), "convert": f16()}
    with open(os.path.join(GOLD, "image_extra.json"), "w") as f:
        json.dump(g, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
