// Port QoS on Linux devices, as OVS's netdev-linux does for `linux-htb`: an HTB qdisc at the root of
// the egress device (handle 1:, default class 1:1 = queue 0), a root class 1:fffe holding the QoS
// max-rate, and one class 1:(N+1) per Queue N with its min-rate, max-rate, burst and priority.
// Frames the switch sends to the port pass the qdisc (AF_PACKET transmit does not bypass it).
// `linux-noop` (and no QoS) removes it. Applied with iproute2's `tc` in the engine's namespace.
import { execFileSync } from 'node:child_process';
import { OvsError } from '../util/errors.js';

/** OVS's default max-rate when the link rate is unknown: 10 Gbit/s. */
export const DEFAULT_MAX_RATE = 10_000_000_000;

export interface QueueSpec { id: number; minRate?: number; maxRate?: number; burst?: number; priority?: number }
export interface QosSpec { type: string; maxRate?: number; queues: QueueSpec[] }

export class QosError extends OvsError {
  constructor(message: string) { super('OVS_E_QOS', message); }
}

export const SUPPORTED_QOS_TYPES = ['linux-htb', 'linux-noop'] as const;

export type TcRunner = (args: string[]) => string;

const defaultTc: TcRunner = (args) => execFileSync('tc', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });

/** The tc argument lists that set `spec` up on `dev` (exported for tests). */
export function htbCommands(dev: string, spec: QosSpec): string[][] {
  const max = spec.maxRate && spec.maxRate > 0 ? spec.maxRate : DEFAULT_MAX_RATE;
  const cmds: string[][] = [
    ['qdisc', 'replace', 'dev', dev, 'root', 'handle', '1:', 'htb', 'default', '1'],
    ['class', 'replace', 'dev', dev, 'parent', '1:', 'classid', '1:fffe', 'htb', 'rate', `${max}bit`, 'ceil', `${max}bit`],
  ];
  for (const q of [...spec.queues].sort((a, b) => a.id - b.id)) {
    if (!Number.isInteger(q.id) || q.id < 0 || q.id > 0xfffd) throw new QosError(`queue ${q.id} is out of range (0..65533)`);
    const qmax = q.maxRate && q.maxRate > 0 ? Math.min(q.maxRate, max) : max;
    const qmin = Math.min(Math.max(q.minRate ?? 0, 8), qmax);
    const c = ['class', 'replace', 'dev', dev, 'parent', '1:fffe', 'classid', `1:${(q.id + 1).toString(16)}`, 'htb', 'rate', `${qmin}bit`, 'ceil', `${qmax}bit`];
    if (q.burst && q.burst > 0) c.push('burst', `${Math.ceil(q.burst / 8)}b`);
    c.push('prio', String(Math.min(Math.max(q.priority ?? 0, 0), 7)));
    cmds.push(c);
  }
  return cmds;
}

/** Keeps the QoS of each device as configured; re-applies only on change. */
export class LinuxQos {
  private readonly applied = new Map<string, string>();

  constructor(private readonly tc: TcRunner = defaultTc) {}

  /** Sets (or with undefined / linux-noop, removes) the QoS of `dev`. Throws QosError. */
  apply(dev: string, spec: QosSpec | undefined): void {
    const want = spec && spec.type !== 'linux-noop' ? JSON.stringify(spec) : '';
    if ((this.applied.get(dev) ?? '') === want) return;
    if (spec && !(SUPPORTED_QOS_TYPES as readonly string[]).includes(spec.type)) {
      throw new QosError(`QoS type "${spec.type}" is not supported on ${dev} (supported: ${SUPPORTED_QOS_TYPES.join(', ')})`);
    }
    if (!want) {
      try { this.tc(['qdisc', 'del', 'dev', dev, 'root']); } catch { /* nothing was there */ }
      this.applied.delete(dev);
      return;
    }
    try {
      for (const c of htbCommands(dev, spec!)) this.tc(c);
    } catch (e) {
      const err = e as Error & { stderr?: string };
      throw new QosError(`could not set QoS on ${dev}: ${(err.stderr ?? err.message).trim()}`);
    }
    this.applied.set(dev, want);
  }

  /** Forgets a device (it was removed). */
  forget(dev: string): void { this.applied.delete(dev); }

  configured(dev: string): QosSpec | undefined {
    const s = this.applied.get(dev);
    return s ? (JSON.parse(s) as QosSpec) : undefined;
  }

  /** `ovs-appctl qos/show IFACE` as OVS prints it (bridge.c qos_unixctl_show). */
  show(dev: string): string {
    const spec = this.configured(dev);
    if (!spec) throw new QosError(`QoS not configured on ${dev}`);
    const lines = [`QoS: ${dev} ${spec.type}`, `max-rate: ${spec.maxRate && spec.maxRate > 0 ? spec.maxRate : DEFAULT_MAX_RATE}`];
    // `tc -s class show` text: "class htb 1:1 ...\n Sent B bytes P pkt (dropped D, ...".
    const stats = new Map<string, { bytes: number; packets: number; drops: number }>();
    try {
      const text = this.tc(['-s', 'class', 'show', 'dev', dev]);
      for (const m of text.matchAll(/class htb (\S+) [^\n]*\n\s*Sent (\d+) bytes (\d+) pkt \(dropped (\d+)/g)) {
        stats.set(m[1]!, { bytes: Number(m[2]), packets: Number(m[3]), drops: Number(m[4]) });
      }
    } catch { /* no stats */ }
    for (const q of [...spec.queues].sort((a, b) => a.id - b.id)) {
      lines.push('', q.id === 0 ? 'Default:' : `Queue ${q.id}:`);
      const details: Array<[string, number]> = [];
      if (q.burst !== undefined) details.push(['burst', q.burst]);
      details.push(['max-rate', q.maxRate && q.maxRate > 0 ? q.maxRate : spec.maxRate && spec.maxRate > 0 ? spec.maxRate : DEFAULT_MAX_RATE]);
      details.push(['min-rate', Math.max(q.minRate ?? 0, 8)]);
      details.push(['priority', q.priority ?? 0]);
      for (const [k, v] of details) lines.push(`  ${k}: ${v}`);
      const st = stats.get(`1:${(q.id + 1).toString(16)}`);
      if (st) lines.push(`  tx_packets: ${st.packets}`, `  tx_bytes: ${st.bytes}`, `  tx_errors: ${st.drops}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
