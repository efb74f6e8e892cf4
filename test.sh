#!/usr/bin/env bash
# Set-up and tests in one command: installs what is missing, fetches MNIST (verified by
# SHA-256) into data/mnist, builds the test configuration (-O2 with assertions on) and the
# aarch64 build of the app for the cross tests, runs every test. Extra arguments go to ctest
# (e.g. -L kernels, -L gradcheck, -L app, -L cross).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/install-dependencies.sh
simdgrad_install_dependencies --test
scripts/fetch-mnist.sh
cmake --preset test >/dev/null
cmake --build --preset test
# The cross tests (label cross) run the app's aarch64 build under qemu: built here wherever
# Debian's cross tools install; elsewhere those tests skip and say why.
if [ "$(uname -m)" = x86_64 ]; then
  if simdgrad_install_dependencies --aarch64; then
    cmake --preset aarch64 >/dev/null
    cmake --build --preset aarch64 --target identity
  else
    echo "test.sh: the aarch64 cross tools could not be installed; the cross tests will skip"
  fi
fi
ctest --preset test "$@"
