// Bad (and a few odd but valid) .ovsschema files through Debian's ovsdb-tool 3.1 and ours: the
// same stdout, stderr and exit status, byte for byte, for every command that reads a schema file
// (create, schema-name/-version/-cksum, convert, needs-conversion). Ours runs in-process (main()).
import t from 'tap';
import fs, { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../../engine/cli/ovsdb-tool.js';
import { parseSchema } from '../../engine/ovsdb/schema.js';
import { OvsSchemaError } from '../../engine/ovsdb/schema-ovs-check.js';
import { SchemaError } from '../../engine/ovsdb/errors.js';
import { needRealOvs } from '../lib/env.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { composeRecordText } from '../../engine/ovsdb/log-file.js';

interface Run { stdout: string; stderr: string; status: number }

async function ours(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const status = await main(args, { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; } });
  process.exitCode = 0;
  // As our process writes them: UTF-8, so a raw byte of a schema that is not UTF-8 (kept as
  // U+DC80..U+DCFF) comes out as U+FFFD (real prints the byte itself: the one known difference,
  // in "valid: a cksum that is not UTF-8").
  const utf8 = (x: string): string => Buffer.from(x, 'utf8').toString('utf8');
  return { stdout: utf8(stdout), stderr: utf8(stderr), status };
}

function real(args: string[]): Run {
  const r = spawnSync('/usr/bin/ovsdb-tool', args, { encoding: 'utf8', argv0: 'ovsdb-tool' });
  const stderr = r.stderr.split('\n').filter((l) => !/^\d{4}-\d\d-\d\dT.*\|/.test(l)).join('\n');
  return { stdout: r.stdout, stderr, status: r.status ?? -1 };
}

type J = Record<string, unknown>;
const db = (tables: J, extra: J = {}): J => ({ name: 'x', version: '1.0.0', tables, ...extra });
const tbl = (columns: J, extra: J = {}): J => db({ T: { columns, ...extra } });
const col = (c: J): J => tbl({ a: c });
const ty = (type: unknown): J => col({ type });
const key = (k: J): J => ty({ key: k });

/** [what, file text]: objects are written with JSON.stringify. */
const DIRECTORY = Symbol('a directory');
const CASES: [string, string | J | unknown[] | Buffer | typeof DIRECTORY][] = [
  // database members
  ['no tables', { name: 'x', version: '1.0.0' }],
  ['no name', { tables: {} }],
  ['name not an id', { name: '1x', tables: {} }],
  ['name a number', { name: 5, tables: {} }],
  ['version a number', { name: 'x', version: 1, tables: {} }],
  ['version 1.0', { name: 'x', version: '1.0', tables: {} }],
  ['version 1.2.3.4', { name: 'x', version: '1.2.3.4', tables: {} }],
  ['version 1.2.3x', { name: 'x', version: '1.2.3x', tables: {} }],
  ['version empty', { name: 'x', version: '', tables: {} }],
  ['cksum a number', { name: 'x', cksum: 12, tables: {} }],
  ['tables an array', { name: 'x', tables: [] }],
  ['unknown database member', { name: 'x', tables: {}, extra: 1 }],
  ['two unknown database members', { name: 'x', tables: {}, extra: 1, other: 2 }],
  ['three unknown database members', { name: 'x', tables: {}, aa: 1, bb: 2, cc: 3 }],
  ['schema an array', []],
  ['table name reserved', db({ _T: { columns: { a: { type: 'integer' } } } })],
  ['table name not an id', db({ '1T': { columns: { a: { type: 'integer' } } } })],
  ['table name empty', db({ '': { columns: { a: { type: 'integer' } } } })],
  // table members
  ['table not an object', db({ T: 1 })],
  ['table without columns', db({ T: { isRoot: true } })],
  ['table with no column', tbl({})],
  ['maxRows 0', tbl({ a: { type: 'integer' } }, { maxRows: 0 })],
  ['maxRows -1', tbl({ a: { type: 'integer' } }, { maxRows: -1 })],
  ['maxRows real', tbl({ a: { type: 'integer' } }, { maxRows: 1.5 })],
  ['maxRows string', tbl({ a: { type: 'integer' } }, { maxRows: '1' })],
  ['isRoot string', tbl({ a: { type: 'integer' } }, { isRoot: 'yes' })],
  ['table mutable number', tbl({ a: { type: 'integer' } }, { mutable: 1 })],
  ['indexes an object', tbl({ a: { type: 'integer' } }, { indexes: {} })],
  ['index on a missing column', tbl({ a: { type: 'integer' } }, { indexes: [['b']] })],
  ['empty index', tbl({ a: { type: 'integer' } }, { indexes: [[]] })],
  ['index not an array', tbl({ a: { type: 'integer' } }, { indexes: ['a'] })],
  ['index repeats a column', tbl({ a: { type: 'integer' } }, { indexes: [['a', 'a']] })],
  ['index of a number', tbl({ a: { type: 'integer' } }, { indexes: [[1]] })],
  ['index on an ephemeral column', tbl({ a: { type: 'integer', ephemeral: true } }, { indexes: [['a']] })],
  ['index on _version', tbl({ a: { type: 'integer' } }, { indexes: [['_version']] })],
  ['unknown table member', tbl({ a: { type: 'integer' } }, { foo: 1 })],
  // columns
  ['column not an object', tbl({ a: 'integer' })],
  ['column without type', col({ mutable: false })],
  ['column name reserved', tbl({ _a: { type: 'integer' } })],
  ['column name not an id', tbl({ 'a-b': { type: 'integer' } })],
  ['column _uuid', tbl({ _uuid: { type: 'uuid' } })],
  ['ephemeral string', col({ type: 'integer', ephemeral: 'yes' })],
  ['column mutable null', col({ type: 'integer', mutable: null })],
  ['unknown column member', col({ type: 'integer', extra: 1 })],
  // types
  ['type a number', ty(5)],
  ['type an unknown atomic type', ty('nope')],
  ['min 2', ty({ key: 'integer', min: 2, max: 3 })],
  ['min > max', ty({ key: 'integer', min: 2, max: 1 })],
  ['max 0', ty({ key: 'integer', max: 0 })],
  ['max a word', ty({ key: 'integer', max: 'lots' })],
  ['min -1', ty({ key: 'integer', min: -1 })],
  ['min real', ty({ key: 'integer', min: 1.5 })],
  ['max UINT_MAX', ty({ key: 'integer', max: 4294967295 })],
  ['type without key', ty({ min: 0 })],
  ['value of an unknown type', ty({ key: 'string', value: 'nope' })],
  ['value a number', ty({ key: 'string', value: 3 })],
  ['key without type', ty({ key: {} })],
  ['key type a number', key({ type: 5 })],
  ['key type unknown', key({ type: 'nope' })],
  ['unknown type member', ty({ key: 'integer', foo: 1 })],
  // base types
  ['integer enum of a string', key({ type: 'integer', enum: ['set', ['x']] })],
  ['string enum with a duplicate', key({ type: 'string', enum: ['set', ['a', 'b', 'a']] })],
  ['real enum 1 and 1.0', '{"name":"x","tables":{"T":{"columns":{"a":{"type":{"key":{"type":"real","enum":["set",[1,1.0]]}}}}}}}'],
  ['empty enum', key({ type: 'string', enum: ['set', []] })],
  ['enum ["set"]', key({ type: 'string', enum: ['set'] })],
  ['string enum as a bare array', key({ type: 'string', enum: ['a', 'b'] })],
  ['uuid enum not a uuid', key({ type: 'uuid', enum: ['uuid', 'zz'] })],
  ['uuid enum a string', key({ type: 'uuid', enum: 'x' })],
  ['boolean enum of a number', key({ type: 'boolean', enum: 1 })],
  ['minInteger > maxInteger', key({ type: 'integer', minInteger: 5, maxInteger: 1 })],
  ['minReal > maxReal', key({ type: 'real', minReal: 5, maxReal: 1.5 })],
  ['minLength > maxLength', key({ type: 'string', minLength: 5, maxLength: 1 })],
  ['minLength -1', key({ type: 'string', minLength: -1 })],
  ['maxLength beyond UINT_MAX', key({ type: 'string', maxLength: 4294967296 })],
  ['minLength on an integer', key({ type: 'integer', minLength: 1 })],
  ['enum with minInteger', key({ type: 'integer', enum: ['set', [1, 2]], minInteger: 0 })],
  ['minInteger real', key({ type: 'integer', minInteger: 1.5 })],
  ['minReal string', key({ type: 'real', minReal: 'x' })],
  ['refType without refTable', key({ type: 'uuid', refType: 'weak' })],
  ['refType soft', db({ T: { columns: { a: { type: { key: { type: 'uuid', refTable: 'T', refType: 'soft' } } } } } })],
  ['refType a number', key({ type: 'uuid', refTable: 'T', refType: 5 })],
  ['refTable not an id', key({ type: 'uuid', refTable: '1U' })],
  ['refTable undefined', key({ type: 'uuid', refTable: 'U' })],
  ['value refTable undefined', ty({ key: 'string', value: { type: 'uuid', refTable: 'U' }, min: 0, max: 'unlimited' })],
  ['refTable on a string', key({ type: 'string', refTable: 'T' })],
  ['two unknown base type members', key({ type: 'boolean', x: 1, y: 2 })],
  ['reals as OVS writes them (%.15g)', '{"name":"x","tables":{"T":{"columns":{"a":{"type":{"key":{"type":"real","minReal":123456789.123456789,"maxReal":-1e-7}}}}}}}'],
  ['a huge real and a rounded one', '{"name":"x","tables":{"T":{"columns":{"a":{"type":{"key":{"type":"real","minReal":1e300,"maxReal":0.30000000000000004}}}}}}}'],
  ['maxRows beyond int64 in exponent form', '{"name":"x","tables":{"T":{"maxRows":9300000000000000000,"columns":{"a":{"type":"integer"}}}}}'],
  // several errors: OVS reports the first in its hash order
  ['several bad tables', db({ A: { columns: { _a: { type: 'integer' } } }, B: { columns: { b: { type: 'nope' } } }, C: { columns: {} }, D: { maxRows: 0, columns: { d: { type: 'integer' } } } })],
  ['several bad columns', tbl({ a: { type: 'nope' }, b: { type: 'integer', x: 1 }, c: { type: { key: 'integer', max: 0 } }, d: { type: 'real', mutable: 3 } })],
  ['several undefined references', db({ A: { columns: { p: { type: { key: { type: 'uuid', refTable: 'P' } } }, q: { type: { key: { type: 'uuid', refTable: 'Q' } } } } }, B: { columns: { r: { type: { key: { type: 'uuid', refTable: 'R' } } } } } })],
  ['many unknown members', col({ type: 'integer', m1: 1, m2: 2, m3: 3, m4: 4, m5: 5, m6: 6, m7: 7 })],
  ['duplicate member: the last value counts', '{"name":"x","tables":{"T":{"columns":{"a":{"type":"integer","type":"nope"}}}}}'],
  ['duplicate table: the last one counts', '{"name":"x","tables":{"T":{"columns":{"a":{"type":"integer"}}},"T":{"columns":{}}}}'],
  ['table name not ASCII', db({ 'T\u00e4': { columns: { a: { type: 'integer' } } } })],
  ['column name with a space', tbl({ 'a b': { type: 'integer' } })],
  ['version with a trailing space', { name: 'x', version: '1.2.3 ', tables: {} }],
  ['maxRows beyond int64', '{"name":"x","tables":{"T":{"maxRows":99999999999999999999,"columns":{"a":{"type":"integer"}}}}}'],
  ['minInteger beyond 2^53 above maxInteger', '{"name":"x","tables":{"T":{"columns":{"a":{"type":{"key":{"type":"integer","minInteger":9007199254740993,"maxInteger":9007199254740992}}}}}}}'],
  ['integer enum with a duplicate beyond 2^53', '{"name":"x","tables":{"T":{"columns":{"a":{"type":{"key":{"type":"integer","enum":["set",[9007199254740993,9007199254740993]]}}}}}}}'],
  ['uuid enum duplicate in two cases', key({ type: 'uuid', enum: ['set', [['uuid', '01234567-89ab-cdef-0123-456789abcdef'], ['uuid', '01234567-89AB-CDEF-0123-456789ABCDEF']]] })],
  ['real enum of a string', key({ type: 'real', enum: ['set', [1.5, 'x']] })],
  ['enum ["set", 1, 2]', key({ type: 'integer', enum: ['set', 1, 2] })],
  ['key a number in a map type', ty({ key: 1, value: 'string' })],
  ['min null', ty({ key: 'integer', min: null })],
  ['name null', { name: null, tables: {} }],
  // JSON syntax
  ['truncated JSON', '{"name":"x",'],
  ['missing comma', '{"name":"x" "tables":{}}'],
  ['empty file', ''],
  ['trailing garbage', '{"name":"x","tables":{}} x'],
  ['a string', '"abc"'],
  ['a number', '42'],
  ['a NUL after the schema', Buffer.from('{"name":"x","tables":{}}\0')],
  ['a NUL in a string', Buffer.from('{"name":"x\0y","tables":{}}')],
  ['only a NUL', Buffer.from([0])],
  ['a control character', Buffer.from('{"name":"x",\x01"tables":{}}')],
  ['a byte-order mark', Buffer.from('\ufeff{"name":"x","tables":{}}')],
  ['a directory', DIRECTORY],
  // bytes that are not UTF-8 (OVS keeps them; an enum string must be UTF-8)
  ['enum string with byte 0xff', Buffer.concat([Buffer.from('{"name":"x","tables":{"T":{"columns":{"a":{"type":{"key":{"type":"string","enum":"'), Buffer.from([0xff]), Buffer.from('"}}}}}}}')])],
  ['enum string ending in a lead byte', Buffer.concat([Buffer.from('{"name":"x","tables":{"T":{"columns":{"a":{"type":{"key":{"type":"string","enum":["set",["ok","a'), Buffer.from([0xc3]), Buffer.from('"]]}}}}}}}')])],
  ['enum string beyond U+10FFFF', Buffer.concat([Buffer.from('{"name":"x","tables":{"T":{"columns":{"a":{"type":{"key":{"type":"string","enum":["set",["\u00e9","'), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from('"]]}}}}}}}')])],
  ['enum string with an escaped lone surrogate', '{"name":"x","tables":{"T":{"columns":{"a":{"type":{"key":{"type":"string","enum":"\\udcff"}}}}}}}'],
  // valid, if odd
  ['valid: no tables', { name: 'x', tables: {} }],
  ['valid: version with spaces and signs', { name: 'x', version: ' 1. +2.3', tables: {} }],
  ['valid: index on _uuid', tbl({ a: { type: 'integer' } }, { indexes: [['_uuid'], ['a', '_uuid']] })],
  ['valid: map of unlimited size', ty({ key: 'string', value: { type: 'integer', minInteger: 0, maxInteger: 10 }, min: 0, max: 'unlimited' })],
  ['valid: enum of one value', key({ type: 'integer', enum: 5 })],
  ['valid: boolean enum', key({ type: 'boolean', enum: ['set', [true]] })],
  ['valid: uuid enum', key({ type: 'uuid', enum: ['set', [['uuid', '01234567-89ab-cdef-0123-456789ABCDEF']]] })],
  ['valid: immutable weak reference', db({ T: { isRoot: true, columns: { w: { type: { key: { type: 'uuid', refTable: 'U', refType: 'weak' } }, mutable: false } } }, U: { columns: { e: { type: 'string', ephemeral: true } } } })],
  ['valid: ephemeral strong reference to a non-root table', db({ T: { isRoot: true, columns: { s: { type: { key: { type: 'uuid', refTable: 'U' }, min: 0, max: 1 }, ephemeral: true } } }, U: { columns: { x: { type: 'integer' } } } })],
  ['valid: maxRows beyond UINT_MAX', tbl({ a: { type: 'integer' } }, { maxRows: 99999999999, mutable: false })],
  ['valid: real bounds given as integers', key({ type: 'real', minReal: -1, maxReal: 2 })],
  ['valid: version 0.0.0 with a minus sign', { name: 'x', version: '-1.0.0', tables: {} }],
  ['valid: strong refType given', key({ type: 'uuid', refTable: 'T', refType: 'strong' })],
  ['valid: real enum mixing integers and reals', key({ type: 'real', enum: ['set', [1, 2.5, -3]] })],
  ['valid: integer bounds beyond 2^53', '{"name":"x","tables":{"T":{"columns":{"a":{"type":{"key":{"type":"integer","minInteger":-9223372036854775808,"maxInteger":9223372036854775807}}}}}}}'],
  ['valid: a cksum that is not UTF-8', Buffer.concat([Buffer.from('{"name":"x","cksum":"'), Buffer.from([0xff]), Buffer.from('","tables":{}}')])],
  ['valid: maxRows 1.0 is an integer', '{"name":"x","tables":{"T":{"maxRows":1.0,"columns":{"a":{"type":{"key":"integer","min":0.0e1,"max":2.50e1}}}}}}'],
  ['valid: cksum and every member', { name: 'x', version: '2.3.4', cksum: '1 2', tables: { T: { isRoot: true, mutable: true, maxRows: 3, indexes: [['a']], columns: { a: { type: { key: { type: 'string', minLength: 0, maxLength: 4 }, min: 1, max: 1 }, mutable: true, ephemeral: false } } } } }],
];

t.test('bad schema files: the same output as ovsdb-tool 3.1', { skip: needRealOvs() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h27-schema-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const base = join(dir, 'base.db');
  writeFileSync(join(dir, 'base.ovsschema'), JSON.stringify({ name: 'x', version: '1.0.0', tables: { T: { columns: { a: { type: 'integer' } } } } }));
  t.equal(real(['create', base, join(dir, 'base.ovsschema')]).status, 0, 'base database created');
  let compared = 0;
  let refused = 0;
  const files = CASES.map(([what, content], i) => {
    const f = join(dir, `${i}.ovsschema`);
    if (content === DIRECTORY) fs.mkdirSync(f);
    else writeFileSync(f, typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content));
    return [what, f, i] as const;
  });
  files.push(['missing file', join(dir, 'nonexistent.ovsschema'), CASES.length]);
  for (const [what, f, i] of files) {
    const commands = [
      ['create', join(dir, `r${i}.db`), f],
      ['schema-name', f],
      ['schema-version', f],
      ['schema-cksum', f],
      ['convert', base, f, join(dir, `c${i}.db`)],
      ['needs-conversion', base, f],
    ];
    for (const args of commands) {
      const a = real(args);
      const b = await ours(args.map((x) => x.replace(/\/r(\d+)\.db$/, '/o$1.db').replace(/\/c(\d+)\.db$/, '/d$1.db')));
      t.same(b, a, `${what}: ${args[0]}`);
      compared++;
    }
    const first = real(['schema-name', f]);
    if (first.status !== 0) refused++;
    t.equal(first.status === 0, what.startsWith('valid') || false, `${what}: real ovsdb-tool ${first.status === 0 ? 'accepts' : 'refuses'} it as expected`);
  }
  t.ok(files.length >= 40, `${files.length} schema files compared (${refused} refused), ${compared} runs`);
});

t.test('ovsdb-client convert and needs-conversion: the same schema errors as ovsdb-client 3.1', { skip: needRealOvs() }, async (t) => {
  // Both read the schema file before they connect, so no server is needed for a bad file.
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h27-client-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const picks = ['no tables', 'type an unknown atomic type', 'min > max', 'refTable undefined', 'string enum with a duplicate',
    'unknown column member', 'several bad tables', 'truncated JSON', 'schema an array', 'index on a missing column',
    'a NUL in a string', 'enum string with byte 0xff', 'a directory'];
  const run = (file: string, args: string[]): Run => {
    const r = spawnSync(file, args, { encoding: 'utf8', argv0: 'ovsdb-client', cwd: dir });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
  };
  for (const what of picks) {
    const c = CASES.find(([w]) => w === what)!;
    const f = `${picks.indexOf(what)}.ovsschema`;
    const content = c[1];
    if (content === DIRECTORY) fs.mkdirSync(join(dir, f));
    else writeFileSync(join(dir, f), typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content));
    for (const cmd of ['convert', 'needs-conversion']) {
      const args = [cmd, `unix:${join(dir, 'nosock')}`, f];
      const a = run('/usr/bin/ovsdb-client', args);
      t.not(a.status, 0, `${what}: real ovsdb-client ${cmd} refuses it`);
      t.same(run(join(projectRoot, 'engine', 'bin', 'ovsdb-client'), args), a, `${what}: ovsdb-client ${cmd}`);
    }
  }
});

// A database file whose first record is a schema OVS refuses: ovsdb-tool prints the schema error
// itself, as for a schema file.
t.test('a bad schema as the first record of a database file', { skip: needRealOvs() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h27-dbfile-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const picks = ['min > max', 'refTable undefined', 'string enum with a duplicate', 'unknown table member', 'no tables'];
  for (const what of picks) {
    const c = CASES.find(([w]) => w === what)![1];
    const f = join(dir, `${picks.indexOf(what)}.db`);
    writeFileSync(f, composeRecordText(typeof c === 'string' ? c : JSON.stringify(c)));
    for (const args of [['db-name', f], ['db-version', f], ['show-log', f], ['needs-conversion', f, join(dir, 'none.ovsschema')], ['query', f, '["x"]'], ['compact', f, join(dir, 'out.db')]]) {
      const a = real(args);
      t.not(a.status, 0, `${what}: real ovsdb-tool ${args[0]} refuses it`);
      t.same(await ours(args), a, `${what}: ${args[0]}`);
    }
  }
});

t.test('parseSchema throws OvsSchemaError (a SchemaError) with OVS tag, details and syntax', async (t) => {
  let err: unknown;
  try {
    parseSchema({ name: 'x', tables: { T: { columns: { a: { type: { key: 'integer', min: 2 } } } } } });
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof OvsSchemaError && err instanceof SchemaError && err.code === 'OVSDB_E_SCHEMA');
  const e = err as OvsSchemaError;
  t.equal(e.tag, 'syntax error');
  t.equal(e.details, 'ovsdb type fails constraint checks');
  t.equal(e.syntax, '{"key":"integer","min":2}');
  t.equal(e.message, 'syntax "{"key":"integer","min":2}": syntax error: ovsdb type fails constraint checks');
  t.same(e.toJson(), { error: 'syntax error', details: 'ovsdb type fails constraint checks', syntax: '{"key":"integer","min":2}' });
  t.equal(e.wrap('failed to parse "f" as ovsdb schema').message, 'syntax "{"key":"integer","min":2}": syntax error: failed to parse "f" as ovsdb schema: ovsdb type fails constraint checks');
});
