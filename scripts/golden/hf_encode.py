"""Encode files with Hugging Face tokenizers, for tokenfab's live parity tests.

Usage: hf_encode.py TOKENIZER_JSON[.gz]
Reads JSON requests on stdin, one per line:
  {"path": FILE, "add_special_tokens": bool, "offsets": bool, ["ranges": [[s, e], ...]]}
and prints one JSON line per request: {"ids": [...], "offsets": [[s, e], ...]}
("offsets" only when asked: Python's Encoding.offsets, in code points; then
also "decoded": tok.decode(ids, skip_special_tokens=False)).
Files are read as UTF-8 bytes without newline translation.
"""
import gzip
import json
import sys

from tokenizers import Tokenizer


def main():
    path = sys.argv[1]
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    tok = Tokenizer.from_str(data.decode("utf-8"))
    for line in sys.stdin:
        req = json.loads(line)
        with open(req["path"], "rb") as f:
            raw = f.read()
        if req.get("ranges"):
            # Each [start, end) byte range is its own document; ids concatenated.
            docs = [raw[s:e].decode("utf-8") for s, e in req["ranges"]]
            ids = []
            for enc in tok.encode_batch(docs, add_special_tokens=req["add_special_tokens"]):
                ids.extend(enc.ids)
            sys.stdout.write(json.dumps({"ids": ids}) + "\n")
            sys.stdout.flush()
            continue
        text = raw.decode("utf-8")
        enc = tok.encode(text, add_special_tokens=req["add_special_tokens"])
        out = {"ids": enc.ids}
        if req.get("offsets"):
            out["offsets"] = enc.offsets
            out["decoded"] = tok.decode(enc.ids, skip_special_tokens=False)
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
