#!/usr/bin/env bash
# Every software prefetch that lib/ asks for is in the library's object code.
#
#   check_prefetches_compiled.sh OBJDUMP SOURCE_DIR OBJECT...
#
# GCC deletes the calls of a function or lambda that only prefetches (lib/prefetch.h), so a
# prefetch can vanish from the binary without a warning. Each source line of lib/ that calls
# __builtin_prefetch, hwy::Prefetch or prefetch_lines must be the line of, or inline into, at
# least one prefetch instruction (x86 prefetch*, Arm prfm), as the objects' line tables tell
# (objdump -dl --inlines). Exit 77 (skip) for objects without line tables (a build without -g).
set -euo pipefail
objdump=$1 source_dir=$2
shift 2

sites=$(cd "$source_dir" &&
        grep -rnE '__builtin_prefetch\(|hwy::Prefetch\(|prefetch_lines(<[^>]*>)?\(' lib \
          --include='*.cc' --include='*.h' |
        grep -vE '^[^:]+:[0-9]+:[[:space:]]*//|void prefetch_lines\(' | cut -d: -f1,2 |
        sed "s|^|$source_dir/|")
[ -n "$sites" ] || { echo "no prefetch in lib/: nothing to check"; exit 0; }

# objdump repeats only the "inlined by" lines while the innermost line stays the same.
compiled=$(for object in "$@"; do "$objdump" -dl --inlines "$object"; done | awk '
  /^\/[^ ]*:[0-9]+/ || /^inlined by \// || /^[^ \t].*\(\):$/ {
    if (!in_location) n = 0
    in_location = 1
    if ($1 == "inlined") chain[++n] = $3; else if ($0 ~ /^\//) primary = $1
    next
  }
  { in_location = 0 }
  /\t(prefetch[a-z0-9]*|prfm)[ \t]/ { print primary; for (i = 1; i <= n; i++) print chain[i] }' |
  sort -u)
lines=$(for object in "$@"; do "$objdump" -dl "$object"; done | grep -cE '^/[^ ]*:[0-9]+' || true)
if [ "$lines" -eq 0 ]; then
  echo "the objects have no line tables: cannot tell where their prefetches come from" >&2
  exit 77
fi

missing=$(comm -23 <(echo "$sites" | sort -u) <(echo "$compiled"))
if [ -n "$missing" ]; then
  echo "prefetches in the source that compiled to no instruction:" >&2
  echo "$missing" >&2
  exit 1
fi
echo "all $(echo "$sites" | wc -l) prefetch sites of lib/ are in the object code"
