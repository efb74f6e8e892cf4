#!/usr/bin/env python3
"""The SHA-256 of an identity checkpoint's tensors, the header left out.

    scripts/checkpoint-digest.py model.safetensors [--each]

Two runs that computed the same bits print the same digest, whatever their metadata (the
header carries timings and paths, which differ run to run). The digest covers every tensor's
name and raw little-endian bytes, in name order; --each adds a line per tensor.
"""
import hashlib
import json
import struct
import sys


def tensor_digests(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        sys.exit(f"{path}: too short for a safetensors file")
    (length,) = struct.unpack("<Q", blob[:8])
    try:
        header = json.loads(blob[8 : 8 + length])
    except ValueError as e:
        sys.exit(f"{path}: the header is not JSON ({e})")
    data = blob[8 + length :]
    digests = []
    for name in sorted(k for k in header if k != "__metadata__"):
        begin, end = header[name]["data_offsets"]
        digests.append((name, data[begin:end]))
    return digests


def main():
    args = [a for a in sys.argv[1:] if a != "--each"]
    if len(args) != 1:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    total = hashlib.sha256()
    for name, raw in tensor_digests(args[0]):
        total.update(name.encode() + b"\0" + raw)
        if "--each" in sys.argv:
            print(f"{hashlib.sha256(raw).hexdigest()}  {name}")
    print(f"{total.hexdigest()}  {args[0]} (all tensors)")


if __name__ == "__main__":
    main()
