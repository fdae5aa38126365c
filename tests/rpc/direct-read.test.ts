// Server sockets (punix:, ptcp:) read into one buffer shared by every connection (stream.ts,
// "Direct reads"): accepted sockets really take that path; bytes reach the receiver in order and
// whole, also for a message several times the buffer's size arriving across many reads while
// other connections read into the same buffer; the end of the stream is still seen.
import t from 'tap';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenRemote, setDirectReceiver } from '../../engine/rpc/stream.js';
import { startServer } from './helpers.js';

const direct = process.platform !== 'win32';

t.test('punix and ptcp sockets are accepted with direct reads; bytes and end arrive', { skip: !direct && 'direct reads are off on Windows' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h33-dr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const remote of [`punix:${join(dir, 's.sock')}`, 'ptcp:0:127.0.0.1']) {
    const got: Buffer[] = [];
    let directOk: boolean | undefined;
    const ended = new Promise<void>((resolve) => {
      void listenRemote(remote, (sock: Socket) => {
        directOk = setDirectReceiver(sock, (bytes) => got.push(Buffer.from(bytes)));
        sock.on('end', () => { resolve(); sock.end(); });
      }).then((l) => {
        t.teardown(() => l.close());
        const c = l.target.startsWith('unix:') ? connect(l.target.slice(5)) : connect(Number(l.target.split(':')[2]), '127.0.0.1');
        c.on('connect', () => {
          c.write('hello ');
          setTimeout(() => c.end('world'), 20);
        });
      });
    });
    await ended;
    t.equal(directOk, true, `${remote}: accepted socket reads directly`);
    t.equal(Buffer.concat(got).toString(), 'hello world', `${remote}: bytes in order, then end`);
  }
  t.equal(setDirectReceiver(new (await import('node:stream')).PassThrough(), () => {}), false, 'any other stream: false');
});

t.test('a 1 MB value through the server while another client is busy: unchanged', async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const big = await h.connect();
  const busy = await h.connect();
  // Exactly representable, and far bigger than the 64 KiB read buffer.
  const value = Array.from({ length: 1 << 20 }, (_, i) => String.fromCharCode(97 + (i * 7919) % 26)).join('');
  let stop = false;
  const other = (async () => {
    let n = 0;
    while (!stop) {
      await busy.transact('T', [{ op: 'insert', table: 'A', row: { name: `busy-${n++}` } }]);
    }
    return n;
  })();
  const r = await big.transact('T', [{ op: 'insert', table: 'A', row: { name: value } }]);
  stop = true;
  t.ok((await other) > 0, 'the other client ran transactions meanwhile');
  const uuid = (r[0] as { uuid: [string, string] }).uuid[1];
  const sel = await big.transact('T', [{ op: 'select', table: 'A', where: [['_uuid', '==', ['uuid', uuid]]], columns: ['name'] }]);
  const name = ((sel[0] as { rows: { name: string }[] }).rows[0] ?? { name: '' }).name;
  t.equal(name.length, value.length, 'same length');
  t.ok(name === value, 'same text');
  // Multi-byte UTF-8 in a reply bigger than the socket takes at once: the direct write stops
  // mid-text and the stream sends the rest from that byte on.
  const wide = Array.from({ length: 200_000 }, (_, i) => ['ü', '網', '🐧', 'a'][i % 4]).join('');
  const rw = await big.transact('T', [{ op: 'insert', table: 'A', row: { name: wide } }]);
  const wuuid = (rw[0] as { uuid: [string, string] }).uuid[1];
  const wsel = await big.transact('T', [{ op: 'select', table: 'A', where: [['_uuid', '==', ['uuid', wuuid]]], columns: ['name'] }]);
  t.ok(((wsel[0] as { rows: { name: string }[] }).rows[0] ?? { name: '' }).name === wide, 'a 500 KB multi-byte text comes back the same');
});
