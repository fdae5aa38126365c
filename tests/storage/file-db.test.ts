// File-backed databases: round trip, compaction, crash safety (a torn last record cut at every byte,
// a writer SIGKILLed mid-commit again and again), the durable fsync path, locking, and interop both
// ways with Debian's ovsdb-tool / ovsdb-server 3.1.
import t from 'tap';
import fs, { mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Json, JsonObject, RowJson } from '../../engine/ovsdb/api.js';
import { compactDatabaseFile, createDatabaseFile, openDatabaseFile, type FileDatabase } from '../../engine/ovsdb/file-db.js';
import { composeRecord, readLog } from '../../engine/ovsdb/log-file.js';
import { RealOvsdb } from '../lib/real-ovsdb.js';
import { needRealOvs } from '../lib/env.js';

const REAL_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';
const here = fileURLToPath(new URL('.', import.meta.url));

const SCHEMA: JsonObject = {
  name: 'T', version: '1.2.3', cksum: '12345 67',
  tables: {
    A: {
      columns: {
        n: { type: 'integer' },
        s: { type: 'string' },
        m: { type: { key: 'string', value: 'string', min: 0, max: 'unlimited' } },
        set: { type: { key: 'integer', min: 0, max: 'unlimited' } },
        eph: { type: 'string', ephemeral: true },
      },
      isRoot: true,
      indexes: [['n']],
    },
  },
};

function tmp(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h2-fdb-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Rows of a table without `_version` (which OVS regenerates on every read), sorted by uuid. */
function content(rows: Iterable<RowJson>): RowJson[] {
  const out: RowJson[] = [];
  for (const r of rows) {
    const c: RowJson = {};
    for (const k of Object.keys(r).sort()) if (k !== '_version') c[k] = r[k]!;
    out.push(c);
  }
  return out.sort((a, b) => JSON.stringify(a['_uuid']).localeCompare(JSON.stringify(b['_uuid'])));
}

async function ok(db: FileDatabase, ops: Json[]): Promise<Json[]> {
  const res = await db.transact(ops);
  for (const r of res) if (r && typeof r === 'object' && !Array.isArray(r) && 'error' in r) throw new Error(`transaction failed: ${JSON.stringify(res)}`);
  return res;
}

t.test('commits survive close and reopen; ephemeral columns are not stored', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  await createDatabaseFile(path, SCHEMA);
  let db = await openDatabaseFile(path);
  t.equal(db.path, path);
  const r = await ok(db, [{ op: 'insert', table: 'A', row: { n: 1, s: 'one', m: ['map', [['k', 'v']]], set: ['set', [3, 1]], eph: 'gone' }, 'uuid-name': 'a' }]);
  const uuid = ((r[0] as JsonObject)['uuid'] as Json[])[1] as string;
  await ok(db, [{ op: 'insert', table: 'A', row: { n: 2, s: 'two' } }]);
  await ok(db, [{ op: 'update', table: 'A', where: [['n', '==', 1]], row: { s: 'uno', m: ['map', [['k', 'w'], ['x', 'y']]] } }]);
  await ok(db, [{ op: 'mutate', table: 'A', where: [['n', '==', 1]], mutations: [['set', 'insert', ['set', [7]]], ['set', 'delete', 3]] }]);
  await ok(db, [{ op: 'delete', table: 'A', where: [['n', '==', 2]] }]);
  const before = content(db.rows('A'));
  await db.close();

  const log = readLog(path);
  t.equal(log.records.length, 6, 'schema + one record per commit');
  t.notOk(JSON.stringify(log.records.slice(1).map((x) => x.json)).includes('gone'), 'ephemeral value never written');

  db = await openDatabaseFile(path);
  const after = content(db.rows('A'));
  await db.close();
  t.same(after, before.map((row) => { const c = { ...row }; delete c['eph']; return { ...c, eph: '' }; }), 'same rows after reopen (ephemeral back to default)');
  t.equal((after[0]!['_uuid'] as Json[])[1], uuid);
});

t.test('small commits (one string, one write) and big ones (streamed) write the same kind of record', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  await createDatabaseFile(path, SCHEMA);
  let db = await openDatabaseFile(path);
  const rows = (from: number, n: number): Json[] => Array.from({ length: n }, (_, i) => ({ op: 'insert', table: 'A', row: { n: from + i, s: `r${from + i}`, m: ['map', [['k', 'v']]] } }));
  await ok(db, rows(0, 3));
  await ok(db, [...rows(100, 600), { op: 'comment', comment: 'big one' }]);
  await ok(db, [{ op: 'update', table: 'A', where: [['n', '<', 2]], row: { s: 'changed' } }]);
  await ok(db, [{ op: 'update', table: 'A', where: [], row: { m: ['map', []] } }]);
  const before = content(db.rows('A'));
  await db.close();
  const log = readLog(path);
  t.equal(log.records.length, 5, 'schema + one record per commit');
  const recs = log.records.slice(1).map((x) => x.json);
  t.equal(Object.keys(recs[0]!['A'] as JsonObject).length, 3, 'small commit: 3 rows');
  t.equal(Object.keys(recs[1]!['A'] as JsonObject).length, 600, 'big commit: 600 rows');
  t.equal(recs[1]!['_comment'], 'big one');
  t.equal(Object.keys(recs[3]!['A'] as JsonObject).length, 603, 'an update of every row is one streamed record');
  for (const r of recs) t.match(r, { _is_diff: true, _date: Number }, 'diff records with a date');
  t.same(Object.values(recs[2]!['A'] as JsonObject), [{ s: 'changed' }, { s: 'changed' }], 'a small update writes only the changed column');
  db = await openDatabaseFile(path);
  t.same(content(db.rows('A')), before, 'every commit replays to the same rows');
  await db.close();
});

t.test('compaction rewrites the file as schema + one snapshot and keeps every row', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  await createDatabaseFile(path, SCHEMA);
  const db = await openDatabaseFile(path);
  for (let i = 0; i < 50; i++) await ok(db, [{ op: 'insert', table: 'A', row: { n: i, s: `row ${i}` } }]);
  for (let i = 0; i < 50; i += 2) await ok(db, [{ op: 'delete', table: 'A', where: [['n', '==', i]] }]);
  const before = content(db.rows('A'));
  const sizeBefore = statSync(path).size;
  await db.compact();
  t.ok(statSync(path).size < sizeBefore, 'smaller after compaction');
  t.equal(readLog(path).records.length, 2);
  await ok(db, [{ op: 'insert', table: 'A', row: { n: 1000 } }]);
  await db.close();
  t.equal(readLog(path).records.length, 3, 'appends continue after compaction');
  const again = await openDatabaseFile(path);
  t.same(content(again.rows('A')).filter((r) => r['n'] !== 1000), before);
  t.equal(content(again.rows('A')).length, before.length + 1);
  await again.close();
  t.notOk(fs.existsSync(`${path}.tmp`), 'no temporary file left');
});

t.test('a torn last record, cut at every byte, loses only that commit', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  await createDatabaseFile(path, SCHEMA);
  const db = await openDatabaseFile(path);
  await ok(db, [{ op: 'insert', table: 'A', row: { n: 1, s: 'first' } }]);
  await ok(db, [{ op: 'insert', table: 'A', row: { n: 2, s: 'second' } }]);
  const expected = content(db.rows('A'));
  await ok(db, [{ op: 'update', table: 'A', where: [], row: { s: 'last', m: ['map', [['a', 'b']]] } }]);
  await db.close();
  const full = readFileSync(path);
  const log = readLog(path);
  const last = log.records[log.records.length - 1]!;
  const copy = join(dir, 'copy');
  let failures = 0;
  for (let cut = last.offset; cut < last.end; cut++) {
    writeFileSync(copy, full.subarray(0, cut));
    const warnings: string[] = [];
    const d = await openDatabaseFile(copy, { onWarning: (m) => warnings.push(m) });
    const rows = content(d.rows('A'));
    await ok(d, [{ op: 'insert', table: 'A', row: { n: 99 } }]);
    await d.close();
    const good = JSON.stringify(rows) === JSON.stringify(expected)
      && (cut === last.offset ? warnings.length === 0 : warnings.length === 1 && /truncated/.test(warnings[0]!))
      && readLog(copy).records.length === log.records.length && !readLog(copy).tail;
    if (!good) failures++;
  }
  t.equal(failures, 0, `every one of ${last.end - last.offset} cut points kept the earlier commits and stayed writable`);
});

t.test('corruption before the last record is an error naming the offset; the file is left alone', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  await createDatabaseFile(path, SCHEMA);
  const db = await openDatabaseFile(path);
  await ok(db, [{ op: 'insert', table: 'A', row: { n: 1, s: 'first' } }]);
  await ok(db, [{ op: 'insert', table: 'A', row: { n: 2, s: 'second' } }]);
  await db.close();
  const log = readLog(path);
  const bytes = readFileSync(path);
  const i = bytes.indexOf('first');
  bytes.write('FIRST', i);
  writeFileSync(path, bytes);
  await t.rejects(openDatabaseFile(path), { code: 'OVSDB_E_LOG_CORRUPT', offset: log.records[1]!.offset });
  t.ok(readFileSync(path).equals(bytes), 'not truncated');
});

t.test('a second writer is refused; read-only opens never write', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  await createDatabaseFile(path, SCHEMA);
  const db = await openDatabaseFile(path);
  await t.rejects(openDatabaseFile(path), { code: 'OVSDB_E_LOCKED' });
  const ro = await openDatabaseFile(path, { readOnly: true });
  await ok(ro, [{ op: 'insert', table: 'A', row: { n: 5 } }]);
  await ro.close();
  t.equal(readLog(path).records.length, 1, 'read-only commit not written');
  await db.close();
  truncateSync(path, statSync(path).size - 3);
  await t.rejects(openDatabaseFile(path, { readOnly: true }), /error reading \d+ bytes starting at offset \d+ \(End of file\)/);
});

t.test('durable commits fsync before transact returns; others do not', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  await createDatabaseFile(path, SCHEMA);
  const db = await openDatabaseFile(path);
  const real = fs.fsyncSync;
  let fsyncs = 0;
  (fs as { fsyncSync: typeof fs.fsyncSync }).fsyncSync = (fd: number) => { fsyncs++; real(fd); };
  syncBuiltinESMExports();
  t.teardown(() => { (fs as { fsyncSync: typeof fs.fsyncSync }).fsyncSync = real; syncBuiltinESMExports(); });
  await ok(db, [{ op: 'insert', table: 'A', row: { n: 1 } }]);
  t.equal(fsyncs, 0, 'plain commit: written, not fsynced');
  await ok(db, [{ op: 'insert', table: 'A', row: { n: 2 } }, { op: 'commit', durable: true }]);
  t.equal(fsyncs, 1, 'durable commit fsynced before transact resolved');
  await db.close();
  t.equal(readLog(path).records.length, 3);
});

t.test('a failed write rolls the transaction back with "I/O error" and loses nothing', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  await createDatabaseFile(path, SCHEMA);
  const db = await openDatabaseFile(path);
  await ok(db, [{ op: 'insert', table: 'A', row: { n: 1 } }]);
  const realWrite = fs.writeSync;
  let failNext = true;
  (fs as { writeSync: typeof fs.writeSync }).writeSync = ((...a: Parameters<typeof fs.writeSync>) => {
    if (failNext) {
      failNext = false;
      const e = new Error('ENOSPC: no space left on device') as NodeJS.ErrnoException;
      e.code = 'ENOSPC';
      throw e;
    }
    return (realWrite as (...x: unknown[]) => number)(...a);
  }) as typeof fs.writeSync;
  syncBuiltinESMExports();
  t.teardown(() => { (fs as { writeSync: typeof fs.writeSync }).writeSync = realWrite; syncBuiltinESMExports(); });
  const res = await db.transact([{ op: 'insert', table: 'A', row: { n: 2 } }]);
  t.match(JSON.stringify(res), /"error":"I\/O error"/, 'transaction reports I/O error');
  t.match(JSON.stringify(res), /No space left on device/);
  t.same(content(db.rows('A')).map((r) => r['n']), [1], 'rolled back in memory');
  await ok(db, [{ op: 'insert', table: 'A', row: { n: 3 } }]);
  await db.close();
  const again = await openDatabaseFile(path);
  t.same(content(again.rows('A')).map((r) => r['n']).sort(), [1, 3], 'file holds exactly the committed transactions');
  await again.close();
});

t.test('automatic compaction keeps the log small and the data whole', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  await createDatabaseFile(path, SCHEMA);
  const db = await openDatabaseFile(path, { autoCompact: { minBytes: 4000, minIntervalMs: 0 } });
  for (let i = 0; i < 300; i++) {
    await ok(db, [{ op: 'update', table: 'A', where: [], row: { s: `v${i}` } }, ...(i % 10 === 0 ? [{ op: 'insert', table: 'A', row: { n: i } }] : [])]);
    await new Promise((r) => setImmediate(r));
  }
  const before = content(db.rows('A'));
  await db.close();
  const log = readLog(path);
  t.ok(log.records.length < 150, `log compacted along the way (${log.records.length} records for 300 commits)`);
  t.ok(log.records.some((r) => r.json['_comment'] === 'compacting database online'), 'snapshot record present');
  const again = await openDatabaseFile(path);
  t.same(content(again.rows('A')), before);
  await again.close();
});

t.test('a writer SIGKILLed mid-commit, again and again, never loses an acknowledged commit', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  await createDatabaseFile(path, SCHEMA);
  const child = join(here, 'crash-writer.js');
  const rounds = 6;
  let acked = -1;
  let repaired = 0;
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const durable = round % 3 === 0;
    const started = Date.now();
    const proc = spawn(process.execPath, [child, path, durable ? 'durable' : ''], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const killAfter = 5 + Math.floor(Math.random() * 200);
    let seen = 0;
    const done = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
    for await (const line of createInterface({ input: proc.stdout })) {
      const m = /^ack (\d+)$/.exec(line);
      if (m) {
        acked = Math.max(acked, Number(m[1]));
        if (++seen === killAfter) proc.kill('SIGKILL');
      }
    }
    await done;
    times.push(Date.now() - started);
    if (/warning: .*truncated/.test(stderr)) repaired++;
    if (/transact failed|Error/.test(stderr)) t.fail(`child failed: ${stderr}`);
  }
  const db = await openDatabaseFile(path, { onWarning: () => { repaired++; } });
  const ns = new Set<number>();
  for (const r of db.rows('A')) ns.add(r['n'] as number);
  await db.close();
  let missing = 0;
  for (let i = 0; i <= acked; i++) if (!ns.has(i)) missing++;
  t.ok(acked + 1 >= rounds * 5, `children acknowledged ${acked + 1} commits over ${rounds} kills`);
  t.equal(missing, 0, 'every acknowledged commit is in the database after the kills');
  t.comment(`torn tails repaired on reopen: ${repaired}; round times (ms): ${times.join(' ')}`);
});

t.test('interop with Debian ovsdb-tool / ovsdb-server 3.1', { skip: needRealOvs() }, async (t) => {
  const dir = tmp(t);
  const tool = (...args: string[]) => spawnSync('ovsdb-tool', args, { encoding: 'utf8' });
  const schema = JSON.parse(readFileSync(REAL_SCHEMA, 'utf8')) as JsonObject;
  const selectAll = (table: string) => JSON.stringify(['Open_vSwitch', { op: 'select', table, where: [] }]);
  const realRows = (path: string, table: string): RowJson[] => {
    const r = tool('query', path, selectAll(table));
    if (r.status !== 0) throw new Error(r.stderr);
    return content(((JSON.parse(r.stdout) as JsonObject[])[0]!['rows']) as RowJson[]);
  };

  t.test('ours -> real: real ovsdb-tool reads our file, agrees on content, compacts it, and we read that back', async (t) => {
    const path = join(dir, 'ours.db');
    await createDatabaseFile(path, schema);
    const db = await openDatabaseFile(path);
    await ok(db, [
      { op: 'insert', table: 'Open_vSwitch', row: { ovs_version: '3.1.0', bridges: ['named-uuid', 'br'], external_ids: ['map', [['k', 'v'], ['zeta', 'é "q"']]] } },
      { op: 'insert', table: 'Bridge', 'uuid-name': 'br', row: { name: 'br0', ports: ['named-uuid', 'p'], other_config: ['map', [['a', '1']]] } },
      { op: 'insert', table: 'Port', 'uuid-name': 'p', row: { name: 'p0', interfaces: ['named-uuid', 'i'], tag: 10 } },
      { op: 'insert', table: 'Interface', 'uuid-name': 'i', row: { name: 'p0', type: 'internal' } },
      { op: 'comment', comment: 'made by ours' },
    ]);
    await ok(db, [{ op: 'update', table: 'Port', where: [['name', '==', 'p0']], row: { tag: 20, trunks: ['set', [1, 2, 3]] } }]);
    await ok(db, [{ op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['next_cfg', '+=', 1]] }]);
    const ours: Record<string, RowJson[]> = {};
    for (const tname of ['Open_vSwitch', 'Bridge', 'Port', 'Interface']) ours[tname] = content(db.rows(tname));
    await db.close();

    for (const tname of Object.keys(ours)) t.same(realRows(path, tname), ours[tname], `real query sees our ${tname} rows`);
    t.equal(tool('db-version', path).stdout, `${schema['version']}\n`);
    t.equal(tool('db-cksum', path).stdout, `${schema['cksum']}\n`);
    const show = tool('-m', 'show-log', path);
    t.equal(show.status, 0, show.stderr);
    t.match(show.stdout, /record 1: .* "made by ours"\n  table /);
    t.match(show.stdout, /record 3: /);

    const compacted = join(dir, 'ours-compacted.db');
    t.equal(tool('compact', path, compacted).status, 0);
    const back = await openDatabaseFile(compacted);
    for (const tname of Object.keys(ours)) t.same(content(back.rows(tname)), ours[tname], `we read real-compacted ${tname}`);
    await back.close();
  });

  t.test('real -> ours: we read what real ovsdb-tool create/transact wrote', async (t) => {
    const path = join(dir, 'real.db');
    t.equal(tool('create', path, REAL_SCHEMA).status, 0);
    const steps: Json[][] = [
      [{ op: 'insert', table: 'Open_vSwitch', row: { ovs_version: 'x', bridges: ['named-uuid', 'br'] } },
        { op: 'insert', table: 'Bridge', 'uuid-name': 'br', row: { name: 'br0', external_ids: ['map', [['a', 'b']]] } }],
      [{ op: 'update', table: 'Bridge', where: [], row: { external_ids: ['map', [['c', 'd']]], fail_mode: 'secure' } }],
      [{ op: 'mutate', table: 'Bridge', where: [], mutations: [['flood_vlans', 'insert', ['set', [5, 6]]]] }],
      [{ op: 'insert', table: 'Open_vSwitch', row: {} }, { op: 'comment', comment: 'second' }],
      [{ op: 'delete', table: 'Open_vSwitch', where: [['ovs_version', '==', 'x']] }],
    ];
    for (const s of steps) {
      const r = tool('transact', path, JSON.stringify(['Open_vSwitch', ...s]));
      t.equal(r.status, 0, r.stderr);
    }
    const db = await openDatabaseFile(path);
    for (const tname of ['Open_vSwitch', 'Bridge']) t.same(content(db.rows(tname)), realRows(path, tname), `our ${tname} rows match real query`);
    await db.close();
  });

  t.test('real ovsdb-server -> ours: byte-identical records, same rows', async (t) => {
    const srv = await RealOvsdb.start({ schemaPath: REAL_SCHEMA });
    t.teardown(() => srv.stop());
    const steps: Json[][] = [
      [{ op: 'insert', table: 'Open_vSwitch', row: { bridges: ['named-uuid', 'b'], external_ids: ['map', [['hostname', 'h'], ['x', 'ü']]] } },
        { op: 'insert', table: 'Bridge', 'uuid-name': 'b', row: { name: 'br0', ports: ['named-uuid', 'p'] } },
        { op: 'insert', table: 'Port', 'uuid-name': 'p', row: { name: 'br0', interfaces: ['named-uuid', 'i'] } },
        { op: 'insert', table: 'Interface', 'uuid-name': 'i', row: { name: 'br0', type: 'internal', ofport_request: 5 } },
        { op: 'comment', comment: 'ovs-vsctl: add-br br0' }],
      [{ op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['next_cfg', '+=', 1], ['external_ids', 'delete', ['set', ['x']]]] }],
      [{ op: 'update', table: 'Port', where: [], row: { tag: 100, trunks: ['set', [1, 2]], other_config: ['map', [['a', 'b']]] } }],
      [{ op: 'update', table: 'Port', where: [], row: { trunks: ['set', [2, 3]] } }],
      [{ op: 'update', table: 'Interface', where: [], row: { type: '' } }, { op: 'commit', durable: true }],
    ];
    for (const s of steps) {
      const r = await srv.transact('Open_vSwitch', s);
      t.notMatch(JSON.stringify(r), /"error"/, 'real transaction ok');
    }
    const bytes = readFileSync(srv.dbPath);
    const log = readLog(srv.dbPath);
    t.equal(log.records.length, steps.length + 1);
    t.ok(Buffer.concat(log.records.map((x) => composeRecord(x.json))).equals(bytes), 'our framing of its records is byte-identical');
    const copy = join(dir, 'from-server.db');
    writeFileSync(copy, bytes);
    const db = await openDatabaseFile(copy);
    for (const table of ['Open_vSwitch', 'Bridge', 'Port', 'Interface']) {
      const res = await srv.transact('Open_vSwitch', [{ op: 'select', table, where: [] }]) as JsonObject[];
      t.same(content(db.rows(table)), content(res[0]!['rows'] as RowJson[]), `${table}: same rows as the server`);
    }
    await db.close();
  });

  t.test('a real ovsdb-server and our writer exclude each other through the lock file', async (t) => {
    const path = join(dir, 'locked.db');
    await createDatabaseFile(path, schema);
    const srv = spawn('/usr/sbin/ovsdb-server', [path, `--remote=punix:${join(dir, 's.sock')}`, `--unixctl=${join(dir, 's.ctl')}`,
      `--pidfile=${join(dir, 's.pid')}`, `--log-file=${join(dir, 's.log')}`, '--no-chdir'], { stdio: 'ignore' });
    t.teardown(() => { srv.kill('SIGKILL'); });
    for (let i = 0; i < 100 && !fs.existsSync(join(dir, 's.sock')); i++) await new Promise((r) => setTimeout(r, 50));
    t.ok(fs.existsSync(join(dir, 's.sock')), 'real server up');
    await t.rejects(openDatabaseFile(path), { code: 'OVSDB_E_LOCKED' }, 'we cannot open while ovsdb-server holds it');
    await t.rejects(compactDatabaseFile(path, undefined, 'x'), { message: /^.*locked\.db: failed to lock lockfile \(Resource temporarily unavailable\)$/ },
      'nor compact it in place');
    srv.kill('SIGTERM');
    await new Promise((r) => srv.on('exit', r));
    const db = await openDatabaseFile(path);
    const r = tool('transact', path, '["Open_vSwitch"]');
    t.equal(r.status, 1);
    t.match(r.stderr, /failed to lock lockfile/, 'real ovsdb-tool cannot write while we hold it');
    await db.close();
  });
});
