// Every fuzz target, by name, with the number of cases `npm test` runs (the soak runs 100,000+).
import type { FuzzTarget } from './harness.js';
import { flowTarget } from './flow-target.js';
import { jsonrpcTarget } from './jsonrpc-target.js';
import { netlinkTarget } from './netlink-target.js';
import { serverTarget } from './server-target.js';
import { transactTarget } from './transact-target.js';
import { vsctlTarget } from './vsctl-target.js';

export interface TargetEntry { target: FuzzTarget<never>; quickRuns: number }

export const TARGETS: TargetEntry[] = [
  { target: jsonrpcTarget as FuzzTarget<never>, quickRuns: 800 },
  { target: serverTarget as FuzzTarget<never>, quickRuns: 200 },
  { target: transactTarget as FuzzTarget<never>, quickRuns: 300 },
  { target: netlinkTarget as FuzzTarget<never>, quickRuns: 1000 },
  { target: flowTarget as FuzzTarget<never>, quickRuns: 1000 },
  { target: vsctlTarget as FuzzTarget<never>, quickRuns: 800 },
];

export function targetByName(name: string): TargetEntry | undefined {
  return TARGETS.find((t) => t.target.name === name);
}
