"""Goldens for fixtures/image/jpeg_sampling/*.jpg (written by
scripts/golden/jpeg_sampling/main.go): what Pillow (libjpeg-turbo) decodes
from each file, as sha256 of Image.tobytes() in the mode Pillow opens it in
(L, RGB, or CMYK as Pillow holds it, i.e. libjpeg's output inverted) and of
convert("RGB"). Run through scripts/golden/jpeg_sampling.sh."""
import glob, hashlib, json, os, sys
import PIL
from PIL import Image, features

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DIR = os.path.join(ROOT, "fixtures", "image", "jpeg_sampling")
# Progressive files with restart intervals (which our encoder does not
# write): Pillow/libjpeg-turbo encodes them.
import numpy as np
yy, xx = np.indices((37, 45))
base = np.dstack([(xx * 11 + yy * 3) % 256, (xx * yy) % 256, ((xx // 6 + yy // 5) % 2) * 200 + 20]).astype("uint8")
src = Image.fromarray(base)
for name, img, kw in [
    ("pil_progressive_420_restart_blocks7.jpg", src, dict(progressive=True, restart_marker_blocks=7, subsampling=2)),
    ("pil_progressive_444_restart_rows1.jpg", src, dict(progressive=True, restart_marker_rows=1, subsampling=0)),
    ("pil_progressive_422_restart_blocks1.jpg", src, dict(progressive=True, restart_marker_blocks=1, subsampling=1)),
    ("pil_progressive_gray_restart_blocks5.jpg", src.convert("L"), dict(progressive=True, restart_marker_blocks=5)),
    ("pil_baseline_420_restart_rows2.jpg", src, dict(restart_marker_rows=2, subsampling=2)),
]:
    img.save(os.path.join(DIR, name), "JPEG", quality=90, **kw)

recs = []
for p in sorted(glob.glob(os.path.join(DIR, "*.jpg"))):
    im = Image.open(p)
    im.load()
    recs.append({
        "file": os.path.basename(p),
        "mode": im.mode,
        "width": im.width,
        "height": im.height,
        "sampling": [[c[1], c[2]] for c in im.layer],
        "raw_sha256": hashlib.sha256(im.tobytes()).hexdigest(),
        "rgb_sha256": hashlib.sha256(im.convert("RGB").tobytes()).hexdigest(),
    })
out = {"generator": {"pillow": PIL.__version__, "libjpeg_turbo": features.version("libjpeg_turbo"),
                     "script": "scripts/golden/jpeg_sampling.sh"}, "files": recs}
with open(os.path.join(DIR, "golden.json"), "w") as f:
    json.dump(out, f, indent=1)
print(f"{len(recs)} files", file=sys.stderr)
