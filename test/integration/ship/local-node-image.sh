#!/usr/bin/env bash
# Usage: local-node-image.sh TAG [LABEL=VALUE]
# Imports a stand-in for the official node image as TAG, made of this host's own
# files: node and npm, nsenter (util-linux), dash and a few coreutils for RUN lines,
# and the shared libraries they link. These machines reach no image registry, so the image
# test cannot pull node:20-bookworm-slim; the Dockerfile only needs what this has.
# The label, when given, is inherited by every image built from this one, so that
# all of them can be found and removed afterwards.
set -euo pipefail
tag=${1:?usage: local-node-image.sh TAG [LABEL=VALUE]}
label=${2:-}

node=$(readlink -f "$(command -v node)")
npm_dir=$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")
nsenter=$(readlink -f "$(command -v nsenter)")

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT

# A binary and every library the loader resolves for it, at the paths ldd reports.
copy_with_libraries() {
  local binary=$1 target=$2 library
  install -D -m 0755 "$binary" "$rootfs$target"
  for library in $(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    [ -e "$rootfs$library" ] || install -D -m 0755 "$(readlink -f "$library")" "$rootfs$library"
  done
}

copy_with_libraries "$node" /usr/local/bin/node
copy_with_libraries "$nsenter" /usr/bin/nsenter
copy_with_libraries "$(readlink -f "$(command -v dash)")" /bin/sh
for tool in env ln ls cat mkdir rm cp chmod id; do
  copy_with_libraries "$(readlink -f "$(command -v "$tool")")" "/usr/bin/$tool"
done
mkdir -p "$rootfs/usr/local/lib/node_modules" "$rootfs/tmp" "$rootfs/root" "$rootfs/etc"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$rootfs/etc/group"

changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["node"]')
[ -n "$label" ] && changes+=(--change "LABEL $label")
tar -C "$rootfs" -c . | docker import "${changes[@]}" - "$tag" >/dev/null
