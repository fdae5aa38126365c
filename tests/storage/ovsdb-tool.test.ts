// Our ovsdb-tool against Debian's /usr/bin/ovsdb-tool 3.1: same inputs, same stdout, stderr and exit
// status (UUIDs and dates normalised where each run makes its own). Ours runs in-process through
// main() (fast); the launcher in engine/bin is checked once as a child process.
import t from 'tap';
import fs, { mkdtempSync, readFileSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { main } from '../../engine/cli/ovsdb-tool.js';
import { readLog } from '../../engine/ovsdb/log-file.js';
import { jsonEqual } from '../../engine/ovsdb/schema-canonical.js';
import { sortedJsonString } from '../../engine/ovsdb/errors.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { needRealOvs } from '../lib/env.js';

const REAL_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

interface Run { stdout: string; stderr: string; status: number }

async function ours(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const status = await main(args, { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; } });
  process.exitCode = 0;
  return { stdout, stderr, status };
}

function real(...args: string[]): Run {
  const r = spawnSync('/usr/bin/ovsdb-tool', args, { encoding: 'utf8', argv0: 'ovsdb-tool' });
  // Drop vlog lines (lockfile warnings) that only the real tool prints.
  const stderr = r.stderr.split('\n').filter((l) => !/^\d{4}-\d\d-\d\dT.*\|/.test(l)).join('\n');
  return { stdout: r.stdout, stderr, status: r.status ?? -1 };
}

/** Replaces UUIDs by <0>, <1>... in order of first appearance, and dates by <date>. */
function filt(s: string): string {
  const seen = new Map<string, number>();
  return s
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (u) => {
      if (!seen.has(u)) seen.set(u, seen.size);
      return `<${seen.get(u)}>`;
    })
    .replace(/\b[0-9a-f]{8}\b/g, '<short>')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/g, '<date>');
}

function tmp(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h2-tool-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** show-log output with the lines of each record's table section sorted (OVS prints the tables,
 *  rows and columns of a record in hash order, we in file order). */
function sortedShowLog(s: string): string {
  return s.split(/\n(?=record \d+:)/).map((rec) => {
    const lines = rec.split('\n');
    return [lines[0], ...lines.slice(1).sort()].join('\n');
  }).join('\n');
}

const TXNS: Json[][] = [
  [{ op: 'insert', table: 'Open_vSwitch', row: { ovs_version: '3.1.0', bridges: ['named-uuid', 'b'], external_ids: ['map', [['system-id', 'x y']]] } },
    { op: 'insert', table: 'Bridge', 'uuid-name': 'b', row: { name: 'br0', ports: ['named-uuid', 'p'] } },
    { op: 'insert', table: 'Port', 'uuid-name': 'p', row: { name: 'br0', interfaces: ['named-uuid', 'i'] } },
    { op: 'insert', table: 'Interface', 'uuid-name': 'i', row: { name: 'br0', type: 'internal' } },
    { op: 'comment', comment: 'add br0' }],
  [{ op: 'update', table: 'Port', where: [['name', '==', 'br0']], row: { tag: 7, trunks: ['set', [1, 2, 3]] } }],
  [{ op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['next_cfg', '+=', 1], ['external_ids', 'insert', ['map', [['a', '1']]]]] }],
  [{ op: 'insert', table: 'Bridge', row: { name: 'orphan' } }],
  [{ op: 'update', table: 'Interface', where: [], row: { type: 'bogus-type-accepted', mtu_request: 0 } }],
  [{ op: 'select', table: 'Bridge', where: [['name', '==', 'nope']] }],
  [{ op: 'insert', table: 'Nope', row: {} }],
  [{ op: 'delete', table: 'Port', where: [] }],
];

t.test('against Debian ovsdb-tool 3.1', { skip: needRealOvs() }, async (t) => {
  const dir = tmp(t);
  const r = join(dir, 'real.db');
  const o = join(dir, 'ours.db');

  t.test('create writes the same canonical schema record', async (t) => {
    const a = real('create', r, REAL_SCHEMA);
    const b = await ours('create', o, REAL_SCHEMA);
    t.same(b, a);
    t.ok(jsonEqual(readLog(o).records[0]!.json, readLog(r).records[0]!.json), 'same schema record content');
    t.equal(statSync(o).size, statSync(r).size, 'same file size (only key order may differ)');
    const again = real('create', r, REAL_SCHEMA);
    t.same(await ours('create', o, REAL_SCHEMA), { ...again, stderr: again.stderr.replace(r, o) }, 'create on an existing file: same error');
  });

  t.test('the same transactions give the same results', async (t) => {
    for (const txn of TXNS) {
      const a = real('transact', r, JSON.stringify(['Open_vSwitch', ...txn]));
      const b = await ours('transact', o, JSON.stringify(['Open_vSwitch', ...txn]));
      t.same({ ...b, stdout: filt(b.stdout) }, { ...a, stdout: filt(a.stdout) }, JSON.stringify(txn).slice(0, 80));
    }
    for (const q of [['Open_vSwitch'], ['Foo'], []]) {
      const a = real('query', r, JSON.stringify(q));
      const b = await ours('query', o, JSON.stringify(q));
      t.same(b, a, `query ${JSON.stringify(q)}`);
    }
    t.same(await ours('query', o, '{"a":1}'), real('query', r, '{"a":1}'));
    for (const table of ['Open_vSwitch', 'Bridge', 'Port', 'Interface']) {
      const q = JSON.stringify(['Open_vSwitch', { op: 'select', table, where: [] }]);
      const a = JSON.parse(real('query', r, q).stdout) as JsonObject[];
      const b = JSON.parse((await ours('query', o, q)).stdout) as JsonObject[];
      const strip = (x: JsonObject[]) => (x[0]!['rows'] as JsonObject[]).map((row) => { const c = { ...row }; delete c['_uuid']; delete c['_version']; return filt(JSON.stringify(c)); }).sort();
      t.same(strip(b), strip(a), `${table} rows`);
    }
  });

  t.test('the transaction records in the two files say the same thing', async (t) => {
    const recs = (f: string) => readLog(f).records.slice(1).map((x) => {
      const j = { ...x.json };
      delete j['_date'];
      return filt(sortedJsonString(j));
    });
    const a = recs(r);
    const b = recs(o);
    t.equal(b.length, a.length, 'same number of records');
    for (let i = 0; i < Math.max(a.length, b.length); i++) t.equal(b[i], a[i], `record ${i + 1}`);
  });

  t.test('show-log on a file written by the real tool prints exactly the same', async (t) => {
    for (const m of [[], ['-m'], ['-mm'], ['--more', '--more', '--more']]) {
      const a = real(...m, 'show-log', r);
      const b = await ours(...m, 'show-log', r);
      t.same(b, a, `show-log ${m.join(' ')}`);
    }
  });

  t.test('show-log on our file: the real tool and ours agree (up to its hash order)', async (t) => {
    for (const m of [[], ['-m'], ['-mm']]) {
      const a = real(...m, 'show-log', o);
      const b = await ours(...m, 'show-log', o);
      t.equal(b.status, 0);
      t.equal(a.status, 0, a.stderr);
      t.equal(sortedShowLog(b.stdout), sortedShowLog(a.stdout), `show-log ${m.join(' ')}`);
    }
  });

  t.test('db-* and schema-* reports match', async (t) => {
    for (const cmd of ['db-version', 'db-cksum', 'db-name']) {
      for (const f of [r, o]) t.same(await ours(cmd, f), real(cmd, f), `${cmd} ${f === r ? 'real' : 'ours'}`);
    }
    for (const f of [r, o]) t.same(await ours('needs-conversion', f, REAL_SCHEMA), real('needs-conversion', f, REAL_SCHEMA), 'needs-conversion');
    for (const cmd of ['schema-version', 'schema-cksum', 'schema-name']) t.same(await ours(cmd, REAL_SCHEMA), real(cmd, REAL_SCHEMA), cmd);
    t.same(await ours('db-is-standalone', o), real('db-is-standalone', o));
    t.same(await ours('db-is-clustered', o), real('db-is-clustered', o));
  });

  t.test('compact and convert produce the same data as the real tool', async (t) => {
    const snap = (f: string) => {
      const recs = readLog(f).records;
      const s = { ...recs[1]!.json };
      delete s['_date'];
      return { n: recs.length, schema: recs[0]!.json, s };
    };
    t.same(await ours('compact', o, join(dir, 'o-c.db')), real('compact', o, join(dir, 'r-c.db')));
    const a = snap(join(dir, 'r-c.db'));
    const b = snap(join(dir, 'o-c.db'));
    t.equal(b.n, 2);
    t.ok(jsonEqual(b.s, a.s), 'same snapshot record (minus _date)');
    t.ok(jsonEqual(b.schema, a.schema), 'same schema record');

    // A new schema version: one column dropped, one added, a table removed.
    const schema = JSON.parse(readFileSync(REAL_SCHEMA, 'utf8')) as JsonObject;
    const tables = schema['tables'] as JsonObject;
    delete tables['AutoAttach'];
    const bridge = (tables['Bridge'] as JsonObject)['columns'] as JsonObject;
    delete bridge['auto_attach'];
    delete bridge['datapath_version'];
    bridge['colour'] = { type: { key: 'string', min: 0, max: 1 } };
    schema['version'] = '9.0.0';
    const newSchema = join(dir, 'new.ovsschema');
    writeFileSync(newSchema, JSON.stringify(schema, null, 2));
    t.same(await ours('needs-conversion', o, newSchema), real('needs-conversion', r, newSchema), 'needs-conversion yes');
    t.same(await ours('convert', o, newSchema, join(dir, 'o-v.db')), real('convert', o, newSchema, join(dir, 'r-v.db')));
    const av = snap(join(dir, 'r-v.db'));
    const bv = snap(join(dir, 'o-v.db'));
    t.ok(jsonEqual(bv.s, av.s), 'same converted data');
    t.ok(jsonEqual(bv.schema, av.schema), 'same converted schema record');
    t.same(await ours('db-version', join(dir, 'o-v.db')), { stdout: '9.0.0\n', stderr: '', status: 0 });

    // In place: ours compacts its own file in place; the real tool reads the result.
    t.same(await ours('compact', o), { stdout: '', stderr: '', status: 0 });
    t.equal(readLog(o).records.length, 2);
    t.equal(real('show-log', o).status, 0);
    t.notOk(fs.existsSync(`${o}.tmp`));
  });

  t.test('damaged files: same report as the real tool', async (t) => {
    const torn = join(dir, 'torn.db');
    fs.copyFileSync(r, torn);
    truncateSync(torn, statSync(torn).size - 10);
    for (const args of [['show-log', torn], ['db-version', torn], ['query', torn, '["Open_vSwitch"]'], ['transact', torn, '["Open_vSwitch"]'], ['-m', 'show-log', torn]]) {
      t.same(await ours(...args), real(...args), args.join(' '));
    }
    t.equal(statSync(torn).size, statSync(r).size - 10, 'ovsdb-tool does not repair the file');
    const mid = join(dir, 'mid.db');
    const bytes = readFileSync(r);
    const i = bytes.indexOf('add br0');
    bytes.write('ADD', i);
    writeFileSync(mid, bytes);
    const a = real('show-log', mid);
    const b = await ours('show-log', mid);
    t.equal(b.status, a.status);
    t.equal(b.stdout, a.stdout, 'records before the damage printed');
    t.equal(b.stderr, a.stderr, 'same message');
    const q = await ours('query', mid, '["Open_vSwitch"]');
    t.equal(q.status, 1);
    t.match(q.stderr, /log is corrupt at offset \d+: a valid record follows at offset \d+/, 'opening it says it is corrupt in the middle');
  });

  t.test('usage errors: same messages and exit codes', async (t) => {
    const cases: string[][] = [
      [], ['bogus'], ['db-version', 'a', 'b'], ['query'], ['--foo'], ['-x'], ['--rbac-role'],
      ['db-version', join(dir, 'nonexistent')], ['show-log', join(dir, 'nonexistent')],
      ['compare-versions', '1.2.3', '<', '1.3.0'], ['compare-versions', '1.2.3', '>', '1.3.0'],
      ['compare-versions', '1.2', '>', '1.3.0'], ['compare-versions', '1.2.3', '~', '1.3.0'],
      ['schema-version', join(dir, 'nonexistent')], ['--version'],
      ['create', join(dir, 'no-such-dir', 'x.db'), REAL_SCHEMA], ['db-cid', o], ['compare-versions', '1.2.3'],
    ];
    for (const c of cases) t.same(await ours(...c), real(...c), `ovsdb-tool ${c.join(' ')}`);
    const bad = await ours('transact', o, 'notjson');
    t.equal(bad.status, 1);
    t.match(bad.stderr, /^ovsdb-tool: "notjson": /);
    const x = await ours('query', o, '"x"');
    t.equal(x.status, 1);
    t.match(x.stderr, /^ovsdb-tool: ""x"": .*syntax error at beginning of input\n$/);
  });
});

t.test('the engine/bin launcher runs the compiled tool and sets the exit status', async (t) => {
  const bin = join(projectRoot, 'engine', 'bin', 'ovsdb-tool');
  const v = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
  t.equal(v.status, 0);
  t.equal(v.stdout, 'ovsdb-tool (Open vSwitch) 3.1.0\n');
  const e = spawnSync(process.execPath, [bin, 'db-version', '/nonexistent/x.db'], { encoding: 'utf8' });
  t.equal(e.status, 1);
  t.equal(e.stderr, 'ovsdb-tool: I/O error: /nonexistent/x.db: open failed (No such file or directory)\n');
  const h = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  t.match(h.stdout, new RegExp(`The default DB is ${join(projectRoot, 'var', 'lib', 'openvswitch', 'conf.db').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`));
});

t.test('default paths: <dbdir>/conf.db and <pkgdatadir>/vswitch.ovsschema', async (t) => {
  const dir = tmp(t);
  const saved = process.env['OVS_DBDIR'];
  process.env['OVS_DBDIR'] = dir;
  t.teardown(() => { if (saved === undefined) delete process.env['OVS_DBDIR']; else process.env['OVS_DBDIR'] = saved; });
  const schema = JSON.parse(readFileSync(join(projectRoot, 'manifests', 'vswitch.ovsschema'), 'utf8')) as JsonObject;
  t.same(await ours('create'), { stdout: '', stderr: '', status: 0 });
  t.ok(fs.existsSync(join(dir, 'conf.db')), 'created <dbdir>/conf.db');
  t.same(await ours('db-version'), { stdout: `${schema['version']}\n`, stderr: '', status: 0 });
  t.same(await ours('schema-version'), { stdout: `${schema['version']}\n`, stderr: '', status: 0 });
  t.same(await ours('needs-conversion'), { stdout: 'no\n', stderr: '', status: 0 });
  t.same(await ours('transact', '["Open_vSwitch",{"op":"insert","table":"Open_vSwitch","row":{}}]').then((r) => r.status), 0);
  t.match((await ours('query', '["Open_vSwitch",{"op":"select","table":"Open_vSwitch","where":[],"columns":["next_cfg"]}]')).stdout, /^\[\{"rows":\[\{"next_cfg":0\}\]\}\]\n$/);
  t.same(await ours('compact'), { stdout: '', stderr: '', status: 0 });
  t.match((await ours('show-log')).stdout, /^record 0: "Open_vSwitch" schema, version="[\d.]+", cksum="[\d ]+"\n\nrecord 1: .* "compacted by ovsdb-tool 3\.1\.0"\n$/);
});

t.test('--option and -o list the options as real ovsdb-tool does', { skip: needRealOvs() }, async (t) => {
  for (const flag of ['--option', '-o']) {
    const r = real(flag);
    t.same(await ours(flag), { stdout: r.stdout, stderr: r.stderr, status: r.status }, flag);
  }
});
