"""Reference splitter for diff_test.go: Python `regex` running one pattern.

Usage: ref_split.py PATTERN_FILE IN.jsonl OUT.txt
PATTERN_FILE holds the exact pattern text. Each line of IN.jsonl is a JSON
string; for each, one line of OUT.txt lists the lengths, in code points, of
the matches of regex.findall(pattern, text) (the patterns have no capture
groups, so that is finditer's matches), separated by spaces. If the matches
do not cover the text (the patterns never leave gaps), "gap" is appended.
"""
import json
import sys

import regex


def main():
    pat_file, in_path, out_path = sys.argv[1:4]
    with open(pat_file, encoding="utf-8") as f:
        findall = regex.compile(f.read()).findall
    out = []
    with open(in_path, encoding="utf-8") as fin:
        for line in fin:
            text = json.loads(line)
            lens = list(map(len, findall(text)))
            if sum(lens) != len(text):
                lens.append("gap")
            out.append(" ".join(map(str, lens)))
    with open(out_path, "w") as fout:
        fout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
