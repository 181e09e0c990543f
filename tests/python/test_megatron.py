"""--format megatron: the real binary writes Megatron-LM .bin/.idx pairs that
a reader following Megatron's documented layout (megatron_reader.py) reads
back as tiktoken's ids for the same texts, plus EOS where --eos asks for it;
header fields, dtype, document indices and pointers are checked, and a
2-shard run finalizes and resumes."""
import hashlib
import json
import subprocess

import numpy as np
import pytest

from conftest import ROOT, run_job
from megatron_reader import MAGIC, IndexedDataset


def _encoding(name):
    """A tiktoken encoding loaded offline from the repository's rank file."""
    import tiktoken
    import tiktoken_ext.openai_public as op
    from tiktoken.load import load_tiktoken_bpe

    path = ROOT / "text" / "encodings" / f"{name}.tiktoken"
    orig = op.load_tiktoken_bpe
    op.load_tiktoken_bpe = lambda _url, expected_hash=None: load_tiktoken_bpe(str(path), expected_hash=expected_hash)
    try:
        params = getattr(op, name)()
    finally:
        op.load_tiktoken_bpe = orig
    return tiktoken.Encoding(**params)


def _records(shared):
    with open(shared / "corpus" / "text" / "records.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_layout(ds, itemsize, code):
    """Header, pointers and sizes as Megatron's _IndexWriter writes them."""
    assert ds.magic == MAGIC and ds.version == 1
    assert ds.dtype_code == code and ds.dtype.itemsize == itemsize
    n = ds.sequence_count
    assert ds.document_count == len(ds.document_indices) and ds.document_indices[0] == 0
    assert ds.document_indices[-1] == n and (np.diff(ds.document_indices) >= 0).all()
    want_ptr = np.concatenate([[0], np.cumsum(ds.sequence_lengths.astype(np.int64))[:-1]]) * itemsize if n else []
    assert np.array_equal(ds.sequence_pointers, want_ptr)
    assert ds.bin_bytes == int(ds.sequence_lengths.sum()) * itemsize
    assert ds.trailing == 0 and ds.idx_size == 34 + 12 * n + 8 * ds.document_count


def test_records_o200k_eos(tokenize_bin, shared, tmp_path):
    enc = _encoding("o200k_base")
    recs = _records(shared)
    out = tmp_path / "meg"
    run_job(tokenize_bin, out, shared / "corpus" / "text" / "records.jsonl", "--format", "megatron", "--eos")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["_SUMMARY.json", "part-00000.bin", "part-00000.idx"]  # no temp file left
    ds = IndexedDataset(out / "part-00000")
    _check_layout(ds, 4, 4)  # o200k has 200k tokens: int32, as DType.optimal_dtype
    assert ds.sequence_count == len(recs) == 763 and ds.document_count == 764
    assert np.array_equal(ds.document_indices, np.arange(764))  # one sequence per document
    docs = list(ds.documents())
    eot = enc.eot_token
    assert eot == 199999
    bad = [r["id"] for r, d in zip(recs, docs) if d.tolist() != enc.encode_ordinary(r["text"]) + [eot]]
    assert not bad, f"{len(bad)} documents differ from tiktoken, first {bad[:5]}"
    total = sum(len(d) for d in docs)
    assert int(ds.sequence_lengths.sum()) == total > 100_000
    s = json.loads((out / "_SUMMARY.json").read_text())
    assert s["documents"] == 763 and s["document_tokens"] == total == s["tokens"]
    assert [(f["name"], f["rows"], f["bytes"], f["sha256"]) for f in s["files"]] == [
        (n, 763, (out / n).stat().st_size, _sha256(out / n)) for n in ("part-00000.bin", "part-00000.idx")]


def test_two_shards_r50k_uint16_finalize_resume(tokenize_bin, shared, tmp_path):
    enc = _encoding("r50k_base")
    recs = _records(shared)
    # Four JSONL files, so both shards get some (the shard unit is a file).
    src = tmp_path / "in"
    src.mkdir()
    for k in range(4):
        with open(src / f"part{k}.jsonl", "w", encoding="utf-8") as f:
            for r in recs[k::4]:
                f.write(json.dumps(r) + "\n")
    order = [r for k in range(4) for r in recs[k::4]]
    out = tmp_path / "meg"
    procs = [subprocess.Popen([tokenize_bin, "run", str(src), "-o", str(out), "-q", "--format", "megatron",
                               "--encoding", "r50k_base", "--num-shards", "2", "--shard-index", str(i)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in (1, 0)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    p = subprocess.run([tokenize_bin, "finalize", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert (out / "_SUCCESS").is_file()
    man = json.loads((out / "manifest.json").read_text())
    assert man["format"] == "megatron" and man["num_shards"] == 2
    want_names = [f"part-{i:05d}-of-00002-0000.{e}" for i in (0, 1) for e in ("bin", "idx")]
    assert [f["name"] for f in man["files"]] == want_names
    for f in man["files"]:
        assert f["sha256"] == _sha256(out / f["name"]) and f["bytes"] == (out / f["name"]).stat().st_size
    docs, per_shard = [], []
    for i in (0, 1):
        ds = IndexedDataset(out / f"part-{i:05d}-of-00002-0000")
        _check_layout(ds, 2, 8)  # r50k: 50257 tokens < 65500: uint16
        assert ds.bin.dtype == np.uint16
        marker = json.loads((out / "_done" / f"part-{i:05d}.json").read_text())
        assert marker["documents"] == ds.document_count - 1 > 0
        assert [(f["name"], f["sha256"]) for f in marker["files"]] == [
            (n, _sha256(out / n)) for n in want_names[2 * i:2 * i + 2]]
        per_shard.append(ds.document_count - 1)
        docs += [d.tolist() for d in ds.documents()]
    # --eos is off by default (Megatron's preprocess_data.py appends EOD only
    # with --append-eod): documents are exactly tiktoken's ids.
    want = [enc.encode_ordinary(r["text"]) for r in order]
    assert len(docs) == len(want) == 763 == man["documents"] == sum(per_shard)
    bad = [r["id"] for r, d, w in zip(order, docs, want) if d != w]
    assert not bad, f"{len(bad)} documents differ from tiktoken, first {bad[:5]}"
    assert man["document_tokens"] == sum(map(len, want))
    # Resume: a rerun of a done shard changes nothing.
    before = {n: _sha256(out / n) for n in want_names}
    p = subprocess.run([tokenize_bin, "run", str(src), "-o", str(out), "-q", "--format", "megatron",
                        "--encoding", "r50k_base", "--num-shards", "2", "--shard-index", "0"],
                       cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert {n: _sha256(out / n) for n in want_names} == before
    assert (out / "_SUCCESS").is_file()


@pytest.mark.parametrize("args,code", [(["--encoding", "r50k_base", "--token-dtype", "int32"], 4),
                                       (["--token-dtype", "uint16"], None)])
def test_token_dtype_flag(tokenize_bin, shared, tmp_path, args, code):
    out = tmp_path / "o"
    cmd = [tokenize_bin, "run", str(shared / "corpus" / "text" / "records.jsonl"), "-o", str(out), "-q",
           "--format", "megatron", *args]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if code is None:  # o200k does not fit uint16
        assert p.returncode == 1 and "use --token-dtype int32" in p.stderr
        assert not out.exists() or not any(out.glob("part-*"))
        return
    assert p.returncode == 0, p.stderr
    ds = IndexedDataset(out / "part-00000")
    _check_layout(ds, 4, code)
    assert ds.sequence_count == 763
