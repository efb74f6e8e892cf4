#!/usr/bin/python3
"""Two builds of simdgrad side by side: the training GEMMs (bench_gemm) and the identity step
(bench_train, 4 layers), at 1 and 2 threads, the builds' runs interleaved and their order
turned each round, so a machine whose speed drifts slows both alike.

  bench/compare_builds.py OLD_BUILD_DIR NEW_BUILD_DIR [--rounds 5]

Each round runs every benchmark of each build once (Google Benchmark's own timing, best of 3
repetitions); the table gives, per benchmark, the median and best time of each build and the
median of the per-round ratios new / old (below 1: the new build is faster).
"""
import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

PROGRAMS = {
    "bench_gemm": r"^gemm/f32/(NN|NT|TN)/(128x784x784|784x784x128)/threads:[12]/real_time$",
    "bench_train": r"^train/layers:4/batch:128/threads:[12]/real_time$",
}


def run(build: Path, program: str, pattern: str) -> dict:
    """Benchmark name -> best real time (ms) of 3 repetitions."""
    binary = build / "bench" / program
    if not binary.is_file():
        sys.exit(f"compare_builds: {binary} is missing (build the release preset there first)")
    out = subprocess.run([str(binary), f"--benchmark_filter={pattern}", "--benchmark_repetitions=3",
                          "--benchmark_format=json"], check=True, capture_output=True, text=True)
    times: dict = {}
    for b in json.loads(out.stdout)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        ms = b["real_time"] * {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
        times[b["run_name"]] = min(ms, times.get(b["run_name"], float("inf")))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    samples = {"old": {}, "new": {}}
    for r in range(args.rounds):
        order = ["old", "new"] if r % 2 == 0 else ["new", "old"]
        for program, pattern in PROGRAMS.items():
            for side in order:
                for name, ms in run(getattr(args, side), program, pattern).items():
                    samples[side].setdefault(name, []).append(ms)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    print("| benchmark | old median (best) ms | new median (best) ms | new / old, median of rounds |")
    print("|---|---|---|---|")
    for name, old in samples["old"].items():
        new = samples["new"][name]
        ratio = statistics.median(n / o for n, o in zip(new, old))
        print(f"| {name.replace('/real_time', '')} | {statistics.median(old):.3f} ({min(old):.3f}) "
              f"| {statistics.median(new):.3f} ({min(new):.3f}) | {ratio:.3f} |")


if __name__ == "__main__":
    main()
