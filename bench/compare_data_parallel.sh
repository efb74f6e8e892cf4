#!/usr/bin/env bash
# Data parallelism on this machine, back to back in one run, the sides interleaved round by
# round (bench_data_parallel: the identity app's own training step, 4 x Dense(784), batch 128):
#   - 1 process x 2 threads (the reference);
#   - 2 processes x 1 thread under mpiexec, each process updating its share of the parameters
#     (the app's way) with the shares read from memory the processes share (the app's choice on
#     one machine) or sent as MPI messages (its choice across machines), and each updating all
#     of them (as DistributedDataParallel does);
#   - the ceiling: two lone 1-thread processes of batch 64 at once, which do a rank's work with
#     no communication at all.
# The order of the sides turns from round to round. Prints samples/s per round, the best and
# the median of each side, their ratios to the reference's, and the median of the ratios
# within each round. Builds build/release when needed.
#
#   bench/compare_data_parallel.sh [rounds] [steps]     (default 5 rounds of 300 steps)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
steps=${2:-300}
bench=build/release/bench/bench_data_parallel
if [ ! -x "$bench" ]; then
  source scripts/install-dependencies.sh
  simdgrad_install_dependencies
  cmake --preset release >/dev/null
  cmake --build --preset release
fi
command -v mpiexec >/dev/null || { echo "compare_data_parallel: mpiexec is missing (apt-get install openmpi-bin)" >&2; exit 2; }
# Open MPI refuses root unless told.
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

samples_per_s() { sed -n 's/.*samples_per_s \([0-9]*\).*/\1/p' | head -1; }
reference() { OMP_NUM_THREADS=2 "$bench" --steps="$steps" | samples_per_s; }
mpi() { mpiexec -n 2 --bind-to core -x OMP_NUM_THREADS=1 "$bench" --steps="$steps" "$@" | samples_per_s; }
ceiling() {
  local a b
  a=$(OMP_NUM_THREADS=1 taskset -c 0 "$bench" --steps="$steps" --batch=64 | samples_per_s) &
  b=$(OMP_NUM_THREADS=1 taskset -c 1 "$bench" --steps="$steps" --batch=64 | samples_per_s)
  wait
  # Both ran the same steps at once: the pair's rate is twice the slower one's.
  echo $((2 * b))
}

declare -A results
sides=(reference shared-memory messages replicated ceiling)
echo "round  1x2-threads  2x1-shared-memory  2x1-messages  2x1-replicated  ceiling(2 lone x 64)"
for ((round = 1; round <= rounds; round++)); do
  # The order of the sides turns every round, so no side always follows the same one.
  declare -A now=()
  for ((k = 0; k < ${#sides[@]}; k++)); do
    side=${sides[$(((k + round - 1) % ${#sides[@]}))]}
    case $side in
      reference) now[$side]=$(reference) ;;
      shared-memory | messages) now[$side]=$(mpi --update=shared --exchange="$side") ;;
      replicated) now[$side]=$(mpi --update=replicated) ;;
      ceiling) now[$side]=$(ceiling) ;;
    esac
  done
  for side in "${sides[@]}"; do results[$side]+="${now[$side]} "; done
  printf "%5d  %11s  %17s  %12s  %14s  %8s\n" "$round" "${now[reference]}" "${now[shared-memory]}" "${now[messages]}" \
    "${now[replicated]}" "${now[ceiling]}"
done
stat() {  # best and median of a list of numbers
  tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print v[NR], m}'
}
read -r ref_best ref_median <<<"$(echo "${results[reference]}" | stat)"
# The ratio within each round, where both sides met the same machine load: its median is the
# figure least moved by a shared machine's drift.
round_ratios() {
  paste -d' ' <(echo "$1" | tr ' ' '\n' | grep .) <(echo "${results[reference]}" | tr ' ' '\n' | grep .) |
    awk '{printf "%f ", $1 / $2}'
}
echo
echo "side            best  median  best/ref-best  median/ref-median  median of round ratios"
for side in "${sides[@]}"; do
  read -r best median <<<"$(echo "${results[$side]}" | stat)"
  read -r _ ratio <<<"$(round_ratios "${results[$side]}" | stat)"
  awk -v s="$side" -v b="$best" -v m="$median" -v rb="$ref_best" -v rm="$ref_median" -v r="$ratio" \
    'BEGIN {printf "%-14s %6d %7d  %13.2f  %17.2f  %22.2f\n", s, b, m, b / rb, m / rm, r}'
done
