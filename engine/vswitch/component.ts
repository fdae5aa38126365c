// Starts the switch inside the engine process (npm start / Start-OvsEngine): the userspace
// datapath behind the netlink endpoint, a Dpif over it, and the reconciler on the served database.
import { Dpif } from '../channel/dpif.js';
import type { Database } from '../ovsdb/api.js';
import type { UnixctlServer } from '../util/unixctl.js';
import { vlog } from '../util/vlog.js';
import { OVS_COMPAT_VERSION } from '../util/daemon.js';
import { openUserspaceTransport } from '../../driver/userspace/backend.js';
import type { NetlinkTransport } from '../channel/transport.js';
import { LocalConfigSource, type ConfigSource } from './config-source.js';
import { registerSwitchCommands } from './unixctl-commands.js';
import { VSwitch } from './vswitch.js';

export interface RunningSwitch { sw: VSwitch; stop(): Promise<void> }

/** How the engine reaches its datapath:
 *  - userspace: our Linux userspace datapath behind the netlink endpoint (default on Linux);
 *  - windows: the OVS Hyper-V extension through \\.\OpenvSwitchDevice (default on Windows);
 *  - windows-sim: the Windows transport code path over a simulated extension device whose
 *    datapath is our userspace one (for proving the Windows path on Linux);
 *  - kernel: the Linux kernel's openvswitch module over generic netlink (where it is loaded). */
export type DatapathTransportKind = 'userspace' | 'windows' | 'windows-sim' | 'kernel';

export interface SwitchOptions { datapath?: string; transport?: DatapathTransportKind; unixctl?: UnixctlServer[] }

/** Netdev-level settings the datapath messages do not carry (OVS sets them on the netdev). */
export interface NetdevControl {
  /** Interface ingress policing (kbit/s, kbit; rate 0 = off). Throws when it cannot. */
  setIngressPolicing(iface: string, rateKbps: number, burstKbit: number): void;
}

const netdevControls = new WeakMap<NetlinkTransport, NetdevControl>();

/** The one place a datapath implementation is chosen. */
export async function openDatapathTransport(kind: DatapathTransportKind, name: string): Promise<NetlinkTransport> {
  if (kind === 'windows') {
    const { Win32Device } = await import('../../driver/windows/win32-device.js');
    const { WindowsNetlinkTransport } = await import('../../driver/windows/transport.js');
    return WindowsNetlinkTransport.open(new Win32Device());
  }
  if (process.platform !== 'linux') throw new Error(`the ${kind} datapath needs Linux`);
  if (kind === 'kernel') {
    const { GenlTransport } = await import('../../driver/linux/genetlink.js');
    return GenlTransport.open();
  }
  const { transport: endpoint, datapath } = await openUserspaceTransport(name);
  const netdev: NetdevControl = { setIngressPolicing: (iface, rate, burst) => datapath.setIngressPolicing(iface, rate, burst) };
  if (kind === 'userspace') { netdevControls.set(endpoint, netdev); return endpoint; }
  const { FakeOvsExtension } = await import('../../driver/windows/fake-extension.js');
  const { WindowsNetlinkTransport } = await import('../../driver/windows/transport.js');
  const t = await WindowsNetlinkTransport.open(new FakeOvsExtension(endpoint));
  const close = t.close.bind(t);
  t.close = async () => { await close(); await endpoint.close(); };
  netdevControls.set(t, netdev);
  return t;
}

export function defaultTransport(): DatapathTransportKind {
  const env = process.env.OVS_DATAPATH_TRANSPORT;
  if (env === 'userspace' || env === 'windows' || env === 'windows-sim' || env === 'kernel') return env;
  return process.platform === 'win32' ? 'windows' : 'userspace';
}

/** Opens the datapath and starts a switch on it. */
export async function startSwitch(source: ConfigSource, opts: SwitchOptions = {}): Promise<RunningSwitch> {
  const kind = opts.transport ?? defaultTransport();
  const name = kind === 'windows' ? 'ovs-system' : opts.datapath ?? 'ovs-system';
  const endpoint = await openDatapathTransport(kind, name);
  let sw: VSwitch | undefined;
  try {
    // The kernel datapath is created by us when missing (the others exist once opened).
    const dpif = await Dpif.open(endpoint, name, { create: kind === 'kernel' });
    const netdev = netdevControls.get(endpoint);
    sw = new VSwitch({ source, dpif, log: vlog.module('bridge'), version: OVS_COMPAT_VERSION, ...(netdev ? { netdev } : {}) });
    await sw.start();
  } catch (e) {
    await endpoint.close().catch(() => undefined);
    throw e;
  }
  for (const u of opts.unixctl ?? []) registerSwitchCommands(u, sw);
  const running = sw;
  return {
    sw: running,
    async stop() {
      await running.stop();
      await source.close();
      await endpoint.close();
    },
  };
}

export async function startLocalSwitch(db: Database, opts: SwitchOptions = {}): Promise<RunningSwitch> {
  return startSwitch(new LocalConfigSource(db), opts);
}
