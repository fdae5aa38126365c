// A UDP collector inside a network namespace (flow-export tests: sFlow, NetFlow, IPFIX): a node
// child bound to 127.0.0.1:PORT in the namespace hands every datagram to `onDatagram`. Stopped by
// the test's teardown (without a test, e.g. in a benchmark: by the returned stop function; the child
// exits by itself after `lifetimeMs` anyway).
import { spawn } from 'node:child_process';
import type { Test } from 'tap';

export async function startUdpCollector(t: Test | undefined, ns: string, port: number, onDatagram: (d: Buffer) => void, lifetimeMs = 150_000): Promise<() => void> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e',
    `const s=require('dgram').createSocket('udp4');s.on('message',m=>process.stdout.write(m.toString('hex')+'\\n'));s.bind(${port},'127.0.0.1',()=>process.stdout.write('L\\n'));setTimeout(()=>process.exit(0),${lifetimeMs})`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = (): void => { child.kill(); };
  t?.teardown(stop);
  let buf = '';
  let listening = false;
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line === 'L') listening = true;
      else onDatagram(Buffer.from(line, 'hex'));
    }
  });
  for (let i = 0; i < 100 && !listening; i++) await new Promise((r) => setTimeout(r, 100));
  if (!listening) { stop(); throw new Error(`the UDP collector on 127.0.0.1:${port} in ${ns} did not start`); }
  return stop;
}
