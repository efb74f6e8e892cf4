#!/usr/bin/python3
"""The training step's speed targets, measured in interleaved rounds of one build:

  bench/step_targets.py [--build build/release] [--rounds 5] [--data data/mnist]

Each round runs, back to back:
  - bench_gemm on the step's GEMMs (NT and NN 128x784x784, TN 784x784x128) and the FMA peak, at
    1 and 2 threads, ours and OpenBLAS's (told its kernel family for this CPU), best of 8;
  - identity train --epochs 2 at 1, then 2 threads (the original recipe on MNIST);
  - bench_train --breakdown --steps=200 (the step against its GEMMs, timed by one binary).

and prints, per round and then as min / median / max over the rounds:
  1. in situ: a step's time over the summed time of its 11 GEMMs standalone (4 NT, 3 NN, 4 TN),
     from identity train's best epoch against bench_gemm's best, and from bench_train;
  2. each GEMM's share of the FMA peak at 2 threads (the highest peak measured in the round)
     and its speed over OpenBLAS's at 1 thread;
  3. samples/s at 2 threads over 1 thread, identity train and bench_train;
and the step's share of the FMA peak (bench_train). A round meets a target when every
figure of it does; the limits are in TARGETS.
"""
import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SHAPES = {"NT": "128x784x784", "NN": "128x784x784", "TN": "784x784x128"}
STEP_GEMMS = {"NT": 4, "NN": 3, "TN": 4}  # per 4-layer step
FLOP = 2 * 128 * 784 * 784
GEMM_FILTER = ("peak/f32/fma/threads:(1|2)|gemm/f32/(NN|NT)/128x784x784/threads:(1|2)/"
               "|gemm/f32/TN/784x784x128/threads:(1|2)/")
# The targets, by the end of a figure's name: at most (<=) or at least (>=) a limit.
TARGETS = {"in situ 1T": ("<=", 1.10), "in situ 2T": ("<=", 1.15), "2T of peak": (">=", 0.85),
           "1T x OpenBLAS": (">=", 1.0), "scaling": (">=", 1.85)}


def openblas_core() -> str:
    """OpenBLAS 0.3.21's best kernel family for this CPU (it falls back to a generic one)."""
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return "SkylakeX" if "avx512f" in flags else "Haswell" if "avx2" in flags else ""


def run_bench_gemm(build: Path) -> dict:
    """{(kind, threads, 'ours'|'openblas'): best ms} and {('peak', threads): best GFLOP/s}."""
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    if openblas_core():
        env["OPENBLAS_CORETYPE"] = openblas_core()
    out = subprocess.run(
        [str(build / "bench/bench_gemm"), f"--benchmark_filter={GEMM_FILTER}",
         "--benchmark_repetitions=8", "--benchmark_enable_random_interleaving=true",
         "--benchmark_format=json"], check=True, capture_output=True, text=True, env=env)
    best: dict = {}
    for b in json.loads(out.stdout)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["run_name"]
        threads = int(re.search(r"threads:(\d+)", name).group(1))
        if name.startswith("peak/"):
            key = ("peak", threads)
            best[key] = max(best.get(key, 0.0), b["GFLOPS"])
            continue
        kind = name.split("/")[2]
        ms = b["real_time"] * {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
        key = (kind, threads, "openblas" if "/openblas" in name else "ours")
        best[key] = min(ms, best.get(key, float("inf")))
    return best


def run_identity(build: Path, data: Path, threads: int) -> float:
    """Samples/s of identity train's best epoch of 2."""
    folder = Path(tempfile.mkdtemp(prefix="step-targets-"))
    try:
        subprocess.run([str(build / "apps/identity/identity"), "train", "--epochs", "2",
                        "--threads", str(threads), "--data", str(data), "--out",
                        str(folder / "run")], check=True, capture_output=True, text=True)
        with open(folder / "run/metrics.csv", newline="") as f:
            return max(float(row["samples_per_s"]) for row in csv.DictReader(f))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_bench_train(build: Path) -> dict:
    """bench_train --breakdown's figures for 4 layers."""
    out = subprocess.run([str(build / "bench/bench_train"), "--breakdown", "--steps=200"],
                         check=True, capture_output=True, text=True).stdout
    four = out.split("\n1 layer, ")[0]
    in_situ = [float(x) for x in re.findall(r"the step in situ .*= ([\d.]+)x", four)]
    peak = [float(x) for x in re.findall(r"threads?, SIMD target .*?([\d.]+)% of the FMA", four)]
    scaling = re.search(r"4 layers: samples/s on 2 threads / 1 thread = ([\d.]+)", four)
    if len(in_situ) != 2 or len(peak) != 2 or not scaling:
        sys.exit("step_targets: bench_train --breakdown printed no 1- and 2-thread figures")
    return {"in situ 1T": in_situ[0], "in situ 2T": in_situ[1], "scaling": float(scaling[1]),
            "of peak 1T": peak[0] / 100, "of peak 2T": peak[1] / 100}


def measure_round(build: Path, data: Path) -> dict:
    """One round's figures by name (TARGETS says which of them have a target)."""
    gemm = run_bench_gemm(build)
    rates = {t: run_identity(build, data, t) for t in (1, 2)}
    train = run_bench_train(build)
    figures: dict = {}
    for t in (1, 2):
        gemms = sum(n * gemm[(kind, t, "ours")] for kind, n in STEP_GEMMS.items())
        figures[f"identity in situ {t}T"] = 128 / rates[t] * 1e3 / gemms
        figures[f"bench_train in situ {t}T"] = train[f"in situ {t}T"]
        figures[f"step of peak {t}T"] = train[f"of peak {t}T"]
    for kind in SHAPES:
        figures[f"{kind} 2T of peak"] = FLOP / gemm[(kind, 2, "ours")] / 1e6 / gemm[("peak", 2)]
        figures[f"{kind} 1T x OpenBLAS"] = gemm[(kind, 1, "openblas")] / gemm[(kind, 1, "ours")]
    figures["identity scaling"] = rates[2] / rates[1]
    figures["FMA peak 1T, GFLOP/s"] = gemm[("peak", 1)]
    figures["FMA peak 2T, GFLOP/s"] = gemm[("peak", 2)]
    figures["bench_train scaling"] = train["scaling"]
    return figures


def target_of(name: str):
    """(comparison, limit) for a figure, or None for one that is only reported."""
    return next((t for suffix, t in TARGETS.items() if name.endswith(suffix)), None)


def meets(name: str, value: float) -> bool:
    target = target_of(name)
    if target is None:
        return True
    return value <= target[1] if target[0] == "<=" else value >= target[1]


def report(rounds: list) -> None:
    names = list(rounds[0])
    print("| figure | target | " + " | ".join(f"round {i + 1}" for i in range(len(rounds))) +
          " | min | median | max |")
    print("|---" * (len(rounds) + 5) + "|")
    for name in names:
        values = [r[name] for r in rounds]
        target = target_of(name)
        limit = f"{'≤' if target[0] == '<=' else '≥'} {target[1]}" if target else ""
        shown = [*values, min(values), statistics.median(values), max(values)]
        cells = [f"{v:.1f}" if v > 10 else f"{v:.3f}" for v in shown]
        cells[:len(values)] = [c + ("" if meets(name, v) else " ✗") for c, v in zip(cells, values)]
        print(f"| {name} | {limit} | " + " | ".join(cells) + " |")
    for tool, other in (("identity", "bench_train"), ("bench_train", "identity")):
        met = [i + 1 for i, r in enumerate(rounds)
               if all(meets(n, v) for n, v in r.items() if not n.startswith(other))]
        print(f"rounds meeting every target with {tool}'s figures: {met or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=Path("build/release"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data", type=Path, default=Path("data/mnist"))
    args = parser.parse_args()
    for program in ("bench/bench_gemm", "bench/bench_train", "apps/identity/identity"):
        if not (args.build / program).is_file():
            sys.exit(f"step_targets: {args.build / program} is missing (build the release preset)")
    if not args.data.is_dir():
        sys.exit(f"step_targets: no MNIST folder at {args.data} (scripts/fetch-mnist.sh)")
    rounds = []
    for r in range(args.rounds):
        try:
            rounds.append(measure_round(args.build, args.data))
        except subprocess.CalledProcessError as failure:
            sys.exit(f"step_targets: {' '.join(failure.cmd)} failed with exit code "
                     f"{failure.returncode}:\n{(failure.stderr or '').strip()[-2000:]}")
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    report(rounds)


if __name__ == "__main__":
    main()
