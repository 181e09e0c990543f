#!/usr/bin/env python3
"""Regenerates the text goldens that `go test ./text/` checks without Python.

  .venv/bin/python3 scripts/golden/text_tiktoken.py [SHARED_DIR]

1. fixtures/text/*.txt: small excerpts (whole lines, ~2-3 KB) of multilingual
   files in SHARED_DIR/corpus/text (default ../shared); sources in
   fixtures/SOURCES.md.
2. fixtures/golden/text_tiktoken_ids.jsonl: {"file","encoding","ids"} with
   tiktoken's encode_ordinary ids of each excerpt.
3. fixtures/golden/text_long_pieces.jsonl: {"case","unit","repeat","encoding",
   "ids_rle":[[id,count],...]} for 100k-long single pieces (run-length coded
   tiktoken ids).

Ids come from tiktoken itself (scripts/golden/tiktoken_offline.py); never edit
the outputs by hand.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tiktoken_offline  # noqa: E402

ROOT = tiktoken_offline.ROOT
ENCODINGS = ["cl100k_base", "o200k_base", "r50k_base", "p50k_base"]

# (fixture name, corpus file, first line (1-based), max bytes)
EXCERPTS = [
    ("udhr_ar.txt", "udhr_ar.txt", 1, 2500),
    ("udhr_he.txt", "udhr_he.txt", 1, 2500),
    ("udhr_hi.txt", "udhr_hi.txt", 1, 3000),
    ("udhr_ja.txt", "udhr_ja.txt", 1, 2500),
    ("udhr_ko.txt", "udhr_ko.txt", 1, 2500),
    ("udhr_ru.txt", "udhr_ru.txt", 1, 2500),
    ("udhr_th.txt", "udhr_th.txt", 1, 3000),
    ("udhr_zh_hans.txt", "udhr_zh_hans.txt", 1, 2500),
    ("emoji_gitmoji_subjects.txt", "emoji_gitmoji_commit_subjects.txt", 1, 2500),
    ("code_go_strings.txt", "code_go_strings.go", 1, 3000),
    ("json_gitmojis.txt", "json_gitmojis.json", 1, 2500),
    ("en_jargon_glyphs.txt", "en_large_pd_shard_kjv_jargon_devil.txt", 73975, 3000),
]

LONG = [("a", 100000), (" ", 100000), ("\u7684", 100000)]


def excerpt(path, first_line, max_bytes):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")[first_line - 1:]
    out = b""
    for line in lines:
        if len(out) + len(line) + 1 > max_bytes:
            break
        out += line + b"\n"
    out.decode("utf-8")  # whole lines of UTF-8 files: must stay valid
    return out


def main():
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared")
    corpus = os.path.join(shared, "corpus", "text")
    fixdir = os.path.join(ROOT, "fixtures", "text")
    os.makedirs(fixdir, exist_ok=True)
    texts = []
    for name, src, first, max_bytes in EXCERPTS:
        data = excerpt(os.path.join(corpus, src), first, max_bytes)
        with open(os.path.join(fixdir, name), "wb") as f:
            f.write(data)
        texts.append((name, data.decode("utf-8")))

    encs = {name: tiktoken_offline.get_encoding(name) for name in ENCODINGS}
    with open(os.path.join(ROOT, "fixtures", "golden", "text_tiktoken_ids.jsonl"), "w") as f:
        for name, text in texts:
            for enc_name, enc in encs.items():
                ids = enc.encode_ordinary(text)
                assert enc.decode(ids) == text
                f.write(json.dumps({"file": name, "encoding": enc_name, "ids": ids}, separators=(",", ":")) + "\n")

    with open(os.path.join(ROOT, "fixtures", "golden", "text_long_pieces.jsonl"), "w") as f:
        for unit, repeat in LONG:
            text = unit * repeat
            for enc_name, enc in encs.items():
                ids = enc.encode_ordinary(text)
                assert enc.decode(ids) == text
                rle = []
                for i in ids:
                    if rle and rle[-1][0] == i:
                        rle[-1][1] += 1
                    else:
                        rle.append([i, 1])
                rec = {"case": "%r*%d" % (unit, repeat), "unit": unit, "repeat": repeat,
                       "encoding": enc_name, "n_ids": len(ids), "ids_rle": rle}
                f.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
