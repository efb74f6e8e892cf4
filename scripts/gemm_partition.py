#!/usr/bin/python3
"""How the GEMM driver splits the identity network's training GEMMs across threads.

Mirrors lib/gemm/blocking.h (balanced KC/MC/NC blocks, KC a multiple of 8) and
lib/gemm/gemm.cc: an NT product with few rows of C is computed as Cᵀ; the panels a team
packs (A's and B's, unless read in place) are packed whole before any tile when they take at
most 2 MiB, by each member into buffers of its own when the GEMM has at least 128
multiply-adds per packed element and member (no barrier), else shared (one barrier); each
member then owns the same tiles in every block: a band of whole row panels of C when A is
read in place or the member packs its own panels (then only the panels of A its band needs),
else a contiguous share of each block's tiles. A team with an in-place B and no
epilogue splits the depth instead (lib/gemm/depth_split.h): depth_groups() groups of members
take whole depth blocks, each member its share of C's column panels, and the team waits once
before adding the later groups' products. Prints, for 2..64 threads, the
barriers per GEMM, the largest share, the load balance (useful tiles / (threads x largest
share)), and the work per thread between the GEMM's fork and join.

    scripts/gemm_partition.py [MR NR LANES]   (default: the AVX-512 float tile, 8 x 32, 16)
"""
import math
import sys

# The limits blocking_limits() derives on the reference machine (Zen 5: 48 KiB L1d, 1 MiB L2,
# 32 MiB L3) for the AVX-512 float tile.
KC_LIMIT, MC_LIMIT, NC_LIMIT = 256, 192, 8192
B_IN_PLACE_MAX_ROWS = 256  # gemm.cc kBInPlaceMaxRows
A_IN_PLACE_MAX_PANELS = 4  # gemm.cc kAInPlaceMaxPanels
WHOLE_PACK_MAX_BYTES = 2 << 20  # gemm.cc kWholePackMaxBytes
OWN_PACK_MIN_MACS = 128  # gemm.cc kOwnPackMinMultiplyAddsPerElement


def balanced(extent, limit, multiple):
    blocks = math.ceil(extent / limit)
    even = math.ceil(extent / blocks)
    return math.ceil(even / multiple) * multiple


def deepest_group(k, kc, groups):
    """The depth of the deepest of `groups` groups of whole blocks (balanced_part of the blocks)."""
    blocks = math.ceil(k / kc)
    return max(min((g + 1) * blocks // groups * kc, k) - g * blocks // groups * kc
               for g in range(groups))


def depth_groups(k, kc, team):
    """lib/gemm/depth_split.cc: the largest g dividing the team, one group per block at most,
    no group more than a tenth above an even share of the depth; 1 for none."""
    for g in range(min(team, math.ceil(k / kc)), 1, -1):
        if team % g == 0 and deepest_group(k, kc, g) * g * 10 <= k * 11:
            return g
    return 1


def depth_split_share(m, n, k, kc, nr, lanes, team, groups):
    """The largest member's multiply-adds and the load balance of a depth split."""
    deepest = deepest_group(k, kc, groups)
    panels, members = math.ceil(n / nr), team // groups
    widest = max(min(panels * (r + 1) // members * nr, n) - panels * r // members * nr
                 for r in range(members))
    largest = m * computed_columns(widest, nr, lanes) * deepest
    return largest, m * computed_columns(n, nr, lanes) * k / (team * largest)


def computed_columns(n, nr, lanes):
    """Columns the micro-kernels compute: full panels, a last panel of <= one vector as one."""
    full, rest = divmod(n, nr)
    return full * nr + (0 if rest == 0 else lanes if rest <= lanes else nr)


def main(mr, nr, lanes):
    # (name, M, N, K as the driver runs them, B row-major?)
    shapes = [
        ("forward, NT 128 x 784 x 784, run as Cᵀ = W Xᵀ", 784, 128, 784, False),
        ("input gradient, NN", 128, 784, 784, True),
        ("weight gradient, TN", 784, 784, 128, True),
    ]
    print(f"Tile MR x NR = {mr} x {nr} ({lanes} lanes).\n")
    for name, m, n, k, b_row_major in shapes:
        kc, mc, nc = balanced(k, KC_LIMIT, 8), balanced(m, MC_LIMIT, mr), balanced(n, NC_LIMIT, nr)
        k_blocks, m_blocks, n_blocks = math.ceil(k / kc), math.ceil(m / mc), math.ceil(n / nc)
        m_panels, n_panels = math.ceil(mc / mr), math.ceil(min(nc, n) / nr)
        tiles = m_panels * n_panels
        useful = m * n / (mr * math.ceil(m / mr) * computed_columns(n, nr, lanes))
        a_in_place = math.ceil(n / nr) <= A_IN_PLACE_MAX_PANELS and m % mr == 0
        b_in_place = b_row_major and m <= B_IN_PLACE_MAX_ROWS and n % nr in (0, lanes)
        packed_elements = ((0 if a_in_place else k_blocks * m_blocks * mc * kc) +
                           (0 if b_in_place else k_blocks * n_blocks * nc * kc))
        whole = packed_elements * 4 <= WHOLE_PACK_MAX_BYTES
        packed = [x for x, in_place in (("A", a_in_place), ("B", b_in_place)) if not in_place]
        print(f"### {name}: M x N x K = {m} x {n} x {k}\n")
        print(f"KC {kc}, MC {mc}, NC {nc}: {m_blocks * n_blocks * k_blocks} blocks of {m_panels} "
              f"x {n_panels} = {tiles} tiles (edge padding wastes {100 * (1 - useful):.1f}%); "
              f"packed: {', '.join(packed) or 'nothing'} ({packed_elements * 4 / 1024:.0f} KiB"
              f"{', whole' if whole else ', block by block'}); "
              f"{'row bands of C' if a_in_place else 'row bands of C while each member packs its own panels, else shares of each block'}"
              f"{'; a team splits by depth when depth_groups() > 1' if b_in_place else ''}.\n")
        print("| threads | barriers per GEMM | largest share (tiles) | load balance "
              "| multiply-adds per thread per GEMM |")
        print("|---|---|---|---|---|")
        for t in (2, 4, 8, 16, 32, 64):
            groups = depth_groups(k, kc, t) if b_in_place else 1
            if groups > 1:  # the depth split: one barrier, before the products are added
                per_thread, balance = depth_split_share(m, n, k, kc, nr, lanes, t, groups)
                print(f"| {t} | 1 | {groups} depth groups | {100 * balance:.0f}% "
                      f"| {per_thread / 1e6:.2f} M |")
                continue
            own = whole and m * n * k >= OWN_PACK_MIN_MACS * t * packed_elements
            if not whole:
                barriers = m_blocks * n_blocks * k_blocks * (1 + (not a_in_place) + (not b_in_place))
            else:
                barriers = 0 if own else 1
            if a_in_place or own:  # whole row panels of all of C, the same in every block
                all_panels = math.ceil(m / mr)
                band = math.ceil(all_panels / t)
                share = band * n_panels if a_in_place else f"{band} row panels"
                balance = all_panels / (t * band)
                per_thread = band * mr * math.ceil(n / nr) * nr * k
            else:
                share = math.ceil(tiles / t)
                balance = tiles / (t * share)
                per_thread = share * mr * nr * kc * m_blocks * n_blocks * k_blocks
            print(f"| {t} | {barriers} | {share} | {100 * balance:.0f}% | {per_thread / 1e6:.2f} M |")
        print()

if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]] or [8, 32, 16]
    main(*args)
