"""Goldens for the image package, from PIL and transformers' PIL-backend processors.

Run through scripts/golden/image.sh (pinned venv). Writes:
  fixtures/image/synth_*      small synthetic inputs (made here with PIL)
  fixtures/image/golden/image_golden.json
      per input: PIL mode, EXIF orientation, size, sha256 of PIL's
      exif_transpose + convert("RGB") pixels, sha256 of Image.resize for all
      six filters (down- and up-scale), and for each preset the geometry,
      grid_thw, token count and sha256 of HF pixel_values (float32 LE bytes,
      HF layout) and of the final uint8 image.
  fixtures/image/golden/samples/*.png
      for lossy inputs (JPEG, lossy WebP): a strided sample of PIL's decoded
      RGB and PIL's ViT-224 uint8 image, to measure the decode tolerance.
  fixtures/image/golden/normalize.json
      HF rescale+normalize of every uint8 value for each preset's mean/std.
  fixtures/image/golden/qwen_vectors.json
      transformers smart_resize results for the issue's test vectors.

Every number here is computed by PIL/transformers; nothing is typed by hand.
"""
import hashlib
import io
import json
import math
import os
import sys
import warnings

import numpy as np
from PIL import Image, ImageOps, features
from transformers.image_utils import load_image
import PIL
import transformers
from transformers.models.vit.image_processing_pil_vit import ViTImageProcessorPil
from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil, smart_resize

warnings.filterwarnings("ignore")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIX = os.path.join(ROOT, "fixtures", "image")
GOLD = os.path.join(FIX, "golden")
SAMPLES = os.path.join(GOLD, "samples")
SHARED = os.environ.get("TOKENFAB_SHARED", os.path.join(ROOT, "..", "shared"))
CORPUS = os.path.join(SHARED, "corpus", "image")

FILTERS = {"nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR,
           "bicubic": Image.Resampling.BICUBIC, "lanczos": Image.Resampling.LANCZOS,
           "box": Image.Resampling.BOX, "hamming": Image.Resampling.HAMMING}

CORPUS_QWEN_MAX = 1003520  # HF class default; keeps corpus goldens small (documented in docs/image.md)


def presets(qwen_max):
    return {
        "vit-base-patch16-224": ViTImageProcessorPil(),
        "clip-vit-large-patch14": CLIPImageProcessorPil(),
        "clip-vit-large-patch14-336": CLIPImageProcessorPil(size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336}),
        "siglip-base-patch16-224": SiglipImageProcessorPil(),
        "siglip-so400m-patch14-384": SiglipImageProcessorPil(size={"height": 384, "width": 384}),
        "qwen2-vl": Qwen2VLImageProcessorPil(min_pixels=3136, max_pixels=qwen_max),
    }


def sha(b):
    return hashlib.sha256(b).hexdigest()


def rgb_of(path):
    im = Image.open(path)
    mode = im.mode
    exif = im.getexif()
    ori = exif.get(0x0112, 0)
    im = ImageOps.exif_transpose(im)
    raw = im
    im = im.convert("RGB")
    # convert("RGB") of a P/L image with transparency leaves info["transparency"]
    # = that colour, and transformers v5 convert_to_rgb would then make every
    # pixel of that colour white. The default golden is plain convert("RGB").
    im.info.pop("transparency", None)
    return mode, ori, im, raw


def is_lossy(path, im_mode_before):
    n = os.path.basename(path).lower()
    if n.endswith((".jpg", ".jpeg")):
        return True
    if n.endswith(".webp"):
        with open(path, "rb") as f:
            data = f.read()
        return b"VP8 " in data[:4096] or b"VP8 " in data
    if n.endswith((".tif", ".tiff")):
        return "jpeg" in n
    return False


def resize_targets(w, h):
    t = [(max(1, (w * 37) // 100), max(1, (h * 29) // 100))]
    if w * h <= 300 * 300:
        t.append((w * 17 // 10 + 1, h * 13 // 10 + 1))
    return t


def sample_png(arr, name):
    h, w = arr.shape[:2]
    s = max(1, math.ceil(math.sqrt(w * h / 20000)))
    sub = np.ascontiguousarray(arr[::s, ::s])
    os.makedirs(SAMPLES, exist_ok=True)
    Image.fromarray(sub).save(os.path.join(SAMPLES, name), optimize=True)
    return s


def golden_for(path, rel, qwen_max, full_presets=True):
    rec = {"file": rel}
    try:
        mode, ori, im, raw = rgb_of(path)
    except Exception as e:  # PIL refuses it
        rec["pil_error"] = f"{type(e).__name__}: {e}".replace(path, rel)
        return rec
    arr = np.asarray(im)
    rec.update({"pil_mode": mode, "orientation": int(ori), "width": im.width, "height": im.height,
                "rgb_sha256": sha(arr.tobytes())})
    lossy = is_lossy(path, mode)
    rec["lossy"] = lossy
    base = os.path.basename(path)
    if lossy:
        rec["rgb_sample_stride"] = sample_png(arr, base + ".rgb.png")
    else:
        rs = []
        for (tw, th) in resize_targets(im.width, im.height):
            for fname, f in FILTERS.items():
                r = np.asarray(im.resize((tw, th), f))
                rs.append({"filter": fname, "width": tw, "height": th, "sha256": sha(r.tobytes())})
        rec["resize"] = rs
    pres = {}
    for name, proc in presets(qwen_max).items():
        out = proc(images=im, return_tensors="np")
        pv = np.ascontiguousarray(out["pixel_values"]).astype("<f4")
        p = {"pixel_values_shape": list(pv.shape), "pixel_values_sha256": sha(pv.tobytes())}
        if name.startswith("qwen"):
            g = [int(x) for x in out["image_grid_thw"][0]]
            p["grid_thw"] = g
            p["num_patches"] = g[0] * g[1] * g[2]
            p["num_tokens"] = p["num_patches"] // 4
            p["image_height"], p["image_width"] = g[1] * 14, g[2] * 14
        else:
            p["image_height"], p["image_width"] = int(pv.shape[2]), int(pv.shape[3])
        pres[name] = p
        if lossy and name == "vit-base-patch16-224":
            u8 = np.asarray(im.resize((224, 224), Image.Resampling.BILINEAR))
            Image.fromarray(u8).save(os.path.join(SAMPLES, base + ".vit224.png"), optimize=True)
    rec["presets"] = pres
    if base.lower().endswith(".webp"):
        # every frame of an animation, as PIL composites it (libwebp's
        # WebPAnimDecoder): duration, sha256 of convert("RGB"), and of the
        # canvas alpha; lossy files also get all frames as one PNG sample
        with Image.open(path) as src:
            if getattr(src, "n_frames", 1) > 1:
                frames, strip = [], []
                for k in range(src.n_frames):
                    src.seek(k)
                    src.load()
                    a = np.asarray(src.convert("RGB"))
                    fr = {"duration": int(src.info["duration"]), "rgb_sha256": sha(a.tobytes())}
                    if src.mode == "RGBA":
                        fr["alpha_sha256"] = sha(np.asarray(src.getchannel("A")).tobytes())
                    frames.append(fr)
                    strip.append(a)
                rec["frames"] = frames
                if lossy:
                    Image.fromarray(np.concatenate(strip, 0)).save(os.path.join(SAMPLES, base + ".frames.png"), optimize=True)
    if "A" in raw.getbands() or raw.info.get("transparency") is not None:
        # transformers v5 convert_to_rgb: alpha_composite onto white
        out = presets(qwen_max)["clip-vit-large-patch14"](images=raw, return_tensors="np")
        pv = np.ascontiguousarray(out["pixel_values"]).astype("<f4")
        rec["hf_white_clip_sha256"] = sha(pv.tobytes())
        # transformers' own path, processor(load_image(path)): load_image's
        # convert("RGB") drops alpha but keeps info["transparency"], which
        # convert_to_rgb then turns white (Config.HFTransparency).
        out = presets(qwen_max)["clip-vit-large-patch14"](images=load_image(path), return_tensors="np")
        pv = np.ascontiguousarray(out["pixel_values"]).astype("<f4")
        rec["hf_load_image_clip_sha256"] = sha(pv.tobytes())
    return rec


def make_synthetic():
    """Small inputs covering the cases the issue lists. Deterministic."""
    rs = np.random.RandomState(1234)
    os.makedirs(FIX, exist_ok=True)
    yy, xx = np.mgrid[0:30, 0:40]
    base = np.stack([xx * 6, yy * 8, (xx * 3 + yy * 5) % 256], -1).astype(np.uint8)
    out = {}

    # RGBA with alpha 0 over non-black hidden colours, plus partial alpha.
    a = np.full((30, 40), 255, np.uint8)
    a[:, :13] = 0
    a[:, 13:26] = (np.arange(13) * 19).astype(np.uint8)[None, :]
    Image.fromarray(np.dstack([base, a]), "RGBA").save(os.path.join(FIX, "synth_rgba_alpha0.png"))
    # LA
    Image.fromarray(np.dstack([base[..., 0], a]), "LA").save(os.path.join(FIX, "synth_la.png"))
    # palette with a transparent index whose hidden colour is not black
    p = Image.fromarray((base[..., 0] // 16).astype(np.uint8), "P")
    pal = []
    for i in range(16):
        pal += [i * 16, 255 - i * 16, (i * 77) % 256]
    p.putpalette(pal)
    p.save(os.path.join(FIX, "synth_palette_trns.png"), transparency=3)
    # 70x70 (round-half-even case for Qwen) with detail
    g = (np.add.outer(np.arange(70), np.arange(70)) * 3 % 256).astype(np.uint8)
    im70 = np.dstack([g, g.T, rs.randint(0, 256, (70, 70)).astype(np.uint8)])
    Image.fromarray(im70).save(os.path.join(FIX, "synth_70x70.png"))
    # 16-bit grayscale: values 0..1023 so the clip to 255 matters
    g16 = (np.add.outer(np.arange(30) * 20, np.arange(40) * 10)).astype(np.uint16)
    Image.frombytes("I;16", (40, 30), g16.astype("<u2").tobytes()).save(os.path.join(FIX, "synth_gray16.png"))
    # 16-bit RGB PNG via raw encoder: PIL cannot write RGB;16 PNGs, so skip; the corpus has one.
    # CMYK JPEG (PIL writes Adobe APP14 inverted CMYK)
    cmyk = np.dstack([base[..., 0], base[..., 1], base[..., 2], (yy * 7).astype(np.uint8)])
    Image.fromarray(cmyk, "CMYK").save(os.path.join(FIX, "synth_cmyk.jpg"), quality=92)
    # YCCK (Adobe transform 2) and CMYK without an Adobe APP14 marker. PIL
    # cannot encode YCCK, so the YCbCr of (C, M, Y) and the inverted K are
    # computed here, saved by PIL as a 4-channel JPEG (PIL writes the bytes
    # inverted), and the APP14 transform byte set to 2 and the component ids
    # to 1-4, as Photoshop writes YCCK: libjpeg then decodes it as YCCK and
    # PIL reads back about `cmyk` (max 16 levels off at sharp edges: the
    # JPEG loss). PIL reads every 4-channel JPEG as Adobe-inverted CMYK
    # ("CMYK;I"), with or without the marker.
    import struct

    def jpeg_segments(d):
        i, out = 2, []
        while i + 4 <= len(d):
            m, n = d[i + 1], struct.unpack(">H", d[i + 2:i + 4])[0]
            out.append((m, i, n))
            if m == 0xDA:
                break
            i += 2 + n
        return out

    c = cmyk.astype(np.float64)
    ycc = np.dstack([0.299 * c[..., 0] + 0.587 * c[..., 1] + 0.114 * c[..., 2],
                     -0.168735892 * c[..., 0] - 0.331264108 * c[..., 1] + 0.5 * c[..., 2] + 128,
                     0.5 * c[..., 0] - 0.418687589 * c[..., 1] - 0.081312411 * c[..., 2] + 128,
                     255 - c[..., 3]])
    jb = io.BytesIO()
    Image.fromarray((255 - np.clip(np.round(ycc), 0, 255)).astype(np.uint8), "CMYK").save(jb, "JPEG", quality=92)
    d = bytearray(jb.getvalue())
    for m, i, n in jpeg_segments(d):
        if m == 0xEE and d[i + 4:i + 9] == b"Adobe":
            d[i + 15] = 2  # transform: YCCK
        elif m == 0xC0:
            for k in range(4):
                d[i + 10 + 3 * k] = k + 1
        elif m == 0xDA:
            for k in range(4):
                d[i + 5 + 2 * k] = k + 1
    assert d.count(b"Adobe") == 1
    with open(os.path.join(FIX, "synth_cmyk_ycck.jpg"), "wb") as f:
        f.write(bytes(d))
    jb = io.BytesIO()
    Image.fromarray(cmyk, "CMYK").save(jb, "JPEG", quality=92)
    d = jb.getvalue()
    app14 = [(i, n) for m, i, n in jpeg_segments(d) if m == 0xEE]
    assert len(app14) == 1
    i, n = app14[0]
    with open(os.path.join(FIX, "synth_cmyk_noadobe.jpg"), "wb") as f:
        f.write(d[:i] + d[i + 2 + n:])
    # Sharp colour edges, every chroma subsampling PIL can write, odd sizes
    blocks = np.zeros((47, 65, 3), np.uint8)
    blocks[:, :] = [20, 200, 40]
    blocks[10:30, 5:40] = [230, 20, 60]
    blocks[25:47, 30:65] = [30, 40, 220]
    blocks[::7, :] = [250, 250, 10]
    for ss, tag in ((0, "444"), (1, "422"), (2, "420")):
        Image.fromarray(blocks).save(os.path.join(FIX, f"synth_edges_{tag}.jpg"), quality=90, subsampling=ss)
    Image.fromarray(blocks).save(os.path.join(FIX, "synth_edges_420_progressive.jpg"), quality=80, subsampling=2, progressive=True)
    Image.fromarray(blocks[..., 1]).save(os.path.join(FIX, "synth_gray.jpg"), quality=90)
    # EXIF orientations 1..8 on an asymmetric image: JPEG (lossy) and PNG (exact)
    asym = np.zeros((24, 36, 3), np.uint8)
    asym[..., 0] = (np.arange(36) * 7)[None, :]
    asym[..., 1] = (np.arange(24) * 10)[:, None]
    asym[:6, :9] = [255, 255, 255]
    for o in range(1, 9):
        ex = Image.Exif()
        ex[0x0112] = o
        Image.fromarray(asym).save(os.path.join(FIX, f"synth_exif{o}.jpg"), quality=95, exif=ex.tobytes())
        Image.fromarray(asym).save(os.path.join(FIX, f"synth_exif{o}.png"), exif=ex.tobytes())
    # GIF with transparency, BMP, TIFF, WebP lossless/lossy/alpha
    q = Image.fromarray(base).quantize(colors=32, dither=Image.Dither.NONE)
    q.save(os.path.join(FIX, "synth_trns.gif"), transparency=5)
    Image.fromarray(base).save(os.path.join(FIX, "synth_rgb24.bmp"))
    q.save(os.path.join(FIX, "synth_pal8.bmp"))
    Image.fromarray(base).save(os.path.join(FIX, "synth_lzw.tif"), compression="tiff_lzw")
    Image.fromarray(base).save(os.path.join(FIX, "synth_lossless.webp"), lossless=True)
    Image.fromarray(blocks).save(os.path.join(FIX, "synth_lossy.webp"), quality=80)
    Image.fromarray(np.dstack([base, a]), "RGBA").save(os.path.join(FIX, "synth_alpha_lossy.webp"), quality=80)
    Image.fromarray(np.dstack([base, a]), "RGBA").save(os.path.join(FIX, "synth_alpha_lossless.webp"), lossless=True)
    # Transparent colours (tRNS) of every PNG colour type PIL keeps through
    # load_image's convert("RGB"), for the hf golden: raw PNGs, since PIL
    # cannot write some of them (RGB;16, low bit depths with tRNS).
    import struct, zlib
    def png(name, w, h, depth, ct, rows, trns, plte=None):
        chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
        body = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ct, 0, 0, 0))
        if plte is not None:
            body += chunk(b"PLTE", plte)
        body += chunk(b"tRNS", trns) + chunk(b"IDAT", zlib.compress(b"".join(b"\0" + r for r in rows)))
        with open(os.path.join(FIX, name), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b""))
    g8 = (base[..., 0] // 32 * 32).astype(np.uint8)  # 8 grey levels, key 64 among them
    png("synth_trns_gray8.png", 40, 30, 8, 0, [r.tobytes() for r in g8], struct.pack(">H", 64))
    g2 = (xx[:, :40] // 10).astype(np.uint8)  # 2-bit: tRNS 0 and 2 (raw, not scaled like the pixels)
    pack2 = lambda r: bytes(int(r[i] << 6 | r[i + 1] << 4 | r[i + 2] << 2 | r[i + 3]) for i in range(0, 40, 4))
    png("synth_trns_gray2_t0.png", 40, 30, 2, 0, [pack2(r) for r in g2], struct.pack(">H", 0))
    png("synth_trns_gray2_t2.png", 40, 30, 2, 0, [pack2(r) for r in g2], struct.pack(">H", 2))
    b1 = [bytes([0b10110010] * 5)] * 30
    png("synth_trns_gray1_t0.png", 40, 30, 1, 0, b1, struct.pack(">H", 0))
    png("synth_trns_gray1_t1.png", 40, 30, 1, 0, b1, struct.pack(">H", 1))
    g16 = ((yy * 40 + xx) % 300).astype(">u2")  # key 256: (0, 0, 0) after convert_transparent
    png("synth_trns_gray16.png", 40, 30, 16, 0, [r.tobytes() for r in g16], struct.pack(">H", 256))
    rgb8 = (base // 64 * 64).astype(np.uint8)
    png("synth_trns_rgb8.png", 40, 30, 8, 2, [r.tobytes() for r in rgb8], struct.pack(">3H", 0, 64, 0))
    rgb16 = (rgb8.astype(">u2") * 257)
    rgb16[::3, ::3] += 1  # low bytes differ from the high ones
    png("synth_trns_rgb16.png", 40, 30, 16, 2, [r.tobytes() for r in rgb16], struct.pack(">3H", 0x100, 0x4000, 0))  # PIL: low bytes (0, 0, 0)
    # palette: index 2 transparent, index 5 the same colour (turns white too);
    # and a palette with partial alpha (bytes in PIL: no transparent colour)
    pal = bytearray(np.arange(8 * 3, dtype=np.uint8) * 10)
    pal[15:18] = pal[6:9]
    idx = (base[..., 0] // 32).astype(np.uint8)
    png("synth_trns_pal_dup.png", 40, 30, 8, 3, [r.tobytes() for r in idx], b"\xff\xff\x00", bytes(pal))
    png("synth_trns_pal_partial.png", 40, 30, 8, 3, [r.tobytes() for r in idx], b"\xff\x80\x00", bytes(pal))

    # Animated WebP: each frame encoded as a still by PIL (libwebp), its
    # VP8L or ALPH+VP8 chunks put into ANMF chunks with offsets, blending and
    # disposal chosen here, so every compositing rule of libwebp's
    # WebPAnimDecoder (which PIL uses to read them back) is exercised.
    def anmf_bitstream(arr, lossless):
        b = io.BytesIO()
        mode = "RGBA" if arr.shape[2] == 4 else "RGB"
        kw = {"lossless": True, "exact": True} if lossless else {"quality": 80}
        Image.fromarray(arr, mode).save(b, "WEBP", **kw)
        d, i, out = b.getvalue(), 12, b""
        while i < len(d):
            n = struct.unpack("<I", d[i + 4:i + 8])[0]
            if d[i:i + 4] in (b"ALPH", b"VP8 ", b"VP8L"):
                out += d[i:i + 8 + n + (n & 1)]
            i += 8 + n + (n & 1)
        return out

    def webp_anim(name, cw, ch, alpha_flag, frames, exif=None):
        chunk = lambda t, d: t + struct.pack("<I", len(d)) + d + (b"\0" if len(d) & 1 else b"")
        le24 = lambda v: struct.pack("<I", v)[:3]
        flags = 0x02 | (0x10 if alpha_flag else 0) | (0x08 if exif else 0)
        body = chunk(b"VP8X", bytes([flags, 0, 0, 0]) + le24(cw - 1) + le24(ch - 1))
        body += chunk(b"ANIM", bytes([10, 20, 30, 255]) + struct.pack("<H", 0))
        for arr, x, y, dur, blend, dispose, lossless in frames:
            h, w = arr.shape[:2]
            hdr = le24(x // 2) + le24(y // 2) + le24(w - 1) + le24(h - 1) + le24(dur)
            hdr += bytes([(0 if blend else 2) | (1 if dispose else 0)])
            body += chunk(b"ANMF", hdr + anmf_bitstream(arr, lossless))
        if exif:
            body += chunk(b"EXIF", exif)  # after the frames, as the container spec orders it
        with open(os.path.join(FIX, name), "wb") as f:
            f.write(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body)

    def rgba_frame(h, w, seed):
        r = np.random.RandomState(seed)
        fr = r.randint(0, 256, (h, w, 4)).astype(np.uint8)
        fr[..., 3] = np.where(r.rand(h, w) < 0.3, 0, np.where(r.rand(h, w) < 0.5, 255, fr[..., 3]))
        return fr

    smooth = lambda h, w, k: np.dstack([(np.add.outer(np.arange(h) * 9, np.arange(w) * 5) + 40 * k) % 256,
                                        (np.arange(w) * 11 + 60 * k)[None, :].repeat(h, 0) % 256,
                                        (np.arange(h) * 13)[:, None].repeat(w, 1) % 256]).astype(np.uint8)
    with_alpha = lambda rgb, a: np.dstack([rgb, a.astype(np.uint8)])
    # frame: (pixels, x, y, duration ms, blend, dispose-to-background, lossless)
    webp_anim("synth_anim_lossless.webp", 40, 30, True, [
        (rgba_frame(16, 20, 1), 4, 6, 0, True, False, True),      # sub-rectangle first frame
        (rgba_frame(20, 24, 2), 10, 4, 50, True, True, True),     # blend over kept canvas, then dispose
        (rgba_frame(12, 16, 3), 2, 2, 100, True, False, True),    # blend only outside the disposed rectangle
        (rgba_frame(30, 40, 4), 0, 0, 70, False, True, True),     # full, no blend: key frame
        (rgba_frame(10, 10, 5), 20, 10, 1, True, False, True),    # after a disposed full frame: key frame
        (rgba_frame(8, 12, 6), 0, 0, 16777215, False, False, True),  # no blend: alpha 0 overwrites
    ])
    a_ramp = np.add.outer(np.arange(20) * 12, np.arange(24) * 3) % 256
    webp_anim("synth_anim_lossy.webp", 48, 32, True, [
        (with_alpha(smooth(20, 24, 0), a_ramp), 0, 4, 40, True, False, False),   # ALPH + VP8
        (smooth(32, 48, 1), 0, 0, 40, True, True, False),                         # VP8 without alpha, full: key frame
        (with_alpha(smooth(20, 24, 2), a_ramp[::-1]), 12, 6, 40, True, False, False),
        (with_alpha(smooth(12, 16, 3), a_ramp[:12, :16]), 30, 18, 40, True, False, True),  # lossless frame in a lossy file
    ])
    ex6 = Image.Exif()
    ex6[0x0112] = 6
    webp_anim("synth_anim_exif6.webp", 40, 30, True, [
        (rgba_frame(16, 20, 7), 4, 6, 30, True, False, True),
        (rgba_frame(10, 12, 8), 20, 10, 30, True, False, True),
    ], exif=ex6.tobytes())
    webp_anim("synth_anim_noalpha.webp", 32, 24, False, [
        (smooth(16, 20, 0), 6, 4, 100, False, False, True),      # canvas outside: black (PIL mode RGB)
        (smooth(24, 32, 1), 0, 0, 100, False, False, True),
    ])

    # RGBA TIFFs with associated (ExtraSamples 1) and unassociated (2)
    # alpha, 8 and 16 bits, both byte orders, uncompressed, written raw here
    # (PIL only writes unassociated alpha). Samples include alpha 0 and 255,
    # colour > alpha (PIL clips the un-premultiplied value) and 16-bit low
    # bytes unrelated to the high ones (PIL keeps the high byte, no rounding).
    def tiff_raw(name, bo, bits, extra, arr, photo=2):
        h, w, spp = arr.shape
        e = "<" if bo == b"II" else ">"
        data = arr.astype(e + ("u2" if bits == 16 else "u1")).tobytes()
        tags = [(256, 3, 1, w), (257, 3, 1, h), (258, 3, spp, None), (259, 3, 1, 1), (262, 3, 1, photo),
                (273, 4, 1, None), (277, 3, 1, spp), (278, 3, 1, h), (279, 4, 1, len(data)), (284, 3, 1, 1)]
        if extra is not None:  # None: no ExtraSamples tag at all
            tags.append((338, 3, 1, extra))
        ifd_off = 8
        bps_off = ifd_off + 2 + 12 * len(tags) + 4
        data_off = bps_off + 2 * spp
        out = bo + struct.pack(e + "HI", 42, ifd_off) + struct.pack(e + "H", len(tags))
        for tag, typ, cnt, val in tags:
            if tag == 258:
                val = bps_off
                out += struct.pack(e + "HHII", tag, typ, cnt, val)
                continue
            if tag == 273:
                val = data_off
            out += struct.pack(e + "HHI", tag, typ, cnt) + (struct.pack(e + "HH", val, 0) if typ == 3 else struct.pack(e + "I", val))
        out += struct.pack(e + "I", 0) + struct.pack(e + "%dH" % spp, *([bits] * spp)) + data
        with open(os.path.join(FIX, name), "wb") as f:
            f.write(out)

    ta = np.random.RandomState(7).randint(0, 256, (20, 24, 4))
    ta[:, :4, 3] = 0
    ta[:, 4:8, 3] = 255
    ta[::3, :, :3] = 250  # colour above alpha: clipped after un-premultiplying
    tiff_raw("synth_tiff_rgba8_assoc.tif", b"II", 8, 1, ta)
    lo = np.random.RandomState(8).randint(0, 256, ta.shape)
    tiff_raw("synth_tiff_rgba16_assoc_be.tif", b"MM", 16, 1, ta * 256 + lo)
    tiff_raw("synth_tiff_rgba16_assoc_le.tif", b"II", 16, 1, ta * 256 + lo)
    tiff_raw("synth_tiff_rgba16_unassoc.tif", b"II", 16, 2, ta * 256 + lo)
    # 4-sample layouts x/image/tiff refuses and PIL opens: CMYK (PIL writes
    # 8-bit itself; 16-bit raw), RGB + an unspecified extra sample (PIL mode
    # RGB, "RGBX"), RGB + 4 samples without ExtraSamples or with Corel Draw's
    # 999 (PIL mode RGBA, straight alpha)
    Image.fromarray(cmyk, "CMYK").save(os.path.join(FIX, "synth_tiff_cmyk8_lzw.tif"), compression="tiff_lzw")
    tiff_raw("synth_tiff_cmyk16_be.tif", b"MM", 16, None, ta * 256 + lo, photo=5)
    tiff_raw("synth_tiff_rgbx8.tif", b"II", 8, 0, ta)
    tiff_raw("synth_tiff_rgbx16_be.tif", b"MM", 16, 0, ta * 256 + lo)
    tiff_raw("synth_tiff_rgba8_noextra.tif", b"II", 8, None, ta)
    tiff_raw("synth_tiff_rgba16_noextra.tif", b"II", 16, None, ta * 256 + lo)
    tiff_raw("synth_tiff_rgba8_corel999.tif", b"MM", 8, 999, ta)
    # layouts x/image/tiff reads itself, pinned to PIL's rules: 16-bit RGB
    # ("RGB;16L/B": most significant byte) and a palette TIFF (PIL writes it)
    tiff_raw("synth_tiff_rgb16_le.tif", b"II", 16, None, (ta * 256 + lo)[..., :3])
    tiff_raw("synth_tiff_rgb16_be.tif", b"MM", 16, None, (ta * 256 + lo)[..., :3])
    q.save(os.path.join(FIX, "synth_tiff_palette.tif"))

    # JPEG-compressed TIFFs (Compression 7, JPEGTables + one abbreviated JPEG
    # per strip), written by PIL through libtiff: RGB (photometric 2) and
    # grey, 8-row strips over an odd 53x37 size (short last strip), sharp
    # colour edges. The corpus has the YCbCr 4:2:0 case.
    Image.fromarray(blocks[:37, :53]).save(os.path.join(FIX, "synth_tiff_jpeg_rgb.tif"), compression="jpeg", quality=90, strip_size=53 * 3 * 8)
    Image.fromarray(blocks[:37, :53, 1]).save(os.path.join(FIX, "synth_tiff_jpeg_gray.tif"), compression="jpeg", quality=90, strip_size=53 * 8)
    # Tiled JPEG TIFF (PIL writes no tiles): each 32x32 tile of the 53x37
    # image, edge-replicated to full size, is encoded by PIL/libtiff as a
    # one-strip JPEG TIFF; its strip and the (identical) JPEGTables go into a
    # tiled TIFF assembled here, which PIL then reads through libtiff.
    def tiff_jpeg_tiled(name, img, tw, th):
        H, W = img.shape[:2]
        pad = np.pad(img, ((0, -H % th), (0, -W % tw), (0, 0)), mode="edge")
        tiles, tables = [], None
        for ty in range(0, H, th):
            for tx in range(0, W, tw):
                b = io.BytesIO()
                Image.fromarray(pad[ty:ty + th, tx:tx + tw]).save(b, "TIFF", compression="jpeg", quality=90)
                t = Image.open(io.BytesIO(b.getvalue()))
                strip = b.getvalue()[t.tag_v2[273][0]:][:t.tag_v2[279][0]]
                assert tables in (None, t.tag_v2[347])
                tables = t.tag_v2[347]
                tiles.append(strip)
        body = b"".join(tiles)
        entries = [(256, 3, [W]), (257, 3, [H]), (258, 3, [8, 8, 8]), (259, 3, [7]), (262, 3, [2]), (277, 3, [3]),
                   (284, 3, [1]), (322, 3, [tw]), (323, 3, [th]), (324, 4, None), (325, 4, [len(x) for x in tiles]),
                   (347, 7, None)]
        ifd = 8
        extra = ifd + 2 + 12 * len(entries) + 4
        blobs, out_e = b"", []
        offs, pos = [], 0
        for x in tiles:
            offs.append(pos)
            pos += len(x)
        for tag, typ, vals in entries:
            if tag == 324:
                vals = None
            if tag == 347:
                raw = bytes(tables)
            else:
                raw = b"".join(struct.pack("<H" if typ == 3 else "<I", v) for v in (vals if vals is not None else [0] * len(tiles)))
            out_e.append((tag, typ, len(raw) // {3: 2, 4: 4, 7: 1}[typ], raw))
        # lay out out-of-line values, then the tile data; fill TileOffsets last
        layout, cur = {}, extra
        for tag, typ, cnt, raw in out_e:
            if len(raw) > 4:
                layout[tag] = cur
                cur += len(raw) + (len(raw) & 1)
        data_start = cur
        tile_offs = b"".join(struct.pack("<I", data_start + o) for o in offs)
        out = b"II" + struct.pack("<HI", 42, ifd) + struct.pack("<H", len(out_e))
        for tag, typ, cnt, raw in out_e:
            if tag == 324:
                raw = tile_offs
            val = struct.pack("<I", layout[tag]) if len(raw) > 4 else raw.ljust(4, b"\0")
            out += struct.pack("<HHI", tag, typ, cnt) + val
        out += struct.pack("<I", 0)
        for tag, typ, cnt, raw in out_e:
            if len(raw) > 4:
                if tag == 324:
                    raw = tile_offs
                out += raw + (b"\0" if len(raw) & 1 else b"")
        assert len(out) == data_start
        with open(os.path.join(FIX, name), "wb") as f:
            f.write(out + body)

    tiff_jpeg_tiled("synth_tiff_jpeg_tiled.tif", blocks[:37, :53], 32, 32)

    # a PNG whose header claims 100000x100000 (IHDR only, no pixel data)
    import struct, zlib
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    with open(os.path.join(FIX, "bomb_100000x100000.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def normalize_golden():
    procs = presets(CORPUS_QWEN_MAX)
    res = {}
    vals = np.tile(np.arange(256, dtype=np.uint8), (3, 1))[:, None, :]  # (3,1,256) channels first
    for name, proc in procs.items():
        x = proc.rescale(vals, proc.rescale_factor)
        x = proc.normalize(x, proc.image_mean, proc.image_std)
        x = np.asarray(x, dtype=np.float32)
        res[name] = {"mean": [float(m) for m in proc.image_mean], "std": [float(s) for s in proc.image_std],
                     "rescale_factor": float(proc.rescale_factor),
                     "bits": [[int(b) for b in x[c, 0].view(np.uint32)] for c in range(3)]}
    return res


def qwen_vectors():
    cases = [(480, 640), (1080, 1920), (224, 150), (150, 224), (50, 50), (333, 517), (70, 70), (28, 28), (10, 600), (4000, 30), (1, 150)]
    out = []
    for (h, w) in cases:
        for mx in (1003520, 12845056):
            try:
                rh, rw = smart_resize(h, w, factor=28, min_pixels=3136, max_pixels=mx)
                out.append({"h": h, "w": w, "max_pixels": mx, "rh": rh, "rw": rw, "grid_thw": [1, rh // 14, rw // 14],
                            "num_patches": (rh // 14) * (rw // 14), "num_tokens": (rh // 14) * (rw // 14) // 4})
            except Exception as e:
                out.append({"h": h, "w": w, "max_pixels": mx, "error": str(e)})
    return out


def main():
    make_synthetic()
    os.makedirs(GOLD, exist_ok=True)
    if os.path.isdir(SAMPLES):
        for f in os.listdir(SAMPLES):
            os.remove(os.path.join(SAMPLES, f))
    gold = {"generator": {"pillow": PIL.__version__, "transformers": transformers.__version__, "numpy": np.__version__,
                          "libjpeg_turbo": features.version("jpg"), "webp": features.version("webp"),
                          "corpus_qwen_max_pixels": CORPUS_QWEN_MAX},
            "fixtures": [], "corpus": []}
    for n in sorted(os.listdir(FIX)):
        path = os.path.join(FIX, n)
        if not os.path.isfile(path) or n.startswith("bomb_") or n == "SOURCES.md":
            continue
        gold["fixtures"].append(golden_for(path, n, 12845056))
        print("fixture", n, file=sys.stderr)
    if os.path.isdir(CORPUS):
        for n in sorted(os.listdir(CORPUS)):
            gold["corpus"].append(golden_for(os.path.join(CORPUS, n), n, CORPUS_QWEN_MAX))
            print("corpus", n, file=sys.stderr)
    else:
        print("no corpus at", CORPUS, "- corpus goldens skipped", file=sys.stderr)
    with open(os.path.join(GOLD, "image_golden.json"), "w") as f:
        json.dump(gold, f, indent=1, sort_keys=True)
    with open(os.path.join(GOLD, "normalize.json"), "w") as f:
        json.dump(normalize_golden(), f, sort_keys=True)
    with open(os.path.join(GOLD, "qwen_vectors.json"), "w") as f:
        json.dump(qwen_vectors(), f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
