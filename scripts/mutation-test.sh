#!/usr/bin/env bash
# The mutation self-test (see scripts/mutation_test.py and docs/verification.md): every
# backward of the tape's ops and the fused GEMM paths, mutated one at a time in a scratch copy
# (build/mutants/src), must turn its tests red. Several minutes on 2 cores (docs/verification.md
# gives a measured run); not part of ./test.sh. Set up the machine with ./test.sh (or scripts/install-dependencies.sh --test) first.
#
#   scripts/mutation-test.sh [--only ID,ID...] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 scripts/mutation_test.py "$@"
