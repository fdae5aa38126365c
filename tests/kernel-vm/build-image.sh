#!/bin/sh
# Builds (once) the cached pieces the kernel-VM test boots: a Debian bookworm root filesystem made
# with debootstrap (Debian's kernel, which ships openvswitch.ko and veth.ko, plus kmod and iproute2),
# packed as a gzip'd initramfs together with this machine's node binary, and the kernel image.
# Output: $OVSPS_VM_CACHE (default /var/tmp/ovsps-kernel-vm): vmlinuz, base.cpio.gz, stamp.
# Needs root (debootstrap chroots). Installs debootstrap/qemu-system-x86 with apt when missing.
set -eu

CACHE="${OVSPS_VM_CACHE:-/var/tmp/ovsps-kernel-vm}"
SUITE="${OVSPS_VM_SUITE:-bookworm}"
MIRROR="${OVSPS_VM_MIRROR:-http://deb.debian.org/debian}"
NODE_BIN="$(command -v node)"
STAMP="$SUITE $(sha256sum "$NODE_BIN" | cut -c1-16) v2"

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
debootstrap --variant=minbase --include=linux-image-amd64,kmod,iproute2,procps \
  "$SUITE" "$ROOT" "$MIRROR"

# The guest runs no init system: /init (below) mounts what the test needs and runs it.
cp "$NODE_BIN" "$ROOT/usr/local/bin/node"
cat > "$ROOT/init" <<'INIT'
#!/bin/sh
# PID 1 of the kernel-VM guest: mount the API filesystems, run the in-guest test, power off.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH HOME=/root
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
ip link set lo up
cd /project
echo "kernel-vm: guest kernel $(uname -r), node $(node --version)"
node .build/tests/kernel-vm/channel-in-guest.js
echo "KERNEL-VM-RESULT rc=$?"
echo o > /proc/sysrq-trigger
sleep 5
INIT
chmod 755 "$ROOT/init"

# Keep the initramfs small: docs, locales, apt lists and the initrd debootstrap made are not needed.
rm -rf "$ROOT"/usr/share/doc "$ROOT"/usr/share/man "$ROOT"/usr/share/locale "$ROOT"/var/cache/apt/archives/*.deb \
  "$ROOT"/var/lib/apt/lists/* "$ROOT"/boot/initrd.img*
cp "$ROOT"/boot/vmlinuz-* "$CACHE/vmlinuz"
rm -f "$ROOT"/boot/vmlinuz-*
mkdir -p "$ROOT/project"
(cd "$ROOT" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1 > "$CACHE/base.cpio.gz")
rm -rf "$ROOT"
echo "$STAMP" > "$CACHE/stamp"
echo "kernel-vm: built $CACHE/base.cpio.gz ($(du -h "$CACHE/base.cpio.gz" | cut -f1)) and $CACHE/vmlinuz"
