#!/usr/bin/env bash
# simdgrad against PyTorch on the identity network's training step (4 x Dense(784, ReLU), MSE,
# RMSprop, batch 128, float32), back to back in one run, at 1 and 2 threads:
#   - simdgrad: bench_train (the identity app's own training step);
#   - PyTorch with its defaults, and with its best settings: OMP_WAIT_POLICY=PASSIVE, and
#     OpenBLAS (which Debian's torch does its GEMMs in) told the CPU's kernel family when it
#     would otherwise fall back to a generic one (OPENBLAS_CORETYPE).
# Installs Debian's python3-torch when it is missing; builds build/release when needed.
# Prints samples/s (best of the rounds) and the ratios.
#
#   bench/compare_pytorch.sh [rounds]     (default 3 rounds; the sides are interleaved)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
python=/usr/bin/python3   # Debian's torch is for Debian's Python, not another one on the PATH

if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "compare_pytorch: installing Debian's python3-torch"
  sudo=(); [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
fi
if [ ! -x build/release/bench/bench_train ]; then
  source scripts/install-dependencies.sh
  simdgrad_install_dependencies
  cmake --preset release >/dev/null
  cmake --build --preset release
fi

# The OpenBLAS kernel family for this CPU, for the best settings: OpenBLAS 0.3.21 falls back to
# a generic SSE3 kernel (Prescott) on CPUs newer than it knows.
best_core=
if grep -q avx512f /proc/cpuinfo; then best_core=SkylakeX; elif grep -q avx2 /proc/cpuinfo; then best_core=Haswell; fi

simdgrad_rate() {  # threads
  build/release/bench/bench_train --benchmark_filter="^train/layers:4/batch:128/threads:$1/" \
    --benchmark_min_time=2 --benchmark_format=json 2>/dev/null |
    "$python" -c 'import json,sys; print(json.load(sys.stdin)["benchmarks"][0]["samples_per_s"])'
}
pytorch_rate() {  # threads, then extra environment assignments
  local threads=$1
  shift
  env OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" "$@" \
    "$python" bench/pytorch_identity_step.py --threads "$threads" --steps 100 |
    "$python" -c 'import json,sys; print(json.load(sys.stdin)["samples_per_s"])'
}

declare -A best
keep_best() {  # key value
  local current=${best[$1]:-0}
  best[$1]=$("$python" -c "print(max($current, $2))")
}
for round in $(seq "$rounds"); do
  for threads in 1 2; do
    keep_best "simdgrad/$threads" "$(simdgrad_rate "$threads")"
    keep_best "default/$threads" "$(pytorch_rate "$threads")"
    keep_best "best/$threads" "$(pytorch_rate "$threads" OMP_WAIT_POLICY=PASSIVE ${best_core:+OPENBLAS_CORETYPE=$best_core})"
  done
  echo "compare_pytorch: round $round of $rounds done"
done

torch_version=$("$python" -c 'import torch; print(torch.__version__)')
echo
echo "Identity step (4 x 784, batch 128, RMSprop), samples/s, best of $rounds interleaved rounds"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); PyTorch $torch_version;"
echo "PyTorch best settings: OMP_WAIT_POLICY=PASSIVE${best_core:+ OPENBLAS_CORETYPE=$best_core}"
echo
echo "| threads | simdgrad | PyTorch default | PyTorch best | vs default | vs best |"
echo "|---|---|---|---|---|---|"
for threads in 1 2; do
  s=${best[simdgrad/$threads]} d=${best[default/$threads]} b=${best[best/$threads]}
  "$python" -c "print('| $threads | %.0f | %.0f | %.0f | %.2fx | %.2fx |' % ($s, $d, $b, $s / $d, $s / $b))"
done
