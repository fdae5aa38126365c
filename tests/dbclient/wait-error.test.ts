// ovsdb-client wait against a server that answers the wait transaction with a JSON-RPC error
// (one without the _Server database): the error ends the command, it is not taken for a dropped
// connection and retried forever.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';

t.test('wait: a JSON-RPC error reply to the wait transaction is reported, exit status 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-wait-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sock = join(dir, 'fake.sock');
  const methods: string[] = [];
  const conns: Socket[] = [];
  const server = createServer((c) => {
    conns.push(c);
    let buf = '';
    c.on('data', (d) => {
      buf += d.toString();
      // The client sends one small JSON object per request; split at '}{' boundaries.
      for (let end = buf.indexOf('}{'); ; end = buf.indexOf('}{')) {
        const text = end < 0 ? buf : buf.slice(0, end + 1);
        let msg: { id: unknown; method: string };
        try { msg = JSON.parse(text) as typeof msg; } catch { return; }
        buf = end < 0 ? '' : buf.slice(end + 1);
        methods.push(msg.method);
        const reply = msg.method === 'transact'
          ? { id: msg.id, result: null, error: { error: 'unknown database', details: 'No database named _Server.' } }
          : { id: msg.id, result: {}, error: null };
        c.write(JSON.stringify(reply));
        if (end < 0) return;
      }
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  t.teardown(() => { for (const c of conns) c.destroy(); server.close(); });
  const child = spawn(process.execPath, [join(projectRoot, 'engine', 'bin', 'ovsdb-client'), 'wait', `unix:${sock}`, 'Open_vSwitch', 'connected'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d.toString(); });
  const killer = setTimeout(() => child.kill('SIGKILL'), 20000);
  const status = await new Promise<number | null>((r) => child.on('exit', r));
  clearTimeout(killer);
  t.equal(status, 1, 'exits with status 1 (not killed after retrying)');
  const lines = stderr.replace(/^\S+\|\d+\|/gm, '<time>|').split('\n');
  t.same(lines, [
    `<time>|reconnect|INFO|unix:${sock}: connecting...`,
    `<time>|reconnect|INFO|unix:${sock}: connected`,
    `ovsdb-client: unix:${sock}: transaction failed ({"details":"No database named _Server.","error":"unknown database"})`,
    '',
  ]);
  t.same(methods, ['set_db_change_aware', 'transact'], 'one attempt, no reconnection');
});
