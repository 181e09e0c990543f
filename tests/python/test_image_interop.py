"""Image rows vs the reference: `tokenize run ../shared/corpus/image
--image-preset qwen2-vl` writes uint8 patches; rebuilt into pixel_values with
the rescale/mean/std of the tokenfab metadata, they must equal transformers'
Qwen2VLImageProcessor (PIL backend, built offline from the checkpoint's
preprocessor_config.json values) on the same files: by default
(--image-background none) loaded with plain EXIF transpose + convert("RGB");
with --image-background hf, loaded by transformers' own load_image(path),
whose kept info["transparency"] the processor turns white (docs/image.md).

Tolerances are the image package's (docs/image.md): float32-exact for
lossless inputs and for JPEG (tokenfab's own JPEG decoder is bit-exact with
libjpeg-turbo as Pillow uses it); for JPEG-compressed TIFF, within ±2 levels
on ≥ 99.9 % of samples, i.e. |ours − HF| ≤ 2/255/std[c] in normalized units.
"""
import json
import os
import pathlib

import numpy as np
import pyarrow as pa
import pytest

from conftest import REQUIRE_ALL, ROOT, corpus_dir, read_table, run_job

# HF's smart_resize budget for the corpus run, the same in both: the class
# default (the checkpoint's 12845056 makes the 5640×3172 JPEG a 77 MB row and
# the reference run slow); the image goldens use it too.
MAX_PIXELS = 1003520

# Qwen/Qwen2-VL-7B-Instruct preprocessor_config.json (typed from the
# checkpoint, min/max pixels aside): what a user of the model loads.
QWEN2_VL_CHECKPOINT = dict(
    min_pixels=3136, max_pixels=MAX_PIXELS, patch_size=14, temporal_patch_size=2, merge_size=2,
    image_mean=[0.48145466, 0.4578275, 0.40821073], image_std=[0.26862954, 0.26130258, 0.27577711],
    do_rescale=True, rescale_factor=1 / 255, do_normalize=True, do_convert_rgb=True, resample=3,
)

# Corpus files the image package documents as not decoded (docs/image.md,
# "Errors"): the float64 TIFF, which PIL refuses
# too. Each must be an error row, and no other file may be.
UNSUPPORTED = {
    "tiff_multipage_float64_planar_skimage.tif",
}
# Decoded, but documented as not matching PIL yet (docs/image.md, "Known
# mismatch"): none since the 16-bit associated-alpha TIFF follows PIL's
# RGBa;16 unpacker.
KNOWN_MISMATCH = set()
N_FILES = 47  # shared/corpus/image


def _need_pil():
    try:
        import PIL  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as e:
        msg = f"{e}; run scripts/test (it installs scripts/requirements-test.txt into .venv)"
        if REQUIRE_ALL:
            pytest.fail(msg + " — TOKENFAB_REQUIRE_ALL=1 forbids skipping", pytrace=False)
        pytest.skip(msg)


@pytest.fixture(scope="session")
def image_corpus(shared):
    return corpus_dir(shared, "image", N_FILES)


@pytest.fixture(scope="session")
def qwen_out(tokenize_bin, image_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("qwen_images")
    run_job(tokenize_bin, out, image_corpus, "--image-preset", "qwen2-vl", "--max-pixels", MAX_PIXELS)
    return out


def qwen_processor():
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    return Qwen2VLImageProcessorPil(**QWEN2_VL_CHECKPOINT)


def load_plain(path):
    """Plain PIL: EXIF transpose, convert("RGB"), and nothing else: what the
    default --image-background none reproduces. This is NOT HF load_image:
    convert keeps a P/L/RGB image's transparent colour in info["transparency"],
    which transformers 5.23's convert_to_rgb then turns white; dropping the
    key here gives the processor plain convert("RGB") pixels. The real
    load_image is compared with --image-background hf
    (test_hf_background_equals_processor_load_image)."""
    from PIL import Image, ImageOps

    im = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    im.info.pop("transparency", None)
    return im


def load_image_hf(path):
    """transformers' own load_image(path), unmodified."""
    from transformers.image_utils import load_image

    return load_image(str(path))


# Lossless corpus files whose transparent colour (PNG tRNS, GIF index)
# load_image keeps and convert_to_rgb turns white: the only files where
# --image-background none and hf differ.
TRANSPARENT_COLOUR = {
    "gif_animated_dispose_bg_transparency_pillow.gif",
    "png_palette_trns_pillow.png",
    "png_tiny_1x1_trns_pillow.png",
}


def is_jpeg(name):
    """JPEG files and JPEG-compressed TIFFs (decoded strip by strip by the
    same decoder, bit-exact with libtiff + libjpeg-turbo)."""
    return name.endswith((".jpg", ".jpeg")) or (name.endswith((".tif", ".tiff")) and "jpeg" in name)


def is_lossy(name):
    return name.endswith((".jpg", ".jpeg")) or (name.endswith((".tif", ".tiff")) and "jpeg" in name)


def pixel_values(patches_u8, meta):
    """The recipe of docs/pipeline.md: uint8 patches → HF pixel_values, with
    HF's float32 arithmetic (rescale in float64, cast, then (x − mean)/std)."""
    dim = meta["patch_dim"]
    chan = np.arange(dim) // (dim // 3)  # column → channel (channel-major columns)
    x = np.arange(256, dtype=np.float64) * meta["rescale_factor"]
    lut = np.stack([(x.astype(np.float32) - np.float32(m)) / np.float32(s)
                    for m, s in zip(meta["image_mean"], meta["image_std"])])
    return lut[chan, patches_u8]


def test_schema_metadata_and_zero_copy(qwen_out):
    t = read_table(qwen_out)
    assert t.num_rows == N_FILES
    meta = json.loads(t.schema.metadata[b"tokenfab"])["tokenizers"]["image"]
    dim = 3 * 2 * 14 * 14
    assert t.schema.field("patches").type == pa.list_(pa.list_(pa.uint8(), dim))
    assert t.schema.field("grid_thw").type == pa.list_(pa.int32(), 3)
    hf = json.loads(t.schema.metadata[b"huggingface"])["info"]["features"]
    assert hf["patches"] == {"feature": {"feature": {"dtype": "uint8", "_type": "Value"}, "length": dim, "_type": "Sequence"},
                             "_type": "Sequence"}
    assert hf["grid_thw"] == {"feature": {"dtype": "int32", "_type": "Value"}, "length": 3, "_type": "Sequence"}
    import datasets

    assert datasets.Features.from_dict(hf).arrow_schema.types == t.schema.types  # HF reads the columns as written
    # The metadata carries what the rebuild needs, equal to the checkpoint's.
    assert meta["preset"] == "qwen2-vl" and meta["patch_dtype"] == "uint8" and meta["patch_dim"] == dim
    assert meta["image_mean"] == QWEN2_VL_CHECKPOINT["image_mean"] and meta["image_std"] == QWEN2_VL_CHECKPOINT["image_std"]
    assert meta["rescale_factor"] == 1 / 255 and meta["max_pixels"] == MAX_PIXELS and meta["min_pixels"] == 3136
    assert (meta["patch_size"], meta["temporal_patch_size"], meta["merge_size"]) == (14, 2, 2)
    assert meta["resample"] == "bicubic" and meta["apply_exif"] is True and "merge_size" in meta["num_tokens"]

    # Zero-copy: (num_patches, patch_dim) uint8 views into the memory map.
    p = sorted(qwen_out.glob("part-*.arrow"))[0]
    with pa.memory_map(str(p)) as src:
        r = pa.ipc.open_file(src)
        b = r.get_batch(0)
        col = b.column("patches")
        fsl = col.values  # fixed_size_list<uint8, dim>; use col.flatten() on a sliced array
        flat = fsl.values.to_numpy(zero_copy_only=True)
        arr = flat.reshape(-1, fsl.type.list_size)
        offs = col.offsets.to_numpy(zero_copy_only=True)
        assert arr.dtype == np.uint8 and arr.shape[1] == dim and not flat.flags.writeable
        grid = b.column("grid_thw").values.to_numpy(zero_copy_only=False).reshape(-1, 3)
        for k in range(b.num_rows):
            if col.is_valid()[k].as_py():
                assert offs[k + 1] - offs[k] == np.prod(grid[k])
        assert offs[-1] == len(arr)


def compare_with_processor(out, image_corpus, load):
    """Every decoded corpus row of the run in `out` against the Qwen2-VL
    processor given load(path); returns {name: HF pixel_values}."""
    t = read_table(out)
    meta = json.loads(t.schema.metadata[b"tokenfab"])["tokenizers"]["image"]
    proc = qwen_processor()
    col = t.column("patches").combine_chunks()
    offs = col.offsets.to_numpy()
    flat = col.flatten().flatten().to_numpy().reshape(-1, meta["patch_dim"])
    rows = t.select(["id", "error", "modality", "grid_thw", "num_tokens"]).to_pylist()
    assert [r["id"] for r in rows] == sorted(os.listdir(image_corpus))
    assert {r["modality"] for r in rows} == {"image"}
    errors = {r["id"]: r["error"] for r in rows if r["error"] is not None}
    assert set(errors) == UNSUPPORTED, errors
    assert all(e.startswith("tokenize: image: unsupported format") for e in errors.values()), errors

    std = np.float32(meta["image_std"])[np.arange(meta["patch_dim"]) // (meta["patch_dim"] // 3)]
    exact, lossy, mismatch, no_ref, refs = [], [], [], [], {}
    for k, r in enumerate(rows):
        if r["error"] is not None:
            assert r["grid_thw"] is None and r["num_tokens"] is None and not col.is_valid()[k].as_py()
            continue
        ours = pixel_values(flat[offs[k]:offs[k + 1]], meta)
        g = r["grid_thw"]
        assert len(ours) == g[0] * g[1] * g[2] and r["num_tokens"] == len(ours) // 4, r
        try:
            im = load(image_corpus / r["id"])
        except Exception:  # PIL refuses it (bmp_rgb32_bitfields): we decode it, there is no reference
            no_ref.append(r["id"])
            continue
        out = proc(images=im, return_tensors="np")
        ref = refs[r["id"]] = out["pixel_values"]
        assert out["image_grid_thw"][0].tolist() == g, r["id"]
        assert ref.dtype == np.float32 and ref.shape == ours.shape, (r["id"], ref.shape, ours.shape)
        if r["id"] in KNOWN_MISMATCH:
            assert not np.array_equal(ours, ref), f"{r['id']} matches HF now: drop it from KNOWN_MISMATCH and docs/image.md"
            mismatch.append(r["id"])
        elif is_lossy(r["id"]) and not is_jpeg(r["id"]):
            levels = np.abs(ours - ref) * std * 255  # in uint8 levels
            within = float((levels <= 2 + 1e-3).mean())
            assert within >= 0.999, f"{r['id']}: {100 * (1 - within):.4f}% of values beyond ±2 levels (max {levels.max():.2f})"
            lossy.append(r["id"])
        else:
            bad = int((ours != ref).sum())
            assert bad == 0, f"{r['id']}: {bad} of {ours.size} values differ from HF (lossless and JPEG inputs must be float32-exact)"
            exact.append(r["id"])
    assert no_ref == ["bmp_rgb32_bitfields_bmpsuite.bmp"]
    assert mismatch == sorted(KNOWN_MISMATCH)
    assert len(exact) + len(lossy) + len(no_ref) + len(mismatch) + len(UNSUPPORTED) == N_FILES
    assert len(lossy) == 0 and len(exact) == 45 and sum(map(is_jpeg, exact)) == 12, (lossy, exact)
    return refs


def test_pixel_values_equal_hf_qwen2vl(qwen_out, image_corpus):
    """Default (--image-background none): the processor given plain
    convert("RGB") images."""
    _need_pil()
    compare_with_processor(qwen_out, image_corpus, load_plain)


def test_hf_background_equals_processor_load_image(tokenize_bin, image_corpus, qwen_out, tmp_path):
    """--image-background hf: the processor given transformers' own
    load_image(path), info["transparency"] and all, float32-exact for every
    lossless file; it differs from the default exactly on TRANSPARENT_COLOUR."""
    _need_pil()
    out = tmp_path / "hf"
    run_job(tokenize_bin, out, image_corpus, "--image-preset", "qwen2-vl", "--max-pixels", MAX_PIXELS,
            "--image-background", "hf")
    meta = json.loads(read_table(out).schema.metadata[b"tokenfab"])["tokenizers"]["image"]
    assert meta["background"].startswith("hf:")
    hf = compare_with_processor(out, image_corpus, load_image_hf)
    plain = compare_with_processor(qwen_out, image_corpus, load_plain)
    assert sorted(hf) == sorted(plain)
    differ = {n for n in hf if not np.array_equal(hf[n], plain[n])}
    assert differ == TRANSPARENT_COLOUR, differ


def test_white_background_equals_hf_convert_to_rgb(tokenize_bin, image_corpus, tmp_path):
    """--image-background white is transformers 5.23's convert_to_rgb, which
    alpha-composites onto white any image with alpha or a transparent colour
    (the processor is given the image before convert("RGB"))."""
    _need_pil()
    from PIL import Image, ImageOps

    alpha = []
    for name in sorted(os.listdir(image_corpus)):
        if name in UNSUPPORTED or name in KNOWN_MISMATCH or is_lossy(name):
            continue
        try:
            im = Image.open(image_corpus / name)
        except Exception:
            continue
        if "A" in im.getbands() or im.info.get("transparency") is not None:
            alpha.append(name)
    assert len(alpha) >= 5, alpha  # RGBA/LA PNGs, tRNS palettes, GIF and WebP transparency, BMP v5 alpha
    out = tmp_path / "white"
    run_job(tokenize_bin, out, *[image_corpus / n for n in alpha], "--image-preset", "qwen2-vl",
            "--max-pixels", MAX_PIXELS, "--image-background", "white")
    t = read_table(out)
    meta = json.loads(t.schema.metadata[b"tokenfab"])["tokenizers"]["image"]
    assert meta["background"] == [255, 255, 255]
    proc = qwen_processor()
    col = t.column("patches").combine_chunks()
    offs = col.offsets.to_numpy()
    flat = col.flatten().flatten().to_numpy().reshape(-1, meta["patch_dim"])
    for k, r in enumerate(t.select(["id", "error"]).to_pylist()):
        assert r["error"] is None, r
        ours = pixel_values(flat[offs[k]:offs[k + 1]], meta)
        im = ImageOps.exif_transpose(Image.open(image_corpus / r["id"]))
        ref = proc(images=im, return_tensors="np")["pixel_values"]
        if r["id"].endswith(".webp"):  # lossy WebP with alpha: libwebp's decoder, same tolerance as JPEG
            std = np.float32(meta["image_std"])[np.arange(meta["patch_dim"]) // (meta["patch_dim"] // 3)]
            assert float((np.abs(ours - ref) * std * 255 <= 2 + 1e-3).mean()) >= 0.999, r["id"]
        else:
            assert ref.shape == ours.shape and np.array_equal(ours, ref), r["id"]


def test_float32_patches_equal_uint8_recipe(tokenize_bin, tmp_path):
    """--patch-dtype float32 writes the normalized values; they equal the
    uint8 patches through the recipe (so the recipe is the tokenizer's own
    normalization, bit for bit)."""
    sample = ROOT / "fixtures" / "sample" / "images"
    u8, f32 = tmp_path / "u8", tmp_path / "f32"
    run_job(tokenize_bin, u8, sample, "--image-preset", "clip-vit-large-patch14")
    run_job(tokenize_bin, f32, sample, "--image-preset", "clip-vit-large-patch14", "--patch-dtype", "float32")
    a, b = read_table(u8), read_table(f32)
    meta = json.loads(b.schema.metadata[b"tokenfab"])["tokenizers"]["image"]
    dim = meta["patch_dim"]
    assert b.schema.field("patches").type == pa.list_(pa.list_(pa.float32(), dim)) and meta["patch_dtype"] == "float32"
    assert a.num_rows == b.num_rows == 2 and a.column("grid_thw").to_pylist() == b.column("grid_thw").to_pylist() == [[1, 16, 16]] * 2
    pa_u8 = a.column("patches").combine_chunks().flatten().flatten().to_numpy().reshape(-1, dim)
    pa_f32 = b.column("patches").combine_chunks().flatten().flatten().to_numpy().reshape(-1, dim)
    assert pa_f32.dtype == np.float32 and np.array_equal(pixel_values(pa_u8, meta), pa_f32)


def test_datasets_reads_image_columns(tokenize_bin, tmp_path):
    import datasets

    out = tmp_path / "hf"
    run_job(tokenize_bin, out, ROOT / "fixtures" / "sample", "--format", "arrow-stream")
    ds = datasets.Dataset.from_file(str(sorted(out.glob("part-*.arrows"))[0]))
    assert ds.features["patches"] == datasets.List(datasets.List(datasets.Value("uint8"), length=768))
    assert ds.features["grid_thw"] == datasets.List(datasets.Value("int32"), length=3)
    img = [k for k, m in enumerate(ds["modality"]) if m == "image"]
    assert len(img) == 2
    t = pa.ipc.open_stream(str(sorted(out.glob("part-*.arrows"))[0])).read_all()
    for k in img:
        row = ds[k]
        assert len(row["patches"]) == 196 and row["grid_thw"] == [1, 14, 14]
        assert row["patches"] == t.column("patches")[k].as_py()
