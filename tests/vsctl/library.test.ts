// The ovs-vsctl library as the PowerShell API calls it: commands as values against an in-process
// database, structured results, typed errors, next_cfg handling and blocking waits.
import t from 'tap';
import { readFileSync } from 'node:fs';
import type { Json, JsonObject, OvsdbClient } from '../../engine/ovsdb/api.js';
import { createDatabase, type MemoryDatabase } from '../../engine/ovsdb/database.js';
import { LocalClient } from '../../engine/ovsdb/local-client.js';
import { parseSchema } from '../../engine/ovsdb/schema.js';
import { executeVsctl } from '../../engine/vsctl/execute.js';
import { VsctlError } from '../../engine/vsctl/errors.js';
import { runVsctl } from '../../engine/vsctl/cli.js';
import { needRealOvs } from '../lib/env.js';
import { SCHEMA } from './lib-diff.js';

function fresh(): { db: MemoryDatabase; client: OvsdbClient } {
  const db = createDatabase(parseSchema(JSON.parse(readFileSync(SCHEMA, 'utf8'))));
  return { db, client: new LocalClient(new Map([['Open_vSwitch', db]])) };
}

async function cfg(client: OvsdbClient): Promise<{ next: number; cur: number }> {
  const r = await client.transact('Open_vSwitch', [{ op: 'select', table: 'Open_vSwitch', where: [] }]);
  const row = ((r[0] as JsonObject).rows as JsonObject[])[0] as JsonObject;
  return { next: row.next_cfg as number, cur: row.cur_cfg as number };
}

t.test('commands as values, structured results', { skip: needRealOvs() }, async (t) => {
  const { client } = fresh();
  const nw = { noWait: true };
  await executeVsctl(client, [{ name: 'add-br', args: ['br0'] }, { name: 'add-port', args: ['br0', 'p1', 'tag=10'] }], nw);
  const r = await executeVsctl(client, [
    { name: 'list-br', args: [] },
    { name: 'list-ports', args: ['br0'] },
    { name: 'get', args: ['Port', 'p1', 'tag', 'name'] },
    { name: 'list', args: ['Port', 'p1'], options: { columns: 'name,tag' } },
    { name: 'br-exists', args: ['br0'] },
  ], nw);
  t.same(r.commands.map((c) => c.name), ['list-br', 'list-ports', 'get', 'list', 'br-exists']);
  t.same(r.commands[0]?.data, ['br0']);
  t.same(r.commands[1]?.data, ['p1']);
  t.same(r.commands[2]?.data, [10, 'p1']);
  t.same(r.commands[3]?.data, [{ name: 'p1', tag: 10 }]);
  t.equal(r.commands[3]?.output, 'name                : p1\ntag                 : 10\n');
  t.equal(r.changed, false, 'read-only commands send no transaction');
  const c = await executeVsctl(client, [{ name: 'create', args: ['QoS', 'type=linux-htb'] }], nw);
  t.match(c.commands[0]?.data, /^[0-9a-f]{8}-[0-9a-f]{4}-/);
  t.equal(c.stdout, `${c.commands[0]?.data as string}\n`);
  const g = await executeVsctl(client, [{ name: 'get', args: ['QoS', c.commands[0]?.data as string, 'type'] }], nw);
  t.equal(g.stdout, 'linux-htb\n');
});

t.test('typed errors carry ovs-vsctl messages', { skip: needRealOvs() }, async (t) => {
  const { client } = fresh();
  const nw = { noWait: true };
  await t.rejects(executeVsctl(client, [{ name: 'del-br', args: ['nosuch'] }], nw),
    { code: 'OVS_E_VSCTL_NOT_FOUND', message: 'no bridge named nosuch' });
  await t.rejects(executeVsctl(client, [{ name: 'frobnicate', args: [] }], nw),
    { code: 'OVS_E_VSCTL_USAGE', message: "unknown command 'frobnicate'; use --help for help" });
  await t.rejects(executeVsctl(client, [{ name: 'add-br', args: ['br0'], options: { 'bogus': true } }], nw),
    { code: 'OVS_E_VSCTL_USAGE', message: "'add-br' command has no '--bogus' option" });
  await executeVsctl(client, [{ name: 'add-br', args: ['br0'] }], nw);
  await t.rejects(executeVsctl(client, [{ name: 'add-br', args: ['br0'] }], nw),
    { code: 'OVS_E_VSCTL_CONFLICT', message: 'cannot create a bridge named br0 because a bridge named br0 already exists' });
  await t.rejects(executeVsctl(client, [{ name: 'set', args: ['Port', 'br0', 'tag=x'] }], nw),
    { code: 'OVS_E_VSCTL_BAD_VALUE', message: '"x" is not a valid integer or range' });
  const e = await executeVsctl(client, [{ name: 'add-br', args: ['br0'] }], nw).catch((x: unknown) => x);
  t.ok(e instanceof VsctlError && e.exitCode === 1);
  await executeVsctl(client, [{ name: 'add-br', args: ['br0'], options: { 'may-exist': true } }], nw);
});

t.test('next_cfg: bumped on change, waited for, never hangs', { skip: needRealOvs() }, async (t) => {
  const { db, client } = fresh();
  await executeVsctl(client, [{ name: 'init', args: [] }], { noWait: true });
  t.same(await cfg(client), { next: 0, cur: 0 }, '--no-wait leaves next_cfg alone');
  // A stand-in for ovs-vswitchd: applies every next_cfg it sees, until stopped.
  let running = true;
  const unsubscribe = db.onCommit(() => {
    setImmediate(() => {
      if (!running) return;
      void cfg(client).then(({ next, cur }) => {
        if (cur < next) void client.transact('Open_vSwitch', [{ op: 'update', table: 'Open_vSwitch', where: [], row: { cur_cfg: next } }]);
      });
    });
  });
  const r = await executeVsctl(client, [{ name: 'add-br', args: ['br0'] }], { waitTimeoutMs: 5000 });
  t.equal(r.nextCfg, 1);
  t.same(await cfg(client), { next: 1, cur: 1 });
  const ro = await executeVsctl(client, [{ name: 'list-br', args: [] }], { waitTimeoutMs: 5000 });
  t.equal(ro.nextCfg, undefined, 'read-only: no increment');
  running = false;
  unsubscribe();
  const started = Date.now();
  await t.rejects(executeVsctl(client, [{ name: 'add-br', args: ['br1'] }], { waitTimeoutMs: 300 }), {
    code: 'OVS_E_VSCTL_TIMEOUT',
    message: 'timed out waiting for ovs-vswitchd to apply the change (cur_cfg 1 < next_cfg 2); is ovs-vswitchd running? Use --no-wait to skip waiting.',
  });
  t.ok(Date.now() - started < 5000, 'gave up after the wait timeout');
  t.same((await executeVsctl(client, [{ name: 'list-br', args: [] }], { noWait: true })).commands[0]?.data, ['br0', 'br1'], 'the change itself was committed');
});

t.test('wait-until blocks until the condition holds', { skip: needRealOvs() }, async (t) => {
  const { client } = fresh();
  const nw = { noWait: true };
  await executeVsctl(client, [{ name: 'add-br', args: ['br0'] }], nw);
  let done = false;
  const waiting = executeVsctl(client, [{ name: 'wait-until', args: ['Bridge', 'br0', 'other_config:ready=yes'] }], nw).then(() => { done = true; });
  await new Promise((r) => setTimeout(r, 100));
  t.equal(done, false, 'still waiting');
  await executeVsctl(client, [{ name: 'set', args: ['Bridge', 'br0', 'other_config:ready=no'] }], nw);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(done, false, 'unrelated change does not satisfy it');
  await executeVsctl(client, [{ name: 'set', args: ['Bridge', 'br0', 'other_config:ready=yes'] }], nw);
  await waiting;
  t.equal(done, true);
});

t.test('CLI function: exit codes and streams', { skip: needRealOvs() }, async (t) => {
  const { client } = fresh();
  const run = async (...argv: string[]) => {
    let out = '', err = '';
    // The CLI closes its client when done; hand it one whose close keeps the database usable.
    const status = await runVsctl(argv, { connect: async () => ({ ...client, listDbs: () => client.listDbs(), getSchema: (d: string) => client.getSchema(d), transact: (d: string, o: Json[]) => client.transact(d, o), close: async () => undefined }), defaultDb: 'unix:/x', io: { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } } });
    return { out, err, status };
  };
  t.same(await run('--version'), { out: 'ovs-vsctl (Open vSwitch) 3.1.0\nDB Schema 8.3.1\n', err: '', status: 0 });
  t.same(await run('--no-wait', 'add-br', 'br0'), { out: '', err: '', status: 0 });
  t.same(await run('--no-wait', 'br-exists', 'nope'), { out: '', err: '', status: 2 });
  t.same(await run('--no-wait', 'list-br', '--', 'br-to-vlan', 'br0'), { out: 'br0\n0\n', err: '', status: 0 });
  t.same(await run('--bogus'), { out: '', err: "ovs-vsctl: unrecognized option '--bogus'\n", status: 1 });
  t.same(await run('--no-wait'), { out: '', err: 'ovs-vsctl: missing command name (use --help for help)\n', status: 1 });
  t.same(await run('-t', '0', 'list-br'), { out: '', err: 'ovs-vsctl: value 0 on -t or --timeout is invalid\n', status: 1 });
  const h = await run('--help');
  t.match(h.out, /usage: ovs-vsctl \[OPTIONS\] COMMAND/);
});

t.test('CLI reports interfaces ovs-vswitchd could not set up', { skip: needRealOvs() }, async (t) => {
  const { db, client } = fresh();
  const keep: OvsdbClient = { listDbs: () => client.listDbs(), getSchema: (d) => client.getSchema(d), transact: (d, o) => client.transact(d, o), close: async () => undefined };
  // Stand-in ovs-vswitchd: gives every interface ofport 1, except "bad" which fails.
  let running = true;
  const unsubscribe = db.onCommit(() => {
    setImmediate(() => {
      if (!running) return;
      void (async () => {
        const { next, cur } = await cfg(client);
        if (cur >= next) return;
        await client.transact('Open_vSwitch', [
          { op: 'update', table: 'Interface', where: [['name', '!=', 'bad']], row: { ofport: 1 } },
          { op: 'update', table: 'Interface', where: [['name', '==', 'bad']], row: { ofport: -1, error: 'could not open network device bad (No such device)' } },
          { op: 'update', table: 'Open_vSwitch', where: [], row: { cur_cfg: next } },
        ]);
      })();
    });
  });
  t.teardown(() => { running = false; unsubscribe(); });
  let out = '', err = '';
  const status = await runVsctl(['add-br', 'br0', '--', 'add-port', 'br0', 'bad'], {
    connect: async () => keep, defaultDb: 'unix:/x', logDir: '/logs', io: { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } },
  });
  t.equal(status, 0);
  t.equal(out, '');
  t.equal(err, "ovs-vsctl: Error detected while setting up 'bad': could not open network device bad (No such device).  See ovs-vswitchd log for details.\n" +
    'ovs-vsctl: The default log directory is "/logs".\n');
  t.same(await cfg(client), { next: 1, cur: 1 });
});
