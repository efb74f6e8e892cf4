#!/usr/bin/python3
"""How the GEMM driver splits the identity network's training GEMMs across threads.

Mirrors lib/gemm/blocking.h (balanced KC/MC/NC blocks) and lib/gemm/gemm.cc (per block, the
JR x IR tiles are cut into equal contiguous shares, one per thread). Prints, for 2..64 threads,
the tiles per block, the largest share, the load balance (useful tiles / (threads x largest
share)), and the work per thread between two barriers.

    scripts/gemm_partition.py [MR NR]      (default: the AVX-512 float tile, 8 x 32)
"""
import math
import sys

# The limits blocking_limits() derives on the reference machine (Zen 5: 48 KiB L1d, 1 MiB L2,
# 32 MiB L3) for the AVX-512 float tile.
KC_LIMIT, MC_LIMIT, NC_LIMIT = 256, 192, 8192


def balanced(extent, limit, multiple):
    blocks = math.ceil(extent / limit)
    even = math.ceil(extent / blocks)
    return math.ceil(even / multiple) * multiple


def main(mr, nr):
    shapes = [("forward / input gradient", 128, 784, 784), ("weight gradient", 784, 784, 128)]
    print(f"Tile MR x NR = {mr} x {nr}.\n")
    for name, m, n, k in shapes:
        kc, mc, nc = balanced(k, KC_LIMIT, 1), balanced(m, MC_LIMIT, mr), balanced(n, NC_LIMIT, nr)
        m_panels, n_panels = math.ceil(mc / mr), math.ceil(min(nc, n) / nr)
        tiles = m_panels * n_panels
        blocks = math.ceil(m / mc) * math.ceil(n / nc) * math.ceil(k / kc)
        useful = m * n / (mr * nr * math.ceil(m / mr) * math.ceil(n / nr))
        print(f"### {name}: M x N x K = {m} x {n} x {k}\n")
        print(f"KC {kc}, MC {mc}, NC {nc}: {blocks} blocks of {m_panels} x {n_panels} = {tiles} tiles "
              f"(edge padding wastes {100 * (1 - useful):.1f}%), 3 barriers per block.\n")
        print("| threads | largest share (tiles) | load balance | multiply-adds per thread between barriers |")
        print("|---|---|---|---|")
        for t in (2, 4, 8, 16, 32, 64):
            share = math.ceil(tiles / t)
            balance = tiles / (t * share)
            per_thread = share * mr * nr * kc
            print(f"| {t} | {share} | {100 * balance:.0f}% | {per_thread / 1e6:.2f} M |")
        print()


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]] or [8, 32]
    main(*args)
