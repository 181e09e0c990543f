#!/usr/bin/env python3
"""BPE training, side by side: `tokenize train-bpe` (Go) vs HF tokenizers' BpeTrainer.

  .venv/bin/python3 scripts/bench_train.py [--vocab 30000] [--pattern cl100k] [--runs 1] [--binary B] [FILE]

FILE defaults to ../shared/corpus/text/en_large_pd_shard_kjv_jargon_devil.txt.

Both train a byte-level BPE with the same pre-tokenizer regex on the same
text, to the same vocabulary size (256 byte tokens + merges, no specials):
- Go: `tokenize train-bpe --vocab-size V --pattern P FILE -o DIR`, wall time of
  the process (reading, counting, merging, writing tokenizer.json and
  .tiktoken), once with GOMAXPROCS=1 and once with all cores.
- HF: Tokenizer(BPE()) with pre-tokenizer Sequence[Split(the regex of Go's
  tokenizer.json, isolated), ByteLevel(add_prefix_space=False,
  use_regex=False)], BpeTrainer(vocab_size=V,
  initial_alphabet=ByteLevel.alphabet()), in a subprocess with
  RAYON_NUM_THREADS=1; train_from_iterator([whole file]) (the file as one
  text, as the Go trainer reads it) and, for reference, train([FILE]) (HF reads
  files line by line). Wall time of the train call only.
Then bytes per token on the held-out UDHR files (udhr_*.txt next to FILE) for
the Go tokenizer.json and the HF-trained tokenizer (both encoded by HF
tokenizers; the Go one gives tokenfab's ids, see text/train/live_test.go).
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HF_CHILD = r"""
import json, sys, time
from tokenizers import Tokenizer, Regex, models, pre_tokenizers, trainers, decoders
pattern, vocab, path, mode, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.Sequence([
    pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
tok.decoder = decoders.ByteLevel()
tr = trainers.BpeTrainer(vocab_size=vocab, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
text = open(path, encoding="utf-8").read()
t = time.perf_counter()
if mode == "iterator":
    tok.train_from_iterator([text], trainer=tr)
else:
    tok.train([path], trainer=tr)
sec = time.perf_counter() - t
tok.save(out)
print(json.dumps({"seconds": sec, "vocab": tok.get_vocab_size()}))
"""


def bytes_per_token(tokenizer_json, files):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(tokenizer_json)
    nb = nt = 0
    per = {}
    for f in files:
        text = open(f, encoding="utf-8").read()
        n = len(tok.encode(text, add_special_tokens=False).ids)
        b = len(text.encode("utf-8"))
        per[os.path.basename(f)] = b / n
        nb += b
        nt += n
    return nb / nt, per


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", type=int, default=30000)
    ap.add_argument("--pattern", default="cl100k")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--binary", help="use this tokenize binary instead of building ./cmd/tokenize")
    ap.add_argument("--no-hf-files", action="store_true", help="skip HF's train([FILE]) timing")
    ap.add_argument("file", nargs="?", default=os.path.join(
        ROOT, "..", "shared", "corpus", "text", "en_large_pd_shard_kjv_jargon_devil.txt"))
    a = ap.parse_args()
    held = sorted(glob.glob(os.path.join(os.path.dirname(a.file), "udhr_*.txt")))
    if not held:
        sys.exit("no udhr_*.txt next to " + a.file)

    binary = a.binary
    if not binary:
        binary = os.path.join(ROOT, ".build", "tokenize")
        os.makedirs(os.path.dirname(binary), exist_ok=True)
        subprocess.run(["go", "build", "-o", binary, "./cmd/tokenize"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="bench_train")
    size = os.path.getsize(a.file)
    print(f"input: {a.file} ({size:,} bytes), vocab {a.vocab}, pattern {a.pattern}, median of {a.runs} run(s)")

    go_dir = os.path.join(tmp, "go")

    def run_go(procs):
        t = time.perf_counter()
        subprocess.run([binary, "train-bpe", "--vocab-size", str(a.vocab), "--pattern", a.pattern,
                        a.file, "-o", go_dir], check=True, env=dict(os.environ, GOMAXPROCS=procs),
                       stderr=subprocess.DEVNULL)
        return time.perf_counter() - t

    def run_hf(mode, pattern):
        out = os.path.join(tmp, f"hf_{mode}.json")
        r = json.loads(subprocess.run([sys.executable, "-c", HF_CHILD, pattern, str(a.vocab), a.file, mode, out],
                                      check=True, env=dict(os.environ, RAYON_NUM_THREADS="1"),
                                      capture_output=True, text=True).stdout)
        if r["vocab"] != a.vocab:
            sys.exit(f"HF vocab {r['vocab']} != {a.vocab}")
        return r["seconds"]

    ncpu = str(os.cpu_count())
    labels = {"go1": "go train-bpe, GOMAXPROCS=1",
              "goN": f"go train-bpe, GOMAXPROCS={ncpu}",
              "iterator": "HF BpeTrainer, 1 thread, file as one text",
              "files": "HF BpeTrainer, 1 thread, train([FILE]) by line"}
    times = {k: [] for k in labels if not (k == "files" and a.no_hf_files)}
    pattern = None
    for _ in range(a.runs):  # interleaved, so load changes hit both sides
        times["go1"].append(run_go("1"))
        times["goN"].append(run_go(ncpu))
        if pattern is None:
            pattern = json.load(open(os.path.join(go_dir, "tokenizer.json")))[
                "pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"]
        for mode in ("iterator", "files"):
            if mode in times:
                times[mode].append(run_hf(mode, pattern))
    med = {k: statistics.median(v) for k, v in times.items()}
    meta = json.load(open(os.path.join(go_dir, "train.json")))
    go_json = os.path.join(go_dir, "tokenizer.json")
    hf_json = os.path.join(tmp, "hf_iterator.json")

    base = min(med[k] for k in ("iterator", "files") if k in med)
    print(f"{'trainer':<48} {'seconds':>8}  {'fastest HF / this':>17}")
    for k, sec in med.items():
        print(f"{labels[k]:<48} {sec:8.2f}  {base / sec:16.1f}x")
    print(f"go phases (last run): count {meta['count_seconds']:.2f} s, merge {meta['merge_seconds']:.2f} s; "
          f"{meta['distinct_pieces']:,} distinct pieces, {meta['merges']:,} merges")

    g, gper = bytes_per_token(go_json, held)
    h, hper = bytes_per_token(hf_json, held)
    print(f"\nheld-out bytes/token ({len(held)} UDHR files):")
    print(f"{'file':<18} {'go':>7} {'hf':>7}")
    for f in gper:
        print(f"{f:<18} {gper[f]:7.3f} {hper[f]:7.3f}")
    diff = (g - h) / h * 100
    print(f"{'all':<18} {g:7.3f} {h:7.3f}   go vs hf {diff:+.2f}% ({'within' if abs(diff) <= 1 else 'NOT within'} 1%)")


if __name__ == "__main__":
    main()
