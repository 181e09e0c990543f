"""Fixtures for the interop tests: the tokenize binary, ../shared, and the
Arrow outputs of a few `tokenize run` jobs (built once per session).

The binary comes from $TOKENFAB_BIN (scripts/test builds it); without it the
tests build one with `go build`. When TOKENFAB_REQUIRE_ALL=1 (scripts/test,
CI) a missing ../shared fails the tests instead of skipping them.
"""
import os
import pathlib
import subprocess

import pyarrow as pa
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
REQUIRE_ALL = os.environ.get("TOKENFAB_REQUIRE_ALL") == "1"


def _missing(what):
    msg = f"{what} is missing; run scripts/test (it builds and installs everything)"
    if REQUIRE_ALL:
        pytest.fail(msg + " — TOKENFAB_REQUIRE_ALL=1 forbids skipping", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def shared():
    d = pathlib.Path(os.environ.get("TOKENFAB_SHARED", ROOT.parent / "shared"))
    if not (d / "corpus" / "text" / "records.jsonl").is_file():
        _missing(f"shared data {d}/corpus/text/records.jsonl")
    return d


@pytest.fixture(scope="session")
def tokenize_bin(tmp_path_factory):
    b = os.environ.get("TOKENFAB_BIN")
    if b:
        if not os.access(b, os.X_OK):
            pytest.fail(f"TOKENFAB_BIN={b} is not an executable", pytrace=False)
        return b
    out = tmp_path_factory.mktemp("bin") / "tokenize"
    subprocess.run(["go", "build", "-o", str(out), "./cmd/tokenize"], cwd=ROOT, check=True)
    return str(out)


def run_job(tokenize_bin, out, *args):
    """Runs `tokenize run ARGS -o OUT` and returns the completed process."""
    p = subprocess.run([tokenize_bin, "run", *map(str, args), "-o", str(out), "--quiet"],
                       cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, f"tokenize run failed ({p.returncode}): {p.stderr}"
    return p


def read_table(out):
    """Reads every part-*.arrow file of OUT (memory-mapped) into one table."""
    ps = sorted(out.glob("part-*.arrow"))
    assert ps, f"no part files in {out}"
    tables = []
    for p in ps:
        with pa.memory_map(str(p)) as src:
            tables.append(pa.ipc.open_file(src).read_all())
    return pa.concat_tables(tables)


def corpus_dir(shared, kind, n_files):
    """shared/corpus/KIND, checked to hold N_FILES files."""
    d = shared / "corpus" / kind
    files = sorted(p.name for p in d.iterdir())
    assert len(files) == n_files, f"{d} holds {len(files)} files, want {n_files}"
    return d


@pytest.fixture(scope="session")
def records_out(tokenize_bin, shared, tmp_path_factory):
    out = tmp_path_factory.mktemp("records_arrow")
    run_job(tokenize_bin, out, shared / "corpus" / "text" / "records.jsonl")
    return out


@pytest.fixture(scope="session")
def records_stream_out(tokenize_bin, shared, tmp_path_factory):
    out = tmp_path_factory.mktemp("records_stream")
    run_job(tokenize_bin, out, shared / "corpus" / "text" / "records.jsonl", "--format", "arrow-stream")
    return out


@pytest.fixture(scope="session")
def sample_out(tokenize_bin, tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    run_job(tokenize_bin, out, ROOT / "fixtures" / "sample")
    return out


@pytest.fixture(scope="session")
def o200k():
    """tiktoken's o200k_base, loaded offline from the repository's rank file
    (the pattern and special tokens come from tiktoken_ext.openai_public)."""
    import tiktoken
    import tiktoken_ext.openai_public as op
    from tiktoken.load import load_tiktoken_bpe

    path = ROOT / "text" / "encodings" / "o200k_base.tiktoken"
    orig = op.load_tiktoken_bpe
    op.load_tiktoken_bpe = lambda _url, expected_hash=None: load_tiktoken_bpe(str(path), expected_hash=expected_hash)
    try:
        params = op.o200k_base()
    finally:
        op.load_tiktoken_bpe = orig
    return tiktoken.Encoding(**params)
