#!/usr/bin/env bash
# The library cross-built for aarch64 and its tests run under qemu, once per emulated CPU:
# NEON, and SVE at 128, 256 and 512 bits, and at 384 (not a power of two: Highway uses 256). QEMU_CPU sets what the emulated CPU has, and Highway's
# dispatch follows it; the tests themselves run every kernel on every target the CPU runs
# (NEON, SVE, SVE2, SVE_256, SVE2_128 as they apply), each pinned and checked.
#
#   scripts/test-aarch64.sh            the kernel, lib, autograd and gradcheck labels
#   scripts/test-aarch64.sh -L kernels any ctest arguments instead of the labels
#
# Installs what is missing (Debian: the arm64 architecture, g++-aarch64-linux-gnu,
# qemu-user-static, the :arm64 libraries), builds the aarch64 preset into build/aarch64.
# Skipped, and said so: the app's end-to-end tests (minutes of training each under
# emulation; the cross tests of ./test.sh run the app on every aarch64 target instead), MPI
# (no :arm64 Open MPI in the build), the install tests and the fuzzers (x86 tools).
# Under emulation this tests correctness, never speed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-dependencies.sh
simdgrad_install_dependencies --aarch64
scripts/fetch-mnist.sh
cmake --preset aarch64 >/dev/null
cmake --build --preset aarch64

ctest_args=("$@")
[ ${#ctest_args[@]} -eq 0 ] && ctest_args=(-L 'kernels|lib|autograd|gradcheck')

# name:QEMU_CPU
cpus=("NEON:max,sve=off" "SVE at 128 bits:max,sve128=on" "SVE at 256 bits:max,sve256=on"
      "SVE at 512 bits:max,sve512=on" "SVE at 384 bits:max,sve384=on")
failed=()
for entry in "${cpus[@]}"; do
  name=${entry%%:*}
  export QEMU_CPU=${entry#*:}
  in_use=$(qemu-aarch64-static build/aarch64/apps/identity/identity --version |
           sed -n 's/^SIMD target in use: *//p')
  echo "== $name (QEMU_CPU=$QEMU_CPU): SIMD target in use $in_use"
  ctest --preset aarch64 "${ctest_args[@]}" || failed+=("$name")
done
echo "skipped here: the app's end-to-end tests (label app), mpi, install, fuzz, docs"
if [ ${#failed[@]} -gt 0 ]; then
  echo "test-aarch64: failed on: ${failed[*]}" >&2
  exit 1
fi
echo "test-aarch64: every emulated CPU passed"
