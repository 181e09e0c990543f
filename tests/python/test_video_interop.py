"""Video rows vs ffprobe and the video goldens: `tokenize run
../shared/corpus/video -o OUT --video-preset qwen2-vl` (the default image
preset stays vit-base-patch16-224: video patches have their own column,
video_patches, so the two patch widths, 768 and 1176, coexist in one job).

For every corpus clip the row is checked against what the video package
documents (docs/video.md) and against ffprobe, independently of our Go code:
  - frames: HF Qwen2VLVideoProcessor.sample_frames at 2 fps, n =
    floor(min(max(N/F*2, 4), floor(min(768, N)/2)*2, N)/2)*2 over N frames
    at avg_frame_rate F, indices torch.arange(0, N, N/n).int() (float32);
  - timestamps = the `ffprobe -show_frames` best_effort_timestamp_time of
    those frames (real pts, seconds; the fragmented MP4 starts at 0.0667 s);
  - grid_thw = (n/2, H/14, W/14) with (H, W) = Qwen's smart_resize of the
    displayed size (28-multiples within 128*28*28..768*28*28 pixels), so the
    rotated clip (stored 960x540, displaymatrix 90 degrees) has a portrait
    grid; video_patches is t*h*w entries of 3*2*14*14 = 1176 uint8;
    num_tokens = t*h*w/4 (the 2x2 merge);
  - the two corpus clips with HF goldens (fixtures/video/golden/presets.json:
    transformers 5.23.0 Qwen2VLVideoProcessor) give the golden indices and
    grid_thw exactly.
The animated GIF is an image row (GIF is an image format to the pipeline);
every other clip is a video row without error.
"""
import json
import math
import shutil
import subprocess

import numpy as np
import pyarrow as pa
import pytest

from conftest import REQUIRE_ALL, ROOT, corpus_dir, read_table, run_job

N_FILES = 10  # shared/corpus/video
DIM = 3 * 2 * 14 * 14


def _need_ffprobe():
    if shutil.which("ffprobe") and shutil.which("ffmpeg"):
        return
    msg = "ffmpeg/ffprobe are missing; run scripts/test (it installs them)"
    if REQUIRE_ALL:
        pytest.fail(msg + " — TOKENFAB_REQUIRE_ALL=1 forbids skipping", pytrace=False)
    pytest.skip(msg)


def probe(path):
    """(frame pts in seconds in presentation order, avg fps, displayed (h, w),
    stored (h, w)) from ffprobe -show_frames (decodes: the true frame list)."""
    p = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "V:0", "-show_frames", "-show_streams",
                        "-show_entries", "frame=best_effort_timestamp_time:stream=width,height,avg_frame_rate:stream_side_data=rotation",
                        "-of", "json", str(path)], check=True, capture_output=True, text=True)
    j = json.loads(p.stdout)
    st = j["streams"][0]
    num, den = map(int, st["avg_frame_rate"].split("/"))
    ts = sorted(float(f["best_effort_timestamp_time"]) for f in j["frames"])
    rot = 0
    for sd in st.get("side_data_list", []):
        if "rotation" in sd:
            rot = int(sd["rotation"]) % 180
    h, w = int(st["height"]), int(st["width"])
    return ts, num / den, ((w, h) if rot == 90 else (h, w)), (h, w)


def qwen_indices(n_frames, fps, target=2.0, min_frames=4, max_frames=768):
    n = min(max(n_frames / fps * target, min_frames), math.floor(min(max_frames, n_frames) / 2) * 2, n_frames)
    n = math.floor(n / 2) * 2
    step = np.float32(n_frames / n)
    idx = (np.arange(n, dtype=np.float32) * step).astype(np.int32)
    return [int(i) for i in idx]


def smart_resize(h, w, factor=28, min_pixels=128 * 28 * 28, max_pixels=768 * 28 * 28):
    hb, wb = round(h / factor) * factor, round(w / factor) * factor
    if hb * wb > max_pixels:
        beta = math.sqrt(h * w / max_pixels)
        hb, wb = math.floor(h / beta / factor) * factor, math.floor(w / beta / factor) * factor
    elif hb * wb < min_pixels:
        beta = math.sqrt(min_pixels / (h * w))
        hb, wb = math.ceil(h * beta / factor) * factor, math.ceil(w * beta / factor) * factor
    return hb, wb


@pytest.fixture(scope="session")
def video_corpus(shared):
    return corpus_dir(shared, "video", N_FILES)


@pytest.fixture(scope="session")
def qwen_out(tokenize_bin, video_corpus, tmp_path_factory):
    _need_ffprobe()
    out = tmp_path_factory.mktemp("video_qwen")
    run_job(tokenize_bin, out, video_corpus, "--video-preset", "qwen2-vl")
    return out


def test_schema_and_hf_features(qwen_out):
    t = read_table(qwen_out)
    assert t.num_rows == N_FILES
    assert t.schema.field("video_patches").type == pa.list_(pa.list_(pa.uint8(), DIM))
    assert t.schema.field("patches").type == pa.list_(pa.list_(pa.uint8(), 768))  # the image preset's, unchanged
    assert t.schema.field("timestamps").type == pa.list_(pa.float64())
    assert t.schema.field("grid_thw").type == pa.list_(pa.int32(), 3)
    hf = json.loads(t.schema.metadata[b"huggingface"])["info"]["features"]
    assert hf["timestamps"] == {"feature": {"dtype": "float64", "_type": "Value"}, "_type": "Sequence"}
    import datasets

    assert datasets.Features.from_dict(hf).arrow_schema.types == t.schema.types
    meta = json.loads(t.schema.metadata[b"tokenfab"])["tokenizers"]["video"]
    assert (meta["preset"], meta["sampling"], meta["fps"], meta["patch_dim"], meta["patch_dtype"]) == ("qwen2-vl", "hf-qwen2-vl", 2, DIM, "uint8")
    assert meta["image"]["patch_size"] == 14 and meta["image"]["temporal_patch_size"] == 2 and meta["image"]["merge_size"] == 2


def test_every_clip_matches_ffprobe_and_qwen(qwen_out, video_corpus):
    t = read_table(qwen_out)
    rows = t.select(["id", "segment", "modality", "error", "num_tokens", "grid_thw", "timestamps"]).to_pylist()
    assert [r["id"] for r in rows] == sorted(p.name for p in video_corpus.iterdir())  # every clip has its row
    vp = t.column("video_patches").combine_chunks()
    offs = vp.offsets.to_numpy()
    flat = vp.values.values.to_numpy(zero_copy_only=False).reshape(-1, DIM)
    goldens = {c["file"].rsplit("/", 1)[-1]: c for c in json.loads((ROOT / "fixtures/video/golden/presets.json").read_text())["cases"]
               if c["preset"] == "qwen2-vl" and c["file"].startswith("../shared")}
    assert len(goldens) == 2
    checked = []
    for k, r in enumerate(rows):
        assert r["error"] is None, r
        if r["id"].endswith(".gif"):
            assert r["modality"] == "image" and r["grid_thw"] == [1, 14, 14] and r["timestamps"] is None
            continue
        assert r["modality"] == "video" and r["segment"] == 0
        ts, fps, (h, w), stored = probe(video_corpus / r["id"])
        idx = qwen_indices(len(ts), fps)
        want_ts = [ts[i] for i in idx]
        assert len(r["timestamps"]) == len(idx), (r["id"], len(r["timestamps"]), len(idx))
        assert np.abs(np.array(r["timestamps"]) - want_ts).max() <= 1e-6, (r["id"], r["timestamps"], want_ts)
        hb, wb = smart_resize(h, w)
        grid = [len(idx) // 2, hb // 14, wb // 14]
        assert r["grid_thw"] == grid, (r["id"], r["grid_thw"], grid)
        n = grid[0] * grid[1] * grid[2]
        assert offs[k + 1] - offs[k] == n and r["num_tokens"] == n // 4
        patches = flat[offs[k]:offs[k + 1]]
        assert patches.shape == (n, DIM) and patches.dtype == np.uint8 and patches.std() > 1  # real pixels, not padding
        if "rotate90" in r["id"]:
            assert stored[0] < stored[1] and grid[1] > grid[2], (stored, grid)  # landscape stored, portrait grid
        if r["id"] in goldens:
            g = goldens[r["id"]]
            assert idx == g["indices"] and grid == g["grid_thw"] and [n, DIM] == g["shape"], (r["id"], idx, grid)
            assert len(ts) == g["total_frames"] and abs(fps - g["avg_fps"]) < 1e-9
        checked.append(r["id"])
    assert len(checked) == N_FILES - 1
    frag = next(r for r in rows if r["id"].startswith("mp4_fragmented"))
    assert abs(frag["timestamps"][0] - 0.0667) < 1e-3  # real pts: the stream starts at 0.0667 s


def test_video_field_and_audio_segments(tokenize_bin, video_corpus, tmp_path):
    """--video-field in a manifest plus --video-audio: a clip with sound is a
    video row and an audio row (segment 1, same id, whisper-80 mel of its
    sound, equal to HF WhisperFeatureExtractor on ffmpeg's decode of that
    stream, as test_audio_interop checks audio files); the silent VFR
    clip's audio row is an error naming the missing stream; the job exits
    0. (The flower clips' audio tracks are digital silence, -91 dB: the
    speech of the "friday" MOV is the real test.)"""
    from test_audio_interop import reference_mel, whisper_fe

    _need_ffprobe()
    src = tmp_path / "m"
    src.mkdir()
    for name in ["mp4_h264_vfr_640x360_flower_ffmpeg.mp4", "mov_h264_aac_remux_friday_ffmpeg.mov"]:
        shutil.copy(video_corpus / name, src / name)
    (src / "clips.jsonl").write_text(
        json.dumps({"id": "silent", "text": "a flower", "clip": "mp4_h264_vfr_640x360_flower_ffmpeg.mp4"}) + "\n" +
        json.dumps({"id": "aac", "clip": "mov_h264_aac_remux_friday_ffmpeg.mov"}) + "\n" +
        json.dumps({"id": "escape", "clip": "../x.mp4"}) + "\n")
    out = tmp_path / "out"
    run_job(tokenize_bin, out, src / "clips.jsonl", "--video-field", "clip", "--video-audio")
    t = read_table(out)
    rows = t.select(["id", "segment", "field", "modality", "error", "num_tokens"]).to_pylist()
    got = [(r["id"], r["segment"], r["field"], r["modality"], (r["error"] or "").split(":")[0]) for r in rows]
    assert got == [("silent", 0, "text", "text", ""), ("silent", 1, "clip", "video", ""), ("silent", 2, "clip", "audio", "tokenize"),
                   ("aac", 0, "clip", "video", ""), ("aac", 1, "clip", "audio", ""), ("escape", 0, "clip", "video", "outside_root")]
    assert "no audio stream" in rows[2]["error"]
    assert rows[4]["num_tokens"] == 3000  # a 6.2-s clip: one 30-s Whisper chunk
    mel = t.column("mel")[4].values.flatten().to_numpy().reshape(-1, 80)
    ref, sr = reference_mel(whisper_fe(), src / "mov_h264_aac_remux_friday_ffmpeg.mov")
    assert sr == 44100 and mel.shape == ref.shape == (3000, 80) and ref.std() > 0.1
    d = np.abs(mel - ref)
    assert d.max() <= 5e-5, d.max()  # as audio files after resampling (docs/audio.md)
    print("video audio: max |ours - HF| =", d.max())
    opts = json.loads(t.schema.metadata[b"tokenfab"])["options"]
    assert opts["video_field"] == "clip" and opts["video_audio"] is True
    summary = json.loads((out / "_SUMMARY.json").read_text())
    assert summary["errors"]["total"] == 2 and summary["modalities"]["video"]["segments"] == 3


def test_frame_directory(tokenize_bin, video_corpus, tmp_path):
    """A directory of frames dumped by ffmpeg (`ffmpeg -i CLIP -vf fps=2
    flower.frames/%04d.png`) is one video row with --video-frame-rate 2:
    HF Qwen2VLVideoProcessor's indices over its N frames at 2 fps, frame k
    at k/2 s, the grid of the clip's smart_resize, and frame_rate_for_files
    in the metadata; a plain directory of the same PNGs stays image rows."""
    _need_ffprobe()
    src = tmp_path / "in"
    frames = src / "flower.frames"
    frames.mkdir(parents=True)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(video_corpus / "mp4_h264_aac_960x540_29.97fps_mdn_cc0_flower.mp4"),
                    "-vf", "fps=2", "-start_number", "0", str(frames / "%04d.png")], check=True)
    names = sorted(p.name for p in frames.iterdir())
    n = len(names)
    assert n >= 10, names
    (src / "stills").mkdir()
    for name in names[:2]:
        shutil.copy(frames / name, src / "stills" / name)
    out = tmp_path / "out"
    run_job(tokenize_bin, out, src, "--video-preset", "qwen2-vl", "--video-frame-rate", "2")
    t = read_table(out)
    rows = t.select(["id", "modality", "error", "grid_thw", "timestamps", "num_tokens"]).to_pylist()
    assert [(r["id"], r["modality"], r["error"]) for r in rows] == \
        [("flower.frames", "video", None)] + [("stills/" + m, "image", None) for m in names[:2]]
    idx = qwen_indices(n, 2.0)
    hb, wb = smart_resize(540, 960)
    v = rows[0]
    assert v["timestamps"] == [i / 2 for i in idx], (v["timestamps"], idx)
    assert v["grid_thw"] == [len(idx) // 2, hb // 14, wb // 14]
    assert v["num_tokens"] == len(idx) // 2 * hb // 14 * wb // 14 // 4
    assert all(r["grid_thw"] == [1, 14, 14] for r in rows[1:])
    meta = json.loads(t.schema.metadata[b"tokenfab"])["tokenizers"]["video"]
    assert meta["frame_rate_for_files"] == 2
