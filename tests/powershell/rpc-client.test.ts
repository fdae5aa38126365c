// The module's JSON-RPC client (Private/Connection.ps1, Invoke-OvsRpc) against a scripted server on
// a unix socket: the request it writes (method, params with nesting, quotes and non-ASCII, id), a
// reply split across writes and preceded by an echo probe (which it answers), an engine error
// object (OvsEngineException with the engine's code), and malformed replies (OVS_E_PROTOCOL, then
// the connection is dropped and the next call reconnects).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needPwsh } from '../lib/env.js';
import { PwshSession, psq } from './lib/pwsh-session.js';

const skip = needPwsh();

interface Received { method?: string; params?: unknown; id?: unknown; result?: unknown; error?: unknown }

t.test('Invoke-OvsRpc against a scripted server', { skip, timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h19rpc-'));
  const path = join(dir, 'fake.sock');
  const received: Received[] = [];
  let connections = 0;
  // What the server does with each request, by method name.
  const script: Record<string, (sock: Socket, req: Received) => void> = {
    'test/split': (sock, req) => {
      sock.write('{"method":"echo","params":["probe"],"id":"e1"}');
      const reply = JSON.stringify({ id: req.id, result: { text: 'héllo "world" {x}', list: [1, [2, 3]], empty: {} }, error: null });
      sock.write(reply.slice(0, 17));
      setTimeout(() => sock.write(reply.slice(17)), 30);
    },
    'test/error': (sock, req) => { sock.write(JSON.stringify({ id: req.id, result: null, error: { error: 'constraint violation', details: 'bad tag 5000', code: 'OVS_E_INVALID_INPUT' } })); },
    'test/badjson': (sock) => { sock.write('{"id": 3, "result": tru}'); },
    'test/garbage': (sock) => { sock.write('hello, not json\n'); },
    'test/ok': (sock, req) => { sock.write(JSON.stringify({ id: req.id, result: 'fine', error: null })); },
  };
  const server = createServer((sock) => {
    connections++;
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      // Requests arrive as whole JSON objects, one per write from this client.
      for (;;) {
        let depth = 0, inStr = false, esc = false, end = -1;
        for (let i = 0; i < buf.length && end < 0; i++) {
          const c = buf[i];
          if (inStr) { if (esc) esc = false; else if (c === '\\') esc = true; else if (c === '"') inStr = false; continue; }
          if (c === '"') inStr = true; else if (c === '{' || c === '[') depth++; else if ((c === '}' || c === ']') && --depth === 0) end = i + 1;
        }
        if (end < 0) break;
        const msg = JSON.parse(buf.slice(0, end)) as Received;
        buf = buf.slice(end);
        received.push(msg);
        if (typeof msg.method === 'string') script[msg.method]?.(sock, msg);
      }
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((res) => server.listen(path, res));
  const ps = await PwshSession.open();
  t.teardown(async () => {
    await ps.close();
    await new Promise<void>((res) => server.close(() => res()));
    rmSync(dir, { recursive: true, force: true });
  });
  const call = (method: string, params = '@()'): string =>
    `& (Get-Module OpenVSwitch) { Invoke-OvsRpc -Method '${method}' -Params ${params} -Database ${psq('unix:' + path)} }`;

  const [split] = await ps.ok<Record<string, unknown>>(`$r = ${call('test/split', `@(@{ name = 'br "0"'; tags = @(1, 2); nested = @{ 'é' = @(, [string[]]@('a', 'b')) } }, 7, $true, $null)`)}; [pscustomobject]@{ Text = $r.text; List = ($r.list | ConvertTo-Json -Compress); Empty = $r.empty.Count; Type = $r.GetType().Name }`);
  t.same(split, { Text: 'héllo "world" {x}', List: '[1,[2,3]]', Empty: 0, Type: 'OrderedHashtable' }, 'a reply split across writes, after an echo probe, is read whole');
  const req = received.find((m) => m.method === 'test/split')!;
  t.same(req.params, [{ name: 'br "0"', tags: [1, 2], nested: { é: [['a', 'b']] } }, 7, true, null], 'params are sent as JSON with nesting, quotes and non-ASCII intact');
  t.equal(typeof req.id, 'number', 'the request has a numeric id');
  t.ok(received.some((m) => m.id === 'e1' && JSON.stringify(m.result) === '["probe"]' && 'error' in m), 'the echo probe is answered with its params');

  const err = await ps.run(call('test/error', '@(@{})'));
  t.match(err.thrown, { message: /bad tag 5000/, exceptionType: 'OvsEngineException' }, 'an engine error becomes OvsEngineException with its details');
  const code = await ps.ok<string>(`try { ${call('test/error', '@(@{})')} } catch { $_.Exception.Code }`);
  t.same(code, ['OVS_E_INVALID_INPUT'], 'and carries the engine\'s code');

  const before = connections;
  const bad = await ps.ok<string>(`try { ${call('test/badjson')} } catch { $_.Exception.Code; $_.Exception.Message }`);
  t.equal(bad[0], 'OVS_E_PROTOCOL', 'a reply that is not valid JSON is a protocol error');
  t.match(bad[1], /sent invalid JSON/, 'saying so');
  t.same(await ps.ok<string>(call('test/ok')), ['fine'], 'the next call works (on a new connection)');
  t.equal(connections, before + 1, 'the broken connection was replaced');

  const garbage = await ps.ok<string>(`try { ${call('test/garbage')} } catch { $_.Exception.Code; $_.Exception.Message }`);
  t.equal(garbage[0], 'OVS_E_PROTOCOL', 'text that is not a JSON-RPC message is a protocol error');
  t.match(garbage[1], /not a JSON-RPC message: 'hello, not json/, 'quoting what was received');
  t.same(await ps.ok<string>(call('test/ok')), ['fine'], 'and the client recovers');
});
