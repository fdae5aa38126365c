// The management API's kept ovs-vsctl replica (engine/vsctl/session.ts): after every kind of
// call, committed or not, the next call sees exactly the database. Each check runs the same
// read commands through the MirrorClient (kept replica and bridge/port cache) and through a plain
// client that reads every table anew (what a fresh ovs-vsctl sees), and compares output and
// warnings. Failures: a constraint violation at commit, a commit from another client between the
// plan and the transaction (the plan's verifies no longer hold), --if-exists and --may-exist
// no-ops, --dry-run, errors raised by a command after others changed the cache. Changes by other
// clients: through the database directly, and by the real ovs-vsctl over the engine's socket.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { createDatabase } from '../../engine/ovsdb/database.js';
import { LocalClient } from '../../engine/ovsdb/local-client.js';
import { parseSchema } from '../../engine/ovsdb/schema.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { MirrorClient } from '../../engine/mgmt/mirror-client.js';
import { registerManagementMethods } from '../../engine/mgmt/methods.js';
import { OvsdbServer } from '../../engine/rpc/server.js';
import { executeVsctl } from '../../engine/vsctl/execute.js';
import type { VsctlCommand } from '../../engine/vsctl/types.js';
import { needRealOvs } from '../lib/env.js';

const schemaJson = JSON.parse(readFileSync(join(projectRoot, 'manifests', 'vswitch.ovsschema'), 'utf8')) as JsonObject;

function setup(t: Test): { db: ReturnType<typeof createDatabase>; mirror: MirrorClient; direct: LocalClient } {
  const db = createDatabase(parseSchema(schemaJson));
  const mirror = new MirrorClient(db);
  t.teardown(() => mirror.dispose());
  return { db, mirror, direct: new LocalClient(new Map([['Open_vSwitch', db]])) };
}

const cmd = (name: string, ...args: string[]): VsctlCommand => ({ name, args });



/** Runs `commands` (one transaction) through `client`; the error text when it fails. */
async function run(client: MirrorClient | LocalClient, commands: VsctlCommand[], opts: { dryRun?: boolean } = {}): Promise<{ stdout: string; warnings: string[] } | string> {
  try {
    const r = await executeVsctl(client, commands, { noWait: true, ...opts });
    return { stdout: r.stdout, warnings: r.warnings.map((w) => w.replace(/^[^|]*\|[^|]*\|/, '')) };
  } catch (e) {
    return (e as Error).message;
  }
}

/** What a call sees: every bridge/port/interface read command, and the raw tables. */
async function view(client: MirrorClient | LocalClient, direct: LocalClient): Promise<string> {
  const brs = await executeVsctl(direct, [cmd('list-br')], { noWait: true });
  const out: Json[] = [];
  const reads: VsctlCommand[] = [cmd('list-br'), cmd('show')];
  for (const b of brs.commands[0]!.data as string[]) {
    reads.push(cmd('list-ports', b), cmd('list-ifaces', b), cmd('br-to-parent', b), cmd('br-to-vlan', b));
  }
  const ports = ((await direct.transact('Open_vSwitch', [{ op: 'select', table: 'Port', where: [], columns: ['name'] }]))[0] as { rows: Array<{ name: string }> }).rows;
  for (const p of ports) reads.push(cmd('port-to-br', p.name));
  const ifaces = ((await direct.transact('Open_vSwitch', [{ op: 'select', table: 'Interface', where: [], columns: ['name'] }]))[0] as { rows: Array<{ name: string }> }).rows;
  for (const i of ifaces) reads.push(cmd('iface-to-br', i.name));
  // One command per transaction, so an error (a port in no bridge) does not hide the others.
  for (const c of reads) out.push(JSON.stringify(await run(client, [c])));
  out.push(JSON.stringify(await run(client, [cmd('list', 'Bridge')])), JSON.stringify(await run(client, [cmd('list', 'Port')])));
  return out.join('\n');
}

async function same(t: Test, s: { mirror: MirrorClient; direct: LocalClient }, what: string): Promise<void> {
  const a = await view(s.mirror, s.direct), b = await view(s.direct, s.direct);
  t.equal(a, b, `${what}: the kept replica answers every read as a fresh read of the database`);
}

t.test('the kept replica follows its own commits and everything that did not commit', async (t) => {
  const s = setup(t);
  const { mirror } = s;
  await run(mirror, [cmd('init')]);
  for (let i = 0; i < 6; i++) await run(mirror, [cmd('add-br', `br${i}`), cmd('add-port', `br${i}`, `p${i}`)]);
  await run(mirror, [cmd('add-bond', 'br0', 'bond0', 'e1', 'e2')]);
  const session = mirror.vsctlSession('Open_vSwitch')!;
  t.ok(session, 'the MirrorClient offers a session');
  await same(t, s, 'after adds');
  t.ok(session.counters.cacheBuilds >= 1, 'the cache was kept');
  const builds = session.counters.cacheBuilds;

  // A database error at commit, after del-br took br1 out of the kept cache in the same transaction.
  const r1 = await run(mirror, [cmd('del-br', 'br1'), { name: 'create', args: ['Bridge', 'name=br0'], options: { '--id': '@b' } }, cmd('add', 'Open_vSwitch', '.', 'bridges', '@b')]);
  t.match(r1, /constraint violation/, 'the duplicate bridge name is refused by the database');
  await same(t, s, 'after a constraint violation');
  const r1b = await executeVsctl(mirror, [cmd('port-to-br', 'p1')], { noWait: true });
  t.equal(r1b.stdout, 'br1\n', 'br1 and its port are still there');

  // An error raised by a command after earlier commands changed the cache.
  t.match(await run(mirror, [cmd('del-port', 'p2'), cmd('add-port', 'br3', 'p3')]), /already exists/, 'the second command fails');
  t.match(await run(mirror, [cmd('add-port', 'br2', 'x1'), cmd('del-bond-iface', 'bond0', 'e1'), cmd('del-br', 'nosuch')]), /no bridge named nosuch/, 'the third command fails');
  await same(t, s, 'after commands that failed midway');

  // No-ops that commit nothing, and a dry run (the server aborts it).
  t.type(await run(mirror, [{ name: 'del-br', args: ['nosuch'], options: { '--if-exists': true } }]), 'object', '--if-exists del-br of no bridge');
  t.type(await run(mirror, [{ name: 'add-br', args: ['br0'], options: { '--may-exist': true } }]), 'object', '--may-exist add-br of a bridge there');
  const dry = await run(mirror, [cmd('del-br', 'br4'), cmd('add-port', 'br5', 'dry')], { dryRun: true });
  t.type(dry, 'object', 'the dry run succeeds');
  await same(t, s, 'after no-ops and a dry run');
  t.equal(session.counters.cacheBuilds, builds, 'none of these rebuilt the cache (rolled back each time)');

  // Committed changes of every kind the cache is made of.
  await run(mirror, [cmd('del-port', 'p2'), cmd('add-port', 'br3', 'p2b')]);
  await run(mirror, [cmd('add-bond-iface', 'bond0', 'e3'), cmd('del-bond-iface', 'bond0', 'e1')]);
  await run(mirror, [cmd('del-port', 'p3'), cmd('add-port', 'br5', 'p3')]);
  await run(mirror, [cmd('del-br', 'br4')]);
  await run(mirror, [cmd('add-br', 'vlan10', 'br0', '10')]);
  await same(t, s, 'after moves and a fake bridge');
  await run(mirror, [cmd('del-br', 'vlan10'), cmd('add-br', 'br4')]);
  await same(t, s, 'after the fake bridge went');

  // Rows of a table the replica holds from an earlier call, garbage-collected by a call that
  // does not read that table: the next call that reads it does not see them.
  await run(mirror, [{ name: 'create', args: ['Mirror', 'name=m1', 'select_all=true'], options: { '--id': '@m' } }, cmd('add', 'Bridge', 'br0', 'mirrors', '@m')]);
  t.match(await run(mirror, [cmd('list', 'Mirror')]), { stdout: /name\s+: m1/ }, 'the mirror is there');
  await run(mirror, [cmd('clear', 'Bridge', 'br0', 'mirrors')]);
  t.same(await run(mirror, [cmd('list', 'Mirror')]), { stdout: '', warnings: [] }, 'the collected mirror is gone');
});

t.test('changes by another client reach the next call, including a commit between plan and transaction', async (t) => {
  const s = setup(t);
  const { mirror, direct } = s;
  await run(mirror, [cmd('init')]);
  for (let i = 0; i < 4; i++) await run(mirror, [cmd('add-br', `br${i}`), cmd('add-port', `br${i}`, `p${i}`)]);
  await same(t, s, 'start');

  await run(direct, [cmd('add-port', 'br1', 'other1'), cmd('del-br', 'br2')]);
  await same(t, s, 'after another client added a port and removed a bridge');
  // Another client moves a port and an interface between bridges and renames a bridge's row.
  await run(direct, [cmd('del-port', 'p3'), cmd('add-port', 'br0', 'p3')]);
  await run(direct, [cmd('del-br', 'br1'), cmd('add-br', 'br1x'), cmd('add-port', 'br1x', 'p1')]);
  await same(t, s, 'after a move and a rename');
  // Another client puts one port on two bridges (names are unique per table, so this is how a
  // name clashes): every call warns, as ovs-vsctl does.
  const p0 = ((await direct.transact('Open_vSwitch', [{ op: 'select', table: 'Port', where: [['name', '==', 'p0']], columns: ['_uuid'] }]))[0] as { rows: Array<{ _uuid: Json }> }).rows[0]!._uuid;
  const twice = await direct.transact('Open_vSwitch', [{ op: 'mutate', table: 'Bridge', where: [['name', '==', 'br3']], mutations: [['ports', 'insert', ['set', [p0]]]] }]);
  t.same(twice, [{ count: 1 }], 'p0 is on br3 too');
  await same(t, s, 'after a port went on two bridges');
  t.match(await run(mirror, [cmd('list-br')]), { warnings: [/p0: port is in multiple bridges/] }, 'the kept replica warns of it');
  t.match(await run(mirror, [cmd('list-br')]), { warnings: [/p0: port is in multiple bridges/] }, 'on every call, as ovs-vsctl does');
  await direct.transact('Open_vSwitch', [{ op: 'mutate', table: 'Bridge', where: [['name', '==', 'br3']], mutations: [['ports', 'delete', ['set', [p0]]]] }]);
  await same(t, s, 'after the clash was resolved');
  t.same(await run(mirror, [cmd('list-br')]), { stdout: 'br0\nbr1x\nbr3\n', warnings: [] }, 'no warning any more');

  // A commit from another client lands between the plan (made when everything read was current,
  // so without verify waits) and the transaction: the stale plan is not run, the commands run
  // again on the database as it is now, and neither change is lost.
  const transact = mirror.transact.bind(mirror);
  let sneaked = 0;
  mirror.transact = async (db: string, ops: Json[]): Promise<Json[]> => {
    if (!sneaked++ && ops.some((op) => (op as JsonObject).op === 'insert')) {
      await executeVsctl(direct, [cmd('add-port', 'br0', 'sneak')], { noWait: true });
    }
    return transact(db, ops);
  };
  await run(mirror, [cmd('add-port', 'br0', 'mine')]);
  mirror.transact = transact;
  t.ok(sneaked >= 2, 'the transaction was tried again');
  const ports = await executeVsctl(direct, [cmd('list-ports', 'br0')], { noWait: true });
  t.same(ports.commands[0]!.data, ['mine', 'p0', 'p3', 'sneak'], 'both ports were added');
  await same(t, s, 'after the retried transaction');

  // The same with the other client's commit failing ours: the sneaked port takes the name.
  sneaked = 0;
  mirror.transact = async (db: string, ops: Json[]): Promise<Json[]> => {
    if (!sneaked++ && ops.some((op) => (op as JsonObject).op === 'insert')) {
      await executeVsctl(direct, [cmd('add-port', 'br3', 'taken')], { noWait: true });
    }
    return transact(db, ops);
  };
  t.match(await run(mirror, [cmd('add-port', 'br0', 'taken')]), /already exists on bridge br3/, 'the commands ran again and saw the name taken');
  mirror.transact = transact;
  await same(t, s, 'after the retried transaction failed');

  // A call that reads only the Open_vSwitch table, then another client's change: the next call's
  // bridges and ports are brought up to date all the same.
  await run(mirror, [cmd('list-br')]);
  t.match(await run(mirror, [cmd('get', 'Open_vSwitch', '.', 'next_cfg')]), { stdout: /^\d+\n$/ }, 'a call reading one table');
  await run(direct, [cmd('add-port', 'br0', 'late'), cmd('del-port', 'mine')]);
  t.same(await run(mirror, [cmd('list-ports', 'br0')]), await run(direct, [cmd('list-ports', 'br0')]), 'the next call sees the other client\'s ports');
  await same(t, s, 'after a call reading one table');

  // Two calls at once: they run one after the other on the kept replica; both land.
  await Promise.all([run(mirror, [cmd('add-port', 'br1x', 'c1')]), run(mirror, [cmd('add-port', 'br1x', 'c2')])]);
  const br1 = await executeVsctl(direct, [cmd('list-ports', 'br1x')], { noWait: true });
  t.same(br1.commands[0]!.data, ['c1', 'c2', 'p1'], 'both concurrent add-ports landed');
  await same(t, s, 'after concurrent calls');
});

t.test('the real ovs-vsctl changes the database over the engine\'s socket: the next cmdlet call sees it', async (t) => {
  const why = needRealOvs();
  if (why) { t.comment(`skipped: ${why}`); return; }
  const db = createDatabase(parseSchema(schemaJson));
  const server = new OvsdbServer();
  server.addDatabase(db);
  const stop = registerManagementMethods(server, { database: db, vswitch: () => undefined, info: () => ({}), exit: () => undefined });
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h31-'));
  const sock = join(dir, 'db.sock');
  await server.listen(`punix:${sock}`);
  t.teardown(async () => { stop(); await server.close(); rmSync(dir, { recursive: true, force: true }); });
  const { connectOvsdb } = await import('../../engine/rpc/client.js');
  const rpc = await connectOvsdb(`unix:${sock}`);
  t.teardown(() => rpc.close());
  const cmdlet = async (commands: string[][], viewReq?: JsonObject): Promise<JsonObject> => (await rpc.request('ovsps/vsctl', [{ commands, ...(viewReq ? { view: viewReq } : {}) }])) as JsonObject;
  const real = (...args: string[]): Promise<string> => new Promise((res, rej) => {
    execFile('ovs-vsctl', [`--db=unix:${sock}`, '--no-wait', ...args], { timeout: 20000 }, (err, stdout, stderr) => (err ? rej(new Error(`ovs-vsctl ${args.join(' ')}: ${stderr}`)) : res(stdout)));
  });
  await cmdlet([['init']]);
  await cmdlet([['add-br', 'br0']]);
  await cmdlet([['add-port', 'br0', 'a']]);
  await real('add-br', 'br1', '--', 'add-port', 'br1', 'b', '--', 'del-port', 'br0', 'a');
  t.same((await cmdlet([['list-ports', 'br1']])).outputs, ['b\n'], 'a port the real ovs-vsctl added is seen');
  t.same((await cmdlet([['list-ports', 'br0']])).outputs, [''], 'a port it removed is gone');
  t.match(await rpc.request('ovsps/vsctl', [{ commands: [['add-port', 'br0', 'b']] }]).catch((e: Error) => e.message), /already exists on bridge br1/, 'its port\'s name is taken');
  const added = await cmdlet([['add-port', 'br0', 'a']], { kind: 'ports', name: 'a' });
  t.match(added.view, [{ name: 'a', bridge: 'br0' }], 'the cmdlet adds again what it removed');
  await real('add-bond', 'br0', 'bond0', 'e1', 'e2', '--', 'del-br', 'br1');
  t.same((await cmdlet([['list-br'], ['list-ports', 'br0'], ['list-ifaces', 'br0']])).outputs, ['br0\na\nbond0\na\ne1\ne2\n'], 'a bond and a removed bridge are seen');
  await cmdlet([['del-bond-iface', 'bond0', 'e1'], ['add-br', 'br1']]);
  t.equal(await real('list-ifaces', 'br0', '--', 'list-br'), 'a\ne2\nbr0\nbr1\n', 'and the real ovs-vsctl sees the cmdlets\' changes');
  // Cmdlets from two connections and the real ovs-vsctl, all at once: every change lands.
  const rpc2 = await connectOvsdb(`unix:${sock}`);
  t.teardown(() => rpc2.close());
  await Promise.all([
    ...[0, 1, 2, 3].map((i) => cmdlet([['add-port', 'br1', `x${i}`]])),
    ...[0, 1, 2, 3].map((i) => rpc2.request('ovsps/vsctl', [{ commands: [['add-port', 'br0', `y${i}`], ['del-port', 'a']].slice(0, i ? 1 : 2) }])),
    real('add-port', 'br1', 'z0', '--', 'add-br', 'br2'),
  ]);
  t.same((await cmdlet([['list-ports', 'br0'], ['list-ports', 'br1'], ['list-br']])).outputs, ['bond0\ny0\ny1\ny2\ny3\nx0\nx1\nx2\nx3\nz0\nbr0\nbr1\nbr2\n'], 'the cmdlets see every change');
  t.equal(await real('list-ports', 'br0', '--', 'list-ports', 'br1'), 'bond0\ny0\ny1\ny2\ny3\nx0\nx1\nx2\nx3\nz0\n', 'as does the real ovs-vsctl');
});

t.test('views of one named row (through the mirror\'s name index) equal the full listings filtered', async (t) => {
  const { bridgeViews, portViews, interfaceViews } = await import('../../engine/mgmt/views.js');
  const s = setup(t);
  const { mirror, direct } = s;
  const m = mirror.mirror;
  const plain = { rows: (table: string) => m.rows(table) };
  // As the management methods read: which bridge holds a port from the kept ovs-vsctl cache.
  let cacheAnswers = 0;
  const cached = {
    rows: (table: string) => m.rows(table), named: (table: string, name: string) => m.named(table, name), nameIndexed: (table: string) => m.nameIndexed(table),
    bridgeOfPort: (pu: string) => { const b = mirror.vsctlSession('Open_vSwitch')?.currentCache()?.bridgeOfPort(pu); if (b !== undefined) cacheAnswers++; return b; },
  };
  const check = (what: string): void => {
    const names = (table: string): string[] => [...m.rows(table).values()].map((r) => String(r.name));
    for (const name of [...names('Bridge'), 'nosuch', '']) t.same(bridgeViews(m, { name }), bridgeViews(plain, { name }), `${what}: bridge ${JSON.stringify(name)}`);
    for (const name of [...names('Port'), 'nosuch', '']) {
      const want = portViews(plain, { name });
      t.same(portViews(m, { name }), want, `${what}: port ${JSON.stringify(name)}`);
      t.same(portViews(cached, { name }), want, `${what}: port ${JSON.stringify(name)} (bridge from the kept cache)`);
    }
    for (const name of [...names('Interface'), 'nosuch']) {
      const want = interfaceViews(plain, { name });
      t.same(interfaceViews(m, { name }), want, `${what}: interface ${JSON.stringify(name)}`);
      t.same(interfaceViews(cached, { name }), want, `${what}: interface ${JSON.stringify(name)} (bridge from the kept cache)`);
    }
  };
  await run(mirror, [cmd('init')]);
  check('empty');
  t.equal(m.named('Bridge', 'br0'), undefined, 'no bridge yet');
  t.equal(m.named('Controller', 'x'), undefined, 'a table without a name index answers undefined');
  for (let i = 0; i < 3; i++) await run(mirror, [cmd('add-br', `br${i}`), cmd('add-port', `br${i}`, `p${i}`)]);
  check('after adds');
  // The same names on new rows in one commit (a name passes from a deleted row to an inserted one).
  const before = m.named('Port', 'p1');
  await run(direct, [cmd('del-port', 'p1'), cmd('add-port', 'br2', 'p1')]);
  t.not(m.named('Port', 'p1'), before, 'the name now names the new row');
  await run(direct, [cmd('del-br', 'br0')]);
  check('after a move and a removed bridge');
  // A bridge row that is not in Open_vSwitch.bridges is not shown.
  await direct.transact('Open_vSwitch', [{ op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'delete', ['set', [['uuid', m.named('Bridge', 'br1')!]]]]] }]);
  check('after a bridge left the switch');
  // A port on two bridges (the kept cache is dropped: the views look through the bridges).
  await run(mirror, [cmd('add-br', 'br3')]);
  check('after a bridge was added');
  const p2 = m.named('Port', 'p2')!;
  const twice = await direct.transact('Open_vSwitch', [{ op: 'mutate', table: 'Bridge', where: [['name', '==', 'br3']], mutations: [['ports', 'insert', ['set', [['uuid', p2]]]]] }]);
  t.same(twice, [{ count: 1 }], 'p2 is on br3 too');
  check('with a port on two bridges');
  await run(mirror, [cmd('list-br')]);
  check('with a port on two bridges, after a call');
  t.ok(cacheAnswers > 0, 'the kept cache answered some lookups');
});

t.test('a big set changed by a few elements is sent as a mutate, with the same end state as a whole update', async (t) => {
  const a = setup(t), b = setup(t);
  const plainB = new MirrorClient(b.db, undefined, false);
  t.teardown(() => plainB.dispose());
  const mutated: string[] = [];
  const transact = a.mirror.transact.bind(a.mirror);
  a.mirror.transact = (db: string, ops: Json[]): Promise<Json[]> => {
    for (const op of ops) {
      const o = op as JsonObject;
      if (o.op === 'mutate') for (const m of o.mutations as Json[][]) if (m[0] !== 'next_cfg') mutated.push(`${o.table}.${m[0]} ${m[1]}`);
    }
    return transact(db, ops);
  };
  const both = async (commands: VsctlCommand[]): Promise<void> => {
    const x = await run(a.mirror, commands), y = await run(plainB, commands);
    t.same(x, y, `${commands.map((c) => [c.name, ...c.args].join(' ')).join(' -- ')}: the same answer`);
  };
  await both([cmd('init')]);
  for (let i = 0; i < 12; i++) await both([cmd('add-br', `br${i}`)]);
  for (let i = 0; i < 12; i++) await both([cmd('add-port', 'br0', `p${i}`, 'tag=5')]);
  await both([cmd('add-bond', 'br0', 'bond0', 'e1', 'e2'), cmd('add-port', 'br0', 'q1'), cmd('del-port', 'p3')]);
  await both([cmd('del-br', 'br5'), cmd('del-port', 'br0', 'p4'), cmd('add-br', 'br12')]);
  await both([cmd('del-br', 'br0')]);
  await both([cmd('add-port', 'br1', 'x'), cmd('del-port', 'x')]);
  t.ok(mutated.includes('Open_vSwitch.bridges insert') && mutated.includes('Open_vSwitch.bridges delete'), 'bridges were added and removed by mutates');
  t.ok(mutated.includes('Bridge.ports insert') && mutated.includes('Bridge.ports delete'), 'ports were added and removed by mutates');
  // Everything but uuids (show lists rows in uuid order, which differs between the databases).
  const state = async (client: MirrorClient): Promise<string> => {
    const brs = await executeVsctl(client, [cmd('list-br')], { noWait: true });
    const names = brs.commands[0]!.data as string[];
    const per = await executeVsctl(client, names.flatMap((br) => [cmd('list-ports', br), cmd('list-ifaces', br)]), { noWait: true });
    const rows = await executeVsctl(client, [{ name: 'list', args: ['Port'], options: { '--columns': 'name,tag' } }, { name: 'list', args: ['Interface'], options: { '--columns': 'name,type' } }], { noWait: true });
    const sorted = (text: string): string => text.split('\n\n').sort().join('\n\n');
    return brs.stdout + per.stdout + sorted(rows.commands[0]!.output) + sorted(rows.commands[1]!.output);
  };
  t.equal(await state(a.mirror), await state(plainB), 'the two databases hold the same switch');
  await same(t, a, 'the kept replica after mutates');
});
