"""Per-code-point classes as Python `regex` sees them, for unicode_test.go.

Prints "LO HI CLASS" (hex, inclusive) for every maximal run of code points
0..10FFFF with the same class, where CLASS has the bits of class.go:
1 \\p{L}, 2 \\p{N}, 4 \\s, 8 [\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}],
16 [\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}], 32 [\\r\\n], 64 [\\p{P}\\p{S}]: the
sub-expressions of the tiktoken and DeepSeek-V3 split patterns. Then
"fold X LO HI" runs of the code points that (?i:X) matches, for each
contraction letter X.
"""
import numpy as np
import regex

CLASSES = [
    (1, r"\p{L}"),
    (2, r"\p{N}"),
    (4, r"\s"),
    (8, r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]"),
    (16, r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"),
    (32, r"[\r\n]"),
    (64, r"[\p{P}\p{S}]"),
]


def runs(arr):
    """Yields (lo, hi, value) for maximal runs of equal values in arr."""
    change = np.flatnonzero(np.diff(arr)) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [len(arr)]))
    for lo, hi in zip(starts, ends):
        yield int(lo), int(hi) - 1, int(arr[lo])


def main():
    n = 0x110000
    text = "".join(map(chr, range(n)))  # Python str may hold surrogates
    cls = np.zeros(n, dtype=np.uint8)
    for bit, sub in CLASSES:
        for m in regex.finditer("(?:%s)+" % sub, text):
            cls[m.start():m.end()] |= bit
    out = ["%x %x %d" % r for r in runs(cls)]
    for x in "dlmrstve":
        for m in regex.finditer("(?i:%s)+" % x, text):
            # finditer joins adjacent matches into one run already
            out.append("fold %s %x %x" % (x, m.start(), m.end() - 1))
    print("\n".join(out))


if __name__ == "__main__":
    main()
