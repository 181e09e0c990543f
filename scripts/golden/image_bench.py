"""Side-by-side single-thread timing of the HF slow (PIL) processors, for
comparison with `go test ./image -bench Tokenize -cpu 1`.

Measures the same work as the Go benchmark: open + decode (PIL/libjpeg-turbo)
+ exif_transpose + convert("RGB") + processor (resize, rescale, normalize,
patchify for Qwen). Run: .venv-image/bin/python scripts/golden/image_bench.py [file]
"""
import io, os, sys, time, warnings
warnings.filterwarnings("ignore")
from PIL import Image, ImageOps
from transformers.models.vit.image_processing_pil_vit import ViTImageProcessorPil
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "corpus", "image", "jpeg_progressive_mdn_cc0_elephant_660x480.jpg")
data = open(path, "rb").read()
procs = {"ViT224": ViTImageProcessorPil(), "Qwen2VL": Qwen2VLImageProcessorPil(min_pixels=3136, max_pixels=12845056)}

def once(p):
    im = Image.open(io.BytesIO(data))
    im = ImageOps.exif_transpose(im).convert("RGB")
    return p(images=im, return_tensors="np")["pixel_values"]

def decode_only():
    im = Image.open(io.BytesIO(data)); im.load(); return im.convert("RGB")

def bench(fn, n):
    fn()
    best = []
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        best.append((time.perf_counter() - t) / n)
    return min(best)

print(f"file {os.path.basename(path)} ({len(data)} bytes)")
print(f"decode+convert: {bench(decode_only, 50)*1e3:.2f} ms/op")
for name, p in procs.items():
    print(f"{name}: {bench(lambda: once(p), 20 if name == 'ViT224' else 5)*1e3:.2f} ms/op")
