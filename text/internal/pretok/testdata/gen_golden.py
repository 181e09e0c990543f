"""Writes fixtures/pretok/golden.jsonl: reference splits that golden_test.go
checks without Python.

The patterns are read from the references (ref_patterns.py: tiktoken 0.14.0's
openai_public.py and the HF tokenizer.json files in ../shared/vocab/hf), and
the splits are Python `regex`'s findall with them. Inputs: the strings below
(chosen to hit each rule; no expected values are written by hand) and the
texts in fixtures/pretok/*.txt.

Usage (from the repository root):
  .venv/bin/python text/internal/pretok/testdata/gen_golden.py
First line: {"patterns": {name: pattern}}; then {"name", "text", "pieces"}
for the strings below and {"name", "file", "lens"} (piece lengths in UTF-8
bytes) for the files.
"""
import glob
import json
import os
import subprocess
import sys

import regex

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))

# Inputs only; their splits come from regex below.
INPUTS = [
    "Hello world", "hello  world", "Hello, world!\n", "a\n  ", "a\n\n  ", "x\n \n ", "a \n  ", "tail  ",
    "  lead", "\tTab", "a\t\tb", "a\u3000b", "a\u3000\u3000b", "\u00a0x", "x\u00a0\u00a0y", "x\u0085y",
    "x\u180ey", "x\u200by", "x\ufeffy", "x\x1cy", "line\r\nnext\r\n\r\n  end", "\n\n\n", " \n \n",
    "don't", "DON'T", "I'M", "we'll", "WE'LL", "you're", "YOU'RE", "they've", "'s", "'S", "'\u017f",
    "x'\u017f", "'\u212a", "it\u2019s", "'ll'd", "''s", "' s", "rock'n'roll", "O'Neil's",
    "HelloWorld", "XMLHttpRequest", "iPhone", "\u01c5emal", "\u01c4EMAL", "ABCdef", "abcDEF",
    "\u0295x", "\u02b0a", "e\u0301t\u00e9", "\u0301x", "!\u0301x", "x \u0301", "\u0915\u093f\u0924\u093e\u092c",
    "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22", "\u4e2d\u6587\u5b57", "\ud55c\uad6d\uc5b4", "\u0645\u0631\u062d\u0628\u0627",
    "12345678", "x1234", "\u0661\u0662\u0663\u0664", "\u0968\u0966\u0968\u096a", "\u00bd\u2167", "\uff11\uff12\uff13\uff14",
    "3.14159", "1,000,000", "v2.0", "a//b", "http://x.org/a//b", "///\n//", "../..\\x", "#!/bin/sh\n",
    "foo(bar)", "  ...", " ...\n\n", "x !!\r\n", "\U0001F642\U0001F44D\U0001F3FD", "\U0001F468\u200d\U0001F469\u200d\U0001F467 fam",
    "\u2764\ufe0f x", "\U0001F1EF\U0001F1F5", "1\ufe0f\u20e3", " \U0001F642", "\x1b[32mgreen\x1b[m",
    "\U0001e5d0x", "\u1c89\u1c8a", "\ufffd", "a\ufffdb", "\x00\x7f",
]


def main():
    pats = json.loads(subprocess.run(
        [sys.executable, os.path.join(HERE, "ref_patterns.py"), os.path.join(ROOT, "..", "shared", "vocab", "hf")],
        check=True, capture_output=True, text=True).stdout)
    tk, hf = pats["tiktoken"], pats.get("hf", {})
    names = [
        ("gpt2", tk["r50k_base"]),
        ("cl100k", tk["cl100k_base"]),
        ("llama3", hf["llama3"][0]),
        ("qwen2", hf["qwen3"][0]),
        ("o200k", tk["o200k_base"]),
    ]
    files = sorted(glob.glob(os.path.join(ROOT, "fixtures", "pretok", "*.txt")))
    out = [{"patterns": dict(names), "regex": regex.__version__}]
    for name, pat in names:
        r = regex.compile(pat)
        for s in INPUTS:
            out.append({"name": name, "text": s, "pieces": r.findall(s)})
        for f in files:
            with open(f, encoding="utf-8") as fh:
                text = fh.read()
            lens = [len(p.encode("utf-8")) for p in r.findall(text)]
            assert sum(lens) == len(text.encode("utf-8"))
            out.append({"name": name, "file": os.path.basename(f), "lens": lens})
    with open(os.path.join(ROOT, "fixtures", "pretok", "golden.jsonl"), "w", encoding="utf-8") as fh:
        for o in out:
            fh.write(json.dumps(o, ensure_ascii=False) + "\n")
    print("wrote %d lines" % len(out))


if __name__ == "__main__":
    main()
