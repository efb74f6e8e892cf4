#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus (tests/fuzz/corpus/): small valid inputs for each target.

    /usr/bin/python3 tests/fuzz/make_seed_corpus.py

idx/: IDX files as read_idx takes them: images (3 dimensions) and labels (1), raw and gzipped.
checkpoint/: safetensors checkpoints as the identity app writes them, each behind the
fuzzer's mode byte (1: checksum verified, 0: not). The checksum follows checkpoint.cc: CRC-32
of the header JSON without it (keys sorted, no spaces, as nlohmann::json::dump writes it),
then of every data byte.
"""
import gzip
import json
import pathlib
import struct
import zlib

root = pathlib.Path(__file__).resolve().parent / "corpus"


def idx(dims, data):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


def checkpoint(tensors, metadata):
    header = {"__metadata__": dict(metadata)}
    data = b""
    for name, (rows, cols, values) in tensors.items():
        raw = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": [rows, cols], "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, sort_keys=True, separators=(",", ":"))
    crc = zlib.crc32(data, zlib.crc32(text.encode()))
    header["__metadata__"]["checksum"] = "%08x" % crc
    text = json.dumps(header, sort_keys=True, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text.encode() + data


def write(folder, name, content):
    path = root / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


images = idx([2, 3, 3], range(0, 180, 10))
labels = idx([2], [7, 1])
write("idx", "images-2x3x3", images)
write("idx", "labels-2", labels)
# mtime=0: the same bytes on every run.
write("idx", "images-2x3x3.gz", gzip.compress(images, mtime=0))
write("idx", "labels-2.gz", gzip.compress(labels, mtime=0))

model = checkpoint(
    {"dense_0.weight": (2, 3, [0.5, -1.0, 2.0, 0.0, 1.5, -0.25]),
     "dense_0.bias": (1, 2, [0.1, 0.2]),
     "dense_0.weight.rms": (2, 3, [1e-3] * 6)},
    {"epoch": "1", "step": "10"})
write("checkpoint", "verified", b"\x01" + model)
write("checkpoint", "unverified", b"\x00" + model)
