// Starts the switch inside the engine process (npm start / Start-OvsEngine): the userspace
// datapath behind the netlink endpoint, a Dpif over it, and the reconciler on the served database.
import { DatapathEndpoint } from '../channel/datapath-endpoint.js';
import { Dpif } from '../channel/dpif.js';
import type { Database } from '../ovsdb/api.js';
import type { UnixctlServer } from '../util/unixctl.js';
import { vlog } from '../util/vlog.js';
import { OVS_COMPAT_VERSION } from '../util/daemon.js';
import { UserspaceBackend } from '../../driver/userspace/endpoint-backend.js';
import { LocalConfigSource, type ConfigSource } from './config-source.js';
import { registerSwitchCommands } from './unixctl-commands.js';
import { VSwitch } from './vswitch.js';

export interface RunningSwitch { sw: VSwitch; stop(): Promise<void> }

/** Opens the datapath (the one place a datapath implementation is chosen) and starts a switch. */
export async function startSwitch(source: ConfigSource, opts: { datapath?: string; unixctl?: UnixctlServer[] } = {}): Promise<RunningSwitch> {
  if (process.platform !== 'linux') throw new Error(`no datapath for ${process.platform} yet (the Windows extension transport plugs in here)`);
  const backend = await UserspaceBackend.create(opts.datapath ?? 'ovs-system');
  const endpoint = new DatapathEndpoint(backend);
  let sw: VSwitch | undefined;
  try {
    const dpif = await Dpif.open(endpoint, backend.name);
    sw = new VSwitch({ source, dpif, log: vlog.module('bridge'), version: OVS_COMPAT_VERSION });
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

export async function startLocalSwitch(db: Database, opts: { datapath?: string; unixctl?: UnixctlServer[] } = {}): Promise<RunningSwitch> {
  return startSwitch(new LocalConfigSource(db), opts);
}
