// The boot pass of `ovs-engine --reconcile` (engine/setup/boot-reconcile.ts) against an in-memory
// database and a fake switch and device host: which interfaces it considers, which VMs it
// re-creates from their recorded definition, how it waits (bounded) for devices that appear
// later, and what it reports; plus the default paths every part of the product shares.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSchemaFile } from '../../engine/ovsdb/schema-file.js';
import { createDatabase } from '../../engine/ovsdb/database.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { configuredInterfaces, netnsVmDefinition, runBootReconcile, type DeviceHost, type NetnsVmDefinition, type ReconcileReport } from '../../engine/setup/boot-reconcile.js';
import { ovsDbdir, ovsLogdir, ovsPkgdatadir, ovsRundir, windowsDataRoot } from '../../engine/util/ovs-paths.js';
import type { Json } from '../../engine/ovsdb/api.js';

async function makeDb() {
  const schema = await readSchemaFile(join(projectRoot, 'manifests', 'vswitch.ovsschema'));
  const db = createDatabase(schema);
  const map = (o: Record<string, string>): Json => ['map', Object.entries(o)];
  const iface = (name: string, type = '', ext: Record<string, string> = {}): Json => ({ op: 'insert', table: 'Interface', row: { name, type, external_ids: map(ext) }, 'uuid-name': `i_${name.replace(/-/g, '_')}` });
  const port = (name: string, ifaces: string[]): Json => ({ op: 'insert', table: 'Port', row: { name, interfaces: ['set', ifaces.map((i) => ['named-uuid', `i_${i.replace(/-/g, '_')}`])] }, 'uuid-name': `p_${name.replace(/-/g, '_')}` });
  const r = await db.transact([
    iface('br0', 'internal'), iface('vm1', '', { 'ovsps-vm-provider': 'netns', 'ovsps-vm-netns': 'ns1', 'ovsps-vm-addresses': '10.0.0.1/24, 10.0.1.1/24', 'attached-mac': '02:00:00:00:00:01' }),
    iface('vm2'), iface('gone'), iface('hv1', '', { 'ovsps-vm-provider': 'hyperv', 'ovsps-vm-netns': 'x' }), iface('patch-a', 'patch'),
    port('br0', ['br0']), port('vm1', ['vm1']), port('vm2', ['vm2']), port('gone', ['gone']), port('hv1', ['hv1']), port('patch-a', ['patch-a']),
    { op: 'insert', table: 'Bridge', row: { name: 'br0', ports: ['set', ['br0', 'vm1', 'vm2', 'gone', 'hv1', 'patch-a'].map((p) => ['named-uuid', `p_${p.replace(/-/g, '_')}`])] }, 'uuid-name': 'b0' },
    { op: 'insert', table: 'Open_vSwitch', row: { bridges: ['set', [['named-uuid', 'b0']]] } },
  ]);
  if (r.some((x) => x && typeof x === 'object' && 'error' in (x as object))) throw new Error(JSON.stringify(r));
  return db;
}

/** A switch whose interfaces work exactly when their device exists (as the real one's ports). */
class FakeSwitch {
  reconciles = 0;
  constructor(private readonly devices: Set<string>) {}
  async reconcileNow(): Promise<void> { this.reconciles++; }
  ifaceState(name: string): { ofport: number; error?: string } | undefined {
    return this.devices.has(name) ? { ofport: 1 } : { ofport: -1, error: `could not open network device ${name} (No such device)` };
  }
}

function fakeDevices(present: Set<string>, opts: { failVm?: string } = {}): DeviceHost & { made: NetnsVmDefinition[] } {
  const made: NetnsVmDefinition[] = [];
  return {
    made,
    deviceExists: (n) => present.has(n),
    async createVm(def) {
      if (def.netns === opts.failVm) throw new Error('ip netns add: Operation not permitted');
      made.push(def);
      present.add(def.hostIf);
    },
  };
}

t.test('configured interfaces and VM definitions from the database', async (t) => {
  const db = await makeDb();
  const ifaces = configuredInterfaces(db);
  t.same(ifaces.map((i) => [i.name, i.type, i.bridge, i.port]).sort(), [
    ['br0', 'internal', 'br0', 'br0'], ['gone', '', 'br0', 'gone'], ['hv1', '', 'br0', 'hv1'], ['patch-a', 'patch', 'br0', 'patch-a'], ['vm1', '', 'br0', 'vm1'], ['vm2', '', 'br0', 'vm2'],
  ]);
  const vm1 = ifaces.find((i) => i.name === 'vm1')!;
  t.same(netnsVmDefinition(vm1), { netns: 'ns1', hostIf: 'vm1', vmIf: 'eth0', addresses: ['10.0.0.1/24', '10.0.1.1/24'], mac: '02:00:00:00:00:01' });
  t.equal(netnsVmDefinition(ifaces.find((i) => i.name === 'vm2')!), undefined, 'no definition recorded');
  t.equal(netnsVmDefinition(ifaces.find((i) => i.name === 'hv1')!), undefined, 'another provider: not ours to re-create');
});

t.test('the boot pass: re-creates the recorded VM, waits for one that comes back, reports the rest', async (t) => {
  const db = await makeDb();
  const present = new Set(['br0']);
  const sw = new FakeSwitch(present);
  const devices = fakeDevices(present);
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h23-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  setTimeout(() => present.add('vm2'), 150); // vm2's own provider brings it back during the wait
  const report = await runBootReconcile({
    database: db, sw, devices, reportPath: join(dir, 'sub', 'reconcile-report.json'), waitMs: 600, pollMs: 20,
    log: { info: (m) => lines.push(`INFO ${m}`), warn: (m) => lines.push(`WARN ${m}`) },
  });
  t.same(devices.made.map((d) => d.netns), ['ns1'], 'only the VM with a netns definition is re-created');
  t.same(report.recreatedVms, [{ interface: 'vm1', netns: 'ns1' }]);
  t.same([...report.restored].sort(), ['br0', 'vm1', 'vm2']);
  t.same(report.notRestored.map((n) => n.interface).sort(), ['gone', 'hv1']);
  t.match(report.notRestored.find((n) => n.interface === 'gone')?.error, /could not open network device gone \(No such device\)/);
  t.equal(report.interfaces, 5, 'patch ports have no device to restore');
  t.ok(report.waitedMs >= 600, 'waited the whole time for the two that never came');
  t.ok(sw.reconciles >= 3, 'the switch re-ran when devices appeared');
  t.same(JSON.parse(readFileSync(join(dir, 'sub', 'reconcile-report.json'), 'utf8')) as ReconcileReport, report, 'the report file');
  t.ok(lines.includes('WARN reconcile: could not restore interface gone on bridge br0: could not open network device gone (No such device)'));
  t.ok(lines.some((l) => /^INFO reconcile: 3 of 5 interfaces restored \(1 VMs re-created\)/.test(l)));
});

t.test('nothing missing: no wait; a VM that cannot be made is reported with why', async (t) => {
  const db = await makeDb();
  const all = new Set(['br0', 'vm1', 'vm2', 'gone', 'hv1']);
  const quick = await runBootReconcile({ database: db, sw: new FakeSwitch(all), devices: fakeDevices(all), waitMs: 60_000, pollMs: 10 });
  t.same(quick.notRestored, []);
  t.equal(quick.waitedMs, 0, 'returns at once when everything is there');
  const some = new Set(['br0', 'vm2', 'gone', 'hv1']);
  const r = await runBootReconcile({ database: db, sw: new FakeSwitch(some), devices: fakeDevices(some, { failVm: 'ns1' }), waitMs: 50, pollMs: 10 });
  t.same(r.recreatedVms, []);
  t.same(r.notRestored.map((n) => n.interface), ['vm1']);
  t.match(r.notRestored[0]?.error, /^could not re-create VM ns1: ip netns add: Operation not permitted; could not open network device vm1/);
});

t.test('one default layout: C:\\ProgramData\\openvswitch on Windows, schemas from the engine', async (t) => {
  t.equal(windowsDataRoot({ ProgramData: 'C:\\ProgramData' }), 'C:/ProgramData/openvswitch');
  t.equal(windowsDataRoot({ ProgramData: 'D:\\Data\\' }), 'D:/Data/openvswitch', 'follows %ProgramData%');
  t.equal(windowsDataRoot({}), 'C:/ProgramData/openvswitch');
  t.equal(ovsPkgdatadir({}), join(projectRoot, 'manifests'), 'vswitch.ovsschema ships with the engine on every platform');
  t.equal(ovsRundir({ OVS_RUNDIR: '/r' }), '/r');
  t.equal(ovsDbdir({ OVS_SYSCONFDIR: '/etc/x' }), '/etc/x/openvswitch', 'lib/dirs.c: $OVS_SYSCONFDIR/openvswitch');
  if (process.platform !== 'win32') {
    t.equal(ovsLogdir({}), join(projectRoot, 'var', 'log', 'openvswitch'));
    t.equal(ovsDbdir({}), join(projectRoot, 'var', 'lib', 'openvswitch'));
  }
  // The MSI, msi-setup.ps1, the service host and the module name the same root.
  const wxs = readFileSync(join(projectRoot, 'packaging', 'openvswitch.wxs'), 'utf8');
  t.match(wxs, /<Directory Id="CommonAppDataFolder">\s*<Directory Id="DATADIR" Name="openvswitch">\s*<Directory Id="RUNDIR" Name="run" \/>\s*<Directory Id="LOGDIR" Name="log" \/>/);
  t.match(readFileSync(join(projectRoot, 'packaging', 'msi-setup.ps1'), 'utf8'), /\$data = Join-Path \$env:ProgramData 'openvswitch'\n\$run = Join-Path \$data 'run'\n\$log = Join-Path \$data 'log'\n\$db = Join-Path \$data 'conf\.db'/);
  t.match(readFileSync(join(projectRoot, 'driver', 'windows', 'service-host', 'HostOptions.cs'), 'utf8'), /SpecialFolder\.CommonApplicationData\), "openvswitch"\)/);
  t.match(readFileSync(join(projectRoot, 'powershell-module', 'OpenVSwitch', 'Private', 'Service.ps1'), 'utf8'), /\$data = Join-Path \$programData 'openvswitch'\s+\$db = \$data; \$run = Join-Path \$data 'run'; \$log = Join-Path \$data 'log'/);
});
