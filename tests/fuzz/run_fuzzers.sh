#!/usr/bin/env bash
# Builds the libFuzzer targets (the fuzz preset: clang, ASan + UBSan) and runs each for a time
# box, after replaying every input in tests/fuzz/regressions/ (each a finding, fixed since).
#
#   tests/fuzz/run_fuzzers.sh [seconds per target, default 30]
#
# The corpus grows in build/fuzz/corpus/<target>/, seeded from tests/fuzz/corpus/<target>/;
# a finding is written to build/fuzz/findings/<target>/ and fails the run. Exits 77 (CTest's
# "skipped") when clang or libFuzzer is missing: scripts/install-dependencies.sh --test
# installs them on Debian.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}

if ! command -v clang++ >/dev/null 2>&1 ||
   ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "run_fuzzers: clang++ or libFuzzer (Debian: clang, libclang-rt-14-dev) is missing: skipped"
  exit 77
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz >/dev/null

# Keeps ASan's reports to the first error, and libFuzzer's limits well under this machine's.
limits=(-rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10)
for target in idx_reader checkpoint; do
  binary=build/fuzz/tests/fuzz/${target}_fuzzer
  seeds=tests/fuzz/corpus/${target%_reader}
  regressions=tests/fuzz/regressions/${target%_reader}
  corpus=build/fuzz/corpus/$target
  findings=build/fuzz/findings/$target
  mkdir -p "$corpus" "$findings"

  if compgen -G "$regressions/*" >/dev/null; then
    echo "run_fuzzers: $target: replaying $(ls "$regressions" | wc -l) past findings"
    "$binary" "${limits[@]}" "$regressions"/* 2>"$findings/replay.log" ||
      { cat "$findings/replay.log"; echo "run_fuzzers: $target: a past finding is back"; exit 1; }
  fi

  echo "run_fuzzers: $target: fuzzing for ${seconds} s"
  if ! "$binary" "${limits[@]}" -max_total_time="$seconds" -print_final_stats=1 \
       -artifact_prefix="$findings/" "$corpus" "$seeds" >"$findings/fuzz.log" 2>&1; then
    tail -40 "$findings/fuzz.log"
    echo "run_fuzzers: $target: FINDING in $findings/ (make it a regression input:"
    echo "  copy it to $regressions/, fix the code, and rerun)"
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' "$findings/fuzz.log" |
    sed "s/^/run_fuzzers: $target: /"
done
