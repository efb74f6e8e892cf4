#!/usr/bin/python3
"""Draws the roofline measured by simdgrad's benchmarks, with every benchmark as a point.

    build/release/bench/bench_elementwise --benchmark_out=elementwise.json
    build/release/bench/bench_gemm --benchmark_filter=f32 --benchmark_out=gemm.json
    bench/plot_roofline.py elementwise.json gemm.json -o roofline.svg [--threads 1]
        [--filter REGEX]

Reads Google Benchmark JSON files whose benchmarks carry simdgrad's roofline counters
(<simdgrad/bench/roofline_counters.h>: arithmetic_intensity, roofline_fraction, roof_GFLOPs,
peak_GFLOPs, level_GBps; the level in the label). For each thread count it draws the roofs the
runs measured (the FMA peak, and a sloped roof per level: intensity x bandwidth), and each
benchmark at its arithmetic intensity and achieved GFLOP/s (roofline_fraction x roof_GFLOPs),
coloured by its level. Of repeated runs the median is drawn. Needs Debian's python3-matplotlib.
"""
import argparse
import json
import re
import statistics
import sys

LEVELS = ["L1d", "L2", "L3", "memory"]
COLOURS = {"L1d": "tab:green", "L2": "tab:blue", "L3": "tab:orange", "memory": "tab:red"}


def load_points(files, name_filter):
    """{(name, threads): [(intensity, gflops, level, peak, bandwidth), ...]} from the runs."""
    runs = {}
    for path in files:
        with open(path) as f:
            data = json.load(f)
        for b in data.get("benchmarks", []):
            if b.get("run_type") == "aggregate" or "roofline_fraction" not in b:
                continue
            name = b.get("run_name", b["name"])
            if name_filter and not re.search(name_filter, name):
                continue
            threads = int(m.group(1)) if (m := re.search(r"threads:(\d+)", name)) else 1
            achieved = b["roofline_fraction"] * b["roof_GFLOPs"]
            runs.setdefault((name, threads), []).append(
                (b["arithmetic_intensity"], achieved, b.get("label", "memory"), b["peak_GFLOPs"],
                 b["level_GBps"]))
    return runs


def short_name(name):
    name = re.sub(r"/threads:\d+", "", name)
    return re.sub(r"/real_time$", "", name)


def draw(runs, threads, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: a small SVG
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("plot_roofline: matplotlib is missing (apt-get install python3-matplotlib)")
    points = {k: v for k, v in runs.items() if threads is None or k[1] == threads}
    if not points:
        sys.exit("plot_roofline: no benchmark with roofline counters"
                 + ("" if threads is None else f" at {threads} threads"))
    fig, ax = plt.subplots(figsize=(10, 7))
    xs = [0.03, 300]
    for t in sorted({k[1] for k in points}):
        roofs = {}
        for (name, th), rs in points.items():
            if th == t:
                for _, _, level, peak, bandwidth in rs:
                    roofs[level] = (max(roofs.get(level, (0, 0))[0], peak),
                                    max(roofs.get(level, (0, 0))[1], bandwidth))
        for level in LEVELS:
            if level in roofs:
                peak, bandwidth = roofs[level]
                corner = [xs[0], peak / bandwidth, xs[1]]  # the ridge, where the roofs meet
                ax.plot(corner, [min(peak, x * bandwidth) for x in corner], color=COLOURS[level],
                        linestyle="-" if t == 1 else "--", linewidth=1,
                        label=f"{level} roof, {t} thread{'s' if t > 1 else ''} "
                              f"({bandwidth:.0f} GB/s, peak {peak:.0f} GFLOP/s)")
    labelled_gemms = set()
    for (name, t), rs in sorted(points.items()):
        x = statistics.median(r[0] for r in rs)
        y = statistics.median(r[1] for r in rs)
        level = rs[0][2]
        ax.plot([x], [y], "o" if t == 1 else "s", color=COLOURS.get(level, "black"), markersize=5)
        label = f"{short_name(name)} ({t})"
        if name.startswith("gemm/"):  # GEMMs crowd one spot: one label per thread count
            if t in labelled_gemms:
                continue
            labelled_gemms.add(t)
            count = sum(1 for (n, th) in points if th == t and n.startswith("gemm/"))
            label = f"{count} GEMMs ({t})"
        ax.annotate(label, (x, y), fontsize=6, xytext=(3, 2), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP per byte moved)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title("simdgrad's kernels on the measured roofline (circles 1 thread, squares more)")
    ax.grid(True, which="both", linewidth=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out, metadata={"Date": None} if out.endswith(".svg") else None)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", help="Google Benchmark JSON output")
    parser.add_argument("-o", "--output", required=True, help="the figure (.svg or .png)")
    parser.add_argument("--threads", type=int, help="only the runs of this thread count")
    parser.add_argument("--filter", help="only the benchmarks whose name matches this regex")
    args = parser.parse_args()
    try:
        runs = load_points(args.files, args.filter)
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"plot_roofline: {e}")
    draw(runs, args.threads, args.output)


if __name__ == "__main__":
    main()
