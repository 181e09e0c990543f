"""A minimal reader of Megatron-LM's MMapIndexedDataset (.bin/.idx), written
from the layout megatron/core/datasets/indexed_dataset.py documents, to check
`tokenize run --format megatron` independently of the Go code.

.idx, little-endian: magic b"MMIDIDX\\x00\\x00" (9 B), version <Q (1), dtype
code <B, sequence count <Q, document count <Q (document indices, starting
with 0), int32 sequence lengths, int64 sequence pointers (byte offsets into
.bin), int64 document indices. .bin: the tokens, memory-mapped with numpy.
"""
import struct

import numpy as np

MAGIC = b"MMIDIDX\x00\x00"
DTYPES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64,
          6: np.float64, 7: np.float32, 8: np.uint16}


class IndexedDataset:
    """Opens PREFIX.idx and PREFIX.bin (as Megatron's --data-path PREFIX)."""

    def __init__(self, prefix):
        prefix = str(prefix)
        with open(prefix + ".idx", "rb") as f:
            head = f.read(34)
        assert len(head) == 34, f"{prefix}.idx: short header"
        self.magic = head[:9]
        assert self.magic == MAGIC, f"{prefix}.idx: bad magic {self.magic!r}"
        (self.version,) = struct.unpack("<Q", head[9:17])
        (self.dtype_code,) = struct.unpack("<B", head[17:18])
        self.sequence_count, self.document_count = struct.unpack("<QQ", head[18:34])
        self.dtype = np.dtype(DTYPES[self.dtype_code])
        idx = np.memmap(prefix + ".idx", mode="r", dtype=np.uint8)
        off, n = 34, self.sequence_count
        self.sequence_lengths = np.frombuffer(idx, dtype="<i4", count=n, offset=off)
        off += 4 * n
        self.sequence_pointers = np.frombuffer(idx, dtype="<i8", count=n, offset=off)
        off += 8 * n
        self.document_indices = np.frombuffer(idx, dtype="<i8", count=self.document_count, offset=off)
        off += 8 * self.document_count
        self.idx_size = len(idx)
        self.trailing = len(idx) - off  # bytes after the document indices (sequence modes, if multimodal)
        binsize = __import__("os").path.getsize(prefix + ".bin")
        self.bin = (np.memmap(prefix + ".bin", mode="r", dtype=self.dtype) if binsize
                    else np.zeros(0, dtype=self.dtype))
        self.bin_bytes = binsize

    def __len__(self):
        return self.sequence_count

    def sequence(self, i):
        """The ids of sequence i, as Megatron reads them (pointer, length)."""
        start = int(self.sequence_pointers[i]) // self.dtype.itemsize
        return np.asarray(self.bin[start:start + int(self.sequence_lengths[i])])

    def documents(self):
        """Every document's ids (its sequences joined), in order."""
        d = self.document_indices
        for k in range(len(d) - 1):
            seqs = [self.sequence(i) for i in range(int(d[k]), int(d[k + 1]))]
            yield np.concatenate(seqs) if seqs else np.zeros(0, dtype=self.dtype)
