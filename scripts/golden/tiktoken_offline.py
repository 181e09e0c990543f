#!/usr/bin/env python3
"""Offline tiktoken for tokenfab's text tests, goldens and benchmarks.

Builds tiktoken.Encoding objects exactly as tiktoken_ext.openai_public
defines them (pat_str, special tokens), but loads the rank files from the
repo's text/encodings/ (sha256-checked by tiktoken against the same
expected_hash) instead of downloading them.

CLI (used by the Go tests in text/):
  tiktoken_offline.py ids ENCODING FILE...   one JSON line per file: {"file", "ids"}
                                             (encode_ordinary on the file's text)
"""
import json
import os
import sys

import tiktoken
import tiktoken.load
import tiktoken_ext.openai_public as openai_public

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENCODINGS_DIR = os.path.join(ROOT, "text", "encodings")


def _local_load(url, expected_hash=None):
    path = os.path.join(ENCODINGS_DIR, os.path.basename(url))
    return tiktoken.load.load_tiktoken_bpe(path, expected_hash=expected_hash)


def get_encoding(name):
    """tiktoken.Encoding for an openai_public encoding name, offline."""
    openai_public.load_tiktoken_bpe = _local_load
    ctor = openai_public.ENCODING_CONSTRUCTORS[name]()
    return tiktoken.Encoding(
        ctor["name"],
        pat_str=ctor["pat_str"],
        mergeable_ranks=ctor["mergeable_ranks"],
        special_tokens=ctor["special_tokens"],
        explicit_n_vocab=ctor.get("explicit_n_vocab"),
    )


def _read_text(path):
    with open(path, "rb") as f:
        # surrogateescape is not what tiktoken sees; corpus files are UTF-8.
        return f.read().decode("utf-8")


def main(argv):
    if len(argv) < 3 or argv[0] != "ids":
        sys.exit(__doc__)
    enc = get_encoding(argv[1])
    out = sys.stdout
    for path in argv[2:]:
        ids = enc.encode_ordinary(_read_text(path))
        out.write(json.dumps({"file": path, "ids": ids}, separators=(",", ":")))
        out.write("\n")
    out.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
