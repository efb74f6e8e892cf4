#!/usr/bin/env bash
# Set-up and the main job in one command: installs what is missing, builds the Release
# configuration, runs the main program. Extra arguments go to the program.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/install-dependencies.sh
simdgrad_install_dependencies
cmake --preset release >/dev/null
cmake --build --preset release
exec build/release/apps/info/simdgrad-info "$@"
