#!/usr/bin/env bash
# No function of lib/, autograd/, distributed/ or apps/ runs past 60 lines (from its first line
# to its closing brace, as universal-ctags reports them), so each fits on a screen. Tests and
# benchmarks are exempt. Exit 77 (skip) where universal-ctags is missing;
# scripts/install-dependencies.sh --test installs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
limit=60
if ! ctags --version 2>/dev/null | grep -q "Universal Ctags"; then
  echo "universal-ctags is not installed: cannot measure the functions" >&2
  exit 77
fi
long=$(ctags -x --_xformat='%{line} %{end} %F %N' --kinds-C++=f --fields=+ne -R --languages=C++ \
         --map-C++=+.h lib autograd distributed apps |
       awk -v limit=$limit '$2 != "" && $2 - $1 + 1 > limit { print $3 ":" $1 ": " $4 " has " $2 - $1 + 1 " lines" }')
if [ -n "$long" ]; then
  echo "functions over $limit lines:" >&2
  echo "$long" >&2
  exit 1
fi
echo "every function of lib/, autograd/, distributed/ and apps/ fits in $limit lines"
