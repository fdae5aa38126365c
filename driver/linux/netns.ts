// Network namespaces with a veth "VM": the Linux VM-binding provider and the tests use them.
// A namespace stands for a VM, the veth end inside is its vNIC, the end outside is what the
// switch attaches (as a system port). Everything goes through iproute2's `ip`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { OvsError } from '../../engine/util/errors.js';
import { checkIfName } from './native.js';
import { disableOffloads } from './offload.js';

export class CommandFailedError extends OvsError {
  readonly status: number | null;
  readonly stderr: string;
  constructor(cmd: string[], status: number | null, stderr: string) {
    super('OVS_E_COMMAND_FAILED', `${cmd.join(' ')} failed (exit ${status ?? 'signal'}): ${stderr.trim()}`);
    this.status = status;
    this.stderr = stderr;
  }
}

/** Runs a command synchronously; throws CommandFailedError unless it exits 0. Returns stdout. */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000 });
  if (r.error) throw new CommandFailedError([cmd, ...args], null, r.error.message);
  if (r.status !== 0) throw new CommandFailedError([cmd, ...args], r.status, r.stderr || r.stdout);
  return r.stdout;
}

export function ip(...args: string[]): string {
  return run('ip', args);
}

function checkNsName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name) || name === '.' || name === '..') {
    throw new OvsError('OVS_E_INVALID_INPUT', `invalid namespace name ${JSON.stringify(name)}: expected 1-64 of [A-Za-z0-9_.-]`);
  }
}

export function netnsExists(name: string): boolean {
  checkNsName(name);
  return ip('netns', 'list').split('\n').some((l) => l.split(' ')[0] === name);
}

export function createNetns(name: string): void {
  checkNsName(name);
  ip('netns', 'add', name);
  ip('-n', name, 'link', 'set', 'lo', 'up');
}

/** Deletes a namespace if it exists (interfaces inside go with it). Never throws for a missing one. */
export function deleteNetns(name: string): void {
  checkNsName(name);
  spawnSync('ip', ['netns', 'del', name], { encoding: 'utf8' });
}

/** Deletes an interface in the root namespace if it exists (a veth takes its peer with it). */
export function deleteLink(ifname: string): void {
  checkIfName(ifname);
  spawnSync('ip', ['link', 'del', ifname], { encoding: 'utf8' });
}

/** Runs a command inside a namespace; returns the spawnSync result (never throws). */
export function execInNetns(ns: string, cmd: string, args: string[], timeoutMs = 30_000) {
  checkNsName(ns);
  return spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs });
}

export interface VethVmOptions {
  /** Namespace ("VM") to create; must not exist yet. */
  netns: string;
  /** Name of the veth end left in the root namespace (the one the switch attaches). */
  hostIf: string;
  /** Name of the vNIC inside the namespace (default eth0). */
  vmIf?: string;
  /** Addresses with prefix for the vNIC, e.g. ["10.0.0.1/24"]. */
  addresses?: string[];
  mac?: string;
  mtu?: number;
  /** Turn off offloads on both ends (default true: the userspace datapath needs it). */
  noOffloads?: boolean;
}

export interface VethVm {
  readonly netns: string;
  readonly hostIf: string;
  readonly vmIf: string;
  readonly mac: string;
  /** Deletes the namespace and the host end; safe to call twice. */
  destroy(): void;
}

/**
 * Waits (blocking, up to `timeoutMs`) until a root-namespace link reports operstate "up". Until the
 * kernel's link watcher has run (up to a second after `ip link set up`), a new veth still has the
 * noop qdisc and silently drops what is sent on it.
 */
export function waitForLinkUp(ifname: string, timeoutMs = 5000): boolean {
  checkIfName(ifname);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + timeoutMs;
  for (;;) {
    let state = '';
    try { state = readFileSync(`/sys/class/net/${ifname}/operstate`, 'utf8').trim(); } catch { /* not there yet */ }
    if (state === 'up') return true;
    if (Date.now() > until) return false;
    Atomics.wait(sleeper, 0, 0, 10);
  }
}

/** A namespace with a veth pair: one end inside (up, addressed), the other in the root namespace, up. */
export function createVethVm(o: VethVmOptions): VethVm {
  const vmIf = o.vmIf ?? 'eth0';
  checkIfName(o.hostIf);
  checkIfName(vmIf);
  createNetns(o.netns);
  const destroy = () => { deleteLink(o.hostIf); deleteNetns(o.netns); };
  try {
    ip('link', 'add', o.hostIf, 'type', 'veth', 'peer', 'name', vmIf, 'netns', o.netns);
    if (o.mac) ip('-n', o.netns, 'link', 'set', vmIf, 'address', o.mac);
    if (o.mtu) { ip('-n', o.netns, 'link', 'set', vmIf, 'mtu', String(o.mtu)); ip('link', 'set', o.hostIf, 'mtu', String(o.mtu)); }
    for (const a of o.addresses ?? []) ip('-n', o.netns, 'addr', 'add', a, 'dev', vmIf);
    if (o.noOffloads !== false) {
      disableOffloads(o.hostIf);
      disableOffloads(vmIf, o.netns);
    }
    ip('-n', o.netns, 'link', 'set', vmIf, 'up');
    ip('link', 'set', o.hostIf, 'up');
    waitForLinkUp(o.hostIf);
    const mac = JSON.parse(ip('-j', '-n', o.netns, 'link', 'show', vmIf)) as Array<{ address: string }>;
    return { netns: o.netns, hostIf: o.hostIf, vmIf, mac: mac[0]?.address ?? '', destroy };
  } catch (e) {
    destroy();
    throw e;
  }
}

/** Adds an 802.1Q sub-interface `<parent>.<vid>` inside a namespace, with addresses, up. */
export function addVlanSubinterface(ns: string, parent: string, vid: number, addresses: string[]): string {
  const name = `${parent}.${vid}`;
  checkIfName(name);
  ip('-n', ns, 'link', 'add', 'link', parent, 'name', name, 'type', 'vlan', 'id', String(vid));
  for (const a of addresses) ip('-n', ns, 'addr', 'add', a, 'dev', name);
  ip('-n', ns, 'link', 'set', name, 'up');
  return name;
}
