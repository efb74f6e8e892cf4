#!/usr/bin/env bash
# Installs the Debian packages simdgrad needs, and only those that are missing.
# Sourced by run.sh and test.sh; usable on its own: scripts/install-dependencies.sh [--test]
# (--test adds what only the tests need).
#
# On Debian 12 (the reference platform) and its derivatives it uses apt-get, through sudo when
# not root. Elsewhere it lists what is missing and exits 1.

simdgrad_packages=(
  cmake make g++            # the toolchain (gcc's OpenMP comes with g++)
  libhwy-dev                # Google Highway 1.0.3: SIMD kernels with run-time dispatch
  catch2                    # Catch2 2.13: the tests
  libbenchmark-dev          # Google Benchmark: bench/
  libopenblas-dev           # the reference the GEMM benchmarks compare against
  libcli11-dev              # command-line parsing of the apps
  nlohmann-json3-dev        # run.json, checkpoint headers
  libpng-dev zlib1g-dev     # reconstructions.png; gzip-compressed IDX files
  liblapack-dev             # the identity study's symmetric eigensolver (LAPACK dsyevd)
  libopenmpi-dev openmpi-bin  # data-parallel training over MPI (distributed/), mpiexec
)
simdgrad_test_packages=(
  dataset-fashion-mnist     # a second MNIST-format data set, gzipped, for the loader's tests
  pkgconf                   # the examples built through simdgrad.pc (tests/install)
  clang libclang-rt-14-dev  # libFuzzer and the sanitizers for the fuzz targets (tests/fuzz)
  libomp-14-dev             # OpenMP for clang, which builds the fuzz targets
  clang-format-14           # the layout of every C++ file (tests/style)
  universal-ctags           # the length of every function (tests/style)
)

# The aarch64 cross-build and its emulator (scripts/test-aarch64.sh, the cross tests): Debian's
# cross compiler, qemu, and the :arm64 libraries the build links (multiarch).
simdgrad_aarch64_packages=(
  g++-aarch64-linux-gnu qemu-user-static
  libhwy-dev:arm64 libgomp1:arm64 zlib1g-dev:arm64 libpng-dev:arm64 liblapack-dev:arm64
)

simdgrad_missing_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]}"
}

# simdgrad_install_dependencies [--test | --aarch64]
simdgrad_install_dependencies() {
  local wanted=("${simdgrad_packages[@]}")
  [ "${1:-}" = "--test" ] && wanted+=("${simdgrad_test_packages[@]}")
  [ "${1:-}" = "--aarch64" ] && wanted+=("${simdgrad_test_packages[@]}" "${simdgrad_aarch64_packages[@]}")
  if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "simdgrad: this is not a Debian-like system (no apt-get/dpkg-query)." >&2
    echo "Install these (Debian package names; Highway must be 1.0.x, Catch2 2.13):" >&2
    echo "  ${wanted[*]}" >&2
    return 1
  fi
  if [ "${1:-}" = "--aarch64" ]; then simdgrad_add_arm64_architecture || return 1; fi
  local missing
  missing=$(simdgrad_missing_packages "${wanted[@]}")
  [ -z "$missing" ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "simdgrad: missing packages and no sudo to install them; as root run:" >&2
      echo "  apt-get update && apt-get install -y $missing" >&2
      return 1
    fi
    sudo=(sudo)
  fi
  echo "simdgrad: installing $missing"
  # shellcheck disable=SC2086
  if ! { "${sudo[@]}" apt-get update -qq && \
         DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends $missing; }; then
    echo "simdgrad: apt-get could not install: $missing" >&2
    return 1
  fi
  missing=$(simdgrad_missing_packages "${wanted[@]}")
  if [ -n "$missing" ]; then
    echo "simdgrad: still missing after apt-get: $missing" >&2
    return 1
  fi
}

# Debian installs :arm64 packages beside the machine's own once dpkg knows the architecture.
simdgrad_add_arm64_architecture() {
  [ "$(dpkg --print-architecture 2>/dev/null)" = "arm64" ] && return 0
  dpkg --print-foreign-architectures 2>/dev/null | grep -qx arm64 && return 0
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  echo "simdgrad: adding the arm64 architecture to dpkg (for the aarch64 cross-build)"
  "${sudo[@]}" dpkg --add-architecture arm64 && "${sudo[@]}" apt-get update -qq
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  simdgrad_install_dependencies "$@"
fi
