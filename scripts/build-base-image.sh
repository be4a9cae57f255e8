#!/usr/bin/env bash
# Builds snapstack/busybox:latest from the host's static busybox: no registry
# is needed, which is the point (CI and developer machines have none).
# Usage: scripts/build-base-image.sh [--force]
set -euo pipefail

IMAGE="${SNAPSTACK_BASE_IMAGE:-snapstack/busybox:latest}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
force=0
[[ "${1:-}" == "--force" ]] && force=1

if [[ $force -eq 0 ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE already exists (use --force to rebuild)"
  exit 0
fi

if [[ ! -x "$BUSYBOX" ]]; then
  echo "missing $BUSYBOX: apt-get install -y busybox-static" >&2
  exit 1
fi
# A dynamically linked busybox would not run in an empty rootfs.
if command -v file >/dev/null && ! file -L "$BUSYBOX" | grep -q 'statically linked'; then
  echo "$BUSYBOX is not statically linked: install busybox-static" >&2
  exit 1
fi

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,tmp,mnt,etc,root,proc,sys,dev,data}
chmod 1777 "$rootfs/tmp"
cp "$BUSYBOX" "$rootfs/bin/busybox"
# --list-full gives each applet's install path (bin/sh, usr/bin/sha256sum...).
"$BUSYBOX" --list-full | while read -r applet; do
  [[ "$applet" == "bin/busybox" ]] && continue
  mkdir -p "$rootfs/$(dirname "$applet")"
  ln -sf /bin/busybox "$rootfs/$applet"
done
# GNU cp, with the libraries it links: helper containers copy overlay layers
# with it because busybox cp drops xattrs (trusted.overlay.opaque marks a
# directory that was deleted and re-created; losing it resurrects old files).
if [[ -x /bin/cp ]] && cp --version 2>/dev/null | grep -q GNU; then
  mkdir -p "$rootfs/usr/libexec/snapstack"
  cp -L /bin/cp "$rootfs/usr/libexec/snapstack/cp"
  for lib in $(ldd /bin/cp | grep -o '/[^ ]*'); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
else
  echo "warning: no GNU cp on this host; helper copies will use busybox cp (no xattrs)" >&2
fi
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -c . |
  docker import \
    --change 'CMD ["/bin/sh"]' \
    --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'LABEL snapstack.base=true' \
    - "$IMAGE"
echo "built $IMAGE"
