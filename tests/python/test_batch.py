"""Sharded batch runs (docs/batch.md): shards started as an Indexed Job
would start them equal an unsharded run after `tokenize finalize`; a job
killed with SIGKILL at random points and rerun ends with the same bytes,
never showing a partial file under a final name; `--layout hf` output opens
with datasets.load_from_disk."""
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from conftest import ROOT


def _start(tokenize_bin, out, inputs, n, i, *extra, env_index=True):
    """Starts shard i of n the way a Kubernetes Indexed Job does: the index
    comes from JOB_COMPLETION_INDEX, the count from --num-shards."""
    env = dict(os.environ)
    args = [tokenize_bin, "run", *map(str, inputs), "-o", str(out), "--num-shards", str(n), "-q", *extra]
    if env_index:
        env["JOB_COMPLETION_INDEX"] = str(i)
    else:
        args += ["--shard-index", str(i)]
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_ok(p):
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, f"tokenize run failed ({p.returncode}): {err}"
    return err


def _finalize(tokenize_bin, out, *extra):
    p = subprocess.run([tokenize_bin, "finalize", str(out), *extra], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, f"finalize failed ({p.returncode}): {p.stderr}"
    assert (out / "_SUCCESS").is_file()
    return json.loads((out / "manifest.json").read_text())


def _read(path):
    if str(path).endswith(".arrows"):
        return ipc.open_stream(pa.memory_map(str(path))).read_all()
    return ipc.open_file(pa.memory_map(str(path))).read_all()


def _table(out):
    man = json.loads((out / "manifest.json").read_text())
    return pa.concat_tables([_read(out / f["name"]) for f in man["files"]])


def test_two_shards_equal_one_on_the_shared_corpus(tokenize_bin, shared, tmp_path):
    inputs = [shared / "corpus" / d for d in ("text", "image", "audio")]
    one, two = tmp_path / "one", tmp_path / "two"
    procs = [_start(tokenize_bin, one, inputs, 1, 0)] + [_start(tokenize_bin, two, inputs, 2, i) for i in (0, 1)]
    for p in procs:  # all three run at once, as pods do
        _wait_ok(p)
    m1, m2 = _finalize(tokenize_bin, one), _finalize(tokenize_bin, two)
    assert m2["num_shards"] == 2 and {f["shard"] for f in m2["files"]} == {0, 1}
    assert m1["rows"] == m2["rows"] > 100 and m1["tokens"] == m2["tokens"]
    t1, t2 = _table(one), _table(two)
    mods = set(t1.column("modality").to_pylist())
    assert {"text", "image", "audio"} <= mods
    for col in ("id", "segment", "modality", "num_tokens", "input_ids", "error"):
        assert t1.column(col).to_pylist() == t2.column(col).to_pylist(), col
    assert t1.equals(t2)  # patches and mel too
    # Every record is there exactly once.
    keys = list(zip(t2.column("id").to_pylist(), t2.column("segment").to_pylist()))
    assert len(keys) == len(set(keys))


def _corpus_copies(shared, dst, copies):
    for c in range(copies):
        shutil.copytree(shared / "corpus" / "text", dst / f"copy{c}")
    return dst


def _check_visible(out, seen, problems):
    """Every file under a final part name must be a complete Arrow file."""
    for name in os.listdir(out):
        if not name.startswith("part-"):
            continue
        try:
            data = (out / name).read_bytes()
        except FileNotFoundError:
            continue  # removed by the rerun's cleanup
        key = (name, hashlib.sha256(data).hexdigest())
        if key in seen:
            continue
        try:
            ipc.open_file(pa.BufferReader(data)).read_all()
            seen.add(key)
        except Exception as e:  # noqa: BLE001 - any failure is a partial file
            problems.append(f"{name} ({len(data)} bytes): {e}")


def test_sigkill_at_random_points_then_resume(tokenize_bin, shared, tmp_path):
    src = _corpus_copies(shared, tmp_path / "in", 3)
    extra = ("--max-file-size", "1MiB", "--workers", "2")
    ref = tmp_path / "ref"
    for i in range(2):
        _wait_ok(_start(tokenize_bin, ref, [src], 2, i, *extra, env_index=False))
    ref_man = _finalize(tokenize_bin, ref)
    assert len(ref_man["files"]) >= 2

    out = tmp_path / "out"
    rng = random.Random(7)
    seen, problems, kills = set(), [], 0
    for attempt in range(40):
        if kills >= 6:
            break
        todo = [i for i in range(2) if not (out / "_done" / f"part-{i:05d}.json").is_file()]
        if not todo:
            # both done before we could kill enough: start over in a new dir
            out = tmp_path / f"out{attempt}"
            todo = [0, 1]
        p = _start(tokenize_bin, out, [src], 2, todo[0], *extra, env_index=False)
        deadline = time.monotonic() + rng.uniform(0.02, 0.9)
        while p.poll() is None and time.monotonic() < deadline:
            if out.exists():
                _check_visible(out, seen, problems)
            time.sleep(0.005)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait()
    assert kills >= 6, f"only {kills} runs were killed"
    # Rerun to completion (as Kubernetes retries a failed index), polling.
    for i in range(2):
        p = _start(tokenize_bin, out, [src], 2, i, *extra, env_index=False)
        while p.poll() is None:
            _check_visible(out, seen, problems)
            time.sleep(0.005)
        _wait_ok(p)
    assert not problems, problems
    man = _finalize(tokenize_bin, out)
    assert [(f["name"], f["sha256"]) for f in man["files"]] == [(f["name"], f["sha256"]) for f in ref_man["files"]]
    for f in man["files"]:
        assert (out / f["name"]).read_bytes() == (ref / f["name"]).read_bytes()
    t = _table(out)
    assert t.equals(_table(ref))
    keys = list(zip(t.column("source").to_pylist(), t.column("segment").to_pylist()))
    assert len(keys) == len(set(keys)) == man["rows"]  # no duplicate record
    n_files = sum(1 for _ in src.rglob("*") if _.is_file())
    jsonl_lines = sum(len([ln for ln in p.read_text().splitlines() if ln.strip()]) for p in src.rglob("*.jsonl"))
    assert man["records"] == n_files - len(list(src.rglob("*.jsonl"))) + jsonl_lines
    assert not [n for n in os.listdir(out) if n.endswith(".tmp")]


def test_hf_layout_loads_with_load_from_disk(tokenize_bin, shared, tmp_path):
    import datasets

    inputs = [ROOT / "fixtures" / "sample", shared / "corpus" / "text"]
    out = tmp_path / "hf"
    procs = [_start(tokenize_bin, out, inputs, 3, i, "--format", "arrow-stream") for i in range(3)]
    for p in procs:
        _wait_ok(p)
    man = _finalize(tokenize_bin, out, "--layout", "hf")
    state = json.loads((out / "state.json").read_text())
    assert [f["filename"] for f in state["_data_files"]] == [f["name"] for f in man["files"]]
    ds = datasets.load_from_disk(str(out))
    assert ds.num_rows == man["rows"]
    t = _table(out)
    assert ds["id"] == t.column("id").to_pylist()
    assert ds["input_ids"] == t.column("input_ids").to_pylist()
    assert ds.features["input_ids"] == datasets.Sequence(datasets.Value("int32")) or \
        ds.features["input_ids"] == datasets.List(datasets.Value("int32"))
    assert "image" in set(ds["modality"])
