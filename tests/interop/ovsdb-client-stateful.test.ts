// ovsdb-client commands that need a script rather than one command line, real (Debian's OVS 3.1)
// vs ours, each against a private real ovsdb-server: monitor-cond, monitor-cond-since, wait,
// backup, restore, convert, lock/steal/unlock. Every wait is bounded (5 s) and every process is
// killed in teardown. OVSPS_CLIENT_DIFF_SELF_CHECK=1 puts the real client on both sides.
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { needRealOvs } from '../lib/env.js';
import { sleep } from '../lib/wait.js';
import { SCHEMA, canonicalDump, connectRaw, dump, startRealServer } from '../vsctl/lib-diff.js';
import {
  compareRuns, normalizeOutput, runClient, runProgram, startClient, type FileServer, type LiveClient,
  type RunResult, type Which,
} from './lib-client-diff.js';

const BOTH: Which[] = ['real', 'ours'];
const skip = needRealOvs();

/** A fresh private server (teardown stops it) filled by `setup` (ovs-vsctl argument lists). */
async function serverWith(t: Test, setup: string[][], from?: string): Promise<FileServer> {
  const server = await startRealServer(from ? { dbFile: from } : { schemaFile: SCHEMA });
  t.teardown(() => server.stop());
  for (const args of setup) await vsctl(server, ...args);
  return server;
}

async function vsctl(server: FileServer, ...args: string[]): Promise<void> {
  const r = await runProgram('ovs-vsctl', ['--no-wait', `--db=${server.target}`, ...args], { cwd: server.dir });
  if (r.status !== 0) throw new Error(`ovs-vsctl ${args.join(' ')} failed: ${r.stderr}`);
}

/** How many monitors the server has (ovs-appctl memory/show: "... monitors:N ..."). */
async function serverMonitors(server: FileServer): Promise<number> {
  const r = await runProgram('ovs-appctl', ['-t', server.ctl, 'memory/show'], { cwd: server.dir });
  return Number(/monitors:(\d+)/.exec(r.stdout)?.[1] ?? 0);
}

/** Starts a long-running client and makes sure teardown kills it. */
function live(t: Test, which: Which, args: string[], dir: string): LiveClient {
  const c = startClient(which, args, dir);
  t.teardown(() => c.kill());
  return c;
}

/** Waits until `c` printed what `cond` wants (bounded, 5 s). The real client must get there (or
 *  the test itself is wrong); ours may fail to, which the comparison afterwards reports with the
 *  output it did print, so the script goes on. */
function reach(c: LiveClient, cond: (o: { stdout: string; stderr: string }) => boolean, what: string): Promise<void> {
  return c.which === 'real' ? c.waitOut(cond, what) : c.waitOut(cond, what).catch(() => undefined);
}

/** Both sides talk to the same server (or to copies of one database file), so UUIDs are
 *  compared as they are: every UUID either printed counts as known. */
function uuidsIn(...runs: RunResult[]): Set<string> {
  const all = runs.map((r) => r.stdout + r.stderr).join('\n');
  return new Set(all.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? []);
}

/** `ovsdb-client ARGS` for messages, with the server's target shown as $SERVER. */
function label(args: string[], server: { target: string }): string {
  return `ovsdb-client ${args.join(' ').split(server.target).join('$SERVER')}`;
}

/** Kills both and compares what they printed (exactly, or as sorted line sets). */
async function compareLive(t: Test, what: string, clients: Record<Which, LiveClient>, sorted = false): Promise<void> {
  for (const c of Object.values(clients)) c.kill();
  const [real, ours] = await Promise.all([clients.real.done, clients.ours.done]);
  const diff = compareRuns(real, ours, { known: uuidsIn(real, ours), sorted });
  if (diff === undefined) t.pass(what);
  else t.fail(`${what}\n${diff}`);
}

function reportRun(t: Test, what: string, real: RunResult, ours: RunResult): void {
  const diff = compareRuns(real, ours, { known: uuidsIn(real, ours) });
  if (diff === undefined) t.pass(what);
  else t.fail(`${what}\n${diff}`);
}

const BASE: string[][] = [
  ['init'],
  ['add-br', 'br0', '--', 'set', 'Bridge', 'br0', 'external_ids:owner=lead', 'other_config:a="x y"'],
  ['add-port', 'br0', 'p1', 'tag=10', '--', 'add-port', 'br0', 'p2', 'trunks=1,2', '--', 'set', 'Interface', 'p2', 'options:k="a, b"'],
  ['add-br', 'br1', '--', 'set-controller', 'br1', 'tcp:127.0.0.1:6653', '--', 'set-manager', 'ptcp:6640'],
  ['add-bond', 'br1', 'bond0', 'p3', 'p4', '--', 'set', 'Interface', 'p3', 'external_ids:name="ünï"'],
];

t.test('monitor-cond: rows matching a condition, then their changes', { skip }, async (t) => {
  const server = await serverWith(t, BASE);
  const args = ['monitor-cond', server.target, 'Open_vSwitch', '[["name","==","br0"]]', 'Bridge', 'name,other_config,external_ids'];
  const m = { real: live(t, 'real', args, server.dir), ours: live(t, 'ours', args, server.dir) };
  const all = (re: RegExp, what: string) => Promise.all(BOTH.map((w) => reach(m[w], (o) => re.test(o.stdout), what)));
  await all(/initial/, 'the initial row');
  await vsctl(server, 'set', 'Bridge', 'br0', 'other_config:b=2');
  await all(/modify/, 'a modification');
  // Changes to rows the condition excludes print nothing; the deletion of br0 prints.
  await vsctl(server, 'set', 'Bridge', 'br1', 'other_config:c=3', '--', 'add-br', 'br2');
  await vsctl(server, 'del-br', 'br0');
  await all(/delete/, 'the deletion');
  await compareLive(t, label(args, server), m);

  // All Port rows: one update holds several rows, printed in hash order: compared as line sets.
  const args2 = ['monitor-cond', server.target, 'Open_vSwitch', '[true]', 'Port', 'name,tag,trunks'];
  const m2 = { real: live(t, 'real', args2, server.dir), ours: live(t, 'ours', args2, server.dir) };
  await Promise.all(BOTH.map((w) => reach(m2[w], (o) => /bond0/.test(o.stdout), 'the initial rows')));
  await vsctl(server, 'add-port', 'br1', 'p9', 'tag=99');
  await Promise.all(BOTH.map((w) => reach(m2[w], (o) => /insert/.test(o.stdout), 'the insertion')));
  await compareLive(t, `${label(args2, server)} (as line sets)`, m2, true);

  // A condition on an integer column, a column list with !initial.
  const args3 = ['monitor-cond', server.target, 'Open_vSwitch', '[["tag","==",99]]', 'Port', 'name,tag,!initial'];
  const monitorsBefore = await serverMonitors(server);
  const m3 = { real: live(t, 'real', args3, server.dir), ours: live(t, 'ours', args3, server.dir) };
  // Nothing to print before a change: wait until the server counts both new monitors.
  for (let i = 0; i < 100 && (await serverMonitors(server)) < monitorsBefore + 2; i++) await sleep(50);
  await vsctl(server, 'set', 'Port', 'bond0', 'tag=99');
  await Promise.all(BOTH.map((w) => reach(m3[w], (o) => /bond0/.test(o.stdout), 'bond0 entering the condition')));
  await compareLive(t, label(args3, server), m3);

  // Errors: a condition on a column the table lacks, a table the database lacks.
  for (const bad of [
    ['monitor-cond', server.target, 'Open_vSwitch', '[["nope","==",1]]', 'Bridge'],
    ['monitor-cond', server.target, 'Open_vSwitch', '[true]', 'Nope'],
    ['monitor-cond', server.target, 'Open_vSwitch', '["name"]', 'Bridge'],
    ['monitor-cond', server.target, 'Open_vSwitch', '[true]', 'Bridge', 'name,nope'],
  ]) {
    const [real, ours] = await Promise.all(BOTH.map((w) => runClient(w, bad, server.dir, { timeoutMs: 5000 }))) as [RunResult, RunResult];
    reportRun(t, label(bad, server), real, ours);
  }
});

t.test('monitor-cond-since: found/last_id line, then updates with their last_id', { skip }, async (t) => {
  const server = await serverWith(t, BASE);
  const cases = [
    ['monitor-cond-since', server.target, 'Open_vSwitch', '[["name","==","br0"]]', 'Bridge', 'name,other_config'],
    ['monitor-cond-since', server.target, 'Open_vSwitch', '00000000-0000-0000-0000-000000000000', '[["name","==","br0"]]', 'Bridge', 'name'],
    ['monitor-cond-since', server.target, 'Open_vSwitch', '[true]', 'Open_vSwitch', 'bridges,next_cfg'],
  ];
  const ms = cases.map((args) => ({ real: live(t, 'real', args, server.dir), ours: live(t, 'ours', args, server.dir) }));
  await Promise.all(ms.flatMap((m) => BOTH.map((w) => reach(m[w], (o) => /initial/.test(o.stdout), 'the initial rows'))));
  // other_config changes: case 0 prints a modification, case 1 (name only) nothing; the new
  // bridge modifies Open_vSwitch's bridges (case 2).
  await vsctl(server, 'set', 'Bridge', 'br0', 'other_config:b=2', '--', 'add-br', 'br5');
  const after1 = [/modify/, undefined, /modify/];
  const after2 = [/delete/, /delete/, /modify[^]*modify/];
  const step = (res: Array<RegExp | undefined>, what: string) => Promise.all(ms.flatMap((m, i) => BOTH.map((w) => {
    const re = res[i];
    return re ? reach(m[w], (o) => re.test(o.stdout), what) : Promise.resolve();
  })));
  await step(after1, 'the first update');
  await vsctl(server, 'del-br', 'br0');
  await step(after2, 'the deletion');
  for (const [i, m] of ms.entries()) await compareLive(t, label(cases[i]!, server), m);

  const bad = ['monitor-cond-since', server.target, 'Open_vSwitch', 'not-a-uuid', '[true]', 'Bridge'];
  const [real, ours] = await Promise.all(BOTH.map((w) => runClient(w, bad, server.dir, { timeoutMs: 5000 }))) as [RunResult, RunResult];
  reportRun(t, label(bad, server), real, ours);
});

const EXTRA_SCHEMA = {
  name: 'Extra', version: '1.0.0',
  tables: { Thing: { columns: { name: { type: 'string' } }, isRoot: true } },
};

t.test('wait: connected at once; added and removed when ovsdb-server adds and removes a database', { skip }, async (t) => {
  const server = await serverWith(t, [['init']]);
  const now = ['wait', server.target, 'Open_vSwitch', 'connected'];
  const [r1, o1] = await Promise.all(BOTH.map((w) => runClient(w, now, server.dir, { timeoutMs: 5000 }))) as [RunResult, RunResult];
  reportRun(t, 'ovsdb-client wait $SERVER Open_vSwitch connected', r1, o1);
  t.equal(r1.status, 0, 'real wait ... connected returns 0 at once');

  const extra = join(server.dir, 'extra.db');
  writeFileSync(join(server.dir, 'extra.ovsschema'), JSON.stringify(EXTRA_SCHEMA));
  const c = await runProgram('ovsdb-tool', ['create', extra, join(server.dir, 'extra.ovsschema')], { cwd: server.dir });
  t.equal(c.status, 0, `ovsdb-tool create extra.db ${c.stderr}`);
  for (const [state, change] of [['added', 'ovsdb-server/add-db'], ['removed', 'ovsdb-server/remove-db']] as const) {
    const args = ['wait', server.target, 'Extra', state];
    const w = { real: live(t, 'real', args, server.dir), ours: live(t, 'ours', args, server.dir) };
    // Both must be waiting: each says "connected" on stderr (reconnect's log line), and sends its
    // requests right after; a moment more lets the server take them.
    await w.real.waitOut((o) => /connected/.test(o.stderr), 'real wait to connect').catch(() => undefined);
    await w.ours.waitOut((o) => /connected/.test(o.stderr), 'our wait to connect').catch(() => undefined);
    await sleep(300);
    t.notOk(w.real.exited(), `real wait ${state} still waits before the change`);
    t.notOk(w.ours.exited(), `our wait ${state} still waits before the change`);
    const r = await runProgram('ovs-appctl', ['-t', server.ctl, change, change.endsWith('add-db') ? extra : 'Extra'], { cwd: server.dir });
    t.equal(r.status, 0, `ovs-appctl ${change} ${r.stderr}`);
    const [real, ours] = await Promise.all([w.real.done, w.ours.done]);
    t.notOk(real.timedOut || ours.timedOut, `both waits for ${state} ended`);
    reportRun(t, `ovsdb-client wait $SERVER Extra ${state}`, real, ours);
  }
});

/** The first path where two JSON values differ (object key order ignored), with both values
 *  there, or undefined when they are equal. */
function jsonDifference(real: Json, ours: Json, path: string): string | undefined {
  const show = (v: Json | undefined) => (v === undefined ? '<absent>' : JSON.stringify(v).slice(0, 120));
  if (real !== null && ours !== null && typeof real === 'object' && typeof ours === 'object' && Array.isArray(real) === Array.isArray(ours)) {
    if (Array.isArray(real) && Array.isArray(ours)) {
      for (let i = 0; i < Math.max(real.length, ours.length); i++) {
        if (i >= real.length || i >= ours.length) return `${path}[${i}]: real ${show(real[i])} | ours ${show(ours[i])}`;
        const d = jsonDifference(real[i] as Json, ours[i] as Json, `${path}[${i}]`);
        if (d) return d;
      }
      return undefined;
    }
    const a = real as JsonObject, b = ours as JsonObject;
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (!(k in a) || !(k in b)) return `${path}.${k}: real ${show(a[k])} | ours ${show(b[k])}`;
      const d = jsonDifference(a[k] as Json, b[k] as Json, `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return JSON.stringify(real) === JSON.stringify(ours) ? undefined : `${path}: real ${show(real)} | ours ${show(ours)}`;
}

/** The records of an OVSDB log file's text ("OVSDB JSON <len> <sha1>" then the JSON). */
function logRecords(text: string): JsonObject[] {
  const out: JsonObject[] = [];
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    if (!/^OVSDB JSON \d+ [0-9a-f]{40}$/.test(lines[i] as string)) throw new Error(`not a log header: ${lines[i]}`);
    out.push(JSON.parse(lines[i + 1] as string) as JsonObject);
  }
  return out;
}

/** Backup text with its _date and the header (whose sha1 covers _date) made constant. */
function undated(text: string): string {
  return text.replace(/"_date":\d+/g, '"_date":0').replace(/^OVSDB JSON \d+ [0-9a-f]{40}$/gm, 'OVSDB JSON <len> <sha1>');
}

t.test('backup and restore', { skip }, async (t) => {
  const a = await serverWith(t, BASE);
  const scratch = mkdtempSync(join(tmpdir(), 'ovsps-h24-'));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const args = ['backup', a.target, 'Open_vSwitch'];
  const [real, ours] = await Promise.all(BOTH.map((w) => runClient(w, args, a.dir, { timeoutMs: 5000 }))) as [RunResult, RunResult];
  t.equal(real.status, 0, `real backup ${real.stderr}`);
  t.equal(ours.status, 0, `our backup exits 0 ${ours.stderr}`);
  t.equal(ours.stderr, real.stderr, 'backup stderr');
  const files = { real: join(scratch, 'real.backup'), ours: join(scratch, 'ours.backup') };
  writeFileSync(files.real, real.stdout);
  writeFileSync(files.ours, ours.stdout);
  let records: JsonObject[] = [];
  try { records = logRecords(ours.stdout); } catch (e) { t.fail(`our backup is not an OVSDB log: ${(e as Error).message}`); }
  const realRecords = logRecords(real.stdout);
  const strip = (r: JsonObject[]) => r.map(({ _date, ...rest }) => { void _date; return rest; });
  const where = jsonDifference(strip(realRecords) as Json, strip(records) as Json, 'records');
  if (where === undefined) t.pass('backup records (schema, then all rows with their UUIDs and a comment) equal, _date aside');
  else t.fail(`backup records (schema, then all rows with their UUIDs and a comment) equal, _date aside\nfirst difference: ${where}`);
  const text = compareRuns({ ...real, stdout: undated(real.stdout) }, { ...ours, stdout: undated(ours.stdout) }, { known: uuidsIn(real, ours) });
  if (text === undefined) t.pass('backup text equal byte for byte (_date aside): same table, row and column order');
  else t.fail(`backup text equal byte for byte (_date aside): same table, row and column order\n${text}`);

  // Both files are valid databases for ovsdb-tool, with the same content.
  const select = JSON.stringify(['Open_vSwitch',
    { op: 'select', table: 'Bridge', where: [], columns: ['_uuid', 'name', 'ports', 'external_ids', 'other_config', 'controller'] },
    { op: 'select', table: 'Interface', where: [], columns: ['_uuid', 'name', 'options', 'external_ids'] },
    { op: 'select', table: 'Open_vSwitch', where: [], columns: ['_uuid', 'bridges', 'manager_options'] }]);
  for (const tool of [['db-name'], ['db-version'], ['db-cksum'], ['query', select]]) {
    const [rt, ot] = await Promise.all(BOTH.map((w) => {
      const [cmd, ...rest] = tool as [string, ...string[]];
      return runProgram('ovsdb-tool', [cmd, files[w], ...rest], { cwd: scratch });
    })) as [RunResult, RunResult];
    t.equal(rt.status, 0, `ovsdb-tool ${tool[0]} on the real backup ${rt.stderr}`);
    reportRun(t, `ovsdb-tool ${tool[0]} on each backup`, rt, ot);
  }

  // Restore the real backup into a changed database: once with each client, each into its own
  // server started from the same file.
  const admin = await connectRaw(a.target);
  t.teardown(() => admin.close());
  const tables = Object.keys((await admin.getSchema('Open_vSwitch')).tables as JsonObject);
  const atBackup = canonicalDump(await dump(admin, tables), new Set());
  await vsctl(a, 'del-br', 'br1', '--', 'add-br', 'br9', '--', 'set', 'Bridge', 'br0', 'external_ids:owner=other');
  const servers = { real: await serverWith(t, [], a.db), ours: await serverWith(t, [], a.db) };
  const restored = {} as Record<Which, RunResult>;
  for (const w of BOTH) restored[w] = await runClient(w, ['restore', servers[w].target, 'Open_vSwitch'], servers[w].dir, { stdinFile: files.real, timeoutMs: 5000 });
  t.equal(restored.real.status, 0, `real restore ${restored.real.stderr}`);
  reportRun(t, 'ovsdb-client restore $SERVER Open_vSwitch < backup', restored.real, restored.ours);
  for (const w of BOTH) {
    const c = await connectRaw(servers[w].target);
    const after = canonicalDump(await dump(c, tables), new Set());
    await c.close();
    t.equal(after, atBackup, `after ${w} restore, the database holds what it held at backup time (UUIDs aside)`);
  }

  // Errors: a backup of another schema, input that is not a database, too many arguments. (From
  // a pipe real's restore fails, "I/O error: /dev/stdin: seek failed (Illegal seek)"; ours reads
  // it: a deliberate difference, checked below.)
  const garbage = join(scratch, 'garbage'), empty = join(scratch, 'empty');
  writeFileSync(garbage, 'not a database\n');
  writeFileSync(empty, '');
  for (const [label, rargs, stdin] of [
    ['restore into _Server < backup', ['restore', a.target, '_Server'], { stdinFile: files.real }],
    ['restore < garbage', ['restore', a.target, 'Open_vSwitch'], { stdinFile: garbage }],
    ['restore < empty file', ['restore', a.target, 'Open_vSwitch'], { stdinFile: empty }],
    ['backup with an extra argument', ['backup', a.target, 'Open_vSwitch', 'Bridge'], {}],
    ['backup of _Server', ['backup', a.target, '_Server'], {}],
  ] as Array<[string, string[], { stdinFile?: string; input?: string }]>) {
    const [rr, or] = await Promise.all(BOTH.map((w) => runClient(w, rargs, a.dir, { ...stdin, timeoutMs: 5000 }))) as [RunResult, RunResult];
    if (label === 'backup of _Server') {
      // The _Server backup holds the server's own rows, the same for both: compare undated.
      rr.stdout = undated(rr.stdout); or.stdout = undated(or.stdout);
    }
    reportRun(t, `ovsdb-client ${label}`, rr, or);
  }
  // Ours restores from a pipe too (real needs a file it can seek).
  const piped = await runClient('ours', ['restore', a.target, 'Open_vSwitch'], a.dir, { input: readFileSync(files.real, 'utf8'), timeoutMs: 5000 });
  t.same([piped.status, piped.stderr], [0, ''], 'our restore reads a backup from a pipe');
});

t.test('convert to a modified vswitch schema', { skip }, async (t) => {
  const a = await serverWith(t, BASE);
  const scratch = mkdtempSync(join(tmpdir(), 'ovsps-h24-'));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as JsonObject;
  delete schema.cksum;
  const [maj, min, pat] = String(schema.version).split('.').map(Number) as [number, number, number];
  schema.version = `${maj}.${min}.${pat + 1}`;
  const bridge = ((schema.tables as JsonObject).Bridge as JsonObject).columns as JsonObject;
  bridge.h24_note = { type: { key: 'string', min: 0, max: 1 } } as Json;
  const newSchema = join(scratch, 'new.ovsschema');
  writeFileSync(newSchema, JSON.stringify(schema, null, 2));

  const servers = { real: await serverWith(t, [], a.db), ours: await serverWith(t, [], a.db) };
  const each = async (f: (w: Which) => string[]) => {
    const r = {} as Record<Which, RunResult>;
    await Promise.all(BOTH.map(async (w) => { r[w] = await runClient(w, f(w), servers[w].dir, { timeoutMs: 5000 }); }));
    return r;
  };
  const before = await each((w) => ['needs-conversion', servers[w].target, newSchema]);
  reportRun(t, 'ovsdb-client needs-conversion $SERVER NEW-SCHEMA (before)', before.real, before.ours);
  const conv = await each((w) => ['convert', servers[w].target, newSchema]);
  t.equal(conv.real.status, 0, `real convert ${conv.real.stderr}`);
  reportRun(t, 'ovsdb-client convert $SERVER NEW-SCHEMA', conv.real, conv.ours);
  // Afterwards the real client reads both servers: the same version, schema and rows.
  for (const q of [['get-schema-version'], ['needs-conversion', newSchema], ['dump'], ['list-columns', 'Bridge'], ['get-schema']]) {
    const [real, ours] = await Promise.all(BOTH.map((w) => {
      const [cmd, ...rest] = q as [string, ...string[]];
      return runClient('real', [cmd, servers[w].target, ...rest], servers[w].dir, { timeoutMs: 5000 });
    })) as [RunResult, RunResult];
    reportRun(t, `after convert, real ovsdb-client ${q[0]} on the server converted by real vs the one converted by ours`, real, ours);
  }
  const v = await runClient('real', ['get-schema-version', servers.real.target], servers.real.dir);
  t.equal(v.stdout.trim(), schema.version, 'the real conversion took (sanity check of the test)');

  // Errors: a schema file that does not exist or is not JSON, too many arguments. (A schema
  // naming a database the server lacks is left out: real ovsdb-client 3.1 dies of SIGSEGV on it,
  // in convert and in needs-conversion.)
  const broken = join(scratch, 'broken.ovsschema');
  writeFileSync(broken, '{"name": "Open_vSwitch", "tables": ');
  // (A schema that parses but breaks a rule, e.g. no "tables", is left out: our schema checker
  // words its errors its own way, not as OVS's "Parsing database schema failed: ...".)
  for (const bad of [['convert', a.target, join(scratch, 'none.ovsschema')], ['convert', a.target, broken],
    ['convert', a.target, 'Open_vSwitch', newSchema], ['needs-conversion', a.target, broken], ['convert', a.target, SCHEMA]]) {
    const [real, ours] = await Promise.all(BOTH.map((w) => runClient(w, bad, a.dir, { timeoutMs: 5000 }))) as [RunResult, RunResult];
    reportRun(t, `ovsdb-client ${bad[0]} ${bad.slice(2).map((x) => x.replace(scratch, '$DIR')).join(' ')}`, real, ours);
  }
});

t.test('lock, steal, unlock: replies and notifications', { skip }, async (t) => {
  const server = await serverWith(t, [['init']]);
  const dir = server.dir;
  const outputs = {} as Record<Which, Record<string, string>>;
  for (const w of BOTH) {
    const holder = live(t, w, ['lock', server.target, 'L'], dir);
    await reach(holder, (o) => o.stdout.includes('{"locked":true}'), 'holder gets the lock');
    const waiter = live(t, w, ['lock', server.target, 'L'], dir);
    await reach(waiter, (o) => o.stdout.includes('{"locked":false}'), 'waiter is told to wait');
    const stealer = live(t, w, ['steal', server.target, 'L'], dir);
    await reach(stealer, (o) => o.stdout.includes('{"locked":true}'), 'stealer gets the lock');
    await reach(holder, (o) => o.stdout.includes('stolen'), 'holder is told its lock was stolen');
    // The stealer goes away: the lock goes back to the first in line, the old holder.
    stealer.kill();
    await reach(holder, (o) => /locked\n\["L"\]/.test(o.stdout), 'holder gets the lock back');
    holder.kill();
    await reach(waiter, (o) => /locked\n\["L"\]/.test(o.stdout), 'waiter gets the lock');
    // unlock from a connection that holds nothing: the server answers with an error, which
    // ovsdb-client does not print; it runs on until killed.
    const unlocker = live(t, w, ['unlock', server.target, 'L'], dir);
    const other = live(t, w, ['lock', server.target, 'M'], dir);
    await reach(other, (o) => o.stdout.includes('{"locked":true}'), 'another lock is granted');
    await sleep(200);
    const done: Record<string, RunResult> = {};
    for (const [name, c] of Object.entries({ holder, waiter, stealer, unlocker, other })) {
      c.kill();
      done[name] = await c.done;
    }
    outputs[w] = Object.fromEntries(Object.entries(done).map(([k, r]) => [k, `${r.stdout}${normalizeOutput(r.stderr, new Set())}`]));
  }
  for (const role of Object.keys(outputs.real)) t.equal(outputs.ours[role], outputs.real[role], `what the ${role} printed`);
  for (const bad of [['lock', server.target, 'L', 'M'], ['steal'], ['unlock', server.target]]) {
    const [real, ours] = await Promise.all(BOTH.map((w) => runClient(w, bad, dir, { timeoutMs: 3000 }))) as [RunResult, RunResult];
    // `unlock SERVER` takes SERVER as the lock name on the default server and runs until killed.
    reportRun(t, `ovsdb-client ${bad[0]} ${bad.slice(1).map((x) => (x === server.target ? '$SERVER' : x)).join(' ')}`, real, ours);
  }
});

t.test('monitor in every output format, and monitor ALL', { skip }, async (t) => {
  // One bridge, so that every update holds one row (or one row's old and new values) and the
  // output has no hash order to reckon with.
  const server = await serverWith(t, [['init'], ['add-br', 'br0', '--', 'set', 'Bridge', 'br0', 'external_ids:a="x, y"']]);
  const formats = [['-f', 'csv'], ['-f', 'json'], ['-f', 'list'], ['-f', 'html'], ['--bare'], ['-d', 'json'], ['-d', 'bare'], ['--no-headings'],
    ['-f', 'json', '--pretty']];
  const ms = formats.map((f) => {
    const args = [...f, 'monitor', server.target, 'Open_vSwitch', 'Bridge', 'name,external_ids'];
    return { args, m: { real: live(t, 'real', args, server.dir), ours: live(t, 'ours', args, server.dir) } };
  });
  const all = { args: ['monitor', server.target, 'Open_vSwitch', 'ALL'], m: {} as Record<Which, LiveClient> };
  for (const w of BOTH) all.m[w] = live(t, w, all.args, server.dir);
  const clients = [...ms, all].flatMap(({ m }) => BOTH.map((w) => m[w]));
  await Promise.all(clients.map((c) => reach(c, (o) => /initial/.test(o.stdout), 'the initial rows')));
  await vsctl(server, 'set', 'Bridge', 'br0', 'external_ids:b="ü"');
  await Promise.all(clients.map((c) => reach(c, (o) => /new/.test(o.stdout), 'the modification')));
  for (const { args, m } of ms) await compareLive(t, label(args, server), m);
  // ALL: every table's initial rows in one update, rows in hash order: compared as line sets.
  await compareLive(t, 'ovsdb-client monitor $SERVER Open_vSwitch ALL (as line sets)', all.m, true);
});
