#!/usr/bin/python3
"""Turns bench_gemm's JSON output into the markdown table of docs/benchmarks.md.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE build/release/bench/bench_gemm \
        --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
        --benchmark_out=gemm.json --benchmark_out_format=json
    scripts/gemm_table.py gemm.json

Per case: best-of and median GFLOP/s of simdgrad and OpenBLAS (same run), the ratio of the
bests and of the medians, and simdgrad's best as a share of the measured FMA peak.
"""
import json
import statistics
import sys
from collections import defaultdict


def main(path):
    with open(path) as f:
        report = json.load(f)
    runs = defaultdict(list)
    for b in report["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"].removesuffix("/real_time")
        runs[name].append(b["GFLOPS"])  # the counter is already in GFLOP/s
    peak = {}
    for name, values in runs.items():
        if name.startswith("peak/"):
            peak[name.rsplit("threads:", 1)[1]] = max(values)
    ctx = report.get("context", {})
    print(f"Machine: {ctx.get('num_cpus')} CPUs at {ctx.get('mhz_per_cpu')} MHz (nominal), "
          f"SIMD target {ctx.get('simd_target')}, OpenBLAS core {ctx.get('openblas_core')}.")
    for threads, value in sorted(peak.items()):
        print(f"Measured FMA peak (f32), {threads} thread(s): {value:.1f} GFLOP/s.")
    print()
    print("| case | simdgrad best | OpenBLAS best | ratio (best) | simdgrad median | "
          "OpenBLAS median | ratio (median) | % of FMA peak (f32) |")
    print("|---|---|---|---|---|---|---|---|")
    for name in sorted(runs):
        if not name.startswith("gemm/") or name.endswith("/openblas"):
            continue
        ours = runs[name]
        ref = runs.get(name + "/openblas", [])
        threads = name.rsplit("threads:", 1)[1]
        share = ""
        if "/f32/" in name and threads in peak:
            share = f"{100 * max(ours) / peak[threads]:.0f}%"
        cells = [name, f"{max(ours):.1f}"]
        if ref:
            cells += [f"{max(ref):.1f}", f"{max(ours) / max(ref):.2f}"]
        else:
            cells += ["–", "–"]
        cells.append(f"{statistics.median(ours):.1f}")
        if ref:
            cells += [f"{statistics.median(ref):.1f}",
                      f"{statistics.median(ours) / statistics.median(ref):.2f}"]
        else:
            cells += ["–", "–"]
        cells.append(share)
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: scripts/gemm_table.py BENCH_GEMM.json")
    main(sys.argv[1])
