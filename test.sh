#!/usr/bin/env bash
# Set-up and tests in one command: installs what is missing, builds the test configuration
# (-O2 with assertions on), runs every test. Extra arguments go to ctest (e.g. -L kernels).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/install-dependencies.sh
simdgrad_install_dependencies
cmake --preset test >/dev/null
cmake --build --preset test
ctest --preset test "$@"
