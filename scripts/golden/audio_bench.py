"""Side-by-side timing, one thread: 30 s of 16-kHz audio to Whisper log-mel
with HF WhisperFeatureExtractor (numpy path and torch path), and AST
(torchaudio kaldi fbank via ASTFeatureExtractor). Run via audio_bench.sh."""
import os
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import time
import numpy as np
import torch
from transformers import WhisperFeatureExtractor, ASTFeatureExtractor
torch.set_num_threads(1)

x = np.random.default_rng(1).uniform(-0.5, 0.5, 480000).astype(np.float32)
fe = WhisperFeatureExtractor(feature_size=80)


def bench(name, f, reps=20):
    f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    print(f"{name}: median {np.median(ts)*1e3:.2f} ms, min {min(ts)*1e3:.2f} ms")


bench("whisper-80 HF numpy path", lambda: fe._np_extract_fbank_features(x[None, :].astype(np.float64), "cpu"))
bench("whisper-80 HF torch path (CPU)", lambda: fe(x, sampling_rate=16000, return_tensors="np"))
# The Go benchmark BenchmarkWhisper80Speech8s: 8 s of signal, padded to 30 s.
x8 = x[:128000].copy()
bench("whisper-80 HF torch path, 8 s input (padded to 30 s)", lambda: fe(x8, sampling_rate=16000, return_tensors="np"))
ast = ASTFeatureExtractor()
x10 = x[:163840]
bench("ast HF (torchaudio kaldi) 10.24 s", lambda: ast(x10, sampling_rate=16000, return_tensors="np"))
import torchaudio
x44 = torch.from_numpy(np.random.default_rng(2).uniform(-0.5, 0.5, 44100 * 30).astype(np.float32))
bench("torchaudio resample 44100->16000 30 s", lambda: torchaudio.functional.resample(x44, 44100, 16000))
