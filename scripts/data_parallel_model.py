#!/usr/bin/env python3
"""A model of data-parallel identity training on P nodes: the gradient all-reduce against the
compute of a step, for 10, 25 and 100 Gb/s links. Prints markdown tables.

    scripts/data_parallel_model.py [--step-ms B:MS,...] [--update-ms MS] [--alpha-us US]

The global batch stays the recipe's 128, so each of P nodes computes 128/P samples per step.
--step-ms: the measured time of one node's forward and backward for a per-node batch B, in
milliseconds, without the update (bench_data_parallel --batch=B, phases other than the
optimizer); batches between two measured ones are interpolated linearly.
--update-ms: the measured time of one node's RMSprop update of all 2,461,888 parameters.
--alpha-us: the latency of one message (default 10 us, TCP over Ethernet).

Per step:
  all-reduce (ring)   2 (P - 1) / P * G / bandwidth + 2 (P - 1) * alpha, G = 9.85 MB
  replicated update   every node updates every parameter: update-ms
  shared update       each node its share (update-ms / P); the ring's halves carry the
                      gradient shares there and the updated values back: the same bytes
  step, no overlap    compute + update + all-reduce
  step, full overlap  compute + update, or the all-reduce if longer (the best overlap can do)
Speed-up: one node's step (compute of 128 + update) over the P-node step.
"""
import argparse

GRADIENT_BYTES = 2_461_888 * 4
LINKS_GBIT = (10, 25, 100)
NODES = (1, 2, 4, 8, 16, 32, 64)


def interpolate(table, batch):
    points = sorted(table.items())
    if batch <= points[0][0]:
        return points[0][1]
    for (b0, t0), (b1, t1) in zip(points, points[1:]):
        if b0 <= batch <= b1:
            return t0 + (t1 - t0) * (batch - b0) / (b1 - b0)
    return points[-1][1] * batch / points[-1][0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # Defaults: measured on 2026-11-28 on a 2-core Intel Xeon (AVX-512), 2 threads, with
    # bench_data_parallel --batch=B (the means of two runs of 200 steps).
    parser.add_argument("--step-ms", default="2:1.9,4:2.0,8:2.05,16:2.4,32:3.7,64:6.2,128:10.6",
                        help="per-node batch:milliseconds of forward and backward, comma separated")
    parser.add_argument("--update-ms", type=float, default=1.2)
    parser.add_argument("--alpha-us", type=float, default=10.0)
    args = parser.parse_args()
    step = {int(b): float(ms) for b, ms in (pair.split(":") for pair in args.step_ms.split(","))}
    single = interpolate(step, 128) + args.update_ms
    for gbit in LINKS_GBIT:
        bandwidth = gbit * 1e9 / 8
        print(f"\n**{gbit} Gb/s** (one node: {single:.1f} ms per step of 128)\n")
        print("| nodes | samples per node | compute ms | all-reduce ms | step ms, replicated update "
              "(no overlap / full overlap) | speed-up | step ms, shared update (no overlap / full overlap) | speed-up |")
        print("|---|---|---|---|---|---|---|---|")
        for p in NODES:
            batch = 128 / p
            compute = interpolate(step, batch)
            allreduce = 0.0 if p == 1 else (2 * (p - 1) / p * GRADIENT_BYTES / bandwidth + 2 * (p - 1) * args.alpha_us * 1e-6) * 1e3
            replicated = compute + args.update_ms
            shared = compute + args.update_ms / p
            rows = []
            for base in (replicated, shared):
                serial, overlapped = base + allreduce, max(base, allreduce)
                rows.append(f"{serial:.1f} / {overlapped:.1f} | {single / serial:.2f}–{single / overlapped:.2f}")
            print(f"| {p} | {batch:g} | {compute:.1f} | {allreduce:.1f} | {rows[0]} | {rows[1]} |")


if __name__ == "__main__":
    main()
