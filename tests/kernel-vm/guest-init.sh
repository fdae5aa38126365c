#!/bin/sh
# PID 1 of the kernel-VM guest (run.sh puts it at /init of the initramfs): mount the API
# filesystems, run the in-guest channel test from /project, print its result, power off.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH HOME=/root
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t tmpfs tmp /tmp
ip link set lo up
cd /project
echo "kernel-vm: guest kernel $(uname -r), node $(node --version)"
node .build/tests/kernel-vm/channel-in-guest.js
echo "KERNEL-VM-RESULT rc=$?"
echo o > /proc/sysrq-trigger
sleep 10
