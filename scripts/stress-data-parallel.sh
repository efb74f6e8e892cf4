#!/usr/bin/env bash
# The long variant of the data-parallel stress test (tests/distributed/stress_test.cc): the
# same jittered steps, with integer-coded gradients checked element by element after every sum
# and every gather, for 100,000 steps with each exchange instead of 1,000. Prints, per
# exchange, the steps, the sleeps and stalls injected, the wrong elements (0) and the time;
# exits non-zero on any wrong element. Builds build/test when needed.
#
#   scripts/stress-data-parallel.sh [steps] [processes] [threads]   (default 100000 2 2)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-100000}
processes=${2:-2}
threads=${3:-2}
program=build/test/tests/distributed/distributed_test
if [ ! -x "$program" ]; then
  source scripts/install-dependencies.sh
  simdgrad_install_dependencies
  cmake --preset test >/dev/null
  cmake --build --preset test -j2 --target distributed_test
fi
command -v mpiexec >/dev/null || { echo "stress-data-parallel: mpiexec is missing (apt-get install openmpi-bin)" >&2; exit 2; }
# Open MPI refuses root unless told.
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
echo "stress-data-parallel: $steps steps per exchange, $processes processes x $threads threads, $(date -u +%F) on $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
SIMDGRAD_STRESS_STEPS=$steps OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=PASSIVE \
  mpiexec -n "$processes" --oversubscribe --bind-to none "$program" "[stress]"
