"""Reference splitter for diff_test.go: Python `regex` running one pattern.

Usage: ref_split.py PATTERN_FILE IN.jsonl OUT.txt [--gaps]
PATTERN_FILE holds the exact pattern text. Each line of IN.jsonl is a JSON
string; for each, one line of OUT.txt lists the lengths, in code points, of
the matches of regex.findall(pattern, text) (the patterns have no capture
groups, so that is finditer's matches), separated by spaces. If the matches
do not cover the text (the tiktoken patterns never leave gaps), "gap" is
appended. With --gaps, the text between matches is listed too, in order, as
"-N" for a gap of N code points.
"""
import json
import sys

import regex


def with_gaps(pat, text):
    """Piece lengths of finditer's matches and the gaps between them."""
    pieces, prev = [], 0
    for m in pat.finditer(text):
        if m.start() > prev:
            pieces.append("-%d" % (m.start() - prev))
        pieces.append("%d" % (m.end() - m.start()))
        prev = m.end()
    if prev < len(text):
        pieces.append("-%d" % (len(text) - prev))
    return pieces


def main():
    pat_file, in_path, out_path = sys.argv[1:4]
    gaps = sys.argv[4:] == ["--gaps"]
    with open(pat_file, encoding="utf-8", newline="") as f:  # keep a literal \r
        pat = regex.compile(f.read())
    findall = pat.findall
    out = []
    with open(in_path, encoding="utf-8") as fin:
        for line in fin:
            text = json.loads(line)
            if gaps:
                out.append(" ".join(with_gaps(pat, text)))
                continue
            lens = list(map(len, findall(text)))
            if sum(lens) != len(text):
                lens.append("gap")
            out.append(" ".join(map(str, lens)))
    with open(out_path, "w") as fout:
        fout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
