"""--format parquet (a binary built with -tags parquet): pyarrow.parquet and
polars read the files, and they hold the same rows as the Arrow output of
the same job (grid_thw, a fixed_size_list in Arrow, is a list in Parquet)."""
import json
import shutil
import os
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, run_job


@pytest.fixture(scope="session")
def parquet_bin(tmp_path_factory):
    b = os.environ.get("TOKENFAB_BIN_PARQUET")
    if b:
        return b
    out = tmp_path_factory.mktemp("bin") / "tokenize-parquet"
    subprocess.run(["go", "build", "-tags", "parquet", "-o", str(out), "./cmd/tokenize"], cwd=ROOT, check=True)
    return str(out)


def test_parquet_same_rows_as_arrow(parquet_bin, tmp_path):
    sample = ROOT / "fixtures" / "sample"
    # images, then text, then images again (a copy: an input given twice is
    # read once): a null grid_thw between valid ones.
    again = tmp_path / "images_again"
    shutil.copytree(sample / "images", again)
    inputs = [sample / "images", sample / "records.jsonl", sample / "devils_dictionary_a.txt", again]
    run_job(parquet_bin, tmp_path / "a", *inputs)
    run_job(parquet_bin, tmp_path / "p", *inputs, "--format", "parquet")
    arrow = pa.concat_tables(pa.ipc.open_file(str(f)).read_all() for f in sorted((tmp_path / "a").glob("part-*.arrow")))
    files = sorted((tmp_path / "p").glob("part-*.parquet"))
    assert len(files) == 1, files  # roll-over: pipeline/parquetout's Go test (the CLI's batches are >= 16 MiB)
    summary = json.loads((tmp_path / "p" / "_SUMMARY.json").read_text())
    assert [f["name"] for f in summary["files"]] == [f.name for f in files]
    for f in files:
        md = pq.ParquetFile(f).metadata
        for rg in range(md.num_row_groups):
            for c in range(md.num_columns):
                col = md.row_group(rg).column(c)
                assert col.compression == "ZSTD" and not col.has_dictionary_page, (f.name, col.path_in_schema)
    par = pq.read_table(files[0])
    assert par.num_rows == arrow.num_rows == summary["rows"] > 30
    assert par.schema.metadata[b"huggingface"] == arrow.schema.metadata[b"huggingface"]
    tf = json.loads(par.schema.metadata[b"tokenfab"])
    assert tf["options"]["format"] == "parquet"
    assert par.schema.field("grid_thw").type == pa.list_(pa.field("element", pa.int32()))
    assert par.schema.field("patches").type == arrow.schema.field("patches").type  # list<fixed_size_list<uint8, 768>>
    for name in arrow.column_names:
        a = arrow.column(name)
        if name == "grid_thw":
            a = a.cast(par.schema.field(name).type)
        assert par.column(name).to_pylist() == a.to_pylist(), name
    grid = par.column("grid_thw").to_pylist()
    assert grid[:2] == [[1, 14, 14]] * 2 and grid[-2:] == [[1, 14, 14]] * 2 and grid[2] is None
