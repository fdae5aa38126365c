// The thread that serves one datapath port: reads frames from the port's fd with blocking-free
// fs.readSync in a tight loop (poll() only when idle), forwards each through its Forwarder, and
// never waits for the main thread: flow and port changes arrive as messages it drains whenever
// the shared generation counter moves.
import { readSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { poll, POLLIN } from '../linux/native.js';
import type { FrameState } from './actions.js';
import { Forwarder, type ControlMessage, type UpcallMessage } from './forwarder.js';
import { CTRL, FRAME_BUFFER, HEADROOM, PORT_STAT_FIELDS, PS, StatsSection } from './limits.js';

export interface PortWorkerData {
  portNo: number;
  fd: number;
  wakeFd: number;
  control: MessagePort;
  ctrl: SharedArrayBuffer;
  stats: StatsSection['buffers'];
  upcallBound: number;
}

function main(): void {
  const d = workerData as PortWorkerData;
  const ctrl = new Int32Array(d.ctrl);
  const stats = new StatsSection(d.stats);
  const post = (m: UpcallMessage | { t: 'ack'; seq: number } | { t: 'fatal'; message: string }) => parentPort!.postMessage(m);
  const fw = new Forwarder(stats, ctrl, d.upcallBound, (m) => post(m), (seq) => post({ t: 'ack', seq }));
  const buf = Buffer.allocUnsafe(FRAME_BUFFER);
  const wake = Buffer.allocUnsafe(8);
  const pfd = Buffer.alloc(16);
  pfd.writeInt32LE(d.fd, 0); pfd.writeInt16LE(POLLIN, 4);
  pfd.writeInt32LE(d.wakeFd, 8); pfd.writeInt16LE(POLLIN, 12);
  const f: FrameState = { buf, off: HEADROOM, len: 0, inPort: d.portNo, recircId: 0, dpHash: 0, cutlen: 0, depth: 0 };
  const rxErr = d.portNo * PORT_STAT_FIELDS + PS.RX_ERRORS;
  let gen = -1;
  let running = true;

  const drain = (): void => {
    const g = Atomics.load(ctrl, CTRL.GENERATION);
    if (g === gen) return;
    gen = g;
    for (;;) {
      const r = receiveMessageOnPort(d.control);
      if (r === undefined) break;
      if (!fw.apply(r.message as ControlMessage)) running = false;
    }
  };

  while (running) {
    let n: number;
    try {
      n = readSync(d.fd, buf, HEADROOM, FRAME_BUFFER - HEADROOM, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        drain();
        if (!running) break;
        poll(pfd, 2, 1000);
        try { readSync(d.wakeFd, wake, 0, 8, null); } catch { /* nothing pending */ }
        drain();
        continue;
      }
      if (code === 'EBADF') { post({ t: 'fatal', message: `port ${d.portNo}: fd closed` }); break; }
      stats.ports[rxErr]++;
      continue;
    }
    drain();
    if (!running) break;
    if (n < 14) { stats.ports[rxErr]++; continue; }
    f.off = HEADROOM; f.len = n; f.recircId = 0; f.dpHash = 0; f.cutlen = 0; f.depth = 0;
    fw.receive(f);
  }
  d.control.close();
}

main();
