#!/bin/sh
# npm run test:kernel: boots Debian's kernel (which has openvswitch.ko) under qemu and runs the
# engine's datapath channel against it (tests/kernel-vm/channel-in-guest.ts).
#  1. build-image.sh makes/caches the Debian root filesystem + node as an initramfs (needs root once);
#  2. the compiled project (.build, manifests, package.json, ffi-rs) goes in a second, small cpio
#     appended to it (the kernel unpacks concatenated archives), so no disk image or 9p is needed;
#  3. qemu boots it with software emulation (TCG; OVSPS_VM_ACCEL=kvm to use KVM). The guest prints
#     TAP lines on the serial console and powers off; this script exits with the in-guest result
#     (77 = skipped: the image cannot be built without root).
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
PROJECT="$(cd "$HERE/../.." && pwd)"
CACHE="${OVSPS_VM_CACHE:-/var/tmp/ovsps-kernel-vm}"
export OVSPS_VM_CACHE="$CACHE"

sh "$HERE/build-image.sh"
[ -f "$PROJECT/.build/tests/kernel-vm/channel-in-guest.js" ] || (cd "$PROJECT" && npx tsc -b)

WORK="$(mktemp -d /tmp/ovsps-kernel-vm.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT INT TERM
STAGE="$WORK/stage"
mkdir -p "$STAGE/project/node_modules"
NM="$(readlink -f "$PROJECT/node_modules")"
cp -r "$PROJECT/.build" "$PROJECT/manifests" "$PROJECT/package.json" "$STAGE/project/"
# The runtime packages the in-guest code imports (ffi-rs and its native binary, ajv for the OVSDB
# schema checks of the switch scenario), with everything they depend on that is installed.
DEPS="$(NM="$NM" node -e '
const fs = require("fs"), path = require("path"), nm = process.env.NM, seen = new Set();
const walk = (n) => {
  const f = path.join(nm, n, "package.json");
  if (seen.has(n) || !fs.existsSync(f)) return;
  seen.add(n);
  const p = JSON.parse(fs.readFileSync(f, "utf8"));
  for (const d of Object.keys({ ...p.dependencies, ...p.optionalDependencies })) walk(d);
};
["ffi-rs", "ajv"].forEach(walk);
console.log([...seen].join("\n"));')"
for d in $DEPS; do
  mkdir -p "$STAGE/project/node_modules/$(dirname "$d")"
  cp -r "$NM/$d" "$STAGE/project/node_modules/$d"
done
cp "$HERE/guest-init.sh" "$STAGE/init" && chmod 755 "$STAGE/init"
mkdir -p "$STAGE/dev" && { mknod -m 600 "$STAGE/dev/console" c 5 1 2>/dev/null || true; }
(cd "$STAGE" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1 > "$WORK/project.cpio.gz")
cat "$CACHE/base.cpio.gz" "$WORK/project.cpio.gz" > "$WORK/initrd"

# Software emulation by default: nested KVM on the machines this was written on either refuses
# MSRs or hangs after the kernel loads. OVSPS_VM_ACCEL=kvm uses KVM where it works.
ACCEL="${OVSPS_VM_ACCEL:-tcg}"
CPU=max
[ "$ACCEL" = kvm ] && CPU=host
echo "kernel-vm: booting $(basename "$CACHE")/vmlinuz with accel=$ACCEL${OVSPS_VM_ONLY:+ (only: $OVSPS_VM_ONLY)}"
START=$(date +%s)
set +e
{ timeout "${OVSPS_VM_TIMEOUT:-900}" qemu-system-x86_64 -accel "$ACCEL" -cpu "$CPU" -m 2048 -smp 2 \
  -kernel "$CACHE/vmlinuz" -initrd "$WORK/initrd" \
  -append "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=3${OVSPS_VM_ONLY:+ ovsps_only=$OVSPS_VM_ONLY}${OVSPS_VM_PROFILE:+ ovsps_profile=1}" \
  -nographic -no-reboot -nic none -serial mon:stdio < /dev/null; echo $? > "$WORK/qemu.rc"; } | tee "$WORK/console.log"
QEMU_RC=$(cat "$WORK/qemu.rc")
set -e
END=$(date +%s)
RESULT=$(tr -d '\r' < "$WORK/console.log" | sed -n 's/^KERNEL-VM-RESULT rc=\([0-9]*\).*/\1/p' | tail -1)
echo "kernel-vm: guest finished in $((END - START)) s (accel=$ACCEL, qemu rc=$QEMU_RC, guest rc=${RESULT:-none})"
if [ -z "$RESULT" ]; then
  echo "kernel-vm: the guest did not report a result" >&2
  exit 1
fi
exit "$RESULT"
