"""Side-by-side single-thread timing of the HF slow (PIL) processors, for
comparison with `go test ./image -bench Tokenize -cpu 1`.

Measures the same work as the Go benchmark: open + decode (PIL/libjpeg-turbo)
+ exif_transpose + convert("RGB") + processor (resize, rescale, normalize,
patchify for Qwen). Run: .venv-image/bin/python scripts/golden/image_bench.py [file]
"""
import io, os, sys, time, warnings
os.environ.setdefault("OMP_NUM_THREADS", "1")
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

def bench(fn, n, rounds=5):
    """min over rounds of (wall, process CPU) seconds per call; CPU time is
    the steadier number on a shared machine (compare with Go's cpu-ms/op)."""
    fn()
    wall, cpu = [], []
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        for _ in range(n):
            fn()
        wall.append((time.perf_counter() - t) / n)
        cpu.append((time.process_time() - c) / n)
    return min(wall), min(cpu)

print(f"file {os.path.basename(path)} ({len(data)} bytes)")
def show(name, r):
    print(f"{name}: {r[0]*1e3:.2f} ms/op wall, {r[1]*1e3:.2f} cpu-ms/op")

show("decode+convert", bench(decode_only, 50))
for name, p in procs.items():
    show(name, bench(lambda: once(p), 20 if name == 'ViT224' else 5))
im = decode_only()
show("resize ViT224 (224x224 bilinear)", bench(lambda: im.resize((224, 224), Image.BILINEAR), 50))
show("resize Qwen2VL (644x476 bicubic)", bench(lambda: im.resize((644, 476), Image.BICUBIC), 20))
