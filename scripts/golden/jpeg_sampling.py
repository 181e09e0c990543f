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
