// Two "hypervisors" on one machine for the tests/two-hosts suites: two namespaces (lo up) joined by
// a veth "physical network" with addresses <subnet>.1/24 and <subnet>.2/24, and an EngineHarness
// running in each. Namespace deletion and both engines' stop() are registered as teardowns.
import { spawnSync } from 'node:child_process';
import { EngineHarness } from './engine-harness.js';

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

export interface TwoHypervisorsOptions {
  /** The two namespaces, created here and deleted at teardown. */
  ns: [string, string];
  /** The veth ends, dev[0] in ns[0] and dev[1] in ns[1]. */
  dev: [string, string];
  /** The first three octets of the /24, e.g. '172.31.14': the hosts get .1 and .2. */
  subnet: string;
  /** EngineHarness tags of the two engines. */
  tags: [string, string];
  /** Delete namespaces of these names left over from an earlier run before creating them. */
  deleteStale: boolean;
}

interface Teardowns { teardown(fn: () => unknown): void }

export async function twoHypervisors(t: Teardowns, o: TwoHypervisorsOptions): Promise<[EngineHarness, EngineHarness]> {
  const [hv1, hv2] = o.ns, [dev1, dev2] = o.dev;
  if (o.deleteStale) for (const ns of [hv1, hv2]) spawnSync('ip', ['netns', 'del', ns]);
  t.teardown(() => { spawnSync('ip', ['netns', 'del', hv1]); spawnSync('ip', ['netns', 'del', hv2]); });
  for (const ns of [hv1, hv2]) { ip('netns', 'add', ns); ip('-n', ns, 'link', 'set', 'lo', 'up'); }
  ip('link', 'add', dev1, 'netns', hv1, 'type', 'veth', 'peer', 'name', dev2, 'netns', hv2);
  ip('-n', hv1, 'addr', 'add', `${o.subnet}.1/24`, 'dev', dev1);
  ip('-n', hv2, 'addr', 'add', `${o.subnet}.2/24`, 'dev', dev2);
  ip('-n', hv1, 'link', 'set', dev1, 'up');
  ip('-n', hv2, 'link', 'set', dev2, 'up');
  const h1 = new EngineHarness(o.tags[0], hv1), h2 = new EngineHarness(o.tags[1], hv2);
  t.teardown(() => h1.stop());
  t.teardown(() => h2.stop());
  await h1.start();
  await h2.start();
  return [h1, h2];
}
