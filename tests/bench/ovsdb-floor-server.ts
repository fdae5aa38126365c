// The least a Node server must do per one-row insert, as a reference row in tests/bench/ovsdb-server:
// not an OVSDB server (no schema, no checks, no transaction semantics, no monitors), just what any
// Node implementation pays for one `transact` of one insert: receive through net (the framing of
// engine/rpc/jsonrpc.ts), JSON.parse, a new UUID, one OVSDB log record (JSON text, SHA-1, header,
// one synchronous write, as ovsdb-server writes before it replies) and the reply through
// socket.write. The bench prints it beside real ovsdb-server, so every run shows how far Node itself
// is from real ovsdb-server on that machine, under the same client.
// Usage: node .build/tests/bench/ovsdb-floor-server.js SOCKET LOGFILE   (prints "ready" once listening)
import { createServer } from 'node:net';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { JsonSplitter } from '../../engine/rpc/jsonrpc.js';
import { sha1Hex } from '../../engine/ovsdb/log-file.js';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';

const [sockPath, logPath] = process.argv.slice(2);
if (!sockPath || !logPath) {
  console.error('usage: ovsdb-floor-server SOCKET LOGFILE');
  process.exit(2);
}
try { unlinkSync(sockPath); } catch { /* not there */ }
const log = openSync(logPath, 'a');

function transact(ops: Json[]): { record: JsonObject; result: Json[] } {
  const record: JsonObject = {};
  const result: Json[] = [];
  for (const op of ops.slice(1)) {
    const o = op as JsonObject;
    if (o.op !== 'insert' || typeof o.table !== 'string') {
      result.push({ error: 'not supported', details: 'the floor server only inserts' });
      continue;
    }
    const uuid = randomUUID();
    const rows = (record[o.table] ??= {}) as JsonObject;
    rows[uuid] = (o.row ?? {}) as JsonObject;
    result.push({ uuid: ['uuid', uuid] });
  }
  record._date = Date.now();
  return { record, result };
}

const server = createServer((sock) => {
  const splitter = new JsonSplitter();
  sock.on('error', () => sock.destroy());
  sock.on('data', (chunk: Buffer) => {
    let out = '';
    for (const v of splitter.push(chunk)) {
      const m = v as JsonObject;
      if (m.method !== 'transact' || !Array.isArray(m.params)) {
        out += JSON.stringify({ id: m.id ?? null, result: null, error: `floor server: method ${String(m.method)} not supported` });
        continue;
      }
      const { record, result } = transact(m.params);
      const text = JSON.stringify(record);
      const data = Buffer.from(text);
      writeSync(log, `OVSDB JSON ${data.length} ${sha1Hex(data)}\n${text}\n`);
      out += JSON.stringify({ id: m.id ?? null, result, error: null });
    }
    if (out !== '') sock.write(out);
  });
});
server.listen(sockPath, () => console.log('ready'));
process.on('SIGTERM', () => {
  server.close();
  closeSync(log);
  process.exit(0);
});
