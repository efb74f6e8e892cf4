#!/usr/bin/env bash
# Set-up and tests in one command: installs what is missing, fetches MNIST (verified by
# SHA-256) into data/mnist, builds the test configuration (-O2 with assertions on), runs every
# test. Extra arguments go to ctest (e.g. -L kernels, -L gradcheck, -L app).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/install-dependencies.sh
simdgrad_install_dependencies --test
scripts/fetch-mnist.sh
cmake --preset test >/dev/null
cmake --build --preset test
ctest --preset test "$@"
