#!/usr/bin/env python3
"""How far apart two identity checkpoints are, tensor by tensor.

    scripts/compare-checkpoints.py A/model.safetensors B/model.safetensors

For each tensor both hold (parameters, optimizer state, input transform): the largest absolute
difference, that difference relative to the tensor's largest magnitude, and how many elements
differ at all. Then the largest relative difference over the parameters alone. Plain Python:
it reads the safetensors format (an 8-byte length, a JSON header, little-endian data) itself.
"""
import array
import json
import struct
import sys


def read_checkpoint(path):
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + length])
    data = blob[8 + length :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            sys.exit(f"{path}: {name} is {info['dtype']}, not F32")
        begin, end = info["data_offsets"]
        values = array.array("f")
        values.frombytes(data[begin:end])
        if sys.byteorder != "little":
            values.byteswap()
        tensors[name] = values
    return tensors


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    a, b = (read_checkpoint(p) for p in sys.argv[1:])
    if a.keys() != b.keys():
        sys.exit(f"the checkpoints hold different tensors: {sorted(a.keys() ^ b.keys())}")
    worst_parameter = 0.0
    print(f"{'tensor':28} {'max |a - b|':>12} {'relative':>10} {'elements differing':>20}")
    for name in sorted(a):
        x, y = a[name], b[name]
        if len(x) != len(y):
            sys.exit(f"{name}: {len(x)} elements against {len(y)}")
        largest = max((abs(v) for v in x), default=0.0)
        difference = max((abs(u - v) for u, v in zip(x, y)), default=0.0)
        differing = sum(1 for u, v in zip(x, y) if u != v)
        relative = difference / largest if largest > 0 else 0.0
        if name.count(".") == 1:  # "dense_0.weight": a parameter, not "dense_0.weight.rms"
            worst_parameter = max(worst_parameter, relative)
        print(f"{name:28} {difference:12.4g} {relative:10.3g} {differing:>12} of {len(x)}")
    print(f"largest relative difference of a parameter: {worst_parameter:.3g}")


if __name__ == "__main__":
    main()
