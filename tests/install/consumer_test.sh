#!/usr/bin/env bash
# simdgrad used from other projects, the way its users do it: install into a prefix, then build
# and run the examples of docs/examples against it (CMake package, pkg-config), and from the
# source tree (add_subdirectory, FetchContent, shared libraries).
#
#   consumer_test.sh STEP SOURCE_DIR BUILD_DIR WORK_DIR
#
# STEP: install | headers | cmake-package | pkg-config | add-subdirectory | fetchcontent | shared
# BUILD_DIR is the configured, built simdgrad tree to install from; WORK_DIR is scratch space
# (the prefix is WORK_DIR/prefix, written by `install` and read by the steps after it).
set -euo pipefail
step=$1 source_dir=$2 build_dir=$3 work=$4
prefix=$work/prefix
examples=$source_dir/docs/examples
mnist=$source_dir/data/mnist
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_exit CODE COMMAND...: runs COMMAND, shows its output, requires its exit code.
expect_exit() {
  local want=$1 got=0
  shift
  echo "+ $*"
  "$@" || got=$?
  [ "$got" = "$want" ] || fail "$* exited $got, expected $want"
}

# Open MPI refuses root unless told; more processes than cores are fine here.
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpiexec_two() { mpiexec --oversubscribe --bind-to none -n 2 "$@"; }

# Runs the examples built in folder $1 (each in $1/<name>/ or $1/): quick settings. The
# data-parallel one, where it was built, runs as one process, and on two where mpiexec is.
run_examples() {
  local dir=$1 epochs=$2 accuracy=$3
  local bin
  bin() { if [ -x "$dir/$1/$1" ]; then echo "$dir/$1/$1"; else echo "$dir/$1"; fi; }
  expect_exit 0 "$(bin gemm_throughput)" 2
  expect_exit 0 "$(bin custom_op)"
  expect_exit 1 "$(bin custom_op)" --wrong
  expect_exit 0 "$(bin check_adjoint)"
  expect_exit 1 "$(bin check_adjoint)" --wrong
  if [ -x "$(bin roofline_softmax)" ]; then  # where it was built (it needs Google Benchmark)
    expect_exit 0 "$(bin roofline_softmax)" --benchmark_min_time=0.01 --benchmark_filter=/64/
  fi
  expect_exit 0 "$(bin mnist_classifier)" --data "$mnist" --epochs "$epochs" --require-accuracy "$accuracy"
  expect_exit 2 "$(bin mnist_classifier)" --data "$work/no-such-folder"
  if [ -x "$(bin data_parallel)" ]; then
    expect_exit 0 "$(bin data_parallel)"
    if command -v mpiexec >/dev/null; then
      expect_exit 0 mpiexec_two "$(bin data_parallel)"
      expect_exit 1 mpiexec_two "$(bin data_parallel)" --steps 50  # too few steps to learn
    fi
  fi
}

# Whether simdgrad::distributed was installed.
has_distributed() { [ -f "$prefix/lib/cmake/simdgrad/simdgrad-distributed-targets.cmake" ]; }

cmake_example() {  # cmake_example NAME BUILD_FOLDER [ARGS...]
  local name=$1 out=$2
  shift 2
  cmake -S "$examples/$name" -B "$out" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$out" -j2 >/dev/null
}

case "$step" in
  install)
    rm -rf "$prefix"
    cmake --install "$build_dir" --prefix "$prefix" >/dev/null
    # Public headers only: everything under include/ is include/simdgrad/**.h and no SIMD body.
    others=$(cd "$prefix/include" && find . -type f ! -path './simdgrad/*.h')
    [ -z "$others" ] || fail "installed files outside include/simdgrad/*.h: $others"
    [ -z "$(find "$prefix/include" -name '*-inl.h')" ] || fail "a -inl.h body was installed"
    for f in lib/libsimdgrad_core.a lib/libsimdgrad_autograd.a lib/pkgconfig/simdgrad.pc \
             lib/cmake/simdgrad/simdgrad-config.cmake lib/cmake/simdgrad/simdgrad-config-version.cmake \
             lib/cmake/simdgrad/simdgrad-targets.cmake include/simdgrad/simdgrad.h; do
      [ -f "$prefix/$f" ] || fail "$f is not installed"
    done
    for f in lib/libsimdgrad_distributed.a lib/cmake/simdgrad/simdgrad-distributed-targets.cmake \
             include/simdgrad/distributed/data_parallel_step.h; do
      [ -f "$prefix/$f" ] || fail "$f is not installed"
    done
    echo "installed into $prefix: $(find "$prefix" -type f | wc -l) files"
    ;;
  headers)
    # Every installed header compiles on its own, with nothing but the installed flags.
    cflags=$(pkg-config --cflags simdgrad)
    count=0
    for header in $(cd "$prefix/include" && find simdgrad -name '*.h' | sort); do
      # shellcheck disable=SC2086
      echo "#include <$header>" | g++ -fsyntax-only -Wall -Wextra $cflags -x c++ - ||
        fail "$header does not compile on its own"
      count=$((count + 1))
    done
    echo "$count installed headers compile on their own"
    # The umbrella brings in every header of the library and the tape (distributed/ is apart:
    # a component of its own).
    # Not the MPI layer, nor the Google Benchmark helpers, which need libraries of their own.
    for header in $(cd "$prefix/include" && find simdgrad -name '*.h' ! -path 'simdgrad/distributed/*' \
                      ! -path 'simdgrad/bench/*' ! -name simdgrad.h | sort); do
      grep -q "#include \"$header\"" "$prefix/include/simdgrad/simdgrad.h" ||
        fail "<simdgrad/simdgrad.h> does not include <$header>"
    done
    ;;
  cmake-package)
    for name in gemm_throughput custom_op check_adjoint mnist_classifier roofline_softmax; do
      cmake_example "$name" "$work/cmake-package/$name" -DCMAKE_PREFIX_PATH="$prefix"
    done
    if has_distributed; then
      cmake_example data_parallel "$work/cmake-package/data_parallel" -DCMAKE_PREFIX_PATH="$prefix"
    fi
    # An incompatible version request must be refused (SameMajorVersion).
    mkdir -p "$work/version-check"
    printf 'cmake_minimum_required(VERSION 3.25)\nproject(v CXX)\nfind_package(simdgrad 1.0 REQUIRED)\n' \
      >"$work/version-check/CMakeLists.txt"
    ! cmake -S "$work/version-check" -B "$work/version-check/build" -DCMAKE_PREFIX_PATH="$prefix" \
      >/dev/null 2>&1 || fail "find_package(simdgrad 1.0) accepted version 0.x"
    run_examples "$work/cmake-package" 2 0.96
    ;;
  pkg-config)
    mkdir -p "$work/pkg-config"
    for name in gemm_throughput custom_op check_adjoint mnist_classifier; do
      # shellcheck disable=SC2046
      g++ -O2 "$examples/$name/main.cc" -o "$work/pkg-config/$name" $(pkg-config --cflags --libs simdgrad)
    done
    run_examples "$work/pkg-config" 1 0.94
    # The README's hello-world, as a reader would paste it: at most 15 lines, and it learns.
    awk '/<!-- hello-world -->/ { found = 1; next } found && /^```cpp/ { code = 1; next }
         code && /^```/ { exit } code { print }' "$source_dir/README.md" >"$work/pkg-config/hello.cc"
    lines=$(wc -l <"$work/pkg-config/hello.cc")
    [ "$lines" -ge 5 ] && [ "$lines" -le 15 ] || fail "the README's hello-world has $lines lines"
    # shellcheck disable=SC2046
    g++ -O2 "$work/pkg-config/hello.cc" -o "$work/pkg-config/hello" $(pkg-config --cflags --libs simdgrad)
    hello=$("$work/pkg-config/hello")
    echo "$hello"
    [ "$hello" = "w = 3.0000 (want 3)" ] || fail "the README's hello-world printed: $hello"
    ;;
  add-subdirectory | fetchcontent)
    out=$work/$step
    use_fetch=OFF
    [ "$step" = fetchcontent ] && use_fetch=ON
    cmake -S "$examples" -B "$out" -DCMAKE_BUILD_TYPE=Release -DSIMDGRAD_USE_FETCHCONTENT=$use_fetch >/dev/null
    cmake --build "$out" -j2 >/dev/null
    # Only the libraries were built from simdgrad's tree: none of its apps or tests.
    [ -z "$(find "$out" -name identity -type f)" ] || fail "simdgrad's apps were built as a subproject"
    run_examples "$out" 1 0.94
    ;;
  shared)
    out=$work/shared
    cmake -S "$source_dir" -B "$out/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
      -DSIMDGRAD_BUILD_APPS=OFF -DSIMDGRAD_BUILD_TESTS=OFF -DSIMDGRAD_BUILD_BENCH=OFF >/dev/null
    cmake --build "$out/build" -j2 >/dev/null
    cmake --install "$out/build" --prefix "$out/prefix" >/dev/null
    for lib in core autograd; do
      so=$(find "$out/prefix" -name "libsimdgrad_$lib.so.*.*.*" | head -1)
      [ -n "$so" ] || fail "libsimdgrad_$lib.so.<version> is not installed"
      # Output captured before grep: grep -q stops reading at the first match, and the writer's
      # SIGPIPE would fail the pipeline under pipefail.
      grep -q "SONAME.*\[libsimdgrad_$lib\.so\.0\]" <<<"$(readelf -d "$so")" || fail "$so has no SONAME libsimdgrad_$lib.so.0"
    done
    cmake_example custom_op "$out/custom_op" -DCMAKE_PREFIX_PATH="$out/prefix"
    grep -q "libsimdgrad_autograd.so.0 => $out/prefix" <<<"$(ldd "$out/custom_op/custom_op")" ||
      fail "custom_op is not linked against the installed shared library"
    expect_exit 0 "$out/custom_op/custom_op"
    ;;
  *)
    fail "unknown step $step"
    ;;
esac
echo "PASS: $step"
