// The Open vSwitch commands of ovs-vsctl (bridges, ports, bonds, interfaces, controllers,
// fail-mode, managers, SSL, emer-reset), as command syntaxes over the replica.
import type { CommandSyntax, Ctx } from './context.js';
import type { VRow } from './replica.js';
import { type Datum, type Atom, sortDatum } from './datum.js';
import { conflict, failed, notFound, usageError, VsctlExit } from './errors.js';
import {
  checkConflicts, findBridge, findIface, findPort, findRealBridge, populateCache, refs, strCol, verifyPorts,
  type VBridge, type VPort,
} from './vswitch-cache.js';
import { setColumn } from './db-commands.js';
import { escapeArgs } from './escape.js';

const INFO_TABLES = ['Open_vSwitch', 'Bridge', 'Port', 'Interface'];
const tablesOf = (...t: string[]) => () => [...INFO_TABLES, ...t];

function str(d: string): Datum { return { keys: [d] }; }
function uuids(rows: VRow[]): Datum {
  // UUID strings are ASCII: the default sort orders them as compareAtom does.
  return { keys: rows.map((r) => r.uuid).sort() };
}
function setRefs(ctx: Ctx, row: VRow, col: string, rows: VRow[]): void {
  ctx.replica.write(row, col, uuids(rows));
}
function refRows(ctx: Ctx, row: VRow, col: string): VRow[] {
  const table = row.table.columns.get(col)?.type.key.refTable as string;
  return refs(ctx.replica, row, col, table);
}

function outputSorted(ctx: Ctx, names: string[]): void {
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const n of names) ctx.output += n + '\n';
  ctx.data = names;
}

function bridgeInsertPort(ctx: Ctx, br: VRow, port: VRow): void {
  setRefs(ctx, br, 'ports', [...refRows(ctx, br, 'ports'), port]);
}
function bridgeDeletePort(ctx: Ctx, br: VRow, port: VRow): void {
  const u = ctx.replica.read(br, 'ports').keys.filter((k) => k !== port.uuid);
  ctx.replica.write(br, 'ports', { keys: u });
}

function cmdAddBr(ctx: Ctx): void {
  const mayExist = ctx.has('--may-exist');
  const brName = ctx.argv[1] as string;
  if (!brName) throw failed('bridge name must not be empty string');
  let parentName: string | undefined;
  let vlan = 0;
  if (ctx.argv.length === 2) {
    // no parent
  } else if (ctx.argv.length === 4) {
    parentName = ctx.argv[2] as string;
    vlan = atoi(ctx.argv[3] as string);
    if (vlan < 0 || vlan > 4095) throw failed(`${ctx.argv[0]}: vlan must be between 0 and 4095`);
  } else {
    throw failed(`'${ctx.argv[0]}' command takes exactly 1 or 3 arguments`);
  }
  populateCache(ctx);
  if (mayExist) {
    const br = findBridge(ctx, brName, false);
    if (br) {
      if (parentName === undefined) {
        if (br.parent) throw conflict(`"--may-exist add-br ${brName}" but ${brName} is a VLAN bridge for VLAN ${br.vlan}`);
      } else if (!br.parent) {
        throw conflict(`"--may-exist add-br ${brName} ${parentName} ${vlan}" but ${brName} is not a VLAN bridge`);
      } else if (br.parent.name !== parentName) {
        throw conflict(`"--may-exist add-br ${brName} ${parentName} ${vlan}" but ${brName} has the wrong parent ${br.parent.name}`);
      } else if (br.vlan !== vlan) {
        throw conflict(`"--may-exist add-br ${brName} ${parentName} ${vlan}" but ${brName} is a VLAN bridge for the wrong VLAN ${br.vlan}`);
      }
      return;
    }
  }
  checkConflicts(ctx, brName, `cannot create a bridge named ${brName}`);
  const r = ctx.replica;
  const iface = r.insert('Interface');
  r.write(iface, 'name', str(brName));
  r.write(iface, 'type', str('internal'));
  const port = r.insert('Port');
  r.write(port, 'name', str(brName));
  r.write(port, 'interfaces', uuids([iface]));
  if (parentName === undefined) {
    const br = r.insert('Bridge');
    r.write(br, 'name', str(brName));
    r.write(br, 'ports', uuids([port]));
    setRefs(ctx, ctx.ovs, 'bridges', [...refRows(ctx, ctx.ovs, 'bridges'), br]);
  } else {
    const parent = findBridge(ctx, parentName, false);
    if (parent && parent.parent) throw failed('cannot create bridge with fake bridge as parent');
    if (!parent) throw notFound(`parent bridge ${parentName} does not exist`);
    const c = parent.children.get(vlan);
    if (c) throw conflict(`bridge ${parentName} already has a child VLAN bridge ${c.name} on VLAN ${vlan}`);
    r.write(port, 'fake_bridge', { keys: [true] });
    r.write(port, 'tag', { keys: [vlan] });
    bridgeInsertPort(ctx, parent.brCfg as VRow, port);
  }
  ctx.s.newIfaces.push(iface);
  ctx.invalidateCache();
}

function atoi(s: string): number {
  const m = /^\s*[+-]?\d+/.exec(s);
  return m ? parseInt(m[0], 10) | 0 : 0;
}

function delPort(ctx: Ctx, port: VPort): void {
  const c = populateCache(ctx);
  const owner = port.bridge.parent ? port.bridge.parent.brCfg : port.bridge.brCfg;
  bridgeDeletePort(ctx, owner as VRow, port.portCfg);
  for (const i of [...port.ifaces]) {
    c.removeIface(strCol(ctx.replica, i.ifaceCfg, 'name'));
    ctx.replica.delete(i.ifaceCfg);
  }
  c.setPortIfaces(port, []);
  c.setBridgePorts(port.bridge, port.bridge.ports.filter((p) => p !== port));
  c.removePort(strCol(ctx.replica, port.portCfg, 'name'));
  ctx.replica.delete(port.portCfg);
}

function delBridge(ctx: Ctx, br: VBridge): void {
  const c = populateCache(ctx);
  for (const child of [...br.children.values()]) delBridge(ctx, child);
  for (const p of [...br.ports]) delPort(ctx, p);
  if (br.brCfg && ctx.replica.isLoaded('Flow_Sample_Collector_Set')) {
    for (const f of ctx.replica.rows('Flow_Sample_Collector_Set')) {
      if (ctx.replica.read(f, 'bridge').keys[0] === br.brCfg.uuid) ctx.replica.delete(f);
    }
  }
  if (br.parent) c.removeChild(br.parent, br.vlan);
  if (br.brCfg) {
    ctx.replica.delete(br.brCfg);
    const keep = ctx.replica.read(ctx.ovs, 'bridges').keys.filter((k) => k !== br.brCfg?.uuid);
    ctx.replica.write(ctx.ovs, 'bridges', { keys: keep });
  }
  c.removeBridge(br.name);
}

function cmdDelBr(ctx: Ctx): void {
  const br = findBridge(ctx, ctx.argv[1] as string, !ctx.has('--if-exists'));
  if (br) delBridge(ctx, br);
}

function cmdListBr(ctx: Ctx): void {
  let real = ctx.has('--real'), fake = ctx.has('--fake');
  if (!real && !fake) real = fake = true;
  const c = populateCache(ctx);
  outputSorted(ctx, [...c.bridges.values()].filter((b) => (b.parent ? fake : real)).map((b) => b.name));
}

function cmdBrExists(ctx: Ctx): void {
  populateCache(ctx);
  const found = !!findBridge(ctx, ctx.argv[1] as string, false);
  ctx.data = found;
  if (!found) throw new VsctlExit(2);
}

function mapGet(d: Datum, key: string): string | undefined {
  const i = d.keys.indexOf(key);
  return i < 0 ? undefined : String((d.values as Atom[])[i]);
}
function mapSet(d: Datum, key: string, value: string | undefined): Datum {
  const keys = [...d.keys], values = [...(d.values ?? [])];
  const i = keys.indexOf(key);
  if (i >= 0) { keys.splice(i, 1); values.splice(i, 1); }
  if (value !== undefined) { keys.push(key); values.push(value); }
  const r: Datum = { keys, values };
  sortDatum(r);
  return r;
}

function cmdBrSetExternalId(ctx: Ctx): void {
  const br = findBridge(ctx, ctx.argv[1] as string, true) as VBridge;
  const value = ctx.argv.length >= 4 ? ctx.argv[3] : undefined;
  const r = ctx.replica;
  if (br.brCfg) {
    const nd = mapSet(r.read(br.brCfg, 'external_ids'), ctx.argv[2] as string, value);
    r.verify(br.brCfg, 'external_ids');
    r.write(br.brCfg, 'external_ids', nd);
  } else {
    const port = (populateCache(ctx).ports.get(ctx.argv[1] as string) as VPort).portCfg;
    const nd = mapSet(r.read(port, 'external_ids'), `fake-bridge-${ctx.argv[2]}`, value);
    r.verify(port, 'external_ids');
    r.write(port, 'external_ids', nd);
  }
}

function getExternalId(ctx: Ctx, d: Datum, prefix: string, key: string | undefined): void {
  if (key !== undefined) {
    const v = mapGet(d, prefix + key);
    if (v !== undefined) ctx.output += v + '\n';
    ctx.data = v;
  } else {
    const out: Record<string, string> = {};
    d.keys.forEach((k, i) => {
      const ks = String(k);
      if (ks.startsWith(prefix)) {
        ctx.output += `${ks.slice(prefix.length)}=${String((d.values as Atom[])[i])}\n`;
        out[ks.slice(prefix.length)] = String((d.values as Atom[])[i]);
      }
    });
    ctx.data = out;
  }
}

function cmdBrGetExternalId(ctx: Ctx): void {
  const br = findBridge(ctx, ctx.argv[1] as string, true) as VBridge;
  const key = ctx.argv.length >= 3 ? ctx.argv[2] : undefined;
  const r = ctx.replica;
  if (br.brCfg) {
    r.verify(br.brCfg, 'external_ids');
    getExternalId(ctx, r.read(br.brCfg, 'external_ids'), '', key);
  } else {
    const port = (populateCache(ctx).ports.get(ctx.argv[1] as string) as VPort).portCfg;
    r.verify(port, 'external_ids');
    getExternalId(ctx, r.read(port, 'external_ids'), 'fake-bridge-', key);
  }
}

function cmdListPorts(ctx: Ctx): void {
  const br = findBridge(ctx, ctx.argv[1] as string, true) as VBridge;
  ctx.replica.verify((br.brCfg ?? br.parent?.brCfg) as VRow, 'ports');
  outputSorted(ctx, br.ports.map((p) => strCol(ctx.replica, p.portCfg, 'name')).filter((n) => n !== br.name));
}

function sortedNames(a: string[]): string[] {
  return [...a].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

function addPort(ctx: Ctx, brName: string, portName: string, mayExist: boolean, fakeIface: boolean, ifaceNames: string[], settings: string[]): void {
  if (!portName) throw failed('port name must not be empty string');
  for (const n of ifaceNames) if (!n) throw failed('interface name must not be empty string');
  const r = ctx.replica;
  populateCache(ctx);
  if (mayExist) {
    const vp = findPort(ctx, portName, false);
    if (vp) {
      const want = sortedNames(ifaceNames);
      const have = sortedNames(refs(r, vp.portCfg, 'interfaces', 'Interface').map((i) => strCol(r, i, 'name')));
      if (vp.bridge.name !== brName) {
        throw conflict(`"${commandString(ctx)}" but ${portName} is actually attached to bridge ${vp.bridge.name}`);
      }
      if (want.join('\0') !== have.join('\0')) {
        throw conflict(`"${commandString(ctx)}" but ${portName} actually has interface(s) ${have.join(', ')}`);
      }
      return;
    }
  }
  checkConflicts(ctx, portName, `cannot create a port named ${portName}`);
  for (const n of ifaceNames) checkConflicts(ctx, n, `cannot create an interface named ${n}`);
  const bridge = findBridge(ctx, brName, true) as VBridge;
  const ifaces = ifaceNames.map((n) => {
    const i = r.insert('Interface');
    r.write(i, 'name', str(n));
    ctx.s.newIfaces.push(i);
    return i;
  });
  const port = r.insert('Port');
  r.write(port, 'name', str(portName));
  r.write(port, 'interfaces', uuids(ifaces));
  r.write(port, 'bond_fake_iface', { keys: [fakeIface] });
  if (bridge.parent) r.write(port, 'tag', { keys: [bridge.vlan] });
  for (const s of settings) setColumn(ctx, r.schema.tables.get('Port')!, port, s, false);
  bridgeInsertPort(ctx, (bridge.parent ? bridge.parent.brCfg : bridge.brCfg) as VRow, port);
  const c = populateCache(ctx);
  const vp = c.addPort(bridge, port);
  for (const i of ifaces) c.addIface(vp, i);
}

/** vsctl_context_to_string: the command's options and arguments, shell-escaped. */
function commandString(ctx: Ctx): string {
  return escapeArgs([...ctx.options.keys(), ...ctx.argv]);
}

function cmdAddPort(ctx: Ctx): void {
  addPort(ctx, ctx.argv[1] as string, ctx.argv[2] as string, ctx.has('--may-exist'), false,
    [ctx.argv[2] as string], ctx.argv.slice(3));
}

function cmdAddBond(ctx: Ctx): void {
  let nIfaces = ctx.argv.length - 3;
  for (let i = 3; i < ctx.argv.length; i++) {
    if ((ctx.argv[i] as string).includes('=')) { nIfaces = i - 3; break; }
  }
  if (nIfaces < 2) throw failed(`add-bond requires at least 2 interfaces, but only ${nIfaces} were specified`);
  addPort(ctx, ctx.argv[1] as string, ctx.argv[2] as string, ctx.has('--may-exist'), ctx.has('--fake-iface'),
    ctx.argv.slice(3, 3 + nIfaces), ctx.argv.slice(3 + nIfaces));
}

function cmdAddBondIface(ctx: Ctx): void {
  populateCache(ctx);
  const port = findPort(ctx, ctx.argv[1] as string, true) as VPort;
  const ifaceName = ctx.argv[2] as string;
  if (ctx.has('--may-exist')) {
    const iface = findIface(ctx, ifaceName, false);
    if (iface) {
      if (iface.port === port) return;
      throw conflict(`"${commandString(ctx)}" but ${ifaceName} is actually attached to port ${strCol(ctx.replica, iface.port.portCfg, 'name')}`);
    }
  }
  checkConflicts(ctx, ifaceName, `cannot create an interface named ${ifaceName}`);
  const r = ctx.replica;
  const iface = r.insert('Interface');
  r.write(iface, 'name', str(ifaceName));
  const cur = r.read(port.portCfg, 'interfaces');
  const d: Datum = { keys: [...cur.keys, iface.uuid] };
  sortDatum(d);
  r.write(port.portCfg, 'interfaces', d);
  ctx.s.newIfaces.push(iface);
  populateCache(ctx).addIface(port, iface);
}

function cmdDelBondIface(ctx: Ctx): void {
  populateCache(ctx);
  const ifaceName = ctx.argv[ctx.argv.length - 1] as string;
  const mustExist = !ctx.has('--if-exists');
  const iface = findIface(ctx, ifaceName, mustExist);
  if (!iface) return;
  if (ctx.argv.length > 2) {
    const port = findPort(ctx, ctx.argv[1] as string, true);
    if (iface.port !== port) throw failed(`port ${ctx.argv[1]} does not have an interface ${ifaceName}`);
  }
  if (iface.port.ifaces.length <= 1) throw failed(`cannot delete last interface from port ${strCol(ctx.replica, iface.port.portCfg, 'name')}`);
  const r = ctx.replica;
  const cur = r.read(iface.port.portCfg, 'interfaces');
  r.write(iface.port.portCfg, 'interfaces', { keys: cur.keys.filter((k) => k !== iface.ifaceCfg.uuid) });
  const c = populateCache(ctx);
  c.setPortIfaces(iface.port, iface.port.ifaces.filter((i) => i !== iface));
  c.removeIface(ifaceName);
  r.delete(iface.ifaceCfg);
}

function cmdDelPort(ctx: Ctx): void {
  const mustExist = !ctx.has('--if-exists');
  const withIface = ctx.has('--with-iface');
  const target = ctx.argv[ctx.argv.length - 1] as string;
  populateCache(ctx);
  let port: VPort | undefined;
  if (findBridge(ctx, target, false)) {
    if (mustExist) throw failed(`cannot delete port ${target} because it is the local port for bridge ${target} (deleting this port requires deleting the entire bridge)`);
  } else if (!withIface) {
    port = findPort(ctx, target, mustExist);
  } else {
    port = findPort(ctx, target, false);
    if (!port) port = findIface(ctx, target, false)?.port;
    if (mustExist && !port) throw notFound(`no port or interface named ${target}`);
  }
  if (port) {
    if (ctx.argv.length === 3) {
      const bridge = findBridge(ctx, ctx.argv[1] as string, true);
      if (port.bridge !== bridge) {
        if (port.bridge.parent === bridge) throw failed(`bridge ${ctx.argv[1]} does not have a port ${ctx.argv[2]} (although its child bridge ${port.bridge.name} does)`);
        throw failed(`bridge ${ctx.argv[1]} does not have a port ${ctx.argv[2]}`);
      }
    }
    delPort(ctx, port);
  }
}

function cmdPortToBr(ctx: Ctx): void {
  const port = findPort(ctx, ctx.argv[1] as string, true) as VPort;
  ctx.output = port.bridge.name + '\n';
  ctx.data = port.bridge.name;
}

function cmdBrToVlan(ctx: Ctx): void {
  const br = findBridge(ctx, ctx.argv[1] as string, true) as VBridge;
  ctx.output = `${br.vlan}\n`;
  ctx.data = br.vlan;
}

function cmdBrToParent(ctx: Ctx): void {
  let br = findBridge(ctx, ctx.argv[1] as string, true) as VBridge;
  if (br.parent) br = br.parent;
  ctx.output = br.name + '\n';
  ctx.data = br.name;
}

function cmdListIfaces(ctx: Ctx): void {
  const br = findBridge(ctx, ctx.argv[1] as string, true) as VBridge;
  verifyPorts(ctx);
  const names: string[] = [];
  for (const p of br.ports) for (const i of p.ifaces) {
    const n = strCol(ctx.replica, i.ifaceCfg, 'name');
    if (n !== br.name) names.push(n);
  }
  outputSorted(ctx, names);
}

function cmdIfaceToBr(ctx: Ctx): void {
  const iface = findIface(ctx, ctx.argv[1] as string, true);
  const name = iface!.port.bridge.name;
  ctx.output = name + '\n';
  ctx.data = name;
}

function verifyControllers(ctx: Ctx, br: VRow): void {
  ctx.replica.verify(br, 'controller');
  for (const c of refRows(ctx, br, 'controller')) ctx.replica.verify(c, 'target');
}

function cmdGetController(ctx: Ctx): void {
  let br = findBridge(ctx, ctx.argv[1] as string, true) as VBridge;
  if (br.parent) br = br.parent;
  verifyControllers(ctx, br.brCfg as VRow);
  outputSorted(ctx, refRows(ctx, br.brCfg as VRow, 'controller').map((c) => strCol(ctx.replica, c, 'target')));
}

function cmdDelController(ctx: Ctx): void {
  const br = (findRealBridge(ctx, ctx.argv[1] as string, true) as VBridge).brCfg as VRow;
  verifyControllers(ctx, br);
  const cs = refRows(ctx, br, 'controller');
  if (cs.length) {
    for (const c of cs) ctx.replica.delete(c);
    ctx.replica.write(br, 'controller', { keys: [] });
  }
}

function probe(ctx: Ctx): number | undefined {
  const p = ctx.opt('--inactivity-probe');
  if (p === undefined) return undefined;
  const m = /^\s*[+-]?\d+/.exec(p);
  return m ? parseInt(m[0], 10) : 0;
}

function cmdSetController(ctx: Ctx): void {
  const br = (findRealBridge(ctx, ctx.argv[1] as string, true) as VBridge).brCfg as VRow;
  verifyControllers(ctx, br);
  for (const c of refRows(ctx, br, 'controller')) ctx.replica.delete(c);
  const msecs = probe(ctx);
  const rows = ctx.argv.slice(2).map((t) => {
    if (!isValidTarget(t, true)) ctx.s.warn('vsctl', `target type "${t}" is possibly erroneous`);
    const c = ctx.replica.insert('Controller');
    ctx.replica.write(c, 'target', str(t));
    if (msecs !== undefined) ctx.replica.write(c, 'inactivity_probe', { keys: [msecs] });
    return c;
  });
  setRefs(ctx, br, 'controller', rows);
}

/** vconn/pvconn (controller) or stream/pstream (manager) name check: "type:..." with a known type. */
function isValidTarget(t: string, openflow: boolean): boolean {
  const types = openflow ? ['tcp', 'ssl', 'unix', 'ptcp', 'pssl', 'punix'] : ['tcp', 'ssl', 'unix', 'ptcp', 'pssl', 'punix'];
  const i = t.indexOf(':');
  return i > 0 && types.includes(t.slice(0, i));
}

function cmdGetFailMode(ctx: Ctx): void {
  let br = findBridge(ctx, ctx.argv[1] as string, true) as VBridge;
  if (br.parent) br = br.parent;
  ctx.replica.verify(br.brCfg as VRow, 'fail_mode');
  const m = strCol(ctx.replica, br.brCfg as VRow, 'fail_mode');
  if (m) ctx.output = m + '\n';
  ctx.data = m || undefined;
}

function cmdDelFailMode(ctx: Ctx): void {
  const br = findRealBridge(ctx, ctx.argv[1] as string, true) as VBridge;
  ctx.replica.write(br.brCfg as VRow, 'fail_mode', { keys: [] });
}

function cmdSetFailMode(ctx: Ctx): void {
  const br = findRealBridge(ctx, ctx.argv[1] as string, true) as VBridge;
  const mode = ctx.argv[2] as string;
  if (mode !== 'standalone' && mode !== 'secure') throw failed('fail-mode must be "standalone" or "secure"');
  ctx.replica.write(br.brCfg as VRow, 'fail_mode', str(mode));
}

function verifyManagers(ctx: Ctx): void {
  ctx.replica.verify(ctx.ovs, 'manager_options');
  for (const m of refRows(ctx, ctx.ovs, 'manager_options')) ctx.replica.verify(m, 'target');
}

function cmdGetManager(ctx: Ctx): void {
  verifyManagers(ctx);
  const t = [...new Set(refRows(ctx, ctx.ovs, 'manager_options').map((m) => strCol(ctx.replica, m, 'target')))];
  outputSorted(ctx, t);
}

function deleteManagers(ctx: Ctx): void {
  for (const m of refRows(ctx, ctx.ovs, 'manager_options')) ctx.replica.delete(m);
  ctx.replica.write(ctx.ovs, 'manager_options', { keys: [] });
}

function cmdDelManager(ctx: Ctx): void {
  verifyManagers(ctx);
  deleteManagers(ctx);
}

function cmdSetManager(ctx: Ctx): void {
  verifyManagers(ctx);
  deleteManagers(ctx);
  const msecs = probe(ctx);
  const rows = ctx.argv.slice(1).map((t) => {
    if (!isValidTarget(t, false)) ctx.s.warn('vsctl', `target type "${t}" is possibly erroneous`);
    const m = ctx.replica.insert('Manager');
    ctx.replica.write(m, 'target', str(t));
    if (msecs !== undefined) ctx.replica.write(m, 'inactivity_probe', { keys: [msecs] });
    return m;
  });
  setRefs(ctx, ctx.ovs, 'manager_options', rows);
}

function cmdGetSsl(ctx: Ctx): void {
  const r = ctx.replica;
  r.verify(ctx.ovs, 'ssl');
  const ssl = refRows(ctx, ctx.ovs, 'ssl')[0];
  if (ssl) {
    for (const c of ['private_key', 'certificate', 'ca_cert', 'bootstrap_ca_cert']) r.verify(ssl, c);
    ctx.output += `Private key: ${strCol(r, ssl, 'private_key')}\n`;
    ctx.output += `Certificate: ${strCol(r, ssl, 'certificate')}\n`;
    ctx.output += `CA Certificate: ${strCol(r, ssl, 'ca_cert')}\n`;
    ctx.output += `Bootstrap: ${r.read(ssl, 'bootstrap_ca_cert').keys[0] === true ? 'true' : 'false'}\n`;
  }
}

function cmdDelSsl(ctx: Ctx): void {
  const ssl = refRows(ctx, ctx.ovs, 'ssl')[0];
  if (ssl) {
    ctx.replica.verify(ctx.ovs, 'ssl');
    ctx.replica.delete(ssl);
    ctx.replica.write(ctx.ovs, 'ssl', { keys: [] });
  }
}

function cmdSetSsl(ctx: Ctx): void {
  const r = ctx.replica;
  r.verify(ctx.ovs, 'ssl');
  const old = refRows(ctx, ctx.ovs, 'ssl')[0];
  if (old) r.delete(old);
  const ssl = r.insert('SSL');
  r.write(ssl, 'private_key', str(ctx.argv[1] as string));
  r.write(ssl, 'certificate', str(ctx.argv[2] as string));
  r.write(ssl, 'ca_cert', str(ctx.argv[3] as string));
  r.write(ssl, 'bootstrap_ca_cert', { keys: [ctx.has('--bootstrap')] });
  r.write(ctx.ovs, 'ssl', { keys: [ssl.uuid] });
}

const ZONE_TABLES = ['Datapath', 'CT_Zone', 'CT_Timeout_Policy'];
const RESET_DELETE = ['Mirror', 'Controller', 'Manager', 'NetFlow', 'SSL', 'sFlow', 'IPFIX', 'Flow_Sample_Collector_Set'];

function cmdEmerReset(ctx: Ctx): void {
  const r = ctx.replica;
  r.write(ctx.ovs, 'manager_options', { keys: [] });
  r.write(ctx.ovs, 'ssl', { keys: [] });
  for (const br of r.rows('Bridge')) {
    for (const c of ['controller', 'fail_mode', 'mirrors', 'netflow', 'sflow', 'ipfix', 'flood_vlans']) r.write(br, c, { keys: [] });
    const hw = mapGet(r.read(br, 'other_config'), 'hwaddr');
    r.write(br, 'other_config', hw === undefined ? { keys: [], values: [] } : { keys: ['hwaddr'], values: [hw] });
  }
  for (const p of r.rows('Port')) r.write(p, 'other_config', { keys: [], values: [] });
  for (const i of r.rows('Interface')) {
    r.write(i, 'ingress_policing_rate', { keys: [0] });
    r.write(i, 'ingress_policing_burst', { keys: [0] });
  }
  for (const t of RESET_DELETE) for (const row of r.rows(t)) r.delete(row);
  ctx.invalidateCache();
}

// ---------------------------------------------------------------- Auto Attach

/** strtoull(s, &end, 10) as ovs-vsctl uses it: leading space and sign allowed, trailing text
 *  ignored; undefined when no digits were consumed. */
function strtoull(s: string): number | undefined {
  const m = /^\s*([+-]?)(\d+)/.exec(s);
  if (!m) return undefined;
  const v = Number(m[2]);
  return m[1] === '-' ? -v : v;
}

function aaArgs(ctx: Ctx): [number, number] {
  const isid = strtoull(ctx.argv[2] as string);
  if (isid === undefined) throw failed(`Invalid argument ${ctx.argv[2]}`);
  const vlan = strtoull(ctx.argv[3] as string);
  if (vlan === undefined) throw failed(`Invalid argument ${ctx.argv[3]}`);
  return [isid, vlan];
}

function realBridgeOf(ctx: Ctx): VBridge {
  let br = findBridge(ctx, ctx.argv[1] as string, true) as VBridge;
  if (br.parent) br = br.parent;
  return br;
}

function cmdAddAaMapping(ctx: Ctx): void {
  const [isid, vlan] = aaArgs(ctx);
  const br = realBridgeOf(ctx);
  if (!br.brCfg) return;
  const r = ctx.replica;
  let aa = refRows(ctx, br.brCfg, 'auto_attach')[0];
  if (!aa) {
    aa = r.insert('AutoAttach');
    r.write(br.brCfg, 'auto_attach', { keys: [aa.uuid] });
  }
  const cur = r.read(aa, 'mappings');
  const d: Datum = { keys: [...cur.keys, isid], values: [...(cur.values ?? []), vlan] };
  sortDatum(d);
  r.write(aa, 'mappings', d);
}

function cmdDelAaMapping(ctx: Ctx): void {
  const [isid, vlan] = aaArgs(ctx);
  const br = realBridgeOf(ctx);
  if (!br.brCfg) return;
  const aa = refRows(ctx, br.brCfg, 'auto_attach')[0];
  if (!aa) return;
  const r = ctx.replica;
  const cur = r.read(aa, 'mappings');
  const vals = cur.values ?? [];
  if (!cur.keys.some((k, i) => k === isid && vals[i] === vlan)) return;
  // Like ovs-vsctl: keeps only the pairs whose key AND value both differ from the arguments.
  const keys: Atom[] = [], values: Atom[] = [];
  cur.keys.forEach((k, i) => {
    if (k !== isid && vals[i] !== vlan) { keys.push(k); values.push(vals[i] as Atom); }
  });
  r.write(aa, 'mappings', { keys, values });
}

function cmdGetAaMapping(ctx: Ctx): void {
  const br = realBridgeOf(ctx);
  if (!br.brCfg) return;
  const r = ctx.replica;
  r.verify(br.brCfg, 'auto_attach');
  const aa = refRows(ctx, br.brCfg, 'auto_attach')[0];
  const pairs: Array<[number, number]> = [];
  if (aa) {
    r.verify(aa, 'mappings');
    const d = r.read(aa, 'mappings');
    d.keys.forEach((k, i) => {
      pairs.push([k as number, (d.values as Atom[])[i] as number]);
      ctx.output += `${k} ${(d.values as Atom[])[i]}\n`;
    });
  }
  ctx.data = pairs;
}

// ---------------------------------------------------------------- conntrack zones, dp caps

function findDatapath(ctx: Ctx, name: string): VRow | undefined {
  const d = ctx.replica.read(ctx.ovs, 'datapaths');
  const i = d.keys.indexOf(name);
  return i < 0 ? undefined : ctx.replica.get('Datapath', (d.values as Atom[])[i] as string);
}

/** ovs_scan(arg, "zone=%"SCNi64): decimal, 0x hex or 0 octal; 0 when it does not match. */
function zoneId(arg: string): number {
  const m = /^zone=\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(arg);
  if (!m) return 0;
  const body = m[2] as string;
  const v = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : body.length > 1 && body.startsWith('0') ? parseInt(body, 8) : parseInt(body, 10);
  return m[1] === '-' ? -v : v;
}

function findZone(ctx: Ctx, dp: VRow, zone: number): VRow | undefined {
  const d = ctx.replica.read(dp, 'ct_zones');
  const i = d.keys.indexOf(zone);
  return i < 0 ? undefined : ctx.replica.get('CT_Zone', (d.values as Atom[])[i] as string);
}

function cmdAddZoneTp(ctx: Ctx): void {
  const dpName = ctx.argv[1] as string;
  const zone = zoneId(ctx.argv[2] as string);
  const dp = findDatapath(ctx, dpName);
  if (!dp) throw notFound(`datapath ${dpName} does not exist`);
  const tps = ctx.argv.slice(3);
  const z = findZone(ctx, dp, zone);
  if (tps.length <= 0) throw failed('No timeout policy');
  if (z && !ctx.has('--may-exist')) throw conflict(`zone id ${zone} already exists`);
  const want = new Map<string, number>();
  for (const t of tps) {
    const eq = t.indexOf('=');
    if (eq < 0) break;
    want.set(t.slice(0, eq), parseInt(t.slice(eq + 1), 10) || 0);
  }
  const r = ctx.replica;
  let tp = r.rows('CT_Timeout_Policy').find((row) => {
    const d = r.read(row, 'timeouts');
    return d.keys.length === want.size && d.keys.every((k, i) => want.get(k as string) === (d.values as Atom[])[i]);
  });
  if (!tp) {
    tp = r.insert('CT_Timeout_Policy');
    const d: Datum = { keys: [...want.keys()], values: [...want.values()] };
    sortDatum(d);
    r.write(tp, 'timeouts', d);
  }
  if (z) {
    r.write(z, 'timeout_policy', { keys: [tp.uuid] });
  } else {
    const nz = r.insert('CT_Zone');
    r.write(nz, 'timeout_policy', { keys: [tp.uuid] });
    const cur = r.read(dp, 'ct_zones');
    if (cur.keys.includes(zone)) r.mutate(dp, 'ct_zones', 'delete', { keys: [zone] });
    r.mutate(dp, 'ct_zones', 'insert', { keys: [zone], values: [nz.uuid] });
  }
}

function cmdDelZoneTp(ctx: Ctx): void {
  const dpName = ctx.argv[1] as string;
  const zone = zoneId(ctx.argv[2] as string);
  const dp = findDatapath(ctx, dpName);
  if (!dp) throw notFound(`datapath ${dpName} does not exist`);
  const z = findZone(ctx, dp, zone);
  if (!ctx.has('--if-exists') && !z) throw notFound(`zone id ${zone} does not exist`);
  if (z) ctx.replica.mutate(dp, 'ct_zones', 'delete', { keys: [zone] });
}

function cmdListZoneTp(ctx: Ctx): void {
  const dp = findDatapath(ctx, ctx.argv[1] as string);
  if (!dp) throw notFound(`datapath: ${ctx.argv[1]} record not found`);
  const r = ctx.replica;
  const zones = r.read(dp, 'ct_zones');
  zones.keys.forEach((k, i) => {
    let line = `Zone:${k}, Timeout Policies: `;
    const z = r.get('CT_Zone', (zones.values as Atom[])[i] as string);
    const tp = z ? refRows(ctx, z, 'timeout_policy')[0] : undefined;
    if (tp) {
      const t = r.read(tp, 'timeouts');
      t.keys.forEach((tk, j) => { line += `${tk}=${(t.values as Atom[])[j]} `; });
    } else line += 'system default';
    ctx.output += line.replace(/ $/, '') + '\n';
  });
}

function cmdListDpCap(ctx: Ctx): void {
  const dp = findDatapath(ctx, ctx.argv[1] as string);
  if (!dp) throw notFound(`datapath "${ctx.argv[1]}" record not found`);
  const d = ctx.replica.read(dp, 'capabilities');
  // ovs-vsctl walks the smap in hash order; we print in key order.
  ctx.output = d.keys.map((k, i) => `${k}=${(d.values as Atom[])[i]}`).join(' ') + '\n';
  ctx.data = Object.fromEntries(d.keys.map((k, i) => [k, (d.values as Atom[])[i]]));
}

function cmdInit(): void { /* the Open_vSwitch row is created by the executor when missing */ }

const ro = 'RO' as const, rw = 'RW' as const;
type Def = [string, number, number, string, string, typeof ro | typeof rw, (ctx: Ctx) => void, string[]?];
const DEFS: Def[] = [
  ['init', 0, 0, '', '', rw, cmdInit, []],
  ['add-br', 1, 3, 'NEW-BRIDGE [PARENT] [NEW-VLAN]', '--may-exist', rw, cmdAddBr],
  ['del-br', 1, 1, 'BRIDGE', '--if-exists', rw, cmdDelBr, ['Flow_Sample_Collector_Set']],
  ['list-br', 0, 0, '', '--real,--fake', ro, cmdListBr],
  ['br-exists', 1, 1, 'BRIDGE', '', ro, cmdBrExists],
  ['br-to-vlan', 1, 1, 'BRIDGE', '', ro, cmdBrToVlan],
  ['br-to-parent', 1, 1, 'BRIDGE', '', ro, cmdBrToParent],
  ['br-set-external-id', 2, 3, 'BRIDGE KEY [VALUE]', '', rw, cmdBrSetExternalId],
  ['br-get-external-id', 1, 2, 'BRIDGE [KEY]', '', ro, cmdBrGetExternalId],
  ['list-ports', 1, 1, 'BRIDGE', '', ro, cmdListPorts],
  ['add-port', 2, Infinity, 'BRIDGE NEW-PORT [COLUMN[:KEY]=VALUE]...', '--may-exist', rw, cmdAddPort],
  ['del-port', 1, 2, '[BRIDGE] PORT|IFACE', '--if-exists,--with-iface', rw, cmdDelPort],
  ['port-to-br', 1, 1, 'PORT', '', ro, cmdPortToBr],
  ['add-bond', 4, Infinity, 'BRIDGE BOND IFACE... [COLUMN[:KEY]=VALUE]...', '--may-exist,--fake-iface', rw, cmdAddBond],
  ['add-bond-iface', 2, 2, 'BOND IFACE', '--may-exist', rw, cmdAddBondIface],
  ['del-bond-iface', 1, 2, '[BOND] IFACE', '--if-exists', rw, cmdDelBondIface],
  ['list-ifaces', 1, 1, 'BRIDGE', '', ro, cmdListIfaces],
  ['iface-to-br', 1, 1, 'IFACE', '', ro, cmdIfaceToBr],
  ['get-controller', 1, 1, 'BRIDGE', '', ro, cmdGetController, ['Controller']],
  ['del-controller', 1, 1, 'BRIDGE', '', rw, cmdDelController, ['Controller']],
  ['set-controller', 1, Infinity, 'BRIDGE TARGET...', '--inactivity-probe=', rw, cmdSetController, ['Controller']],
  ['get-fail-mode', 1, 1, 'BRIDGE', '', ro, cmdGetFailMode],
  ['del-fail-mode', 1, 1, 'BRIDGE', '', rw, cmdDelFailMode],
  ['set-fail-mode', 2, 2, 'BRIDGE MODE', '', rw, cmdSetFailMode],
  ['get-manager', 0, 0, '', '', ro, cmdGetManager, ['Manager']],
  ['del-manager', 0, 0, '', '', rw, cmdDelManager, ['Manager']],
  ['set-manager', 1, Infinity, 'TARGET...', '--inactivity-probe=', rw, cmdSetManager, ['Manager']],
  ['get-ssl', 0, 0, '', '', ro, cmdGetSsl, ['SSL']],
  ['del-ssl', 0, 0, '', '', rw, cmdDelSsl, ['SSL']],
  ['set-ssl', 3, 3, 'PRIVATE-KEY CERTIFICATE CA-CERT', '--bootstrap', rw, cmdSetSsl, ['SSL']],
  ['add-aa-mapping', 3, 3, 'BRIDGE ARG ARG', '', rw, cmdAddAaMapping, ['AutoAttach']],
  ['del-aa-mapping', 3, 3, 'BRIDGE ARG ARG', '', rw, cmdDelAaMapping, ['AutoAttach']],
  ['get-aa-mapping', 1, 1, 'BRIDGE', '', ro, cmdGetAaMapping, ['AutoAttach']],
  ['emer-reset', 0, 0, '', '', rw, cmdEmerReset, RESET_DELETE],
  ['add-zone-tp', 3, Infinity, '', '--may-exist', rw, cmdAddZoneTp, ZONE_TABLES],
  ['del-zone-tp', 2, 2, '', '--if-exists', rw, cmdDelZoneTp, ZONE_TABLES],
  ['list-zone-tp', 1, 1, '', '', ro, cmdListZoneTp, ZONE_TABLES],
  ['list-dp-cap', 1, 1, '', '', ro, cmdListDpCap, ['Datapath']],
];

export const VSWITCH_COMMANDS: CommandSyntax[] = DEFS.map(([name, minArgs, maxArgs, args, options, mode, run, extra]) => ({
  name, minArgs, maxArgs, arguments: args, options, mode, run,
  tables: extra && extra.length === 0 && name === 'init' ? () => ['Open_vSwitch'] : tablesOf(...(extra ?? [])),
}));
