// The switch's control commands on a unixctl socket: what `ovs-appctl` (fdb/show, dpif/show,
// ofproto/trace, dpctl/*, coverage/show), our `ovs-ofctl` (ofctl/*) and `ovs-dpctl` send.
import { UnixctlCommandError, type UnixctlServer } from '../util/unixctl.js';
import * as cmd from './commands.js';
import type { VSwitch } from './vswitch.js';

function wrap<T extends unknown[]>(fn: (...a: T) => Promise<cmd.CommandResult> | cmd.CommandResult) {
  return async (...a: T): Promise<string> => {
    try {
      return (await fn(...a)).text;
    } catch (e) {
      throw new UnixctlCommandError((e as Error).message);
    }
  };
}

/** Splits the ofctl/* argument convention: a leading "--strict" flag, then BRIDGE, then the rest. */
function strictArgs(args: string[]): { strict: boolean; rest: string[] } {
  const strict = args[0] === '--strict';
  return { strict, rest: strict ? args.slice(1) : args };
}

export function registerSwitchCommands(u: UnixctlServer, sw: VSwitch): void {
  u.register('fdb/show', 'bridge', 1, 1, wrap((args: string[]) => cmd.fdbShow(sw, args[0]!)));
  u.register('fdb/flush', '[bridge]', 0, 1, wrap((args: string[]) => cmd.fdbFlush(sw, args[0])));
  u.register('dpif/show', '', 0, 0, wrap(() => cmd.dpifShow(sw)));
  u.register('dpif/dump-flows', 'bridge', 1, 1, wrap(() => cmd.dpctlDumpFlows(sw)));
  u.register('ofproto/trace', 'bridge flow', 2, 2, wrap((args: string[]) => cmd.ofprotoTrace(sw, args[0]!, args[1]!)));
  u.register('bond/show', '[port]', 0, 1, (args: string[]) => sw.bondShow(args[0]));
  u.register('bond/list', '', 0, 0, () => sw.bondList());
  u.register('lacp/show', '[port]', 0, 1, (args: string[]) => sw.lacpShow(args[0]));
  u.register('lacp/show-stats', '[port]', 0, 1, (args: string[]) => sw.lacpShow(args[0], true));
  u.register('qos/show', 'interface', 1, 1, (args: string[]) => sw.qosShow(args[0]!));
  u.register('coverage/show', '', 0, 0, wrap(() => cmd.coverageShow(sw)));
  u.register('dpctl/show', '[dp]', 0, 1, wrap(() => cmd.dpctlShow(sw)));
  u.register('dpctl/dump-flows', '[dp]', 0, 1, wrap(() => cmd.dpctlDumpFlows(sw)));
  u.register('dpctl/del-flows', '[dp]', 0, 1, wrap(() => cmd.dpctlDelFlows(sw)));
  // Private commands behind our ovs-ofctl (real ovs-ofctl speaks OpenFlow; ours speaks unixctl).
  u.register('ofctl/show', undefined, 1, 1, wrap((args: string[]) => cmd.ofctlShow(sw, args[0]!)));
  u.register('ofctl/dump-flows', undefined, 1, 2, wrap((args: string[]) => cmd.dumpFlowsText(sw, args[0]!, args[1] ?? '')));
  u.register('ofctl/dump-ports', undefined, 1, 1, wrap((args: string[]) => cmd.dumpPorts(sw, args[0]!)));
  u.register('ofctl/dump-ipfix-bridge', undefined, 1, 1, wrap((args: string[]) => cmd.dumpIpfixBridge(sw, args[0]!)));
  u.register('ofctl/dump-ipfix-flow', undefined, 1, 1, wrap((args: string[]) => cmd.dumpIpfixFlow(sw, args[0]!)));
  u.register('ofctl/add-flows', undefined, 1, Number.MAX_SAFE_INTEGER, wrap((args: string[]) => cmd.addFlows(sw, args[0]!, args.slice(1))));
  u.register('ofctl/del-flows', undefined, 1, 3, wrap((args: string[]) => { const s = strictArgs(args); return cmd.delFlows(sw, s.rest[0]!, s.rest[1] ?? '', s.strict); }));
  u.register('ofctl/mod-flows', undefined, 2, 3, wrap((args: string[]) => { const s = strictArgs(args); return cmd.modFlows(sw, s.rest[0]!, s.rest[1]!, s.strict); }));
}
