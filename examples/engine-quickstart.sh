#!/bin/sh
# `npm start` runs the engine (ovsdb-server role now; the switch reconciler joins in-process later).
# Defaults: ./var/lib/openvswitch/conf.db (created with its Open_vSwitch row when missing),
# punix:./var/run/openvswitch/db.sock, ./var/run/openvswitch/ovs-engine.pid and .<pid>.ctl,
# ./var/log/openvswitch/ovs-engine.log. This script uses a private directory instead.
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
export OVS_RUNDIR="$work/run" OVS_DBDIR="$work/db" OVS_LOGDIR="$work/log"

# Same options as ovsdb-server; --detach returns once the engine is serving.
node "$here/.build/engine/main.js" --detach --no-chdir
node "$here/engine/bin/ovsdb-client" list-dbs
ovs-vsctl --no-wait add-br br0 2>/dev/null || echo "(real ovs-vsctl not installed)"
node "$here/engine/bin/ovsdb-client" dump Open_vSwitch Bridge name
node "$here/engine/bin/ovs-appctl" -t ovs-engine list-commands
node "$here/engine/bin/ovs-appctl" -t ovs-engine exit
rm -rf "$work"
