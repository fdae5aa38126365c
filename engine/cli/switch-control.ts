// Shared by our ovs-ofctl and ovs-dpctl: find the running switch's control socket (ovs-vswitchd,
// or the one-process engine) and run one command on it.
import { resolveTarget } from './ovs-appctl.js';
import { UnixctlClient } from '../util/unixctl.js';

export class SwitchControlError extends Error {
  constructor(message: string, readonly exitCode = 1) { super(message); }
}

export async function switchCommand(command: string, args: string[], target?: string): Promise<string> {
  const candidates = target ? [target] : ['ovs-vswitchd', 'ovs-engine'];
  let path: string | undefined;
  const tried: string[] = [];
  for (const c of candidates) {
    try { path = resolveTarget(c); break; } catch (e) { tried.push(`${c}: ${(e as Error).message}`); }
  }
  if (!path) throw new SwitchControlError(`no running switch found (${tried.join('; ')}); is ovs-vswitchd or the engine running?`);
  const client = await UnixctlClient.connect(path).catch((e: Error) => { throw new SwitchControlError(`cannot connect to "${path}" (${e.message})`); });
  try {
    const reply = await client.transact(command, args);
    if (reply.error !== undefined) throw new SwitchControlError(reply.error.trimEnd());
    return reply.result ?? '';
  } finally {
    client.close();
  }
}
