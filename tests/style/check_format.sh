#!/usr/bin/env bash
# Every C++ file of the project is as .clang-format lays it out (clang-format 14, the version
# Debian 12 ships: other versions lay some constructs out differently). Exit 77 (skip) where
# clang-format-14 is missing; scripts/install-dependencies.sh --test installs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v clang-format-14 >/dev/null; then
  echo "clang-format-14 is not installed: cannot check the layout" >&2
  exit 77
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- '*.h' '*.cc' | grep -v '^tests/fuzz/\(corpus\|regressions\)/')
else
  mapfile -t files < <(find lib autograd distributed apps bench tests docs -name '*.h' -o -name '*.cc' | sort)
fi
# -Werror turns each misformatted place into an error naming the file and line.
clang-format-14 --dry-run -Werror "${files[@]}"
echo "${#files[@]} files formatted as .clang-format says"
