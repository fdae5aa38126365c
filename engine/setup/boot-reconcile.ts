// `ovs-engine --reconcile` (Install-OvsService -Reconcile): after a reboot the database still holds
// the desired state but the devices behind it are gone (TAP devices, veths, the VMs' vNICs). The
// switch already re-applies the database when it starts (bridges' and internal ports' TAPs are
// re-created by it); this pass adds what a boot needs on top:
//   1. re-creates the test VMs whose definition the database records (Linux netns provider:
//      Interface external_ids ovsps-vm-provider=netns, ovsps-vm-netns, ovsps-vm-nic,
//      ovsps-vm-addresses, attached-mac), as the netns provider made them;
//   2. retries, for up to --reconcile-wait seconds, the interfaces whose devices are still missing
//      (VMs that start after the engine: Hyper-V vNICs, veths made by someone else), re-running the
//      switch's reconciliation when one appears;
//   3. reports what it could not restore: a WARN log line per interface, and a JSON report
//      (<rundir>/reconcile-report.json, and `ovs-appctl -t ovs-engine engine/reconcile-report`).
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database, RowJson } from '../ovsdb/api.js';
import type { Json } from '../ovsdb/api.js';

/** Interface external_ids keys that define a netns test VM behind an interface. */
export const VM_KEYS = {
  provider: 'ovsps-vm-provider',
  netns: 'ovsps-vm-netns',
  nic: 'ovsps-vm-nic',
  addresses: 'ovsps-vm-addresses',
  mac: 'attached-mac',
} as const;

export interface ConfiguredInterface {
  name: string;
  type: string;
  bridge: string;
  port: string;
  externalIds: Map<string, string>;
}

export interface NetnsVmDefinition {
  netns: string;
  hostIf: string;
  vmIf: string;
  addresses: string[];
  mac?: string;
}

/** What the pass needs of the switch (VSwitch has both). */
export interface ReconcilableSwitch {
  reconcileNow(): Promise<void>;
  ifaceState(name: string): Readonly<{ ofport: number; error?: string }> | undefined;
}

/** How devices are seen and VMs re-made; the Linux one by default, a fake in tests. */
export interface DeviceHost {
  /** true when a network device with this name exists (undefined: cannot tell on this platform). */
  deviceExists(name: string): boolean | undefined;
  /** Re-creates a netns VM; throws with the reason when it cannot. */
  createVm(def: NetnsVmDefinition): Promise<void>;
}

export interface ReconcileReport {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Interfaces with a datapath port to restore (patch ports have none). */
  interfaces: number;
  restored: string[];
  recreatedVms: Array<{ interface: string; netns: string }>;
  notRestored: Array<{ interface: string; bridge: string; error: string }>;
  /** How long it waited for devices that were still missing. */
  waitedMs: number;
}

export interface BootReconcileOptions {
  database: Database;
  sw: ReconcilableSwitch;
  devices?: DeviceHost;
  /** Where to write the JSON report; none when undefined. */
  reportPath?: string;
  /** How long to wait for missing devices (default 60 s). */
  waitMs?: number;
  /** How often to look for them (default 500 ms). */
  pollMs?: number;
  log?: { info(m: string): void; warn(m: string): void };
  now?: () => number;
}

function str(v: Json | undefined): string {
  return typeof v === 'string' ? v : '';
}

function uuids(v: Json | undefined): string[] {
  if (Array.isArray(v) && v[0] === 'uuid') return [String(v[1])];
  if (Array.isArray(v) && v[0] === 'set') return (v[1] as Json[]).flatMap((x) => uuids(x));
  return [];
}

function strMap(v: Json | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (Array.isArray(v) && v[0] === 'map') for (const pair of v[1] as Json[][]) m.set(String(pair[0]), String(pair[1]));
  return m;
}

/** The interfaces of every bridge of the Open_vSwitch row, in the database's order. */
export function configuredInterfaces(db: Database): ConfiguredInterface[] {
  const table = (name: string): Map<string, RowJson> => {
    const m = new Map<string, RowJson>();
    for (const r of db.rows(name)) m.set(uuids(r._uuid as Json)[0] ?? '', r);
    return m;
  };
  const bridges = table('Bridge'), ports = table('Port'), ifaces = table('Interface');
  const out: ConfiguredInterface[] = [];
  for (const ovs of db.rows('Open_vSwitch')) {
    for (const bu of uuids(ovs.bridges as Json)) {
      const b = bridges.get(bu);
      if (!b) continue;
      for (const pu of uuids(b.ports as Json)) {
        const p = ports.get(pu);
        if (!p) continue;
        for (const iu of uuids(p.interfaces as Json)) {
          const i = ifaces.get(iu);
          if (!i) continue;
          out.push({ name: str(i.name as Json), type: str(i.type as Json), bridge: str(b.name as Json), port: str(p.name as Json), externalIds: strMap(i.external_ids as Json) });
        }
      }
    }
  }
  return out;
}

/** The netns VM recorded for an interface, or undefined (no definition, or not a netns one). */
export function netnsVmDefinition(i: ConfiguredInterface): NetnsVmDefinition | undefined {
  const x = i.externalIds;
  if (x.get(VM_KEYS.provider) !== 'netns' || !x.get(VM_KEYS.netns)) return undefined;
  const addresses = (x.get(VM_KEYS.addresses) ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  return { netns: x.get(VM_KEYS.netns)!, hostIf: i.name, vmIf: x.get(VM_KEYS.nic) || 'eth0', addresses, mac: x.get(VM_KEYS.mac) || undefined };
}

/** Linux: /sys/class/net for devices, iproute2 (driver/linux/netns.ts) for VMs; elsewhere no VMs. */
export function systemDeviceHost(): DeviceHost {
  return {
    deviceExists: (name) => (process.platform === 'linux' ? existsSync(`/sys/class/net/${name}`) : undefined),
    async createVm(def) {
      if (process.platform !== 'linux') throw new Error('netns VMs exist only on Linux');
      const netns = await import('../../driver/linux/netns.js');
      if (netns.netnsExists(def.netns)) throw new Error(`network namespace ${def.netns} exists but has no link to ${def.hostIf}; not touching it`);
      netns.createVethVm({ netns: def.netns, hostIf: def.hostIf, vmIf: def.vmIf, addresses: def.addresses, mac: def.mac });
      // The netns provider of the PowerShell module finds bound VM ports by this alias.
      netns.ip('link', 'set', 'dev', def.hostIf, 'alias', `ovsps vm=${def.netns} nic=${def.vmIf} bound=1`);
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the boot pass; resolves with the report (also written to reportPath). Never rejects for a
 *  device that cannot be restored: that is what the report is for. */
export async function runBootReconcile(o: BootReconcileOptions): Promise<ReconcileReport> {
  const now = o.now ?? Date.now;
  const devices = o.devices ?? systemDeviceHost();
  const waitMs = o.waitMs ?? 60_000;
  const pollMs = o.pollMs ?? 500;
  const t0 = now();
  const startedAt = new Date(t0).toISOString();
  await o.sw.reconcileNow();
  const ifaces = configuredInterfaces(o.database).filter((i) => i.type !== 'patch');
  const failedOf = (): ConfiguredInterface[] => ifaces.filter((i) => { const s = o.sw.ifaceState(i.name); return !s || !!s.error; });

  // 1. VMs the database defines, whose host end is missing.
  const recreatedVms: ReconcileReport['recreatedVms'] = [];
  const vmErrors = new Map<string, string>();
  for (const i of failedOf()) {
    const def = netnsVmDefinition(i);
    if (!def || devices.deviceExists(i.name) !== false) continue;
    try {
      await devices.createVm(def);
      recreatedVms.push({ interface: i.name, netns: def.netns });
      o.log?.info(`reconcile: re-created VM ${def.netns} (${def.vmIf}${def.addresses.length ? ` ${def.addresses.join(',')}` : ''}) behind ${i.name}`);
    } catch (e) {
      vmErrors.set(i.name, `could not re-create VM ${def.netns}: ${(e as Error).message}`);
    }
  }
  if (recreatedVms.length) await o.sw.reconcileNow();

  // 2. Wait (bounded) for devices that others bring back.
  const tWait = now();
  let failed = failedOf();
  while (failed.length && now() - tWait < waitMs) {
    // Where devices cannot be seen (Windows: vNICs appear in the extension's port list), each
    // poll re-runs the reconciliation, so poll less often there.
    const blind = failed.some((i) => devices.deviceExists(i.name) === undefined);
    await sleep(blind ? Math.max(pollMs, 2000) : pollMs);
    const appeared = failed.some((i) => devices.deviceExists(i.name) !== false);
    if (appeared) await o.sw.reconcileNow();
    failed = failedOf();
  }
  const waitedMs = failed.length || recreatedVms.length ? now() - tWait : 0;

  // 3. The report.
  const notRestored = failed.map((i) => ({
    interface: i.name, bridge: i.bridge,
    error: [vmErrors.get(i.name), o.sw.ifaceState(i.name)?.error ?? 'no datapath port'].filter(Boolean).join('; '),
  }));
  const failedNames = new Set(failed.map((i) => i.name));
  const t1 = now();
  const report: ReconcileReport = {
    startedAt, finishedAt: new Date(t1).toISOString(), durationMs: t1 - t0, interfaces: ifaces.length,
    restored: ifaces.filter((i) => !failedNames.has(i.name)).map((i) => i.name), recreatedVms, notRestored, waitedMs,
  };
  for (const n of notRestored) o.log?.warn(`reconcile: could not restore interface ${n.interface} on bridge ${n.bridge}: ${n.error}`);
  o.log?.info(`reconcile: ${report.restored.length} of ${report.interfaces} interfaces restored (${recreatedVms.length} VMs re-created) in ${report.durationMs} ms`);
  if (o.reportPath) {
    mkdirSync(dirname(o.reportPath), { recursive: true });
    writeFileSync(`${o.reportPath}.tmp`, JSON.stringify(report, null, 2) + '\n');
    renameSync(`${o.reportPath}.tmp`, o.reportPath);
  }
  return report;
}
