// LACP (IEEE 802.1AX link aggregation control) for one bond, with OVS 3.1's behaviour (lib/lacp.c):
// the 110-byte LACPDU sent to 01:80:c2:00:00:02 (ethertype 0x8809, slow protocols subtype 1),
// member states current / expired / defaulted driven by received PDUs and the receive timer
// (3 x the transmit interval), attachment by partner system and key with the lead member chosen
// by priority, the actor state bits OVS sends, `lacp/show` and `lacp/show-stats` text.
import { InvalidInputError } from '../util/errors.js';
import { bytesToMac } from '../channel/inet.js';

export const LACP_DST_MAC = '01:80:c2:00:00:02';
export const ETH_TYPE_SLOW = 0x8809;
export const LACP_PDU_LEN = 110;
const FAST_TX_MS = 1000, SLOW_TX_MS = 30_000, RX_MULTIPLIER = 3;

export const STATE = { ACT: 0x01, TIME: 0x02, AGG: 0x04, SYNC: 0x08, COL: 0x10, DIST: 0x20, DEF: 0x40, EXP: 0x80 } as const;

/** One side's information in a PDU (struct lacp_info, 15 bytes). */
export interface LacpInfo { sysPriority: number; sysId: string; key: number; portPriority: number; portId: number; state: number }

const ZERO_INFO: LacpInfo = { sysPriority: 0, sysId: '00:00:00:00:00:00', key: 0, portPriority: 0, portId: 0, state: 0 };

export interface LacpPdu { actor: LacpInfo; partner: LacpInfo }

function macBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new InvalidInputError(`"${mac}" is not an Ethernet address (expected xx:xx:xx:xx:xx:xx)`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

function writeInfo(b: Buffer, off: number, i: LacpInfo): void {
  b.writeUInt16BE(i.sysPriority, off);
  macBytes(i.sysId).copy(b, off + 2);
  b.writeUInt16BE(i.key, off + 8);
  b.writeUInt16BE(i.portPriority, off + 10);
  b.writeUInt16BE(i.portId, off + 12);
  b.writeUInt8(i.state, off + 14);
}
function readInfo(b: Buffer, off: number): LacpInfo {
  return { sysPriority: b.readUInt16BE(off), sysId: bytesToMac(b, off + 2), key: b.readUInt16BE(off + 8), portPriority: b.readUInt16BE(off + 10), portId: b.readUInt16BE(off + 12), state: b.readUInt8(off + 14) };
}

/** The 110-byte PDU body (compose_lacp_pdu): TLVs actor(1,20), partner(2,20), collector(3,16), terminator. */
export function encodeLacpPdu(pdu: LacpPdu): Buffer {
  const b = Buffer.alloc(LACP_PDU_LEN);
  b[0] = 1; b[1] = 1;
  b[2] = 1; b[3] = 20; writeInfo(b, 4, pdu.actor);
  b[22] = 2; b[23] = 20; writeInfo(b, 24, pdu.partner);
  b[42] = 3; b[43] = 16; b.writeUInt16BE(0, 44);
  return b;
}

/** The whole Ethernet frame a member sends. */
export function encodeLacpFrame(srcMac: string, pdu: LacpPdu): Buffer {
  const eth = Buffer.alloc(14);
  macBytes(LACP_DST_MAC).copy(eth, 0);
  macBytes(srcMac).copy(eth, 6);
  eth.writeUInt16BE(ETH_TYPE_SLOW, 12);
  return Buffer.concat([eth, encodeLacpPdu(pdu)]);
}

export type ParsedSlowFrame = { kind: 'lacp'; pdu: LacpPdu } | { kind: 'marker' } | { kind: 'bad'; reason: string };

/** parse_lacp_packet for a whole frame (untagged or with one 802.1Q tag). */
export function parseSlowFrame(frame: Uint8Array): ParsedSlowFrame {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (b.length < 14) return { kind: 'bad', reason: `frame of ${b.length} bytes is shorter than an Ethernet header` };
  let off = 12;
  let type = b.readUInt16BE(off);
  if (type === 0x8100 && b.length >= 18) { off += 4; type = b.readUInt16BE(off); }
  if (type !== ETH_TYPE_SLOW) return { kind: 'bad', reason: `ethertype 0x${type.toString(16)} is not slow protocols (0x8809)` };
  const body = b.subarray(off + 2);
  if (body.length >= 1 && body[0] === 2) return { kind: 'marker' };
  if (body.length < LACP_PDU_LEN) return { kind: 'bad', reason: `LACPDU of ${body.length} bytes is shorter than ${LACP_PDU_LEN}` };
  if (body[0] !== 1 || body[2] !== 1 || body[3] !== 20 || body[22] !== 2 || body[23] !== 20) return { kind: 'bad', reason: 'malformed LACPDU TLVs' };
  return { kind: 'lacp', pdu: { actor: readInfo(body, 4), partner: readInfo(body, 24) } };
}

export interface LacpSettings { name: string; sysId: string; sysPriority: number; active: boolean; fast: boolean; fallbackAb: boolean }
export interface LacpMemberSettings { name: string; portId: number; portPriority: number; key: number }

type MemberStatus = 'current' | 'expired' | 'defaulted';

interface Member {
  name: string;
  portId: number;
  portPriority: number;
  key: number;
  status: MemberStatus;
  attached: boolean;
  carrierUp: boolean;
  partner: LacpInfo;
  nttActor?: LacpInfo;
  txAt: number;
  rxAt: number;
  stats: { txPdus: number; rxPdus: number; rxBad: number; rxMarker: number; expired: number; defaulted: number; carrierChanged: number };
}

function stateText(s: number): string {
  const names: Array<[number, string]> = [[STATE.ACT, 'activity'], [STATE.TIME, 'timeout'], [STATE.AGG, 'aggregation'], [STATE.SYNC, 'synchronized'],
    [STATE.COL, 'collecting'], [STATE.DIST, 'distributing'], [STATE.DEF, 'defaulted'], [STATE.EXP, 'expired']];
  return names.filter(([bit]) => s & bit).map(([, n]) => ` ${n}`).join('');
}

export class Lacp {
  private s: LacpSettings;
  private readonly members = new Map<string, Member>();
  private keyMember?: Member;
  negotiated = false;
  private needUpdate = true;

  constructor(settings: LacpSettings, private readonly now: () => number = Date.now) {
    this.s = { ...settings };
    this.checkSysId(settings.sysId);
  }

  private checkSysId(id: string): void {
    macBytes(id);
    if (id === '00:00:00:00:00:00') throw new InvalidInputError(`port ${this.s.name}: Invalid zero LACP system ID.`);
  }

  get name(): string { return this.s.name; }
  get settings(): Readonly<LacpSettings> { return this.s; }

  configure(settings: LacpSettings): void {
    this.checkSysId(settings.sysId);
    if (settings.sysId !== this.s.sysId || settings.sysPriority !== this.s.sysPriority || settings.fallbackAb !== this.s.fallbackAb) this.needUpdate = true;
    this.s = { ...settings };
  }

  /** lacp_member_register (creates or updates); lacp_member_unregister for the ones not listed. */
  setMembers(list: readonly LacpMemberSettings[]): void {
    const want = new Set(list.map((m) => m.name));
    for (const [n, m] of this.members) {
      if (!want.has(n)) { this.members.delete(n); this.needUpdate = true; if (this.keyMember === m) this.keyMember = this.members.values().next().value; }
    }
    for (const ms of list) {
      let m = this.members.get(ms.name);
      if (!m) {
        m = { name: ms.name, portId: ms.portId, portPriority: ms.portPriority, key: ms.key, status: 'defaulted', attached: false, carrierUp: true,
          partner: { ...ZERO_INFO }, txAt: 0, rxAt: Infinity,
          stats: { txPdus: 0, rxPdus: 0, rxBad: 0, rxMarker: 0, expired: 0, defaulted: 0, carrierChanged: 0 } };
        this.members.set(ms.name, m);
        this.needUpdate = true;
        if (!this.keyMember) this.keyMember = m;
        continue;
      }
      if (m.portId !== ms.portId || m.portPriority !== ms.portPriority || m.key !== ms.key) {
        m.portId = ms.portId; m.portPriority = ms.portPriority; m.key = ms.key;
        this.needUpdate = true;
        if (this.s.active || this.negotiated) this.setExpired(m);
      }
    }
  }

  memberNames(): string[] { return [...this.members.keys()].sort(); }

  private setDefaulted(m: Member): void {
    m.partner = { ...ZERO_INFO };
    m.status = 'defaulted';
    this.needUpdate = true;
  }

  private setExpired(m: Member): void {
    m.status = 'expired';
    m.partner = { ...m.partner, state: (m.partner.state | STATE.TIME) & ~STATE.SYNC };
    m.rxAt = this.now() + RX_MULTIPLIER * FAST_TX_MS;
  }

  /** lacp_member_carrier_changed. */
  setCarrier(name: string, up: boolean): void {
    const m = this.members.get(name);
    if (!m) return;
    if (m.carrierUp === up) return;
    if (m.status === 'current' || this.s.active) this.setExpired(m);
    m.carrierUp = up;
    m.stats.carrierChanged++;
    this.needUpdate = true;
  }

  /** lacp_process_packet: a slow-protocols frame received on member `name`. */
  processFrame(name: string, frame: Uint8Array): void {
    const m = this.members.get(name);
    if (!m) return;
    m.stats.rxPdus++;
    const p = parseSlowFrame(frame);
    if (p.kind === 'marker') { m.stats.rxMarker++; return; }
    if (p.kind === 'bad') { m.stats.rxBad++; return; }
    if (!m.carrierUp) return;
    m.status = 'current';
    m.rxAt = this.now() + RX_MULTIPLIER * (this.s.fast ? FAST_TX_MS : SLOW_TX_MS);
    m.nttActor = p.pdu.partner;
    if (JSON.stringify(m.partner) !== JSON.stringify(p.pdu.actor)) {
      m.partner = p.pdu.actor;
      this.needUpdate = true;
    }
  }

  private mayEnable(m: Member): boolean {
    return m.attached && ((m.partner.state & STATE.SYNC) !== 0 || (this.s.fallbackAb && m.status === 'defaulted'));
  }

  /** lacp_member_may_enable. */
  memberMayEnable(name: string): boolean {
    const m = this.members.get(name);
    return m ? this.mayEnable(m) : false;
  }

  memberIsCurrent(name: string): boolean {
    const m = this.members.get(name);
    return m ? m.status !== 'defaulted' : false;
  }

  private actor(m: Member): LacpInfo {
    let state = 0;
    if (this.s.active) state |= STATE.ACT;
    if (this.s.fast) state |= STATE.TIME;
    if (m.attached) state |= STATE.SYNC;
    if (m.status === 'defaulted') state |= STATE.DEF;
    if (m.status === 'expired') state |= STATE.EXP;
    if (this.members.size > 1) state |= STATE.AGG;
    if (m.attached || !this.negotiated) state |= STATE.COL | STATE.DIST;
    const km = this.keyMember;
    const key = km ? km.key || km.portId : 0;
    return { sysPriority: this.s.sysPriority, sysId: this.s.sysId, key, portPriority: m.portPriority, portId: m.portId, state };
  }

  /** member_get_priority: the better of actor and partner system, key and state zeroed. */
  private priority(m: Member): LacpInfo {
    const a = this.s.sysPriority, p = m.partner.sysPriority;
    const base = a < p || (a === p && this.s.sysId < m.partner.sysId) ? this.actor(m) : m.partner;
    return { ...base, key: 0, state: 0 };
  }

  private static cmpInfo(x: LacpInfo, y: LacpInfo): number {
    // memcmp of the packed big-endian struct: sys_priority, sys_id, key, port_priority, port_id, state.
    const kx = [x.sysPriority, x.sysId, x.key, x.portPriority, x.portId, x.state], ky = [y.sysPriority, y.sysId, y.key, y.portPriority, y.portId, y.state];
    for (let i = 0; i < kx.length; i++) if (kx[i] !== ky[i]) return kx[i]! < ky[i]! ? -1 : 1;
    return 0;
  }

  /** lacp_update_attached. */
  private updateAttached(): void {
    this.needUpdate = false;
    let lead: Member | undefined, leadCurrent: Member | undefined, leadPri: LacpInfo | undefined, leadEnable = false;
    for (const m of this.members.values()) {
      if (m.status === 'current' && m.attached) {
        const pri = this.priority(m);
        if (!leadCurrent || Lacp.cmpInfo(pri, leadPri!) < 0) { leadCurrent = m; lead = m; leadPri = pri; leadEnable = true; }
      }
    }
    for (const m of this.members.values()) {
      m.attached = false;
      if (m.partner.sysId === this.s.sysId) continue;  // loopback: connected to its own bond
      if (m.status === 'defaulted') { if (this.s.fallbackAb) m.attached = true; continue; }
      const pri = this.priority(m);
      const enable = this.mayEnable(m);
      if (!leadCurrent || m.partner.sysId === leadCurrent.partner.sysId) m.attached = true;
      if (m.attached && (!lead || (enable && !leadEnable) || (enable === leadEnable && Lacp.cmpInfo(pri, leadPri!) < 0))) {
        lead = m; leadEnable = enable; leadPri = pri;
      }
    }
    this.negotiated = lead !== undefined;
    if (lead) {
      for (const m of this.members.values()) {
        if ((this.s.fallbackAb && m.status === 'defaulted') || lead.partner.key !== m.partner.key || lead.partner.sysId !== m.partner.sysId) m.attached = false;
      }
    }
  }

  private static txEqual(a: LacpInfo, b: LacpInfo | undefined): boolean {
    if (!b) return false;
    const bits = STATE.ACT | STATE.TIME | STATE.SYNC | STATE.AGG;
    return ((a.state ^ b.state) & bits) === 0 && a.portId === b.portId && a.portPriority === b.portPriority && a.key === b.key
      && a.sysPriority === b.sysPriority && a.sysId === b.sysId;
  }

  /** lacp_run: timers, attachment, and the PDUs to send now (member name + PDU). */
  run(): Array<{ member: string; pdu: LacpPdu }> {
    const now = this.now();
    for (const m of this.members.values()) {
      if (now >= m.rxAt) {
        if (m.status === 'current') { this.setExpired(m); m.stats.expired++; }
        else if (m.status === 'expired') { this.setDefaulted(m); m.rxAt = Infinity; m.stats.defaulted++; }
      }
    }
    if (this.needUpdate) this.updateAttached();
    const out: Array<{ member: string; pdu: LacpPdu }> = [];
    for (const m of this.members.values()) {
      if (!(m.carrierUp && (this.s.active || m.status !== 'defaulted'))) continue;  // member_may_tx
      const actor = this.actor(m);
      if (now >= m.txAt || !Lacp.txEqual(actor, m.nttActor)) {
        m.nttActor = actor;
        out.push({ member: m.name, pdu: { actor, partner: { ...m.partner } } });
        m.stats.txPdus++;
        m.txAt = now + (m.partner.state & STATE.TIME ? FAST_TX_MS : SLOW_TX_MS);
      }
    }
    return out;
  }

  /** lacp_print_details (`ovs-appctl lacp/show`). */
  show(): string {
    const s = this.s;
    const km = this.keyMember;
    const lines = [`---- ${s.name} ----`, `  status: ${s.active ? 'active' : 'passive'}${this.negotiated ? ' negotiated' : ''}`,
      `  sys_id: ${s.sysId}`, `  sys_priority: ${s.sysPriority}`, `  aggregation key: ${km ? km.key || km.portId : 'none'}`,
      `  lacp_time: ${s.fast ? 'fast' : 'slow'}`];
    for (const name of this.memberNames()) {
      const m = this.members.get(name)!;
      const a = this.actor(m), p = m.partner;
      lines.push('', `member: ${m.name}: ${m.status} ${m.attached ? 'attached' : 'detached'}`, `  port_id: ${m.portId}`,
        `  port_priority: ${m.portPriority}`, `  may_enable: ${this.mayEnable(m)}`, '',
        `  actor sys_id: ${a.sysId}`, `  actor sys_priority: ${a.sysPriority}`, `  actor port_id: ${a.portId}`,
        `  actor port_priority: ${a.portPriority}`, `  actor key: ${a.key}`, `  actor state:${stateText(a.state)}`, '',
        `  partner sys_id: ${p.sysId}`, `  partner sys_priority: ${p.sysPriority}`, `  partner port_id: ${p.portId}`,
        `  partner port_priority: ${p.portPriority}`, `  partner key: ${p.key}`, `  partner state:${stateText(p.state)}`);
    }
    return `${lines.join('\n')}\n`;
  }

  /** lacp_print_stats (`ovs-appctl lacp/show-stats`). */
  showStats(): string {
    const lines = [`---- ${this.s.name} statistics ----`];
    for (const name of this.memberNames()) {
      const st = this.members.get(name)!.stats;
      lines.push('', `member: ${name}:`, `  TX PDUs: ${st.txPdus}`, `  RX PDUs: ${st.rxPdus}`, `  RX Bad PDUs: ${st.rxBad}`,
        `  RX Marker Request PDUs: ${st.rxMarker}`, `  Link Expired: ${st.expired}`, `  Link Defaulted: ${st.defaulted}`,
        `  Carrier Status Changed: ${st.carrierChanged}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
