"""Prints, as JSON, the split patterns the references use, read from the
references themselves: tiktoken's tiktoken_ext/openai_public.py (its
constructors are called with the rank loaders stubbed out, so nothing is
downloaded) and, if a directory holding HF tokenizer.json files is given,
their Split pre-tokenizer regexes.

Usage: ref_patterns.py [HF_DIR]   (HF_DIR/<name>/tokenizer.json)
"""
import json
import os
import sys

import tiktoken
from tiktoken_ext import openai_public


def tiktoken_patterns():
    openai_public.load_tiktoken_bpe = lambda *a, **k: {}
    openai_public.data_gym_to_mergeable_bpe_ranks = lambda *a, **k: {}
    return {name: ctor()["pat_str"] for name, ctor in openai_public.ENCODING_CONSTRUCTORS.items()}


def hf_split_regexes(hf_dir):
    out = {}
    for name in sorted(os.listdir(hf_dir)):
        path = os.path.join(hf_dir, name, "tokenizer.json")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            pre = json.load(f).get("pre_tokenizer") or {}
        for p in pre.get("pretokenizers", [pre]):
            if p.get("type") == "Split" and "Regex" in p.get("pattern", {}):
                out.setdefault(name, []).append(p["pattern"]["Regex"])
    return out


def main():
    res = {"tiktoken_version": tiktoken.__version__, "tiktoken": tiktoken_patterns()}
    if len(sys.argv) > 1:
        res["hf"] = hf_split_regexes(sys.argv[1])
    json.dump(res, sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
