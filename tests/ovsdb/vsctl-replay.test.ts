// Replays the transactions real ovs-vsctl sends (captured from its jsonrpc debug log) on our
// database, starting from the same state (the real server's records replayed with applyRecord),
// and compares results and storage records with what the real ovsdb-server 3.1 produced.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { needCommand, needRealOvs } from '../lib/env.js';
import { readSchemaFile } from '../../engine/ovsdb/schema-file.js';
import { createDatabase } from '../../engine/ovsdb/database.js';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { RealOvsdb } from './real-server.js';

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';
const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|row[0-9a-f]{8}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{12}/g;

function mask(j: Json): Json {
  return JSON.parse(JSON.stringify(j).replace(UUID_RE, '<id>')) as Json;
}

/** A record as sorted "table row" strings with uuids masked and _date dropped. */
function recordShape(rec: JsonObject): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (k === '_date') continue;
    if (k.startsWith('_')) { out.push(`${k}=${JSON.stringify(mask(v))}`); continue; }
    for (const row of Object.values(v as JsonObject)) out.push(`${k} ${JSON.stringify(mask(sortKeys(row)))}`);
  }
  return out.sort();
}

function sortKeys(j: Json): Json {
  if (Array.isArray(j)) return j.map(sortKeys);
  if (j && typeof j === 'object') return Object.fromEntries(Object.keys(j).sort().map((k) => [k, sortKeys(j[k]!)]));
  return j;
}

/** transact requests and their replies, from an ovs-vsctl -vjsonrpc:file:dbg log. */
function captured(log: string): { params: Json[]; result?: Json }[] {
  const out: { params: Json[]; result?: Json; id: string }[] = [];
  for (const line of log.split('\n')) {
    const req = /send request, method="transact", params=(.*), id=(\d+)$/.exec(line);
    if (req) out.push({ params: JSON.parse(req[1]!) as Json[], id: req[2]! });
    const rep = /received reply, result=(.*), id=(\d+)$/.exec(line);
    if (rep) {
      const r = out.find((x) => x.id === rep[2]);
      if (r) r.result = JSON.parse(rep[1]!) as Json;
    }
  }
  return out;
}

const commands: string[][] = [
  ['init'],
  ['add-br', 'br0'],
  ['add-port', 'br0', 'p1', '--', 'set', 'Interface', 'p1', 'type=internal'],
  ['set', 'Bridge', 'br0', 'other_config:hwaddr="00:11:22:33:44:55"', 'external_ids:k=v'],
  ['add-bond', 'br0', 'bond0', 'a', 'b'],
  ['set', 'Port', 'p1', 'tag=10'],
  ['--', '--id=@m', 'create', 'Mirror', 'name=m0', '--', 'add', 'Bridge', 'br0', 'mirrors', '@m'],
  ['remove', 'Bridge', 'br0', 'external_ids', 'k'],
  ['add-br', 'br0'],
  ['del-port', 'br0', 'p1'],
  ['set', 'Open_vSwitch', '.', 'other_config:x=1'],
  ['--if-exists', 'del-port', 'br0', 'nope'],
  ['del-br', 'br0'],
];

t.test('ovs-vsctl transactions replay identically', { skip: needRealOvs() || needCommand('ovs-vsctl') }, async (t) => {
  const real = new RealOvsdb(SCHEMA, 'Open_vSwitch');
  t.teardown(() => real.stop());
  await real.start();
  const schema = readSchemaFile(SCHEMA);
  let total = 0;
  for (const [i, cmd] of commands.entries()) {
    const before = real.records().slice(1) as JsonObject[];
    const logFile = join(real.dir, `vsctl${i}.log`);
    const r = spawnSync('ovs-vsctl', [`--db=unix:${join(real.dir, 'sock')}`, '--no-wait', '--timeout=10', '-vconsole:off',
      '-vjsonrpc:file:dbg', `--log-file=${logFile}`, ...cmd], { encoding: 'utf8' });
    const txns = existsSync(logFile) ? captured(readFileSync(logFile, 'utf8')) : [];
    const after = real.records().slice(1) as JsonObject[];
    // Some commands fail or have nothing to do before sending anything (a second add-br br0).
    t.comment(`${cmd.join(' ')}: captured ${txns.length} transaction(s) (rc ${r.status})`);
    total += txns.length;
    const ours = createDatabase(schema);
    for (const rec of before) ours.applyRecord(rec);
    const ourRecords: JsonObject[] = [];
    ours.setSink({ append: (rec) => { ourRecords.push(rec); } });
    for (const txn of txns) {
      const got = await ours.transact(txn.params.slice(1));
      t.same(mask(got), mask(txn.result ?? null), `${cmd.join(' ')}: same result`);
    }
    t.same(ourRecords.map(recordShape), after.slice(before.length).map(recordShape), `${cmd.join(' ')}: same storage record`);
  }
  t.ok(total >= commands.length - 2, `captured ${total} transactions in all`);
});
