"""--pack L: every text token of an unpacked --eos run appears exactly once
and in order in the packed rows; the last row is padded, `length` says how
many ids are real; --token-dtype uint16 is refused for a large vocabulary."""
import subprocess

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from conftest import ROOT, run_job


def _rows(out):
    return pa.concat_tables([ipc.open_file(pa.memory_map(str(p))).read_all() for p in sorted(out.glob("part-*.arrow"))])


def test_pack_keeps_every_token_in_order(tokenize_bin, shared, tmp_path):
    inputs = [shared / "corpus" / "text", ROOT / "fixtures" / "sample"]
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    run_job(tokenize_bin, plain, *inputs, "--encoding", "r50k_base", "--eos")
    run_job(tokenize_bin, packed, *inputs, "--encoding", "r50k_base", "--pack", "1000", "--token-dtype", "uint16")
    t = _rows(plain)
    want = np.concatenate([np.asarray(ids, dtype=np.int64) for ids, m, e in zip(
        t.column("input_ids").to_pylist(), t.column("modality").to_pylist(), t.column("error").to_pylist())
        if m == "text" and e is None])
    assert len(want) > 100_000
    p = _rows(packed)
    assert p.schema.field("input_ids").type == pa.list_(pa.uint16(), 1000)
    lengths = p.column("length").to_numpy()
    assert (lengths[:-1] == 1000).all() and 0 < lengths[-1] <= 1000
    ids = p.column("input_ids").combine_chunks().flatten().to_numpy().reshape(-1, 1000).astype(np.int64)
    assert (ids[-1, lengths[-1]:] == 0).all()  # documented pad id
    got = np.concatenate([ids[i, :n] for i, n in enumerate(lengths)])
    assert len(got) == len(want) == lengths.sum()
    assert np.array_equal(got, want)
    assert (want == 50256).sum() >= 20  # documents are joined with EOS


def test_uint16_refused_for_a_large_vocabulary(tokenize_bin, tmp_path):
    p = subprocess.run([tokenize_bin, "run", str(ROOT / "fixtures" / "sample"), "-o", str(tmp_path / "o"),
                        "--pack", "64", "--token-dtype", "uint16", "-q"], capture_output=True, text=True)
    assert p.returncode == 1 and "use --token-dtype int32" in p.stderr
