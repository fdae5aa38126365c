// parseOvsJson against OVS's own JSON parser (Debian's OVS 3.1). Error texts come from
// `ovsdb-client transact unix:<nowhere> TEXT`, which parses TEXT before it connects and prints
// `ovsdb-client: "TEXT": MESSAGE` when its parser refuses it. Values come from `ovsdb-tool query` on
// a scratch database whose name no input starts with: OVS then answers with a syntax error whose
// "syntax" member is TEXT as OVS parsed and printed it (reals printed with 15 significant digits,
// so numbers are compared at that precision). `--` keeps inputs like "-1" from being options. Plain unit tests at the end need no real OVS.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../../engine/ovsdb/api.js';
import { OvsError } from '../../engine/util/errors.js';
import { main as ovsdbTool } from '../../engine/cli/ovsdb-tool.js';
import { OVS_JSON_MAX_DEPTH, OvsJsonSyntaxError, parseOvsJson } from '../../engine/util/ovs-json.js';
import { needRealOvs } from '../lib/env.js';
import { parseJson, stringifyJson } from '../../engine/util/json-int64.js';

const nest = (n: number, inner = ''): string => '['.repeat(n) + inner + ']'.repeat(n);

/** A transaction of a few KB, as ovs-vsctl would send. */
function bigTransaction(): string {
  const ops: Json[] = [];
  for (let i = 0; i < 40; i++) {
    ops.push({ op: 'insert', table: 'Port', 'uuid-name': `p${i}`, row: { name: `port-é${i}`, tag: i * 7, other_config: ['map', [['k', 'v\n"q"'], ['n', String(i / 3)]]] } });
  }
  return JSON.stringify(['Open_vSwitch', ...ops, { op: 'comment', comment: 'x'.repeat(200) }]);
}

/** 3 * 2^-1074 written out exactly: a subnormal that strtod reads without ERANGE. */
const EXACT_SUBNORMAL = `0.${(3n * 5n ** 1074n).toString().padStart(1074, '0')}`;

/** Inputs whose value OVS prints in a way a UTF-8 reader cannot compare (lone surrogates: OVS
 *  keeps the 3-byte encoding of the surrogate itself). */
const ACCEPTANCE_ONLY = new Set(['["\\udc00"]', '["a\\udfffb"]']);

const INPUTS: string[] = [
  // empty, whitespace, top level
  '', '   ', ' \n \n ', '\t\r\n', '[]', '{}', ' [ ] ', '\t\r\n[1]\n', '[]\n\n', 'x', 'true', 'null', 'false',
  '1', '-1', '"x"', ' "x" ', '1 2', '[] []', '[]]', '[] 1', '[] x', '[]A', '{}}', '[] ,', ':',
  // structure
  '{', '[', '[1', '[1,', '{"a"', '{"a":', '{"a":1', '{"a":1,', '[1,2,3]', '[true,false,null]',
  '{"a":1,"b":[{}],"c":{"d":[[]]}}', '{"a":1,"a":2}', '{"__proto__":1,"constructor":[2]}',
  '[1 2]', '[1,]', '[,]', '[:]', '[,1]', '{1:2}', '{"a" 1}', '{"a":1 "b":2}', '{"a":}', '{,}', '{"a":1,}',
  '[}', '{]', '{"a"]', '{"a":1]', '[1}', '[nul]', '[nullx]', '[true1]', '[trueA]', 'True', '[True]', '[tRUE]',
  // nesting
  nest(OVS_JSON_MAX_DEPTH), nest(OVS_JSON_MAX_DEPTH + 1), nest(OVS_JSON_MAX_DEPTH, '{}'), nest(999, '{"a":[]}'),
  nest(999, '{"a":[1]}'), '['.repeat(1200),
  // numbers: syntax
  '[01]', '[-01]', '[00]', '[0.5]', '[-]', '[--1]', '[-a]', '[1.]', '[1.e5]', '[.5]', '[+1]', '[1e]', '[1e+]',
  '[1e-]', '[1.5.3]', '[1-2]', '[1+2]', '[1e5e5]', '[0x10]', '[1,-]', '[2e]', '{"a":01}', '{01:1}',
  // numbers: values and ranges
  '[0]', '[-0]', '[-0.0]', '[0.0]', '[0e5]', '[0e-5]', '[1e2]', '[1.50e1]', '[1.5]', '[-1.5e-3]', '[1E+2]',
  '[123456789012345]', '[9007199254740993]', '[9223372036854775807]', '[-9223372036854775808]',
  '[9223372036854775808]', '[-9223372036854775809]', '[18446744073709551615]', '[18446744073709551616]',
  '[18446744073709551617]', '[18446744073709551619]', '[-18446744073709551617]', '[184467440737095516150]',
  '[99999999999999999999]', '[123456789012345678901234567890]', '[1e19]', '[1e18]', '[10000000000000000000e-1]',
  '[0.00000000000000000001e20]', '[1.000000000000000000000001]', '[1e308]', '[1.7976931348623157e308]',
  '[1.7976931348623159e308]', '[2.2250738585072014e-308]', '[2.2250738585072011e-308]', '[1e-400]', '[-1e-400]',
  '[5e-324]', '[1e-310]', '[0.1]', '[1e-7]', '[1e309]', '[-1e309]', '[1e2147483647]', '[1e214748364]',
  '[1e2147483640]', '[1e214748363]', '[1e-214748364]', '[0e99999999999]', '[1e0000000000000000005]',
  '[123.456e-2]', '[1e+0]', '[-9.99e-5]', '[1844674407370955161.6]', '[1844674407370955161.7e1]',
  '[9.223372036854775807e18]', '[-9.223372036854775808e18]', '[0.1234567890123456]', '[-0.123456789012345]', `[${EXACT_SUBNORMAL}]`, `[-${EXACT_SUBNORMAL}1]`,
  // strings
  '[""]', '["\\"\\\\\\/\\b\\f\\n\\r\\t"]', '["\\u00e9\\u20ac"]', '["\\ud83d\\ude00"]', '["é€😀"]', '["\\u0041\\u004a"]',
  '["\\uFFFF"]', '["\\uABCD\\uabcd"]', '["\\udc00"]', '["a\\udfffb"]', '["abc', '["abc\\', '["\\', '["\\q"]', '["\\x41"]',
  '["\\u12"]', '["\\u12g4"]', '["\\u00"]', '["\\u0000"]', '["\\ud800"]', '["\\ud800x"]', '["\\ud800\\"]',
  '["\\ud800\\u0041"]', '["\\ud800\\u00"]', '["\\ud800\\u0000"]', '["\\ud800\\ud800"]', '["\\ue"]',
  '["\\ué"]', '["\\u1é"]', '["\\u12é"]', '["\\ud800\\ué"]', '["a\tb"]', '["a\nb"]', '["\x01"]', '["\x1f"]',
  '["\x7f"]', '["é\\q"]', '["\\é"]', '["\\😀"]', '["\\\t"]', '["\\\n"]', '["\\u0000', '{"é":"ü"}',
  // characters outside strings
  '[\x01]', '[\x7f]', '[\x0b]', '[\x0c]', 'é', '[é]', '[😀]', '[#]', "['a']", '[!]', '[a\x01]', '[1é]', '[aé]', '[nullé]',
  // positions after newlines and multi-byte characters
  '[\n1,\n]', '[1,\n\n  x]', '{"é":1,\n "ü": 2 3}', '["😀",\n"é"\r\n,1 1]', '\n\n\n', '[\n"é\\q"]', '[1\n',
  'ü\n', '["é",\n\n', '[1,\n\t"a\nb"]',
  bigTransaction(), bigTransaction() + ' x',
];

type Oracle = { error: string } | { ok: true };

function realParse(text: string): Oracle {
  const r = spawnSync('/usr/bin/ovsdb-client', ['--', 'transact', 'unix:/nonexistent/ovs-json-test.sock', text], { encoding: 'utf8' });
  const prefix = `ovsdb-client: "${text}": `;
  if (r.stderr.startsWith(prefix)) return { error: r.stderr.slice(prefix.length).replace(/\n$/, '') };
  return { ok: true };
}

/** Numbers at the 15 significant digits OVS prints reals with; object members in sorted order. */
function canonical(v: Json): string {
  if (typeof v === 'number') return String(Number(v.toPrecision(15)));
  if (typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k]!)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function ours(text: string): { value: Json } | { error: string } {
  try {
    return { value: parseOvsJson(text) };
  } catch (e) {
    if (e instanceof OvsJsonSyntaxError) return { error: e.message };
    throw e;
  }
}

t.test('same acceptance, error texts and values as OVS 3.1', { skip: needRealOvs() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovs-json-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'probe.db');
  writeFileSync(join(dir, 'probe.ovsschema'), JSON.stringify({ name: 'ovsjsonprobe', version: '1.0.0', tables: { T: { columns: { a: { type: 'integer' } } } } }));
  const created = spawnSync('/usr/bin/ovsdb-tool', ['create', db, join(dir, 'probe.ovsschema')], { encoding: 'utf8' });
  t.equal(created.status, 0, `ovsdb-tool create: ${created.stderr}`);

  const realValue = (text: string): string => {
    const r = spawnSync('/usr/bin/ovsdb-tool', ['--', 'query', db, text], { encoding: 'utf8' });
    const reply = JSON.parse(r.stdout) as { syntax: string };
    return canonical(parseJson(reply.syntax));
  };

  t.ok(INPUTS.length >= 80, `${INPUTS.length} inputs`);
  let errors = 0;
  let values = 0;
  for (const text of INPUTS) {
    const shown = text.length > 60 ? `${JSON.stringify(text.slice(0, 60))}... (${text.length} chars)` : JSON.stringify(text);
    const real = realParse(text);
    const got = ours(text);
    if ('error' in real) {
      errors++;
      t.equal('error' in got ? got.error : `accepted ${stringifyJson(got.value).slice(0, 80)}`, real.error, `error for ${shown}`);
    } else {
      values++;
      if ('error' in got) {
        t.fail(`OVS accepts ${shown}, ours says ${got.error}`);
      } else if (ACCEPTANCE_ONLY.has(text)) {
        t.pass(`accepted ${shown}`);
      } else {
        t.equal(canonical(got.value), realValue(text), `value of ${shown}`);
      }
    }
  }
  t.ok(errors >= 40 && values >= 30, `${errors} refused, ${values} accepted`);

  t.test('our ovsdb-tool query/transact: same stderr, stdout and status as the real one', async (t) => {
    const texts = ['', '[1,]', '{', '"x"', '-1', '[01]', '[1e309]', '["\\q"]', '[1,\n "é" x]', '["a\tb"]', '[] x',
      '[1e2, 1.5, 18446744073709551617]', '{"a":[true]}', '["ovsjsonprobe",{"op":"comment","comment":"\\u00e9"}]'];
    for (const cmd of ['query', 'transact']) {
      for (const text of texts) {
        const real = spawnSync('/usr/bin/ovsdb-tool', ['--', cmd, db, text], { encoding: 'utf8' });
        let stdout = '';
        let stderr = '';
        const status = await ovsdbTool(['--', cmd, db, text], { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; } });
        process.exitCode = 0;
        t.same({ stdout, stderr, status }, { stdout: real.stdout, stderr: real.stderr, status: real.status }, `ovsdb-tool ${cmd} ${JSON.stringify(text)}`);
      }
    }
  });
});

t.test('unit: the examples OVS documents', async (t) => {
  const cases: Array<[string, string]> = [
    ['{', 'line 0, column 1, byte 1: unexpected end of input'],
    ['x', "line 0, column 1, byte 1: invalid keyword 'x'"],
    ['[1,]', 'line 0, column 3, byte 3: syntax error expecting value'],
    ['1', 'line 0, column 1, byte 1: syntax error at beginning of input'],
  ];
  for (const [text, message] of cases) {
    const e = t.throws(() => parseOvsJson(text)) as unknown;
    t.ok(e instanceof OvsJsonSyntaxError && e instanceof OvsError, `${text}: typed error`);
    t.equal((e as OvsJsonSyntaxError).message, message, text);
    t.equal((e as OvsJsonSyntaxError).code, 'OVS_E_JSON_SYNTAX');
  }
  const e = t.throws(() => parseOvsJson('[1,\n "é" x]')) as OvsJsonSyntaxError;
  t.same([e.line, e.column, e.byte, e.reason], [1, 7, 11, "invalid keyword 'x'"]);
});

t.test('unit: values', async (t) => {
  t.same(parseOvsJson('[1e2, 1.50e1, -0, -0.0, 1e-400, 18446744073709551617, -9223372036854775808]'),
    [100, 15, 0, 0, 0, 1, -9223372036854775808]);
  const zeros = parseOvsJson('[-0, -0.0, -1e-400]') as number[];
  t.ok(zeros.every((z) => Object.is(z, 0)), 'no negative zero');
  t.same(parseOvsJson('{"s":"\\ud83d\\ude00\\u00e9\\/","a":[true,false,null],"a2":{}}'), { s: '😀é/', a: [true, false, null], a2: {} });
  const proto = parseOvsJson('{"__proto__":{"polluted":1}}') as Record<string, Json>;
  t.equal(Object.getPrototypeOf(proto), Object.prototype, '__proto__ is a plain member');
  t.same(Object.keys(proto), ['__proto__']);
  t.same(parseOvsJson('{"a":1,"a":2}'), { a: 2 }, 'a repeated member keeps the last value');
  t.same(parseOvsJson('[1]\0 trailing'), [1], 'text stops at NUL as a C string does');
  t.same(parseOvsJson(nest(OVS_JSON_MAX_DEPTH)), JSON.parse(nest(OVS_JSON_MAX_DEPTH)));
  t.throws(() => parseOvsJson(nest(OVS_JSON_MAX_DEPTH + 1)), { message: `line 0, column 1000, byte 1000: input exceeds maximum nesting depth ${OVS_JSON_MAX_DEPTH}` });
  t.same(parseOvsJson(bigTransaction()), JSON.parse(bigTransaction()), 'a few KB transaction parses as JSON.parse does');
});
