// The management API's read path without pwsh: the RowMirror stays equal to the database through
// inserts, updates, deletes, garbage collection and failed transactions; MirrorClient answers
// simple selects exactly as the database does (rows, order, projected columns) and passes every
// other transaction through; the ovsps/* methods built on them give the same answers as ovs-vsctl.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json, JsonObject, RowJson } from '../../engine/ovsdb/api.js';
import { createDatabase } from '../../engine/ovsdb/database.js';
import { LocalClient } from '../../engine/ovsdb/local-client.js';
import { parseSchema } from '../../engine/ovsdb/schema.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { registerManagementMethods } from '../../engine/mgmt/methods.js';
import { MirrorClient } from '../../engine/mgmt/mirror-client.js';
import type { OvsdbServer } from '../../engine/rpc/server.js';

const schemaJson = JSON.parse(readFileSync(join(projectRoot, 'manifests', 'vswitch.ovsschema'), 'utf8')) as JsonObject;

type Handler = (params: Json[]) => Promise<Json>;

function engine(): { methods: Map<string, Handler>; db: ReturnType<typeof createDatabase>; stop: () => void } {
  const db = createDatabase(parseSchema(schemaJson));
  const methods = new Map<string, Handler>();
  const server = { registerMethod: (name: string, h: Handler) => { methods.set(name, h); } } as unknown as OvsdbServer;
  const stop = registerManagementMethods(server, { database: db, vswitch: () => undefined, info: () => ({}), exit: () => undefined });
  return { methods, db, stop };
}

/** An engine (torn down with `t`) with a MirrorClient over its database (disposed with `t`) and a
 *  plain LocalClient straight to the database. `keepReplica` is MirrorClient's. */
function mirroredEngine(t: Test, keepReplica = true): { e: ReturnType<typeof engine>; mirror: MirrorClient; direct: LocalClient } {
  const e = engine();
  t.teardown(e.stop);
  const mirror = new MirrorClient(e.db, undefined, keepReplica);
  t.teardown(() => mirror.dispose());
  const direct = new LocalClient(new Map([['Open_vSwitch', e.db]]));
  return { e, mirror, direct };
}

/** What the database itself answers for the same selects (through a plain LocalClient). */
async function compareSelects(t: Test, mirror: MirrorClient, direct: LocalClient, what: string): Promise<void> {
  const ops: Json[] = [];
  for (const table of ['Open_vSwitch', 'Bridge', 'Port', 'Interface', 'Controller']) {
    ops.push({ op: 'select', table, where: [] });
    ops.push({ op: 'select', table, where: [], columns: ['_uuid', 'external_ids'] });
  }
  ops.push({ op: 'select', table: 'Bridge', where: [], columns: ['name', 'ports', '_uuid'] });
  const a = await mirror.transact('Open_vSwitch', ops);
  const b = await direct.transact('Open_vSwitch', ops);
  t.same(a, b, `${what}: every select answered from the mirror equals the database's answer`);
  // Row order too (t.same on arrays already checks it; say so for the bridge table explicitly).
  const names = (r: Json): string[] => ((r as { rows: RowJson[] }).rows).map((x) => JSON.stringify(x._uuid));
  t.same(names(a[2]!), names(b[2]!), `${what}: bridge rows in the database's order`);
}

t.test('MirrorClient answers selects like the database, through every kind of change', async (t) => {
  const { e, mirror, direct } = mirroredEngine(t);
  const vsctl = e.methods.get('ovsps/vsctl')!;
  await vsctl([{ commands: [['init']] }]);
  await compareSelects(t, mirror, direct, 'after init');

  for (let i = 0; i < 12; i++) await vsctl([{ commands: [['add-br', `br${i}`], ['add-port', `br${i}`, `p${i}`, `tag=${i + 1}`]] }]);
  await compareSelects(t, mirror, direct, 'after inserts');

  await vsctl([{ commands: [['set', 'Bridge', 'br3', 'external_ids:a=b'], ['set', 'Port', 'p5', 'tag=77'], ['set-controller', 'br2', 'tcp:1.2.3.4:6653']] }]);
  await compareSelects(t, mirror, direct, 'after updates');

  // Deleting a bridge garbage-collects its ports and interfaces (rows the command never names).
  await vsctl([{ commands: [['del-br', 'br4']] }]);
  await vsctl([{ commands: [['del-br', 'br1']] }]);
  await vsctl([{ commands: [['del-port', 'p7']] }]);
  await compareSelects(t, mirror, direct, 'after deletes and garbage collection');

  // A failing transaction changes nothing, in the database and in the mirror.
  const bad = await e.db.transact([{ op: 'insert', table: 'Bridge', row: { name: 'x' } }, { op: 'abort' }]);
  t.match(bad[1], { error: 'aborted' }, 'the aborted transaction failed');
  await compareSelects(t, mirror, direct, 'after an aborted transaction');

  // A row re-inserted after a delete goes last, as in the database.
  await vsctl([{ commands: [['add-br', 'br1']] }]);
  await compareSelects(t, mirror, direct, 'after re-adding a bridge');

  const br0 = (await direct.transact('Open_vSwitch', [{ op: 'select', table: 'Bridge', where: [['name', '==', 'br0']], columns: ['_uuid'] }]))[0] as { rows: RowJson[] };
  const uuid = br0.rows[0]!._uuid as Json;
  const byUuid: Json[] = [{ op: 'select', table: 'Bridge', where: [['_uuid', '==', uuid]], columns: ['name'] },
    { op: 'select', table: 'Bridge', where: [['_uuid', '==', ['uuid', '00000000-0000-0000-0000-000000000000']]] }];
  t.same(await mirror.transact('Open_vSwitch', byUuid), await direct.transact('Open_vSwitch', byUuid), 'select by _uuid (found and not found) as the database answers');

  // Anything else goes to the database: errors included.
  const others: Json[][] = [
    [{ op: 'select', table: 'Bridge', where: [['name', '==', 'br0']], columns: ['name'] }],
    [{ op: 'select', table: 'Bridge', where: [], columns: ['no_such_column'] }],
    [{ op: 'select', table: 'No_Such_Table', where: [] }],
    [{ op: 'select', table: 'Bridge', where: [] }, { op: 'comment', comment: 'x' }],
  ];
  for (const ops of others) t.same(await mirror.transact('Open_vSwitch', ops), await direct.transact('Open_vSwitch', ops), `passed through: ${JSON.stringify(ops).slice(0, 70)}`);
  await t.rejects(mirror.transact('Nope', [{ op: 'select', table: 'Bridge', where: [] }]), /unknown database/, 'an unknown database is refused as the database does');
});

t.test('ovsps views agree with ovs-vsctl and return the changed rows in the same reply', async (t) => {
  const e = engine();
  t.teardown(e.stop);
  const vsctl = e.methods.get('ovsps/vsctl')!;
  await vsctl([{ commands: [['init']] }]);
  const r = await vsctl([{ commands: [['add-br', 'br-int'], ['set-fail-mode', 'br-int', 'secure']], view: { kind: 'bridges', name: 'br-int' } }]) as JsonObject;
  t.match(r.view, [{ name: 'br-int', failMode: 'secure', ports: ['br-int'] }], 'add-br returns the new bridge');
  const p = await vsctl([{ commands: [['add-port', 'br-int', 'vif1', 'tag=900', 'trunks=[1,2]']], view: { kind: 'ports', name: 'vif1' } }]) as JsonObject;
  t.match(p.view, [{ name: 'vif1', bridge: 'br-int', tag: 900, trunks: [1, 2], interfaces: ['vif1'] }], 'add-port returns the new port');
  await vsctl([{ commands: [['add-br', 'br-pif'], ['add-port', 'br-pif', 'eth9'], ['set', 'Interface', 'eth9', 'type=internal']] }]);

  const list = async (argv: string[]): Promise<string[]> => String(((await vsctl([{ argv }])) as { outputs: string[] }).outputs[0]).split('\n').filter((x) => x);
  const bridges = (await e.methods.get('ovsps/bridges')!([{}])) as Array<{ name: string; ports: string[] }>;
  t.same(bridges.map((b) => b.name), await list(['list-br']), 'ovsps/bridges names = ovs-vsctl list-br');
  for (const b of bridges) {
    t.same(b.ports.filter((x) => x !== b.name), await list(['list-ports', b.name]), `ports of ${b.name} = ovs-vsctl list-ports`);
    const ifs = (await e.methods.get('ovsps/interfaces')!([{ bridge: b.name }])) as Array<{ name: string }>;
    t.same(ifs.map((i) => i.name).filter((x) => x !== b.name), await list(['list-ifaces', b.name]), `interfaces of ${b.name} = ovs-vsctl list-ifaces`);
  }
  const eth9 = (await e.methods.get('ovsps/interfaces')!([{ name: 'eth9' }])) as Array<{ type: string; port: string; bridge: string }>;
  t.match(eth9, [{ type: 'internal', port: 'eth9', bridge: 'br-pif' }], 'interface view sees the set in the same transaction');

  // Removal: the view follows immediately (the mirror is updated inside the commit).
  await vsctl([{ commands: [['del-br', 'br-pif']] }]);
  t.same(await e.methods.get('ovsps/ports')!([{ bridge: 'br-pif' }]), [], 'ports of a deleted bridge are gone');
  t.same(await e.methods.get('ovsps/interfaces')!([{ name: 'eth9' }]), [], 'interfaces of a deleted bridge are gone');
  await t.rejects(vsctl([{ commands: [['add-port', 'nope', 'x']], view: { kind: 'ports', name: 'x' } }]), { code: 'OVS_E_NO_BRIDGE' }, 'a failing command reports its code, no view');
  await t.rejects(vsctl([{ commands: [['list-br']], view: { kind: 'flows' } }]), /view kind "flows"/, 'an unknown view kind is refused, naming it');
});

t.test('MirrorClient leaves out only the wait ops that pass, and answers like the database', async (t) => {
  const { e, mirror, direct } = mirroredEngine(t);
  const vsctl = e.methods.get('ovsps/vsctl')!;
  await vsctl([{ commands: [['init']] }]);
  for (let i = 0; i < 3; i++) await vsctl([{ commands: [['add-br', `br${i}`], ['add-port', `br${i}`, `p${i}`]] }]);
  const read = async (): Promise<RowJson[]> => ((await mirror.transact('Open_vSwitch', [{ op: 'select', table: 'Bridge', where: [], columns: ['_uuid', 'name', 'ports'] }]))[0] as { rows: RowJson[] }).rows;
  const wait = (r: RowJson, ports: Json = r.ports as Json): Json => ({ op: 'wait', table: 'Bridge', timeout: 0, where: [['_uuid', '==', r._uuid as Json]], until: '==', columns: ['ports'], rows: [{ ports }] });
  /** The same transaction through the mirror and straight to the database; ends in abort (or fails
   *  earlier), so neither run changes anything. Returns how many waits the mirror left out. */
  const same = async (ops: Json[], what: string): Promise<number> => {
    const before = mirror.waitsSkipped;
    const a = await mirror.transact('Open_vSwitch', ops);
    const skipped = mirror.waitsSkipped - before;
    const b = await direct.transact('Open_vSwitch', ops);
    t.same(a, b, `${what}: same results as the database`);
    return skipped;
  };
  const rows = await read();
  const abort: Json = { op: 'abort' };
  t.equal(await same([wait(rows[0]!), wait(rows[1]!), wait(rows[2]!), abort], 'waits on values read from the mirror'), 3, 'all three waits left out');
  t.equal(await same([wait(rows[0]!, JSON.parse(JSON.stringify(rows[0]!.ports)) as Json), abort], 'a wait on an equal copy'), 0, 'a copy is not the mirror\'s object: the database checks it');
  t.equal(await same([wait(rows[0]!), { op: 'insert', table: 'No_Such_Table', row: {} }, wait(rows[1]!), abort], 'a failing op between left-out waits'), 2, 'left out at first; the failed transaction then ran whole (its error names the op by position)');
  const dangling: Json = { op: 'update', table: 'Bridge', where: [['_uuid', '==', rows[1]!._uuid as Json]], row: { ports: ['uuid', '00000000-0000-0000-0000-00000000beef'] } };
  t.equal(await same([wait(rows[0]!), dangling, wait(rows[2]!)], 'a commit-time error after the operations'), 2, 'left out at first; the failed commit then ran whole');
  // A row changed since it was read: the old value is no longer the mirror's, the wait fails.
  await vsctl([{ commands: [['add-port', 'br0', 'extra']] }]);
  t.equal(await same([wait(rows[0]!), abort], 'a wait on a value changed since'), 0, 'not left out');
  t.equal(await same([wait(rows[1]!), { op: 'wait', table: 'Bridge', timeout: 0, where: [['_uuid', '==', rows[2]!._uuid as Json]], until: '!=', columns: ['ports'], rows: [{ ports: rows[2]!.ports as Json }] }, abort], 'until != is the database\'s'), 1, 'only the == wait left out');
  // Through ovs-vsctl: a transaction that verifies every bridge's ports commits and its waits are left out.
  const n0 = mirror.waitsSkipped;
  const client = e.methods.get('ovsps/vsctl')!;
  await client([{ commands: [['add-port', 'br1', 'p1b']] }]);
  t.same((await e.methods.get('ovsps/ports')!([{ name: 'p1b' }]) as JsonObject[]).map((p) => p.bridge), ['br1'], 'the port was added');
  t.equal(mirror.waitsSkipped, n0, 'this test\'s own MirrorClient was not the one used (each engine has its own)');
});

t.test('ovsps/stats counts calls and errors per method, splits ovsps/vsctl by phase, resets', async (t) => {
  const e = engine();
  t.teardown(e.stop);
  const vsctl = e.methods.get('ovsps/vsctl')!;
  const stats = e.methods.get('ovsps/stats')!;
  await stats([{ reset: true }]);
  await vsctl([{ commands: [['init']] }]);
  await vsctl([{ commands: [['add-br', 'br0']], view: { kind: 'bridges', name: 'br0' } }]);
  await t.rejects(vsctl([{ commands: [['add-br', 'br0']] }]), /already exists/, 'a failing call');
  await e.methods.get('ovsps/bridges')!([{}]);
  type M = { calls: number; errors: number; totalMs: number; meanMs: number; maxMs: number; phasesMs: Record<string, number>; phasesCpuMs?: Record<string, number> };
  const s = await stats([{ reset: true }]) as { cpu: boolean; methods: Record<string, M> };
  const v = s.methods['ovsps/vsctl']!;
  t.equal(v.calls, 3, 'three ovsps/vsctl calls');
  t.equal(v.errors, 1, 'one of them failed');
  t.equal(s.methods['ovsps/bridges']?.calls, 1, 'one ovsps/bridges call');
  t.notOk('ovsps/stats' in s.methods, 'ovsps/stats does not count itself');
  for (const p of ['parse', 'read', 'run', 'plan', 'commit', 'output', 'view']) t.ok(v.phasesMs[p]! >= 0, `phase ${p} measured`);
  const phaseSum = Object.values(v.phasesMs).reduce((a, b) => a + b, 0) * v.calls;
  t.ok(phaseSum <= v.totalMs + 0.01, `the phases (${phaseSum.toFixed(3)} ms) fit in the handlers' time (${v.totalMs} ms)`);
  t.equal(s.cpu, false, 'no CPU accounting unless asked');
  t.notOk('phasesCpuMs' in v, 'no CPU figures without it');
  const after = await stats([{ cpu: true }]) as { methods: Record<string, M> };
  t.same(after.methods, {}, 'reset emptied the figures');
  await vsctl([{ commands: [['add-br', 'br1']] }]);
  const withCpu = await stats([{ cpu: false, reset: true }]) as { cpu: boolean; methods: Record<string, M> };
  t.equal(withCpu.cpu, true, 'CPU accounting was on for that call');
  t.ok(withCpu.methods['ovsps/vsctl']?.phasesCpuMs?.run !== undefined, 'CPU time per phase reported');
  await t.rejects(stats([{ reset: 'yes' }]), /"reset" must be true or false/, 'a bad reset value is refused, naming it');
  await t.rejects(stats([{ cpu: 1 }]), /"cpu" must be true or false/, 'a bad cpu value is refused');
  await t.rejects(stats([[]]), /params\[0\] must be an object/, 'params must be an object');
});

t.test('ovs-vsctl on a MirrorClient plans no verify waits it can see pass; a stale plan is not run', async (t) => {
  const { executeVsctl } = await import('../../engine/vsctl/execute.js');
  // Without the kept replica (mgmt-session.test.ts tests that): every call reads the tables.
  const { mirror, direct } = mirroredEngine(t, false);
  await executeVsctl(mirror, [{ name: 'init', args: [] }], { noWait: true });
  for (let i = 0; i < 5; i++) await executeVsctl(mirror, [{ name: 'add-br', args: [`br${i}`] }, { name: 'add-port', args: [`br${i}`, `p${i}`] }], { noWait: true });
  const before = mirror.waitsSkipped, plansBefore = mirror.plansAllCurrent;
  const sent: Json[][] = [];
  const transact = mirror.transact.bind(mirror);
  mirror.transact = (db: string, ops: Json[]): Promise<Json[]> => { sent.push(ops); return transact(db, ops); };
  await executeVsctl(mirror, [{ name: 'add-port', args: ['br0', 'q0'] }], { noWait: true });
  mirror.transact = transact;
  // verify_ports (Open_vSwitch.bridges, each of 5 bridges' ports, each of 10 ports' interfaces):
  // nothing committed between the read and the plan, so none of the 16 waits was even planned.
  t.equal(mirror.plansAllCurrent - plansBefore, 1, 'the plan was made with everything read still current');
  t.equal(mirror.waitsSkipped - before, 0, 'no wait was planned to be left out one by one');
  t.equal(sent.flat().filter((op) => (op as JsonObject).op === 'wait').length, 0, 'no wait op was sent');
  t.ok(sent.flat().some((op) => (op as JsonObject).op === 'insert'), 'the inserts were sent');
  // Something commits between the read and the plan: the verifies are planned after all (every
  // bridge's ports, every port's interfaces), the stale ones are sent and fail, the commands run again on a
  // fresh read, and neither change is lost.
  let sneaked = false;
  const waitsSent: Json[] = [];
  mirror.transact = async (db: string, ops: Json[]): Promise<Json[]> => {
    const r = await transact(db, ops);
    waitsSent.push(...ops.filter((op) => (op as JsonObject).op === 'wait'));
    if (!sneaked && ops.every((op) => (op as JsonObject).op === 'select')) {
      sneaked = true;
      await executeVsctl(direct, [{ name: 'add-port', args: ['br2', 'sneak'] }], { noWait: true });
    }
    return r;
  };
  await executeVsctl(mirror, [{ name: 'add-port', args: ['br2', 'q2'] }], { noWait: true });
  mirror.transact = transact;
  t.ok(sneaked, 'a commit came between the read and the plan');
  // The per-row check (verifiedHolds) still leaves out the waits on rows that did not change.
  t.ok(waitsSent.some((op) => (op as JsonObject).table === 'Bridge' && JSON.stringify((op as JsonObject).columns) === '["ports"]'), 'a wait on a bridge\'s ports was sent');
  const br2 = await executeVsctl(direct, [{ name: 'list-ports', args: ['br2'] }], { noWait: true });
  t.same(br2.commands[0]!.data, ['p2', 'q2', 'sneak'], 'both ports are on br2');
  const ports = await executeVsctl(direct, [{ name: 'list-ports', args: ['br0'] }], { noWait: true });
  t.same(ports.commands[0]!.data, ['p0', 'q0'], 'the port was added (read back through a plain client)');

  // Two ovs-vsctl runs at once on the one client: both land (a run whose reads went stale retries).
  await Promise.all([
    executeVsctl(mirror, [{ name: 'add-port', args: ['br1', 'c1'] }], { noWait: true }),
    executeVsctl(mirror, [{ name: 'add-port', args: ['br1', 'c2'] }], { noWait: true }),
  ]);
  const br1 = await executeVsctl(direct, [{ name: 'list-ports', args: ['br1'] }], { noWait: true });
  t.same(br1.commands[0]!.data, ['c1', 'c2', 'p1'], 'both concurrent add-ports landed');

  // A plan answered by verifiedHolds, then a commit from elsewhere before the transaction: the
  // transaction is not run and answers null (try again); after a fresh read, transactions run.
  const rows = ((await mirror.transact('Open_vSwitch', [{ op: 'select', table: 'Bridge', where: [], columns: ['_uuid', 'ports'] }]))[0] as { rows: RowJson[] }).rows;
  const b0 = rows[0]!;
  t.ok(mirror.verifiedHolds('Open_vSwitch', 'Bridge', (b0._uuid as string[])[1]!, ['ports'], b0), 'the value read is still current');
  t.notOk(mirror.verifiedHolds('Open_vSwitch', 'Bridge', (b0._uuid as string[])[1]!, ['ports'], { ports: JSON.parse(JSON.stringify(b0.ports)) as Json }), 'an equal copy is not the mirror\'s value');
  t.notOk(mirror.verifiedHolds('Nope', 'Bridge', (b0._uuid as string[])[1]!, ['ports'], b0), 'another database: no');
  await direct.transact('Open_vSwitch', [{ op: 'update', table: 'Bridge', where: [], row: { external_ids: ['map', [['k', 'v']]] } }]);
  const insert: Json = { op: 'insert', table: 'Bridge', row: { name: 'stale' } };
  t.same(await mirror.transact('Open_vSwitch', [insert, { op: 'comment', comment: 'x' }]), [null, null], 'the stale transaction answers null per op');
  const names = async (): Promise<string[]> => (((await direct.transact('Open_vSwitch', [{ op: 'select', table: 'Bridge', where: [], columns: ['name'] }]))[0] as { rows: Array<{ name: string }> }).rows.map((r) => r.name));
  t.notOk((await names()).includes('stale'), 'and was not run');
  await mirror.transact('Open_vSwitch', [{ op: 'select', table: 'Bridge', where: [], columns: ['name'] }]);
  const r = await mirror.transact('Open_vSwitch', [{ op: 'insert', table: 'Bridge', row: { name: 'fresh' } }]);
  t.match(r[0], { uuid: ['uuid', String] }, 'after a fresh read a transaction runs');
});
