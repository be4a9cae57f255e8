#!/usr/bin/env bash
# Builds snapstack/node-base:20, a stand-in for node:20-bookworm-slim made without a registry,
# from this Debian 12 (bookworm) host's own files: the Dockerfile builds on it here with
#   docker build --build-arg BASE_IMAGE=snapstack/node-base:20 .
# and on node:20-bookworm-slim anywhere a registry is reachable.
#
# The root holds what Snapstack and its build need: the host's node and npm, a shell, GNU
# coreutils (cp -a keeps overlay xattrs), GNU tar (layer archives), gzip, and the CA bundle
# (npm ci in the build stage), plus every library those link. Made from the host's installed
# Debian packages rather than `debootstrap --variant=minbase bookworm`: the same bookworm files,
# in ~5 s instead of ~2 min (measured on the 2-core CI machine), which CI pays on every fresh run.
# Usage: scripts/build-node-base-image.sh [--force]
set -euo pipefail

IMAGE="${SNAPSTACK_NODE_BASE_IMAGE:-snapstack/node-base:20}"
force=0
[[ "${1:-}" == "--force" ]] && force=1

if [[ $force -eq 0 ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE already exists (use --force to rebuild)"
  exit 0
fi

node_bin="$(command -v node || true)"
if [[ -z "$node_bin" ]]; then
  echo "no node on this host: install Node 20" >&2
  exit 1
fi
node_major="$("$node_bin" -p 'process.versions.node.split(".")[0]')"
if [[ "$node_major" != 20 ]]; then
  echo "the host's node is $("$node_bin" --version); the image needs Node 20 (as node:20-bookworm-slim)" >&2
  exit 1
fi
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
if [[ ! -f "$npm_dir/package.json" ]]; then
  echo "cannot find npm's folder (looked at $npm_dir)" >&2
  exit 1
fi

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT

# Debian's usrmerge links (/bin -> usr/bin, /lib -> usr/lib, ...) as the host has them.
for link in /bin /sbin /lib /lib64; do
  if [[ -L "$link" ]]; then
    mkdir -p "$rootfs/$(readlink "$link")"
    cp -a "$link" "$rootfs$link"
  fi
done

# Copies a file or symlink into the root, as it is, under its host directory's real path.
put() {
  local src="$1" dst="${2:-$1}" dir
  dir="$(readlink -f "$(dirname "$dst")" 2>/dev/null || dirname "$dst")"
  mkdir -p "$rootfs$dir"
  cp -a "$src" "$rootfs$dir/"
  [[ "$(basename "$src")" == "$(basename "$dst")" ]] || mv "$rootfs$dir/$(basename "$src")" "$rootfs$dir/$(basename "$dst")"
}

# Whole Debian packages, as installed on the host (documentation left out).
packages=(base-files libc6 libgcc-s1 libstdc++6 dash bash coreutils tar gzip grep sed findutils)
for pkg in "${packages[@]}"; do
  while read -r f; do
    [[ -f "$f" || -L "$f" ]] && [[ ! -d "$f" ]] || continue
    case "$f" in /usr/share/doc/* | /usr/share/man/* | /usr/share/info/* | /usr/share/locale/* | /usr/share/lintian/*) continue ;; esac
    put "$f"
  done < <(dpkg -L "$pkg")
done
ln -sf dash "$rootfs/usr/bin/sh"

# Node and npm where node's official images keep them.
put "$(readlink -f "$node_bin")" /usr/local/bin/node
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# Every library the executables in the root link, from the host.
while read -r lib; do
  [[ -e "$rootfs$lib" ]] || put "$(readlink -f "$lib")" "$lib"
done < <(find "$rootfs" -type f -perm -u+x -exec sh -c 'file -b "$1" | grep -q "^ELF" && ldd "$1" 2>/dev/null' _ {} \; |
  grep -o '/[^ ]*\.so[^ ]*' | sort -u)

# The host's trust store, which node is told to use as well: where egress goes through an
# intercepting proxy, its CA is there, and npm ci in the build stage needs it.
mkdir -p "$rootfs/etc/ssl/certs"
cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
mkdir -p "$rootfs"/{tmp,root,home/node,proc,sys,dev,run,var/tmp}
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
printf 'root:x:0:0:root:/root:/bin/bash\nnode:x:1000:1000::/home/node:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"

tar -C "$rootfs" --numeric-owner -c . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin NODE_VERSION='"$("$node_bin" -p process.versions.node)"' NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["node"]' \
    --change 'LABEL snapstack.base=true' \
    - "$IMAGE"
echo "built $IMAGE (node $("$node_bin" --version), npm $("$node_bin" "$npm_dir/bin/npm-cli.js" --version))"
