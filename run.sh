#!/usr/bin/env bash
# Set-up and the main job in one command: installs what is missing, fetches MNIST (verified by
# SHA-256) into data/mnist, builds the Release configuration, then runs the identity app:
#   ./run.sh                 identity train with the original Keras recipe
#   ./run.sh study [--quick] the experiments behind docs/identity-study.md
#   ./run.sh eval CKPT | ./run.sh gradcheck | ./run.sh info
#   ./run.sh --epochs 5 ...  any other arguments go to identity train
set -euo pipefail
cd "$(dirname "$0")"
source scripts/install-dependencies.sh
simdgrad_install_dependencies
scripts/fetch-mnist.sh
cmake --preset release >/dev/null
cmake --build --preset release
case "${1:-}" in
  train|study|eval|gradcheck) exec build/release/apps/identity/identity "$@" ;;
  info) shift; exec build/release/apps/info/simdgrad-info "$@" ;;
  *) exec build/release/apps/identity/identity train "$@" ;;
esac
