// Fuzz target: a live OvsdbServer (engine/rpc/server.ts) on a unix socket, serving an in-memory
// vswitch database. Each case opens a connection and feeds it requests of every method with
// random parameters (transact with random ops, monitors, locks, cancel...), mutated requests and raw
// garbage, then half-closes. Rules: no exception escapes into the process (uncaughtException /
// unhandledRejection), the server closes the connection within the time box, and it keeps
// answering other clients (echo and a transact checked every 100 cases).
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../../engine/ovsdb/api.js';
import { createDatabase } from '../../engine/ovsdb/database.js';
import { readSchemaFile } from '../../engine/ovsdb/schema-file.js';
import { connectOvsdb } from '../../engine/rpc/client.js';
import { OvsdbServer } from '../../engine/rpc/server.js';
import type { Logger } from '../../engine/rpc/logger.js';
import { VSWITCH_SCHEMA } from '../soak/servers.js';
import { bufFromJson, bufToJson, FuzzFailure, type FuzzTarget } from './harness.js';
import { jsonrpcTarget } from './jsonrpc-target.js';
import { stringifyJson } from '../../engine/util/json-int64.js';

const METHODS = ['transact', 'monitor', 'monitor_cond', 'monitor_cond_since', 'monitor_cond_change', 'monitor_cancel', 'lock',
  'steal', 'unlock', 'echo', 'get_schema', 'list_dbs', 'get_server_id', 'set_db_change_aware', 'convert', 'cancel', 'bogus'];
const DBS = ['Open_vSwitch', '_Server', 'nope'];
const TABLES = ['Open_vSwitch', 'Bridge', 'Port', 'Interface', 'Database', 'X'];

const smallJson = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
const monReq: fc.Arbitrary<Json> = fc.dictionary(fc.constantFrom(...TABLES), fc.oneof(
  fc.record({ columns: fc.array(fc.constantFrom('name', 'ports', '_uuid', 'bogus'), { maxLength: 3 }), where: fc.array(fc.tuple(fc.constantFrom('name', '_uuid'), fc.constantFrom('==', '!=', 'x'), fc.constantFrom<Json>('br0', 1, ['uuid', 'x'])), { maxLength: 2 }), select: fc.record({ initial: fc.boolean(), modify: fc.boolean() }, { requiredKeys: [] }) }, { requiredKeys: [] }),
  fc.array(fc.record({ where: fc.constantFrom<Json>([], true, [['name', '==', 'br0']]) }), { maxLength: 2 }), smallJson,
), { maxKeys: 3 }) as fc.Arbitrary<Json>;

const insertOp: fc.Arbitrary<Json> = fc.record({
  op: fc.constantFrom('insert', 'update', 'delete', 'select', 'mutate', 'wait', 'commit', 'abort'),
  table: fc.constantFrom(...TABLES), row: fc.constantFrom<Json>({ name: 'br0' }, {}, { bogus: 1 }, { name: 5 }),
  where: fc.constantFrom<Json>([], [['name', '==', 'br0']], 'x'), timeout: fc.constantFrom(0, 5), columns: fc.constant<Json>(['name']),
  until: fc.constantFrom('==', '!='), rows: fc.constant<Json>([]), mutations: fc.constant<Json>([['ports', 'insert', ['set', []]]]),
}, { requiredKeys: ['op'] }) as fc.Arbitrary<Json>;

const params: fc.Arbitrary<Json> = fc.oneof(
  fc.tuple(fc.constantFrom(...DBS), fc.oneof(smallJson, fc.constantFrom<Json>('m1', null, 1)), monReq).map((x): Json => x),
  fc.tuple(fc.constantFrom(...DBS), fc.constantFrom<Json>('m1', 'm2'), monReq, fc.constantFrom<Json>('00000000-0000-0000-0000-000000000000', 'x')).map((x): Json => x),
  fc.tuple(fc.constantFrom(...DBS)).chain((db) => fc.array(insertOp, { maxLength: 4 }).map((ops): Json => [...db, ...ops])),
  fc.tuple(fc.constantFrom<Json>('m1', 'm2', 'lk', 'bad name', true)).map((x): Json => x),
  fc.array(smallJson, { maxLength: 3 }),
);

const request: fc.Arbitrary<Json> = fc.record({
  method: fc.oneof({ arbitrary: fc.constantFrom(...METHODS), weight: 9 }, { arbitrary: fc.string({ maxLength: 6 }), weight: 1 }),
  params: fc.oneof({ arbitrary: params, weight: 9 }, { arbitrary: smallJson, weight: 1 }),
  id: fc.oneof(fc.nat(), fc.string({ maxLength: 3 }), fc.constant(null), fc.constant<Json>([1])),
}, { requiredKeys: ['method'] }) as fc.Arbitrary<Json>;

export interface ServerInput { chunks: Buffer[]; halfClose: boolean }

const serverInput: fc.Arbitrary<ServerInput> = fc.record({
  msgs: fc.array(request, { minLength: 1, maxLength: 5 }),
  garbage: fc.option(jsonrpcTarget.arbitrary().map((s) => Buffer.concat(s.chunks)), { freq: 3 }),
  halfClose: fc.boolean(),
}).map(({ msgs, garbage, halfClose }) => {
  const chunks = msgs.map((m) => Buffer.from(stringifyJson(m)));
  if (garbage) chunks.splice(chunks.length > 1 ? 1 : 0, 0, garbage);
  return { chunks, halfClose };
});

let dir = '';
let sock = '';
let server: OvsdbServer | undefined;
let escaped: unknown[] = [];
let cases = 0;
const onEscape = (e: unknown): void => { escaped.push(e); };
const quiet: Logger = { info() {}, warn() {}, err() {}, dbg() {} };

async function feed(input: ServerInput, timeBoxMs: number): Promise<void> {
  const s: Socket = connect(sock);
  s.on('data', () => {});
  await new Promise<void>((res, rej) => { s.once('connect', () => res()); s.once('error', rej); });
  const closed = new Promise<void>((res) => { s.once('close', () => res()); s.on('error', () => {}); });
  for (const c of input.chunks) s.write(c);
  if (input.halfClose) s.end();
  else setTimeout(() => s.end(), 2);
  let timer: NodeJS.Timeout | undefined;
  const boxed = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), timeBoxMs); })]);
  clearTimeout(timer);
  if (!boxed) {
    s.destroy();
    throw new FuzzFailure(`the server did not close a half-closed connection within ${timeBoxMs} ms`);
  }
}

async function stillServes(): Promise<void> {
  const c = await connectOvsdb(`unix:${sock}`);
  try {
    const e = await c.echo(['ping']);
    if (stringifyJson(e) !== '["ping"]') throw new FuzzFailure(`echo answered ${stringifyJson(e)}`);
    const r = await c.transact('Open_vSwitch', [{ op: 'select', table: 'Open_vSwitch', where: [] }]);
    if (!Array.isArray(r) || r.length !== 1) throw new FuzzFailure(`select answered ${stringifyJson(r)}`);
  } finally {
    await c.close();
  }
}

export const serverTarget: FuzzTarget<ServerInput> = {
  name: 'server-connection',
  arbitrary: () => serverInput,
  async setup() {
    dir = mkdtempSync(join(tmpdir(), 'ovsps-h9-fuzz-'));
    sock = join(dir, 'db.sock');
    server = new OvsdbServer({ logger: quiet });
    const db = createDatabase(readSchemaFile(VSWITCH_SCHEMA));
    await db.transact([{ op: 'insert', table: 'Open_vSwitch', row: {} }]);
    server.addDatabase(db);
    await server.listen(`punix:${sock}`);
    escaped = [];
    cases = 0;
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
  },
  async teardown() {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    await server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  },
  async check(input) {
    await feed(input, 5000);
    if (escaped.length) {
      const e = escaped[0];
      escaped = [];
      throw new FuzzFailure('an exception escaped from the server into the process', e);
    }
    if (++cases % 100 === 0) await stillServes();
  },
  toJson: (i) => ({ chunks: i.chunks.map(bufToJson), halfClose: i.halfClose }),
  fromJson: (j) => {
    const o = j as { chunks: Json[]; halfClose: boolean };
    return { chunks: o.chunks.map(bufFromJson), halfClose: o.halfClose };
  },
};
