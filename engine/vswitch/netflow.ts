// NetFlow version 5 export (the format OVS's ofproto/netflow.c sends for a Bridge's NetFlow row):
// one 48-byte record per IPv4 datapath flow when it expires and, for long-lived flows, every
// active timeout; up to 30 records per UDP datagram behind a 24-byte header.
import { CollectorSocket, parseCollectorTarget } from './collector-target.js';
import { ipv4ToWord } from '../channel/flow-extract.js';
import { InvalidInputError } from '../util/errors.js';

/** Output interface values OVS uses when a flow did not go to exactly one port. */
export const NF_OUT_FLOOD = 0xffff, NF_OUT_MULTI = 0xfffe, NF_OUT_DROP = 0xfffd;
const MAX_RECORDS = 30;

export interface NetflowTarget { host: string; port: number }

/** "IP:PORT" targets of the NetFlow table (the port is required, as OVS requires it). */
export function parseNetflowTarget(s: string): NetflowTarget {
  return parseCollectorTarget(s, 'NetFlow');
}

export interface NetflowSettings {
  targets: NetflowTarget[];
  engineType: number;
  engineId: number;
  /** add_id_to_interface: the engine id goes into the top 7 bits of interface numbers. */
  addIdToInterface: boolean;
  /** Seconds between records of a still-active flow; -1 = only on expiry. */
  activeTimeoutSeconds: number;
}

export interface NetflowRecord {
  srcAddr: string; dstAddr: string; nextHop?: string;
  input: number; output: number;
  packets: bigint; bytes: bigint;
  /** ms timestamps (wall clock) of the first and last packet. */
  first: number; last: number;
  srcPort: number; dstPort: number; tcpFlags: number; proto: number; tos: number;
}

export function encodeNetflowV5(records: readonly NetflowRecord[], h: { uptimeMs: number; nowMs: number; sequence: number; engineType: number; engineId: number; bootMs: number }): Buffer {
  if (records.length < 1 || records.length > MAX_RECORDS) throw new InvalidInputError(`a NetFlow v5 datagram holds 1..30 records, not ${records.length}`);
  const b = Buffer.alloc(24 + 48 * records.length);
  b.writeUInt16BE(5, 0);
  b.writeUInt16BE(records.length, 2);
  b.writeUInt32BE(h.uptimeMs >>> 0, 4);
  b.writeUInt32BE(Math.floor(h.nowMs / 1000) >>> 0, 8);
  b.writeUInt32BE(((h.nowMs % 1000) * 1_000_000) >>> 0, 12);
  b.writeUInt32BE(h.sequence >>> 0, 16);
  b.writeUInt8(h.engineType & 0xff, 20);
  b.writeUInt8(h.engineId & 0xff, 21);
  b.writeUInt16BE(0, 22);
  records.forEach((r, i) => {
    const o = 24 + 48 * i;
    b.writeUInt32BE(ipv4ToWord(r.srcAddr), o);
    b.writeUInt32BE(ipv4ToWord(r.dstAddr), o + 4);
    b.writeUInt32BE(ipv4ToWord(r.nextHop ?? '0.0.0.0'), o + 8);
    b.writeUInt16BE(r.input & 0xffff, o + 12);
    b.writeUInt16BE(r.output & 0xffff, o + 14);
    b.writeUInt32BE(Number(BigInt.asUintN(32, r.packets)), o + 16);
    b.writeUInt32BE(Number(BigInt.asUintN(32, r.bytes)), o + 20);
    b.writeUInt32BE(Math.max(0, r.first - h.bootMs) >>> 0, o + 24);
    b.writeUInt32BE(Math.max(0, r.last - h.bootMs) >>> 0, o + 28);
    b.writeUInt16BE(r.srcPort & 0xffff, o + 32);
    b.writeUInt16BE(r.dstPort & 0xffff, o + 34);
    b.writeUInt8(0, o + 36);
    b.writeUInt8(r.tcpFlags & 0xff, o + 37);
    b.writeUInt8(r.proto & 0xff, o + 38);
    b.writeUInt8(r.tos & 0xff, o + 39);
    // src_as, dst_as, masks, pad: zero.
  });
  return b;
}

/** One bridge's NetFlow exporter: batching, sequence numbers (flows exported so far), sending. */
export class NetflowExporter {
  private readonly out: CollectorSocket;
  private readonly boot = Date.now();
  private flowSequence = 0;
  private pending: NetflowRecord[] = [];
  private timer?: NodeJS.Timeout;
  recordsSent = 0;

  constructor(public settings: NetflowSettings, onError: (m: string) => void = () => {}) {
    this.out = new CollectorSocket('NetFlow', onError);
  }

  /** An interface number as exported (with the engine id on top when configured). */
  iface(ofport: number): number {
    return this.settings.addIdToInterface ? ((this.settings.engineId & 0x7f) << 9) | (ofport & 0x1ff) : ofport;
  }

  add(r: NetflowRecord): void {
    if (r.packets <= 0n) return;
    this.pending.push(r);
    if (this.pending.length >= MAX_RECORDS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), 100);
  }

  flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    while (this.pending.length) {
      const batch = this.pending.splice(0, MAX_RECORDS);
      const now = Date.now();
      const dgram = encodeNetflowV5(batch, { uptimeMs: now - this.boot, nowMs: now, sequence: this.flowSequence, engineType: this.settings.engineType, engineId: this.settings.engineId, bootMs: this.boot });
      this.flowSequence += batch.length;
      this.recordsSent += batch.length;
      this.out.send(dgram, this.settings.targets);
    }
  }

  close(): void {
    this.flush();
    this.out.close();
  }
}
