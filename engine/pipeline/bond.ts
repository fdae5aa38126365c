// A bond (a Port with several Interfaces) as ofproto/bond.c runs it: which members may carry
// traffic (carrier, LACP), which one is active (active-backup, and the one that takes broadcasts),
// which member a flow leaves on (balance-slb: by source MAC and VLAN; balance-tcp: by L2-L4
// headers), and which received packets a bond accepts (bond_check_admissibility). The reconciler
// feeds carrier and LACP state in; translation (xlate.ts) asks for verdicts and output members.
import { InvalidInputError } from '../util/errors.js';

export type BondMode = 'active-backup' | 'balance-slb' | 'balance-tcp';
export const BOND_MODES: readonly BondMode[] = ['active-backup', 'balance-slb', 'balance-tcp'];
/** lacp_status: off (no LACP), configured (LACP on, no partner yet), negotiated. */
export type LacpStatus = 'off' | 'configured' | 'negotiated';

export interface BondConfig {
  mode: BondMode;
  /** Member interface names (pipeline port names), in any order. */
  members: readonly string[];
  /** other_config:bond-primary (active-backup, or LACP fallback). */
  primary?: string;
  lacpFallbackAb?: boolean;
  /** other_config:bond-hash-basis. */
  basis?: number;
}

export interface BondMember {
  readonly name: string;
  /** Carrier is up and LACP (when on) lets it carry traffic. */
  mayEnable: boolean;
  enabled: boolean;
  carrier: boolean;
  lacpMayEnable: boolean;
}

export type BondVerdict = 'accept' | 'drop' | 'drop-if-moved';

export class BondState {
  readonly name: string;
  mode: BondMode = 'active-backup';
  primary?: string;
  lacpFallbackAb = false;
  basis = 0;
  lacpStatus: LacpStatus = 'off';
  private readonly byName = new Map<string, BondMember>();
  private active?: BondMember;
  /** Bumped when which member carries what changes (the bridge revalidates its megaflows). */
  generation = 0;

  constructor(name: string, cfg: BondConfig) {
    this.name = name;
    this.configure(cfg);
  }

  configure(cfg: BondConfig): void {
    if (!BOND_MODES.includes(cfg.mode)) throw new InvalidInputError(`bond ${this.name}: bond_mode "${String(cfg.mode)}" is not one of ${BOND_MODES.join(', ')}`);
    if (cfg.members.length < 1) throw new InvalidInputError(`bond ${this.name}: a bond needs at least one member interface`);
    const before = this.signature();
    this.mode = cfg.mode;
    this.primary = cfg.primary || undefined;
    this.lacpFallbackAb = cfg.lacpFallbackAb ?? false;
    this.basis = cfg.basis ?? 0;
    for (const n of [...this.byName.keys()]) if (!cfg.members.includes(n)) this.byName.delete(n);
    for (const n of cfg.members) {
      if (!this.byName.has(n)) this.byName.set(n, { name: n, mayEnable: false, enabled: false, carrier: true, lacpMayEnable: true });
    }
    if (this.active && !this.byName.has(this.active.name)) this.active = undefined;
    this.update();
    if (this.signature() !== before) this.generation++;
  }

  /** Members sorted by name (bond/show order). */
  members(): BondMember[] { return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); }
  member(name: string): BondMember | undefined { return this.byName.get(name); }
  get activeMember(): BondMember | undefined { return this.active; }

  /** Carrier of a member's device (link up/down). */
  setCarrier(name: string, up: boolean): void { this.patch(name, (m) => { m.carrier = up; }); }

  /** What LACP says: its status for the bond and whether each member may be enabled. */
  setLacp(status: LacpStatus, mayEnable: ReadonlyMap<string, boolean>): void {
    const before = this.signature();
    this.lacpStatus = status;
    for (const m of this.byName.values()) m.lacpMayEnable = status === 'off' ? true : mayEnable.get(m.name) ?? false;
    this.update();
    if (this.signature() !== before) this.generation++;
  }

  private patch(name: string, f: (m: BondMember) => void): void {
    const m = this.byName.get(name);
    if (!m) return;
    const before = this.signature();
    f(m);
    this.update();
    if (this.signature() !== before) this.generation++;
  }

  /** bond_run without up/down delays: enabled follows may_enable; then the active member. */
  private update(): void {
    for (const m of this.byName.values()) {
      m.mayEnable = m.carrier && m.lacpMayEnable;
      m.enabled = m.mayEnable;
    }
    // bond_choose_active_member: the primary when it is enabled, else keep the current one while
    // it is enabled, else the first enabled member.
    const primary = this.primary ? this.byName.get(this.primary) : undefined;
    if (primary?.enabled && (this.mode === 'active-backup' || this.lacpFallbackAb)) this.active = primary;
    else if (!this.active?.enabled) this.active = this.members().find((m) => m.enabled);
  }

  private signature(): string {
    return JSON.stringify([this.mode, this.lacpStatus, this.active?.name ?? null, this.members().map((m) => [m.name, m.enabled])]);
  }

  /** Whether the bond sends anything at all (LACP configured without a partner sends nothing). */
  private get carriesTraffic(): boolean {
    return !(this.lacpStatus === 'configured' && !this.lacpFallbackAb);
  }

  /** Whether traffic is spread over members (otherwise it all uses the active member). */
  get balanced(): boolean {
    if (this.mode === 'active-backup') return false;
    if (this.lacpStatus === 'configured' && this.lacpFallbackAb) return false;
    return this.mode === 'balance-slb' || this.lacpStatus === 'negotiated';
  }

  /** bond_check_admissibility for a packet received on `member` with multicast destination or not. */
  admissibility(member: string, multicastDst: boolean): BondVerdict {
    const m = this.byName.get(member);
    if (!m) return 'drop';
    if (this.lacpStatus === 'negotiated') return m.enabled || m.mayEnable ? 'accept' : 'drop';
    if (this.lacpStatus === 'configured' && !this.lacpFallbackAb) return 'drop';
    if (this.lacpStatus === 'off' && this.mode === 'balance-tcp') return 'drop';
    if (multicastDst && this.active !== m) return 'drop';
    if (this.mode === 'balance-slb') return 'drop-if-moved';
    return this.active === m ? 'accept' : 'drop';
  }

  /** The member a flow with hash `hash` leaves on (undefined: nothing can send). */
  outputMember(hash: number): BondMember | undefined {
    if (!this.carriesTraffic) return undefined;
    if (!this.balanced) return this.active;
    const enabled = this.members().filter((m) => m.enabled);
    if (enabled.length === 0) return undefined;
    return enabled[(hash >>> 0) % enabled.length];
  }

  /** `ovs-appctl bond/show` block for this bond, as OVS 3.1 prints it (no rebalancing hashes). */
  show(activeMac: string | undefined): string {
    const lines = [`---- ${this.name} ----`, `bond_mode: ${this.mode}`, 'bond may use recirculation: no, Recirc-ID : -1',
      `bond-hash-basis: ${this.basis}`, 'lb_output action: disabled, bond-id: -1'];
    if (this.mode === 'balance-slb') lines.push('all members active: false');
    lines.push('updelay: 0 ms', 'downdelay: 0 ms');
    if (this.balanced) lines.push('next rebalance: 10000 ms');
    lines.push(`lacp_status: ${this.lacpStatus}`, `lacp_fallback_ab: ${this.lacpFallbackAb}`);
    const known = this.primary !== undefined && this.byName.has(this.primary);
    lines.push(`active-backup primary: ${this.primary ?? '<none>'}${this.primary !== undefined && !known ? ' (no such member)' : ''}`);
    lines.push(`active member mac: ${activeMac ?? '00:00:00:00:00:00'}(${this.active?.name ?? 'none'})`);
    for (const m of this.members()) {
      lines.push('', `member ${m.name}: ${m.enabled ? 'enabled' : 'disabled'}`);
      if (m === this.active) lines.push('  active member');
      lines.push(`  may_enable: ${m.mayEnable}`);
    }
    return `${lines.join('\n')}\n\n`;
  }
}

/** A 32-bit FNV-1a over numbers (bytes of the fields a bond balances on). */
export function bondHash(basis: number, values: readonly (number | bigint)[]): number {
  let h = (0x811c9dc5 ^ basis) >>> 0;
  for (const v of values) {
    let x = BigInt(v);
    for (let i = 0; i < 8; i++) {
      h ^= Number(x & 0xffn);
      h = Math.imul(h, 0x01000193) >>> 0;
      x >>= 8n;
    }
  }
  return h;
}
