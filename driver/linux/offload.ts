// A userspace datapath sees frames as the kernel hands them to a packet socket or TAP. With
// segmentation/checksum offloads on, it would get 64 KB TCP super-frames and frames with partial
// checksums, which it cannot forward to another port; with rx VLAN offload on, the 802.1Q tag is
// only in metadata that read() does not return. So, as OVS's userspace datapath does, turn them
// off with ethtool when it is installed. Failures of single features are ignored (not every
// driver has every feature); a missing ethtool is reported to the caller.
import { spawnSync } from 'node:child_process';

const FEATURES = ['tx', 'tso', 'gso', 'gro', 'rxvlan', 'txvlan'];

export interface OffloadResult { ethtool: boolean; failed: string[] }

export function disableOffloads(ifname: string, netns?: string): OffloadResult {
  const run = (args: string[]) => netns
    ? spawnSync('ip', ['netns', 'exec', netns, 'ethtool', ...args], { encoding: 'utf8' })
    : spawnSync('ethtool', args, { encoding: 'utf8' });
  const all = run(['-K', ifname, ...FEATURES.flatMap((f) => [f, 'off'])]);
  if (all.error || all.status === 127) return { ethtool: false, failed: FEATURES };
  if (all.status === 0) return { ethtool: true, failed: [] };
  const failed: string[] = [];
  for (const f of FEATURES) {
    const r = run(['-K', ifname, f, 'off']);
    if (r.status !== 0) failed.push(f);
  }
  return { ethtool: true, failed };
}
