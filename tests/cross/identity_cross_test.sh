#!/usr/bin/env bash
# The same training run on this x86 machine and, under qemu, on aarch64 with NEON, 256-bit SVE
# and 512-bit SVE2: `identity train --limit 1024 --epochs 1 --threads 2` on MNIST, validated on
# the first 1,000 test images (all 10,000 took 6 minutes under qemu's SVE). Every run must
# print the same losses and write a checkpoint whose tensors have the same SHA-256.
#
#   identity_cross_test.sh X86_IDENTITY AARCH64_IDENTITY SOURCE_DIR WORK_DIR
#
# Exit 77 (skipped), saying why, where there is no aarch64 build or no qemu: ./test.sh builds
# one where Debian's cross tools can be installed.
set -euo pipefail
x86=$1 arm=$2 source_dir=$3 work=$4
if [ ! -x "$arm" ]; then
  echo "cross: skipped: no aarch64 build of the app at $arm (the cross tools could not be installed)"
  exit 77
fi
if ! command -v qemu-aarch64-static >/dev/null; then
  echo "cross: skipped: qemu-aarch64-static is not installed"
  exit 77
fi
rm -rf "$work" && mkdir -p "$work"

# The training files as they are, the test files cut to their first 1,000 items (IDX: a magic
# number whose last byte counts the dimensions, then each dimension as a big-endian uint32).
/usr/bin/python3 - "$source_dir/data/mnist" "$work/data" 1000 <<'PY'
import os, struct, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(dst)
for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
    os.symlink(os.path.join(src, name), os.path.join(dst, name))
for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
    with open(os.path.join(src, name), "rb") as f:
        blob = f.read()
    header = 4 + 4 * blob[3]
    item = len(blob[header:]) // struct.unpack(">I", blob[4:8])[0]
    with open(os.path.join(dst, name), "wb") as f:
        f.write(blob[:4] + struct.pack(">I", n) + blob[8:header] + blob[header:header + n * item])
PY

# run NAME QEMU_CPU|native: prints the run's losses (times left out) and its tensors' digest.
run() {
  local name=$1 cpu=$2 out="$work/$1"
  local command=("$x86")
  [ "$cpu" != native ] && command=(env QEMU_CPU="$cpu" qemu-aarch64-static "$arm")
  "${command[@]}" train --limit 1024 --epochs 1 --threads 2 --data "$work/data" \
    --out "$out" >"$out.log" 2>&1 || { echo "$name: the run failed:"; cat "$out.log"; return 1; }
  local target
  target=$("${command[@]}" --version | sed -n 's/^SIMD target in use: *//p')
  local losses digest
  losses=$(grep -E '^(Epoch|Test)' "$out.log" | sed -E 's/ - [0-9.]+s - / - /')
  digest=$(/usr/bin/python3 "$source_dir/scripts/checkpoint-digest.py" "$out/model.safetensors")
  echo "$name ($target)"
  echo "$losses" | sed 's/^/  /'
  echo "  tensors: ${digest%% *}"
  printf '%s\n%s\n' "$losses" "${digest%% *}" >"$out.result"
}

status=0
run x86 native
for entry in "neon:max,sve=off" "sve-256:max,sve256=on" "sve2-512:max,sve512=on"; do
  name=${entry%%:*}
  run "$name" "${entry#*:}"
  if ! cmp -s "$work/x86.result" "$work/$name.result"; then
    echo "cross: $name differs from x86:"
    diff "$work/x86.result" "$work/$name.result" || true
    status=1
  fi
done
[ $status -eq 0 ] && echo "cross: every run printed the same losses and wrote the same tensors"
exit $status
