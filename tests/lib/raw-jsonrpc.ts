// A raw JSON-RPC stream connection for server tests: what it receives (split and parsed) and when
// it closes, with nothing of the client library in between.
import { connect, type Socket } from 'node:net';
import type { Json } from '../../engine/ovsdb/api.js';
import { JsonSplitter } from '../../engine/rpc/jsonrpc.js';

export interface RawConnection { s: Socket; got: Json[]; closed: Promise<void> }

export function rawConnection(path: string): Promise<RawConnection> {
  return new Promise((res, rej) => {
    const s = connect(path);
    const got: Json[] = [];
    const sp = new JsonSplitter();
    s.on('data', (d: Buffer) => { try { got.push(...sp.push(d)); } catch { /* the test looks at what arrived */ } });
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    s.once('connect', () => { s.on('error', () => {}); res({ s, got, closed }); });
    s.once('error', rej);
  });
}
