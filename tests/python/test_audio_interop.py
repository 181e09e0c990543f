"""Audio rows vs the reference: `tokenize run ../shared/corpus/audio
--audio-preset whisper-80` writes a `mel` column; read zero-copy as
(n_frames, 80) it must equal transformers' WhisperFeatureExtractor (numpy
path, built offline with its defaults: feature_size=80, sampling_rate=16000)
on every corpus file, decoded the way the audio goldens were made
(scripts/golden/audio_golden.py): `ffmpeg -f f32le`, channel mean, then
torchaudio.functional.resample's defaults, here ported to numpy
(`resample` below, from torchaudio 2.8's _get_sinc_resample_kernel and
_apply_sinc_resample_kernel: float32 kernel, no torch needed).

Tolerances (docs/audio.md): 5e-5 where our decoder is bit-exact with ffmpeg
(WAV, FLAC; Opus is decoded by ffmpeg itself), at 16 kHz and after
resampling; 1e-4 for Ogg Vorbis (decoders within 4.2e-7 per sample, which
the log turns into up to 7.1e-5 in near-silent bins); 2e-4 for MP3 (our
float32 go-mp3 fork is within 1.5e-6 per sample of ffmpeg's mp3float,
measured up to 9.4e-5 here; the int16 go-mp3 it replaced differed by 4.9e-5
per sample and up to ~0.02 here). With `--audio-decoder ffmpeg`
every file is decoded by ffmpeg as the reference is, and every row, MP3
included, is held to 5e-5.
"""
import json
import math
import shutil
import subprocess
import wave

import numpy as np
import pyarrow as pa
import pytest

from conftest import REQUIRE_ALL, ROOT, corpus_dir, read_table, run_job

N_FILES = 29  # shared/corpus/audio
CHUNK = 480000  # 30 s at 16 kHz
FRAMES = 3000  # per chunk


def _need(what, ok):
    if ok:
        return
    msg = f"{what} is missing; run scripts/test (it installs scripts/requirements-test.txt into .venv and ffmpeg)"
    if REQUIRE_ALL:
        pytest.fail(msg + " — TOKENFAB_REQUIRE_ALL=1 forbids skipping", pytrace=False)
    pytest.skip(msg)


def whisper_fe():
    try:
        from transformers import WhisperFeatureExtractor
    except ImportError:
        _need("transformers", False)
    fe = WhisperFeatureExtractor()  # defaults: feature_size=80, sampling_rate=16000, n_fft=400, hop_length=160
    assert (fe.feature_size, fe.sampling_rate, fe.n_fft, fe.hop_length) == (80, 16000, 400, 160)
    return fe


def hf_mel(fe, x):
    """input_features.T of each 30-s chunk (zero-padded, as HF pads one
    call), concatenated: (n_chunks*3000, 80)."""
    out = []
    for i in range(0, max(len(x), 1), CHUNK):
        c = x[i:i + CHUNK]
        c = np.pad(c, (0, CHUNK - len(c)))
        f = fe(c, sampling_rate=16000, return_tensors="np")["input_features"]
        assert f.shape == (1, 80, FRAMES) and f.dtype == np.float32
        out.append(f[0].T)
    return np.concatenate(out)


def ffmpeg_decode(path):
    """ffmpeg's float32 decode at the native rate: (frames, channels), rate."""
    _need("ffmpeg/ffprobe", shutil.which("ffmpeg") and shutil.which("ffprobe"))
    p = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=sample_rate,channels",
                        "-of", "json", str(path)], check=True, capture_output=True, text=True)
    s = json.loads(p.stdout)["streams"][0]
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, "<f4").reshape(-1, int(s["channels"])), int(s["sample_rate"])


def resample(x, orig, new, lowpass_filter_width=6, rolloff=0.99):
    """torchaudio.functional.resample(x, orig, new) with its defaults
    (sinc_interp_hann), for float32 x: the kernel in float32 as torch builds
    it for a float32 waveform; the convolution summed in float64."""
    if orig == new:
        return x
    g = math.gcd(orig, new)
    orig, new = orig // g, new // g
    base = min(orig, new) * rolloff
    width = math.ceil(lowpass_filter_width * orig / base)
    f32 = np.float32
    idx = np.arange(-width, width + orig, dtype=f32)[None] / f32(orig)
    t = np.arange(0, -new, -1, dtype=f32)[:, None] / f32(new) + idx
    t = np.clip(t * f32(base), -lowpass_filter_width, lowpass_filter_width).astype(f32)
    window = np.cos(t * f32(math.pi) / f32(lowpass_filter_width) / f32(2)) ** 2
    t = t * f32(math.pi)
    with np.errstate(invalid="ignore", divide="ignore"):
        kernel = np.where(t == 0, f32(1), np.sin(t) / t).astype(f32) * (window * f32(base / orig))
    xp = np.concatenate([np.zeros(width, f32), x.astype(f32), np.zeros(width + orig, f32)])
    frames = np.lib.stride_tricks.sliding_window_view(xp, kernel.shape[1])[::orig]
    y = (frames.astype(np.float64) @ kernel.astype(np.float64).T).reshape(-1)
    return y[:math.ceil(new * len(x) / orig)].astype(f32)


def reference_mel(fe, path):
    x, sr = ffmpeg_decode(path)
    x = x.mean(axis=1, dtype=np.float32) if x.shape[1] > 1 else x[:, 0]  # Whisper presets: channel mean, then resample
    return hf_mel(fe, resample(x, sr, 16000)), sr


@pytest.fixture(scope="session")
def audio_corpus(shared):
    return corpus_dir(shared, "audio", N_FILES)


@pytest.fixture(scope="session")
def whisper_out(tokenize_bin, audio_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("whisper80")
    run_job(tokenize_bin, out, audio_corpus, "--audio-preset", "whisper-80")
    return out


def test_schema_metadata_and_zero_copy(whisper_out):
    t = read_table(whisper_out)
    assert t.num_rows == N_FILES
    assert t.schema.field("mel").type == pa.list_(pa.list_(pa.float32(), 80))
    hf = json.loads(t.schema.metadata[b"huggingface"])["info"]["features"]
    assert hf["mel"] == {"feature": {"feature": {"dtype": "float32", "_type": "Value"}, "length": 80, "_type": "Sequence"},
                         "_type": "Sequence"}
    import datasets

    assert datasets.Features.from_dict(hf).arrow_schema.types == t.schema.types  # HF reads the columns as written
    meta = json.loads(t.schema.metadata[b"tokenfab"])["tokenizers"]["audio"]
    assert (meta["preset"], meta["sample_rate"], meta["n_fft"], meta["hop_length"], meta["n_mels"]) == ("whisper-80", 16000, 400, 160, 80)
    assert (meta["chunk_frames"], meta["chunk_seconds"], meta["long_audio"], meta["num_tokens"]) == (3000, 30, "chunk", "frames")
    assert "WhisperFeatureExtractor" in meta["reference"] and "chunk" in meta["rows"]

    # Zero-copy: (n_frames, 80) float32 views into the memory map.
    p = sorted(whisper_out.glob("part-*.arrow"))[0]
    with pa.memory_map(str(p)) as src:
        b = pa.ipc.open_file(src).get_batch(0)
        col = b.column("mel")
        fsl = col.values  # fixed_size_list<float32, 80>; col.flatten() on a sliced array
        flat = fsl.values.to_numpy(zero_copy_only=True)
        mel = flat.reshape(-1, fsl.type.list_size)
        offs = col.offsets.to_numpy(zero_copy_only=True)
        assert mel.dtype == np.float32 and mel.shape[1] == 80 and not flat.flags.writeable
        assert np.shares_memory(mel, flat)
        nt = b.column("num_tokens").to_numpy(zero_copy_only=False)
        for k in range(b.num_rows):
            assert offs[k + 1] - offs[k] == nt[k] == FRAMES  # every corpus file is under 30 s: one chunk
        row0 = mel[offs[0]:offs[1]]  # (n_frames, 80) of row 0
        assert row0.shape == (FRAMES, 80) and np.isfinite(row0).all()


def test_mel_equals_hf_whisper(whisper_out, audio_corpus):
    fe = whisper_fe()
    t = read_table(whisper_out)
    col = t.column("mel").combine_chunks()
    offs = col.offsets.to_numpy()
    flat = col.flatten().flatten().to_numpy().reshape(-1, 80)
    rows = t.select(["id", "error", "modality", "num_tokens", "input_ids"]).to_pylist()
    # Every corpus file is a mel row; none is an error row (Opus goes through ffmpeg).
    assert [r["id"] for r in rows] == sorted(p.name for p in audio_corpus.iterdir())
    assert {r["modality"] for r in rows} == {"audio"}
    assert [r["id"] for r in rows if r["error"] is not None] == []
    worst = {}
    for k, r in enumerate(rows):
        assert r["input_ids"] is None and r["num_tokens"] == offs[k + 1] - offs[k]
        ours = flat[offs[k]:offs[k + 1]]
        ref, sr = reference_mel(fe, audio_corpus / r["id"])
        assert ours.shape == ref.shape, (r["id"], ours.shape, ref.shape)
        d = np.abs(ours - ref)
        kind = "mp3" if r["id"].startswith("mp3") else "vorbis" if r["id"].startswith(("ogg", "oga")) else \
            "lossless@16k" if sr == 16000 else "lossless resampled"
        assert d.max() <= {"vorbis": 1e-4, "mp3": 2e-4}.get(kind, 5e-5), (r["id"], kind, d.max())
        worst[kind] = max(worst.get(kind, 0), float(d.max()))
        if sr == 16000 and kind != "mp3":
            assert d.max() <= 5e-5, (r["id"], d.max())  # the 16 kHz files: within 5e-5 of input_features.T
    assert set(worst) == {"mp3", "vorbis", "lossless@16k", "lossless resampled"}, worst
    print("max |ours - HF| by kind:", worst)


@pytest.fixture(scope="session")
def whisper_ffmpeg_out(tokenize_bin, audio_corpus, tmp_path_factory):
    _need("ffmpeg", shutil.which("ffmpeg"))
    out = tmp_path_factory.mktemp("whisper80_ffmpeg")
    run_job(tokenize_bin, out, audio_corpus, "--audio-preset", "whisper-80", "--audio-decoder", "ffmpeg")
    return out


def test_ffmpeg_decoder_every_row_within_5e5(whisper_ffmpeg_out, audio_corpus):
    """--audio-decoder ffmpeg decodes every file as the reference does
    (`ffmpeg -f f32le`), so every corpus row, MP3 and Vorbis included, is
    within the Whisper tolerance 5e-5 of WhisperFeatureExtractor; the
    16-kHz files directly, the others after the same (torchaudio) resampler."""
    fe = whisper_fe()
    t = read_table(whisper_ffmpeg_out)
    meta = json.loads(t.schema.metadata[b"tokenfab"])["tokenizers"]["audio"]
    assert meta["decoder"] == "ffmpeg" and "pcm_f32le" in meta["decoder_params"]
    col = t.column("mel").combine_chunks()
    offs = col.offsets.to_numpy()
    flat = col.flatten().flatten().to_numpy().reshape(-1, 80)
    rows = t.select(["id", "error"]).to_pylist()
    assert [r["id"] for r in rows] == sorted(p.name for p in audio_corpus.iterdir())
    assert [r["id"] for r in rows if r["error"] is not None] == []
    worst = {}
    for k, r in enumerate(rows):
        ref, sr = reference_mel(fe, audio_corpus / r["id"])
        ours = flat[offs[k]:offs[k + 1]]
        assert ours.shape == ref.shape, (r["id"], ours.shape, ref.shape)
        d = float(np.abs(ours - ref).max())
        assert d <= 5e-5, (r["id"], d)
        kind = r["id"].split("_")[0] + ("@16k" if sr == 16000 else "")
        worst[kind] = max(worst.get(kind, 0), d)
    assert "mp3@16k" in worst, worst  # mp3_48k_16k_mono_speech_librivox_0920.mp3
    print("--audio-decoder ffmpeg, max |ours - HF| by kind:", worst)


def test_long_audio_chunks_equal_hf_per_chunk(tokenize_bin, audio_corpus, tmp_path):
    """A 40-s WAV is one row of 2 × 3000 frames; frames [3000k, 3000(k+1))
    are HF's input_features of chunk k; --long-audio truncate keeps chunk 0."""
    fe = whisper_fe()
    pcm = b""
    for name in ["wav_s16_16k_mono_speech_librivox_0870.wav", "wav_s16_16k_mono_speech_librivox_0920.wav",
                 "wav_s16_16k_mono_speech_librivox_0930.wav", "wav_s16_16k_mono_speech_pocketsphinx_cards_005.wav"]:
        with wave.open(str(audio_corpus / name)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
            pcm += w.readframes(w.getnframes())
    pcm = (pcm * 3)[:2 * 40 * 16000]
    src = tmp_path / "long"
    src.mkdir()
    with wave.open(str(src / "long.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm)
    x = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
    ref = hf_mel(fe, x)
    assert ref.shape == (2 * FRAMES, 80)
    for mode, frames in [("chunk", 2 * FRAMES), ("truncate", FRAMES)]:
        out = tmp_path / mode
        run_job(tokenize_bin, out, src, "--long-audio", mode)
        t = read_table(out)
        r = t.select(["error", "num_tokens"]).to_pylist()[0]
        assert r == {"error": None, "num_tokens": frames}
        mel = t.column("mel").combine_chunks().flatten().flatten().to_numpy().reshape(-1, 80)
        assert mel.shape == (frames, 80)
        assert np.abs(mel - ref[:frames]).max() <= 5e-5
        assert json.loads(t.schema.metadata[b"tokenfab"])["tokenizers"]["audio"]["long_audio"] == mode


def test_sample_has_text_image_audio_rows(sample_out):
    """The README's first command: text, image and audio rows side by side."""
    t = read_table(sample_out)
    rows = t.select(["id", "modality", "error", "num_tokens"]).to_pylist()
    assert {r["modality"] for r in rows} == {"text", "image", "audio", "video"}
    audio = [r for r in rows if r["modality"] == "audio"]
    assert audio == [{"id": "audio/librivox_0930.wav", "modality": "audio", "error": None, "num_tokens": FRAMES}]
    k = [r["id"] for r in rows].index("audio/librivox_0930.wav")
    mel = np.asarray(t.column("mel")[k].values.flatten()).reshape(-1, 80)
    ref = hf_mel(whisper_fe(), ffmpeg_decode(ROOT / "fixtures" / "sample" / "audio" / "librivox_0930.wav")[0][:, 0])
    assert np.abs(mel - ref).max() <= 5e-5
    assert t.column("mel").null_count == t.num_rows - 1


def test_datasets_reads_mel(tokenize_bin, tmp_path):
    import datasets

    out = tmp_path / "hf"
    run_job(tokenize_bin, out, ROOT / "fixtures" / "sample" / "audio", "--format", "arrow-stream", "--audio-preset", "whisper-128")
    path = str(sorted(out.glob("part-*.arrows"))[0])
    ds = datasets.Dataset.from_file(path)
    assert ds.features["mel"] == datasets.List(datasets.List(datasets.Value("float32"), length=128))
    row = ds.with_format("numpy")[0]
    assert row["mel"].shape == (FRAMES, 128) and row["mel"].dtype == np.float32
    t = pa.ipc.open_stream(path).read_all()
    assert np.array_equal(row["mel"], np.asarray(t.column("mel")[0].values.flatten()).reshape(-1, 128))
