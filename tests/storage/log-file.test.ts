// The OVSDB log file layer: framing, validation, torn tails at every offset, corruption in the
// middle, the lock file, fsync on the durable path, and byte-level agreement with Debian's
// ovsdb-tool 3.1.
import t from 'tap';
import fs, { mkdtempSync, readFileSync, existsSync, truncateSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  composeRecord, createLog, LogError, openLogForWrite, parseLog, readLog, replaceLogFile,
} from '../../engine/ovsdb/log-file.js';
import { LockError } from '../../engine/ovsdb/lockfile.js';
import { needRealOvs } from '../lib/env.js';

const REAL_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

function tmp(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h2-log-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const SCHEMA = { name: 'T', version: '1.0.0', tables: { A: { columns: { n: { type: 'integer' }, s: { type: 'string' } } } } };
const txn = (i: number) => ({ A: { [`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`]: { n: i, s: `räksmörgås ${i}` } }, _date: 1700000000000 + i, _is_diff: true });

t.test('a record is a header line with the byte length and SHA-1 of the JSON line, LF included', async (t) => {
  const rec = composeRecord({ s: 'é' });
  const text = rec.toString('utf8');
  const [header, data] = [text.slice(0, text.indexOf('\n') + 1), text.slice(text.indexOf('\n') + 1)];
  t.equal(data, '{"s":"é"}\n');
  const bytes = Buffer.from(data, 'utf8');
  t.equal(header, `OVSDB JSON ${bytes.length} ${createHash('sha1').update(bytes).digest('hex')}\n`);
  t.equal(bytes.length, 11, 'length counts UTF-8 bytes, not characters');
});

t.test('every record of a log round-trips; a torn last record at any byte offset is a tail, never an error', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  createLog(path, [SCHEMA, txn(1), txn(2)]);
  const full = readFileSync(path);
  const c = parseLog(full, 'db');
  t.equal(c.records.length, 3);
  t.same(c.records[2]!.json, txn(2));
  t.equal(c.validEnd, full.length);
  t.notOk(c.tail);
  const lastStart = c.records[2]!.offset;
  let checked = 0;
  for (let cut = lastStart; cut < full.length; cut++) {
    const r = parseLog(full.subarray(0, cut), 'db');
    if (r.records.length !== 2 || r.validEnd !== lastStart || (cut > lastStart && r.tail?.offset !== lastStart)) {
      t.fail(`cut at ${cut}: ${r.records.length} records, validEnd ${r.validEnd}`);
      return;
    }
    checked++;
  }
  t.equal(checked, full.length - lastStart, 'checked every cut point of the last record');
});

t.test('a damaged last record (bad hash, garbage) is a torn tail; damage with valid records after it is an error naming the offset', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  createLog(path, [SCHEMA, txn(1), txn(2)]);
  const full = readFileSync(path);
  const c = parseLog(full, 'db');
  const r1 = c.records[1]!;
  const r2 = c.records[2]!;

  const badLast = Buffer.from(full);
  badLast[r2.end - 3] ^= 0x01;
  const tail = parseLog(badLast, 'db');
  t.equal(tail.records.length, 2);
  t.match(tail.tail?.error.message, /^syntax error: db: \d+ bytes starting at offset \d+ have SHA-1 hash [0-9a-f]{40} but should have hash [0-9a-f]{40}$/);

  const zeros = Buffer.concat([full, Buffer.alloc(4096)]);
  t.equal(parseLog(zeros, 'db').tail?.offset, full.length, 'zero-filled tail after a crash is a torn tail');

  const badMiddle = Buffer.from(full);
  badMiddle[r1.end - 3] ^= 0x01;
  t.throws(() => parseLog(badMiddle, 'db'), {
    code: 'OVSDB_E_LOG_CORRUPT', offset: r1.offset,
    message: new RegExp(`log is corrupt at offset ${r1.offset}: a valid record follows at offset ${r2.offset}`),
  });
  t.throws(() => parseLog(badMiddle, 'db'), LogError);

  const badHeader = Buffer.from(full);
  badHeader.write('XVSDB', r1.offset, 'latin1');
  t.throws(() => parseLog(badHeader, 'db'), /parse error at offset \d+ in header line "XVSDB JSON/);

  t.throws(() => parseLog(Buffer.from('hello\n'), 'junk'), /^ovsdb error: junk: unexpected file format$/);
  t.throws(() => parseLog(Buffer.alloc(0), 'e', ['JSON', 'CLUSTER']), /^ovsdb error: e: cannot identify file type$/);
});

t.test('opening for write truncates a torn tail and appends after the last good record', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  createLog(path, [SCHEMA, txn(1), txn(2)]);
  const size = statSync(path).size;
  truncateSync(path, size - 7);
  const o = openLogForWrite(path);
  t.ok(o.truncated, 'torn tail reported');
  t.equal(o.contents.records.length, 2);
  o.writer.append(txn(3), true);
  o.writer.close();
  const again = readLog(path);
  t.same(again.records.map((r) => r.json), [SCHEMA, txn(1), txn(3)]);
  t.notOk(again.tail);
});

t.test('appends are single writes; the durable ones fsync, the others do not', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  createLog(path, [SCHEMA]);
  const realFsync = fs.fsyncSync;
  const realWrite = fs.writeSync;
  let fsyncs = 0;
  let writes = 0;
  (fs as { fsyncSync: typeof fs.fsyncSync }).fsyncSync = (fd: number) => { fsyncs++; realFsync(fd); };
  (fs as { writeSync: typeof fs.writeSync }).writeSync = ((...a: Parameters<typeof fs.writeSync>) => { writes++; return (realWrite as (...x: unknown[]) => number)(...a); }) as typeof fs.writeSync;
  syncBuiltinESMExports();
  t.teardown(() => {
    (fs as { fsyncSync: typeof fs.fsyncSync }).fsyncSync = realFsync;
    (fs as { writeSync: typeof fs.writeSync }).writeSync = realWrite;
    syncBuiltinESMExports();
  });
  const o = openLogForWrite(path);
  fsyncs = 0; writes = 0;
  o.writer.append(txn(1), false);
  t.equal(writes, 1, 'one write for a record');
  t.equal(fsyncs, 0, 'no fsync when not durable');
  o.writer.append(txn(2), true);
  t.equal(writes, 2);
  t.equal(fsyncs, 1, 'fsync when durable');
  o.writer.close();
  t.equal(readLog(path).records.length, 3);
});

t.test('the lock file keeps a second writer out and is released on close', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  createLog(path, [SCHEMA]);
  const o = openLogForWrite(path);
  t.ok(existsSync(join(dir, '.db.~lock~')), 'lock file named as OVS names it');
  t.throws(() => openLogForWrite(path), { code: 'OVSDB_E_LOCKED', message: /failed to lock lockfile \(Resource temporarily unavailable\)/ });
  t.throws(() => createLog(path, [SCHEMA]), LockError);
  o.writer.close();
  const again = openLogForWrite(path);
  again.writer.close();
  t.pass('reopened after close');
});

t.test('create refuses an existing file; replace is atomic and leaves no temporary file', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  createLog(path, [SCHEMA, txn(1)]);
  t.throws(() => createLog(path, [SCHEMA]), /^I\/O error: .*db: create failed \(File exists\)$/);
  replaceLogFile(path, [SCHEMA, txn(5)]);
  t.same(readLog(path).records.map((r) => r.json), [SCHEMA, txn(5)]);
  t.notOk(existsSync(`${path}.tmp`));
  t.throws(() => readLog(join(dir, 'nope')), /^I\/O error: .*nope: open failed \(No such file or directory\)$/);
});

t.test('Debian ovsdb-tool 3.1: same bytes, and each side reads the other', { skip: needRealOvs() }, async (t) => {
  const dir = tmp(t);
  const real = join(dir, 'real.db');
  const run = (...args: string[]) => spawnSync('ovsdb-tool', args, { encoding: 'utf8' });
  t.equal(run('create', real, REAL_SCHEMA).status, 0);
  t.equal(run('transact', real, JSON.stringify(['Open_vSwitch', { op: 'insert', table: 'Open_vSwitch', row: { ovs_version: 'ü "q" \\ \t' } }, { op: 'comment', comment: 'hi' }])).status, 0);
  const bytes = readFileSync(real);
  const parsed = readLog(real);
  t.equal(parsed.records.length, 2);
  t.notOk(parsed.tail);
  // Re-serialising what we read gives the very same bytes: same framing, same JSON text.
  t.ok(Buffer.concat(parsed.records.map((r) => composeRecord(r.json))).equals(bytes), 'byte-identical re-serialisation');

  // Our file, written with our writer, read by the real tool (and a torn tail as the real tool sees it).
  const ours = join(dir, 'ours.db');
  createLog(ours, parsed.records.map((r) => r.json));
  const o = openLogForWrite(ours);
  o.writer.append({ _date: 1700000000123, _comment: 'from us', _is_diff: true }, true);
  o.writer.close();
  const show = run('show-log', ours);
  t.equal(show.status, 0, show.stderr);
  t.match(show.stdout, /record 2: 2023-11-14 22:13:20\.123 "from us"/);

  // While we hold the lock, the real tool cannot write.
  const held = openLogForWrite(ours);
  const blocked = run('transact', ours, '["Open_vSwitch"]');
  held.writer.close();
  t.equal(blocked.status, 1);
  t.match(blocked.stderr, /failed to lock lockfile \(Resource temporarily unavailable\)/);
});

t.test('a streamed record (appendJsonStream) is byte-identical to a composed one, however it is cut', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'db');
  createLog(path, [SCHEMA]);
  const big = 'ä€𝄞x'.repeat(200_000); // pieces longer than the 1 MB write buffer, multi-byte UTF-8
  const rec = { A: { '00000000-0000-4000-8000-000000000001': { s: big }, '00000000-0000-4000-8000-000000000002': { n: 2, s: 'small' } }, _date: 1, _is_diff: true };
  const text = JSON.stringify(rec);
  const pieces = [text.slice(0, 5), text.slice(5, 80), text.slice(80, text.length - 300), text.slice(text.length - 300)];
  const o = openLogForWrite(path);
  const before = statSync(path).size;
  let calls = 0;
  o.writer.appendJsonStream((emit) => { calls++; for (const p of pieces) emit(p); }, false);
  t.equal(calls, 2, 'the producer runs twice (size and hash, then write)');
  t.same(readFileSync(path).subarray(before), composeRecord(rec), 'same bytes as composeRecord');
  // A producer that does not repeat itself is refused and leaves the file as it was.
  const size = statSync(path).size;
  let n = 0;
  t.throws(() => o.writer.appendJsonStream((emit) => { emit(n++ === 0 ? '{"a":1}' : '{"a":12}'); }, false), /write failed/);
  t.equal(statSync(path).size, size, 'nothing appended');
  o.writer.append(txn(3), false);
  o.writer.close();
  t.same(readLog(path).records.map((r) => r.json), [SCHEMA, rec, txn(3)]);
});
