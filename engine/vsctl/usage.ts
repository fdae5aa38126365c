// `ovs-vsctl --help`: real ovs-vsctl's text (ovs-vsctl.c usage() and db-ctl-base.c's row-reference
// list), with this package's default --db and log directory, the commands real's text leaves out
// (bond interfaces, zone timeout policies, datapath capabilities), and the options we accept for
// scripts' sake without acting on them said to be so.
import { streamUsage } from '../rpc/stream-usage.js';
import { ROW_IDS } from './row-ids.js';
import type { VsctlSchema } from './schema.js';
import { TABLE_USAGE } from './out-table.js';

export function vsctlUsage(prog: string, defaultDb: string, schema: VsctlSchema | undefined): string {
  return `${prog}: ovs-vswitchd management utility
usage: ${prog} [OPTIONS] COMMAND [ARG...]

Open vSwitch commands:
  init                        initialize database, if not yet initialized
  show                        print overview of database contents
  emer-reset                  reset configuration to clean state

Bridge commands:
  add-br BRIDGE               create a new bridge named BRIDGE
  add-br BRIDGE PARENT VLAN   create new fake BRIDGE in PARENT on VLAN
  del-br BRIDGE               delete BRIDGE and all of its ports
  list-br                     print the names of all the bridges
  br-exists BRIDGE            exit 2 if BRIDGE does not exist
  br-to-vlan BRIDGE           print the VLAN which BRIDGE is on
  br-to-parent BRIDGE         print the parent of BRIDGE
  br-set-external-id BRIDGE KEY VALUE  set KEY on BRIDGE to VALUE
  br-set-external-id BRIDGE KEY  unset KEY on BRIDGE
  br-get-external-id BRIDGE KEY  print value of KEY on BRIDGE
  br-get-external-id BRIDGE  list key-value pairs on BRIDGE

Port commands (a bond is considered to be a single port):
  list-ports BRIDGE           print the names of all the ports on BRIDGE
  add-port BRIDGE PORT        add network device PORT to BRIDGE
  add-bond BRIDGE PORT IFACE...  add bonded port PORT in BRIDGE from IFACES
  add-bond-iface BOND IFACE   add IFACE to bonded port BOND
  del-bond-iface [BOND] IFACE  delete IFACE from bonded port BOND
  del-port [BRIDGE] PORT      delete PORT (which may be bonded) from BRIDGE
  port-to-br PORT             print name of bridge that contains PORT

Interface commands (a bond consists of multiple interfaces):
  list-ifaces BRIDGE          print the names of all interfaces on BRIDGE
  iface-to-br IFACE           print name of bridge that contains IFACE

Controller commands:
  get-controller BRIDGE      print the controllers for BRIDGE
  del-controller BRIDGE      delete the controllers for BRIDGE
  [--inactivity-probe=MSECS]
  set-controller BRIDGE TARGET...  set the controllers for BRIDGE
  get-fail-mode BRIDGE       print the fail-mode for BRIDGE
  del-fail-mode BRIDGE       delete the fail-mode for BRIDGE
  set-fail-mode BRIDGE MODE  set the fail-mode for BRIDGE to MODE

Manager commands:
  get-manager                print the managers
  del-manager                delete the managers
  [--inactivity-probe=MSECS]
  set-manager TARGET...      set the list of managers to TARGET...

SSL commands:
  get-ssl                     print the SSL configuration
  del-ssl                     delete the SSL configuration
  set-ssl PRIV-KEY CERT CA-CERT  set the SSL configuration

Auto Attach commands:
  add-aa-mapping BRIDGE I-SID VLAN   add Auto Attach mapping to BRIDGE
  del-aa-mapping BRIDGE I-SID VLAN   delete Auto Attach mapping VLAN from BRIDGE
  get-aa-mapping BRIDGE              get Auto Attach mappings from BRIDGE

Conntrack zone commands:
  add-zone-tp DP zone=N [ATTR=VALUE]...  set the timeout policy of zone N in datapath DP
  del-zone-tp DP zone=N       delete the timeout policy of zone N in datapath DP
  list-zone-tp DP             print the zone timeout policies of datapath DP
  list-dp-cap DP              print the capabilities of datapath DP

Switch commands:
  emer-reset                  reset switch to known good state

Database commands:
  list TBL [REC]              list RECord (or all records) in TBL
  find TBL CONDITION...       list records satisfying CONDITION in TBL
  get TBL REC COL[:KEY]       print values of COLumns in RECord in TBL
  set TBL REC COL[:KEY]=VALUE set COLumn values in RECord in TBL
  add TBL REC COL [KEY=]VALUE add (KEY=)VALUE to COLumn in RECord in TBL
  remove TBL REC COL [KEY=]VALUE  remove (KEY=)VALUE from COLumn
  clear TBL REC COL           clear values from COLumn in RECord in TBL
  create TBL COL[:KEY]=VALUE  create and initialize new record
  destroy TBL REC             delete RECord from TBL
  wait-until TBL REC [COL[:KEY]=VALUE]  wait until condition is true
Potentially unsafe database commands require --force option.
${schema ? rowReferences(schema) : ''}
Options:
  --db=DATABASE               connect to DATABASE
                              (default: ${defaultDb})
  --no-wait                   do not wait for ovs-vswitchd to reconfigure
  --retry                     keep trying to connect to server forever
  -t, --timeout=SECS          wait at most SECS seconds for ovs-vswitchd
  --dry-run                   do not commit changes to database
  --oneline                   print exactly one line of output per command
${TABLE_USAGE}
Logging options:
  -vSPEC, --verbose=SPEC, -v, --verbose, --log-file[=FILE], --syslog-method=METHOD,
  --syslog-target=HOST:PORT, --no-syslog
                           accepted, with no effect: this ovs-vsctl writes its
                           warnings and errors to stderr only

${streamUsage('database', false)}  --bootstrap-ca-cert=FILE  as --ca-cert (the file must exist)
SSL options:
  --ssl-protocols=PROTOS, --ssl-ciphers=CIPHERS
                          accepted, with no effect: Node's TLS defaults apply

Other options:
  -h, --help                  display this help message
  -V, --version               display version information
`;
}

/** db-ctl-base.c's list: for each table in byte order of name (the order parseVsctlSchema keeps
 *  them in), "by UUID", "as \".\"" for a one-row table, then its name columns (row-ids.ts). */
function rowReferences(schema: VsctlSchema): string {
  let s = 'Database commands may reference a row in each table in the following ways:\n';
  for (const [name, table] of schema.tables) {
    const options = ['by UUID'];
    if (table.maxRows === 1) options.push('as "."');
    const id = ROW_IDS[name];
    if (id) {
      options.push(id.uuidColumn
        ? `via "${id.uuidColumn}"${id.nameTable !== name ? ` of ${id.nameTable}` : ''} with matching "${id.nameColumn}"`
        : `by "${id.nameColumn}"`);
    }
    s += `  ${name}:${options.map((o) => `\n    ${o}`).join('')}\n`;
  }
  return s;
}
