"""Reference goldens for tokenfab/audio (run through scripts/golden/audio.sh).

References (pinned in requirements-audio.txt):
  * transformers WhisperFeatureExtractor (feature_size 80 / 128): the numpy
    path (_np_extract_fbank_features, float64 STFT) is stored; the torch path
    (the default __call__ when torch is installed) is checked against it and
    the max difference recorded in the manifest.
  * transformers ASTFeatureExtractor (torchaudio.compliance.kaldi.fbank inside).
  * torchaudio.functional.resample (sinc_interp_hann, width 6, rolloff 0.99).
Inputs: synthetic signals made here (noise inputs are stored; tones and chirps
are formulas that the Go tests recompute), and 16 kHz speech from
../shared/corpus/audio decoded by `ffmpeg -f f32le`.
Output: fixtures/audio/golden/NAME.f32.gz (float32 little-endian, gzip) and
manifest.json (shapes, the exact reference call, provenance).
"""
import gzip, json, os, subprocess, sys
import numpy as np
import torch, torchaudio
import transformers
from transformers import WhisperFeatureExtractor, ASTFeatureExtractor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.environ.get("TOKENFAB_SHARED", os.path.join(ROOT, "..", "shared"))
OUT = os.path.join(ROOT, "fixtures", "audio", "golden")
os.makedirs(OUT, exist_ok=True)
manifest = {"versions": {"numpy": np.__version__, "torch": torch.__version__,
                         "torchaudio": torchaudio.__version__,
                         "transformers": transformers.__version__},
            "arrays": {}}
torch.set_num_threads(1)


def save(name, arr, **meta):
    arr = np.ascontiguousarray(np.asarray(arr, dtype="<f4"))
    with gzip.GzipFile(os.path.join(OUT, name + ".f32.gz"), "wb", mtime=0) as f:
        f.write(arr.tobytes())
    manifest["arrays"][name] = {"shape": list(arr.shape), **meta}


SR = 16000
t = lambda n, sr=SR: np.arange(n, dtype=np.float64) / sr
rng = np.random.default_rng(1234)
signals = {
    # formulas (recomputed in Go: float64 maths, then float32)
    "tone440_2s": (0.5 * np.sin(2 * np.pi * 440 * t(2 * SR))).astype(np.float32),
    "chirp_3s": (0.5 * np.sin(2 * np.pi * (50 * t(3 * SR) + (7950 / 6) * t(3 * SR) ** 2))).astype(np.float32),
    "silence_1s": np.zeros(SR, np.float32),
    "tone440_35s": (0.5 * np.sin(2 * np.pi * 440 * t(35 * SR))).astype(np.float32),
    # stored inputs
    "noise_1s": rng.uniform(-0.5, 0.5, SR).astype(np.float32),
    "one_sample": np.array([0.25], np.float32),
}
signals["hundred_samples"] = signals["noise_1s"][:100].copy()
stored_inputs = ["noise_1s", "one_sample", "hundred_samples"]
for k in stored_inputs:
    save("input_" + k, signals[k], what="input signal, 16 kHz mono")


def ffmpeg_f32(path):
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "f32le", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, "<f4").copy()


corpus = ["wav_s16_16k_mono_speech_librivox_0870.wav", "wav_s16_16k_mono_speech_librivox_0920.wav",
          "wav_s16_16k_mono_speech_librivox_0930.wav", "wav_s16_16k_mono_speech_pocketsphinx_cards_005.wav"]
for c in corpus:
    signals["corpus:" + c] = ffmpeg_f32(os.path.join(SHARED, "corpus", "audio", c))

# ---- Whisper -------------------------------------------------------------
N = 480000
for mels in (80, 128):
    fe = WhisperFeatureExtractor(feature_size=mels)
    for name, x in signals.items():
        if mels == 128 and name.startswith("corpus:") and "0920" not in name:
            continue
        chunks = [x[i:i + N] for i in range(0, max(len(x), 1), N)]
        out_np, out_torch = [], []
        for ch in chunks:
            pad = np.zeros(N, np.float32)
            pad[:len(ch)] = ch
            out_np.append(fe._np_extract_fbank_features(pad[None, :].astype(np.float64), "cpu")[0])
            out_torch.append(fe(ch, sampling_rate=SR, return_tensors="np").input_features[0])
        a, b = np.stack(out_np), np.stack(out_torch)
        # stored frame-major: [chunk, frame 3000, mel]
        save(f"whisper{mels}_{name.replace('corpus:', 'corpus_')}", a.transpose(0, 2, 1),
             ref=f"WhisperFeatureExtractor(feature_size={mels})._np_extract_fbank_features on each 30 s chunk zero-padded to 480000",
             torch_path_max_abs_diff=float(np.abs(a - b).max()), layout="[chunk, frame, mel]")

# Whisper's own filter bank (for the bit-exact filter test).
for mels in (80, 128):
    save(f"whisper_filters{mels}", WhisperFeatureExtractor(feature_size=mels).mel_filters.T,
         ref="WhisperFeatureExtractor.mel_filters (mel_filter_bank slaney/slaney, float64), stored [mel, bin] as float32", layout="[mel, bin 201]")

# ---- AST -----------------------------------------------------------------
# The reference's own float32 noise: the same kaldi fbank on the same input
# samples in float64 (torchaudio computes in the waveform's dtype), through
# HF's own padding and normalization. Recorded per signal over the bins the Go
# test calls near-floor (reference energy < 1e-6, i.e. normalized value below
# AST_QUIET, or more than 70 dB below the frame's loudest bin; same rule as
# audio/ast_test.go) and over the others; the test's near-floor tolerance is
# built from it.
ast = ASTFeatureExtractor()
AST_QUIET = np.float32((np.log(1e-6) + 4.2677393) / 9.1379948)
AST_REL70 = np.float32(np.log(1e7) / 9.1379948)
for name, x in signals.items():
    if name in ("one_sample", "hundred_samples", "tone440_35s"):
        continue  # kaldi fbank rejects input shorter than one 400-sample window
    v = ast(x, sampling_rate=SR, return_tensors="np").input_values[0]
    v64 = ast.normalize(ast._extract_fbank_features(x.astype(np.float64), max_length=ast.max_length))
    d = np.abs(v.astype(np.float64) - v64)
    quiet = (v < AST_QUIET) | (v < v.max(axis=1, keepdims=True) - AST_REL70)
    save(f"ast_{name.replace('corpus:', 'corpus_')}", v,
         ref="ASTFeatureExtractor() defaults (kaldi fbank 128, max_length 1024, AudioSet mean/std)", layout="[frame 1024, mel 128]",
         f32_vs_f64_near_floor=float(d[quiet].max()) if quiet.any() else 0.0,
         f32_vs_f64_other=float(d[~quiet].max()) if (~quiet).any() else 0.0,
         f32_vs_f64_ref="same fbank on x.astype(float64), HF normalize: max |f32 - f64| over near-floor / other bins")

# ---- log-mel -------------------------------------------------------------
# librosa.feature.melspectrogram defaults (n_fft 2048, hop 512, 128 Slaney
# mels with Slaney norm, centre with constant padding, power 2) at 16 kHz via
# transformers audio_utils (which implements librosa's formulas), log10 with
# floor 1e-10; and torchaudio.transforms.MelSpectrogram defaults (n_fft 400,
# hop 200, 128 HTK mels, no norm, reflect) then log10(clamp(1e-10)).
from transformers.audio_utils import spectrogram, window_function, mel_filter_bank
for name in ("chirp_3s", "noise_1s", "hundred_samples"):
    x = signals[name].astype(np.float64)
    fb = mel_filter_bank(num_frequency_bins=1025, num_mel_filters=128, min_frequency=0.0, max_frequency=8000.0,
                         sampling_rate=SR, norm="slaney", mel_scale="slaney")
    v = spectrogram(x, window_function(2048, "hann"), frame_length=2048, hop_length=512, power=2.0, center=True,
                    pad_mode="constant", mel_filters=fb, mel_floor=1e-10, log_mel="log10")
    save(f"logmel_librosa_{name}", v.T,
         ref="transformers audio_utils.spectrogram(hann 2048 periodic, hop 512, center, pad_mode=constant, power 2, mel_filter_bank(1025,128,0,8000,16000,slaney,slaney), log10 floor 1e-10)",
         layout="[frame, mel]")
    if len(x) <= 200:
        continue  # torch's reflect padding needs more than n_fft/2 samples
    ms = torchaudio.transforms.MelSpectrogram(sample_rate=SR)(torch.from_numpy(signals[name]))
    save(f"logmel_torchaudio_{name}", torch.clamp(ms, min=1e-10).log10().numpy().T,
         ref="torchaudio.transforms.MelSpectrogram(sample_rate=16000) defaults, then clamp(1e-10).log10()", layout="[frame, mel]")

# ---- Resample ------------------------------------------------------------
rs_cases = [(44100, 16000), (48000, 16000), (22050, 16000), (8000, 16000), (32000, 16000), (16000, 22050), (11025, 16000)]
for orig, new in rs_cases:
    x = rng.uniform(-0.5, 0.5, orig // 4).astype(np.float32)
    save(f"input_noise_{orig}", x, what=f"input noise, 0.25 s at {orig} Hz")
    y = torchaudio.functional.resample(torch.from_numpy(x), orig, new).numpy()
    save(f"resample_noise_{orig}_{new}", y, ref=f"torchaudio.functional.resample(x, {orig}, {new})")
# A 10 kHz tone at 44.1 kHz: above the new Nyquist (8 kHz).
x = (0.5 * np.sin(2 * np.pi * 10000 * t(22050, 44100))).astype(np.float32)
y = torchaudio.functional.resample(torch.from_numpy(x), 44100, 16000).numpy()
save("resample_tone10k_44100_16000", y, ref="torchaudio.functional.resample(0.5 sin(2π·10000·n/44100), n<22050, 44100, 16000)",
     out_rms=float(np.sqrt(np.mean(y.astype(np.float64) ** 2))))

with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
tot = sum(os.path.getsize(os.path.join(OUT, p)) for p in os.listdir(OUT))
print(f"wrote {len(manifest['arrays'])} arrays, {tot} bytes, to {OUT}")
for k, v in manifest["arrays"].items():
    if "torch_path_max_abs_diff" in v:
        print(k, "torch vs numpy", v["torch_path_max_abs_diff"])
