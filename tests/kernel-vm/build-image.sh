#!/bin/sh
# Builds (once) the cached pieces the kernel-VM test boots: a Debian bookworm root filesystem made
# with debootstrap (Debian's kernel, which ships openvswitch.ko, veth.ko and bonding.ko, plus kmod, iproute2 and ping),
# packed as a gzip'd initramfs together with this machine's node binary (only the kernel modules the
# test needs are kept), and the kernel image.
# Output: $OVSPS_VM_CACHE (default /var/tmp/ovsps-kernel-vm): vmlinuz, base.cpio.gz, stamp.
# Needs root (debootstrap chroots). Installs debootstrap/qemu-system-x86 with apt when missing.
set -eu

CACHE="${OVSPS_VM_CACHE:-/var/tmp/ovsps-kernel-vm}"
SUITE="${OVSPS_VM_SUITE:-bookworm}"
MIRROR="${OVSPS_VM_MIRROR:-http://deb.debian.org/debian}"
NODE_BIN="$(command -v node)"
STAMP="$SUITE $(sha256sum "$NODE_BIN" | cut -c1-16) v5"

if [ -f "$CACHE/stamp" ] && [ "$(cat "$CACHE/stamp")" = "$STAMP" ] && [ -f "$CACHE/base.cpio.gz" ] && [ -f "$CACHE/vmlinuz" ]; then
  echo "kernel-vm: image cached in $CACHE"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "kernel-vm: building the image needs root (debootstrap); run as root once" >&2
  exit 77
fi
need=""
command -v debootstrap >/dev/null || need="$need debootstrap"
command -v qemu-system-x86_64 >/dev/null || need="$need qemu-system-x86"
command -v cpio >/dev/null || need="$need cpio"
if [ -n "$need" ]; then
  echo "kernel-vm: installing$need"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need
fi

mkdir -p "$CACHE"
ROOT="$CACHE/rootfs"
rm -rf "$ROOT" "$CACHE/base.cpio.gz" "$CACHE/vmlinuz" "$CACHE/stamp"
echo "kernel-vm: debootstrap $SUITE into $ROOT (a few minutes)"
debootstrap --variant=minbase --include=linux-image-amd64,kmod,iproute2,procps,iputils-ping \
  "$SUITE" "$ROOT" "$MIRROR"

# The guest runs no init system: run.sh adds tests/kernel-vm/guest-init.sh as /init. Node comes
# from this machine (same Debian release, so the same glibc).
cp "$NODE_BIN" "$ROOT/usr/local/bin/node"

# Only the modules the test loads (openvswitch, veth, bonding and what they depend on) stay: the initramfs
# is unpacked in guest RAM under software emulation, so every megabyte costs boot time.
KVER="$(ls "$ROOT/lib/modules" | head -1)"
KEEP="$CACHE/keep-modules"
rm -rf "$KEEP" && mkdir -p "$KEEP"
for mod in openvswitch veth bonding; do chroot "$ROOT" modprobe -S "$KVER" --show-depends "$mod"; done |
  sed -n 's/^insmod \([^ ]*\).*/\1/p' | sort -u > "$CACHE/modules.txt"
for m in veth openvswitch bonding; do
  grep -q "/$m.ko" "$CACHE/modules.txt" || { echo "kernel-vm: $m.ko not found in $KVER" >&2; exit 1; }
done
while read -r ko; do mkdir -p "$KEEP$(dirname "$ko")" && cp "$ROOT$ko" "$KEEP$ko"; done < "$CACHE/modules.txt"
rm -rf "$ROOT/lib/modules/$KVER/kernel"
cp -r "$KEEP/lib/modules/$KVER/kernel" "$ROOT/lib/modules/$KVER/"
rm -rf "$KEEP"
chroot "$ROOT" depmod "$KVER"
echo "kernel-vm: kept $(wc -l < "$CACHE/modules.txt") kernel modules: $(xargs -n1 basename < "$CACHE/modules.txt" | tr '\n' ' ')"

# Keep the initramfs small: docs, locales, apt lists and the initrd debootstrap made are not needed.
rm -rf "$ROOT"/usr/share/doc "$ROOT"/usr/share/man "$ROOT"/usr/share/locale "$ROOT"/var/cache/apt/archives/*.deb \
  "$ROOT"/var/lib/apt/lists/* "$ROOT"/boot/initrd.img* "$ROOT"/usr/lib/firmware
cp "$ROOT"/boot/vmlinuz-* "$CACHE/vmlinuz"
rm -f "$ROOT"/boot/vmlinuz-*
mkdir -p "$ROOT/project"
(cd "$ROOT" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1 > "$CACHE/base.cpio.gz")
rm -rf "$ROOT"
echo "$STAMP" > "$CACHE/stamp"
echo "kernel-vm: built $CACHE/base.cpio.gz ($(du -h "$CACHE/base.cpio.gz" | cut -f1)) and $CACHE/vmlinuz"
