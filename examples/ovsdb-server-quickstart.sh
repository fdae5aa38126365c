#!/bin/sh
# The Windows install guide's "Starting" and "Validating" steps with this project's ovsdb-server,
# in a private directory (set OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR as the real tools expect).
# Needs: npm ci done; real ovs-vsctl (Debian's openvswitch-common) for the vsctl steps.
set -e
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/engine/bin"
work=$(mktemp -d)
export OVS_RUNDIR="$work/run" OVS_DBDIR="$work/db" OVS_LOGDIR="$work/log"
mkdir -p "$OVS_RUNDIR" "$OVS_DBDIR" "$OVS_LOGDIR"

# ovsdb-tool create conf.db vswitch.ovsschema
node "$bin/ovsdb-tool" create "$OVS_DBDIR/conf.db" "$here/manifests/vswitch.ovsschema"

# ovsdb-server -vfile:info --remote=punix:db.sock --log-file --pidfile --detach
# (punix:db.sock is relative to the rundir; the default database is $OVS_DBDIR/conf.db)
node "$bin/ovsdb-server" -vfile:info --remote=punix:db.sock --log-file --pidfile --detach
echo "ovsdb-server running as pid $(cat "$OVS_RUNDIR/ovsdb-server.pid")"

db="--db=unix:$OVS_RUNDIR/db.sock"
ovs-vsctl $db --no-wait init
ovs-vsctl $db --no-wait add-br br-int
ovs-vsctl $db --no-wait add-br br-pif
ovs-vsctl $db --no-wait add-port br-int patch-to-pif
ovs-vsctl $db --no-wait set interface patch-to-pif type=patch options:peer=patch-to-int
ovs-vsctl $db --no-wait add-port br-pif patch-to-int
ovs-vsctl $db --no-wait set interface patch-to-int type=patch options:peer=patch-to-pif
ovs-vsctl $db --no-wait add-port br-int ovs-port-a tag=900
ovs-vsctl $db show

# The control socket, found through the pidfile as OVS does.
node "$bin/ovs-appctl" -t ovsdb-server version
node "$bin/ovs-appctl" -t ovsdb-server ovsdb-server/list-remotes
node "$bin/ovs-appctl" -t ovsdb-server vlog/set ANY:file:dbg
node "$bin/ovsdb-client" dump "unix:$OVS_RUNDIR/db.sock" Open_vSwitch Interface name type options
tail -3 "$OVS_LOGDIR/ovsdb-server.log"

# ovs-appctl -t ovsdb-server exit
node "$bin/ovs-appctl" -t ovsdb-server exit
rm -rf "$work"
