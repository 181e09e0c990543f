"""Python readers on tokenize's Arrow output: pyarrow (file, memory map,
zero-copy numpy), polars, Hugging Face datasets, and id parity with tiktoken."""
import json

import numpy as np
import pyarrow as pa
import pytest

N_RECORDS = 763  # lines of shared/corpus/text/records.jsonl


def parts(out, ext=".arrow"):
    ps = sorted(out.glob("part-*" + ext))
    assert ps, f"no part-*{ext} in {out}"
    return ps


def read_all(out):
    tables = []
    for p in parts(out):
        with pa.memory_map(str(p)) as src:
            tables.append(pa.ipc.open_file(src).read_all())
    return pa.concat_tables(tables)


def input_records(shared):
    with open(shared / "corpus" / "text" / "records.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_open_file_reads_every_row(records_out, shared):
    rows = 0
    ids = []
    for p in parts(records_out):
        r = pa.ipc.open_file(str(p))  # plain file read, no memory map
        for i in range(r.num_record_batches):
            b = r.get_batch(i)
            rows += b.num_rows
            ids += b.column("id").to_pylist()
    assert rows == N_RECORDS
    assert ids == [rec["id"] for rec in input_records(shared)]


def test_schema_and_metadata(records_out):
    t = read_all(records_out)
    assert t.schema.field("input_ids").type == pa.list_(pa.int32())
    assert t.schema.field("num_tokens").type == pa.int32()
    assert t.schema.field("segment").type == pa.int32()
    for name in ["id", "field", "modality", "source", "error"]:
        assert t.schema.field(name).type == pa.string()
    assert all(f.nullable for f in t.schema)
    meta = t.schema.metadata
    hf = json.loads(meta[b"huggingface"])
    assert hf["info"]["features"]["input_ids"] == {"feature": {"dtype": "int32", "_type": "Value"}, "_type": "Sequence"}
    tf = json.loads(meta[b"tokenfab"])
    assert tf["format_version"] == 1
    assert tf["tokenizers"]["text"]["name"] == "o200k_base"
    assert len(tf["tokenizers"]["text"]["sha256"]) == 64
    assert t.column("error").null_count == N_RECORDS
    assert set(t.column("modality").to_pylist()) == {"text"}
    assert set(t.column("field").to_pylist()) == {"text"}


def test_input_ids_equal_tiktoken(records_out, shared, o200k):
    t = read_all(records_out)
    got = t.column("input_ids").to_pylist()
    num = t.column("num_tokens").to_pylist()
    recs = input_records(shared)
    mismatches = [r["id"] for r, ids in zip(recs, got) if o200k.encode_ordinary(r["text"]) != ids]
    assert not mismatches, f"{len(mismatches)} rows differ from tiktoken, e.g. {mismatches[:5]}"
    assert num == [len(ids) for ids in got]
    summary = json.loads((records_out / "_SUMMARY.json").read_text())
    assert summary["records"] == N_RECORDS and summary["errors"]["total"] == 0
    assert summary["tokens"] == sum(num)


def test_memory_map_zero_copy_numpy(records_out, o200k, shared):
    recs = input_records(shared)
    row = 0
    for p in parts(records_out):
        with pa.memory_map(str(p)) as src:
            r = pa.ipc.open_file(src)
            for i in range(r.num_record_batches):
                col = r.get_batch(i).column("input_ids")
                assert col.offset == 0
                flat = col.values.to_numpy(zero_copy_only=True)
                offs = col.offsets.to_numpy(zero_copy_only=True)
                assert flat.dtype == np.int32 and offs.dtype == np.int32
                assert not flat.flags.writeable  # a view of the read-only map, not a copy
                assert len(offs) == len(col) + 1 and offs[-1] == len(flat)
                for k in (0, len(col) // 2, len(col) - 1):
                    assert flat[offs[k]:offs[k + 1]].tolist() == o200k.encode_ordinary(recs[row + k]["text"])
                row += len(col)
    assert row == N_RECORDS


def test_polars_read_ipc(records_out):
    import polars as pl

    frames = [pl.read_ipc(p) for p in parts(records_out)]
    df = pl.concat(frames)
    assert df.height == N_RECORDS
    assert df.schema["input_ids"] == pl.List(pl.Int32)
    assert df.schema["num_tokens"] == pl.Int32
    assert df["input_ids"].list.len().cast(pl.Int32).to_list() == df["num_tokens"].to_list()
    assert df["error"].null_count() == N_RECORDS


def test_datasets_from_file_stream(records_stream_out, records_out):
    import datasets

    ps = parts(records_stream_out, ".arrows")
    dss = [datasets.Dataset.from_file(str(p)) for p in ps]
    ds = datasets.concatenate_datasets(dss) if len(dss) > 1 else dss[0]
    assert len(ds) == N_RECORDS
    feat = ds.features["input_ids"]
    inner = getattr(feat, "feature", None)
    assert inner is not None, f"input_ids feature is {feat!r}, want a sequence"
    assert inner.dtype == "int32", f"input_ids feature is {feat!r}"
    assert type(feat).__name__ in ("List", "Sequence", "LargeList")
    assert ds.features["num_tokens"].dtype == "int32"
    # Same rows as the IPC file variant.
    t = read_all(records_out)
    assert ds[0]["input_ids"] == t.column("input_ids")[0].as_py()
    assert ds[N_RECORDS - 1]["id"] == t.column("id")[N_RECORDS - 1].as_py()


def test_error_rows_keep_their_place(sample_out, o200k):
    t = read_all(sample_out)
    rows = t.to_pylist()
    bad = [r for r in rows if r["error"] is not None]
    assert len(bad) == 1, bad
    b = bad[0]
    assert b["id"] == "records.jsonl:13"
    assert b["error"].startswith("bad_json: ")
    assert b["source"].endswith("fixtures/sample/records.jsonl:13")
    assert b["input_ids"] is None and b["num_tokens"] is None
    assert t.column("input_ids").null_count == 1 + 2 + 1 + 1  # the bad line, the two images, the WAV and the video (no ids)
    # The bad line sits between its neighbours, in input order.
    manifest = [r["id"] for r in rows if r["source"].rsplit("/", 1)[-1].startswith("records.jsonl")]
    assert manifest[11:14] == ["udhr-ar-0003", "records.jsonl:13", "udhr-ar-0004"]
    # Plain files: id is the path relative to the input root, ids match tiktoken.
    files = {r["id"]: r for r in rows if r["field"] is None and r["modality"] == "text"}
    assert set(files) == {"devils_dictionary_a.txt", "udhr_ko_preamble.txt", "udhr_th_preamble.txt"}
    # The sample's images are image rows with patches and no ids.
    images = {r["id"]: r for r in rows if r["modality"] == "image"}
    assert set(images) == {"images/elephant-660-480.jpg", "images/hopper.gif"}
    for r in images.values():
        assert r["error"] is None and r["input_ids"] is None and r["grid_thw"] == [1, 14, 14]
        assert r["num_tokens"] == len(r["patches"]) == 196 and all(len(p) == 768 for p in r["patches"])
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "fixtures" / "sample"
    for name, r in files.items():
        assert r["input_ids"] == o200k.encode_ordinary((root / name).read_text(encoding="utf-8"))
    summary = json.loads((sample_out / "_SUMMARY.json").read_text())
    assert summary["errors"]["by_kind"]["bad_json"]["count"] == 1
    assert summary["completed"] is True
