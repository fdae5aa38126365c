// Mirror snaplen end to end: a SPAN mirror of a VM's port with snaplen=64 delivers every copy of
// 542-byte ping frames to the monitor VM cut to 64 bytes (frame lengths captured with an AF_PACKET
// socket in the monitor; shorter frames such as ARP stay as they are), while the pinged VM still gets whole frames; clearing snaplen restores
// whole copies.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness, type TestVm } from '../lib/engine-harness.js';
import { sleep } from '../lib/wait.js';

const skip = needRoot() || needCommand('ping') || needCommand('ip') || needCommand('python3');

/** Captures the lengths of the frames `vm`'s eth0 receives from the switch while `during` runs:
 *  frames the kernel of the engine's namespace sends itself from the host end of the veth (IPv6
 *  router solicitations and the like, source MAC `hostMac`) are not the switch's and are skipped. */
async function captureLengths(vm: TestVm, hostMac: string, during: () => void): Promise<number[]> {
  const py = 'import socket,sys,select\n'
    + 's=socket.socket(socket.AF_PACKET,socket.SOCK_RAW,socket.htons(3))\n'
    + "s.bind(('eth0',0))\n"
    + "skip=bytes.fromhex(sys.argv[1].replace(':',''))\n"
    + "print('L',flush=True)\n"
    + 'while True:\n'
    + '  r,_,_=select.select([s],[],[],1.5)\n'
    + '  if not r: break\n'
    + '  d,a=s.recvfrom(65535)\n'
    + '  if a[2]!=socket.PACKET_OUTGOING and d[6:12]!=skip: print(len(d),flush=True)\n';
  const child = spawn('ip', ['netns', 'exec', vm.ns, 'python3', '-c', py, hostMac], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  for (let i = 0; i < 100 && !out.startsWith('L'); i++) await sleep(50);
  if (!out.startsWith('L')) { child.kill(); throw new Error('capture did not start'); }
  during();
  await new Promise<void>((r) => child.on('close', () => r()));
  return out.split('\n').slice(1).filter((l) => l.trim() !== '').map(Number);
}

function macOf(ns: string, dev: string): string {
  const r = spawnSync('ip', ['-n', ns, '-br', 'link', 'show', dev], { encoding: 'utf8' });
  const mac = /([0-9a-f]{2}(?::[0-9a-f]{2}){5})/.exec(r.stdout)?.[1];
  if (!mac) throw new Error(`no MAC for ${dev} in ${ns}: ${r.stdout}${r.stderr}`);
  return mac;
}

t.test('Mirror snaplen truncates the copies to the mirror port', { skip, timeout: 180_000 }, async (t) => {
  const h = new EngineHarness('ms');
  t.teardown(() => h.stop());
  await h.start();
  h.ok('ovs-vsctl', 'add-br', 'br-int');
  const a = h.addVm('a', '10.32.0.1/24'), b = h.addVm('b', '10.32.0.2/24'), mon = h.addVm('m', '10.32.0.9/24');
  for (const vm of [a, b, mon]) h.ok('ovs-vsctl', 'add-port', 'br-int', vm.hostIf);
  t.ok(h.ping(a, b.ip), 'a pings b');
  h.ok('ovs-vsctl', '--', 'set', 'Bridge', 'br-int', 'mirrors=@m',
    '--', '--id=@a', 'get', 'Port', a.hostIf, '--', '--id=@mon', 'get', 'Port', mon.hostIf,
    '--', '--id=@m', 'create', 'Mirror', 'name=span-a', 'select-src-port=@a', 'select-dst-port=@a', 'output-port=@mon', 'snaplen=64');
  t.equal(h.ok('ovs-vsctl', 'get', 'Mirror', 'span-a', 'snaplen').trim(), '64', 'the Mirror row has snaplen 64');
  await sleep(700); // installed megaflows are revalidated with the mirror

  const pings = 20;
  const ping = () => spawnSync('ip', ['netns', 'exec', a.ns, 'ping', '-c', String(pings), '-i', '0.05', '-s', '500', '-q', b.ip]);
  let status = -1;
  const cut = await captureLengths(mon, macOf(h.ns, mon.hostIf), () => { status = ping().status ?? -1; });
  t.equal(status, 0, `${pings} pings of 542-byte frames`);
  t.ok(cut.filter((n) => n === 64).length >= 2 * pings, `the monitor got a 64-byte copy of each request and reply (${cut.filter((n) => n === 64).length})`);
  t.ok(cut.every((n) => n <= 64), `no copy is longer than 64 bytes (lengths seen: ${[...new Set(cut)].sort((x, y) => x - y).join(', ')})`);

  const whole = await captureLengths(b, macOf(h.ns, b.hostIf), () => { ping(); });
  t.ok(whole.filter((n) => n === 542).length >= pings, 'the pinged VM still receives whole 542-byte frames');

  h.ok('ovs-vsctl', 'clear', 'Mirror', 'span-a', 'snaplen');
  await sleep(700);
  const full = await captureLengths(mon, macOf(h.ns, mon.hostIf), () => { ping(); });
  t.ok(full.filter((n) => n === 542).length >= 2 * pings, `without snaplen the copies are whole again (${full.filter((n) => n === 542).length} of ${full.length} are 542 bytes)`);
});
