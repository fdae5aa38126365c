// The datapath view Get-OvsDatapath shows (the engine's ovsps/dpctl show: one datapath with its
// counters, flows and ports), for one scenario run over every transport: bridge br-int with two VM
// ports vp-a and vp-b (added in that order, tag 900). The host e2e test
// (tests/windows/datapath-view.test.ts) runs it over the userspace and the windows-sim transport,
// the kernel-VM guest (channel-in-guest.ts) over the Linux kernel's openvswitch module; each
// compares its view with SCENARIO_VIEW, so the three show the same data.
// Counters depend on what the VMs happened to send (IPv6 DAD, router solicitations): they are
// checked for consistency and masked out of the comparison.

export type ViewJson = null | boolean | number | string | ViewJson[] | { [k: string]: ViewJson };
export type View = { [k: string]: ViewJson };

const TRAFFIC = ['hit', 'missed', 'lost', 'flows', 'cacheHitRate'];

/** The view without its traffic counters; numbers in the text masked except port numbers. */
export function comparableView(v: View): View {
  return {
    ...Object.fromEntries(Object.entries(v).filter(([k]) => !TRAFFIC.includes(k))),
    text: String(v.text).split('\n').map((l) => (/^ +port \d+:/.test(l) ? l : l.replace(/\d+(\.\d+)?/g, '#'))).join('\n'),
  };
}

/** Problems with the view's counters (empty when consistent): numbers, the hit rate, the text. */
export function counterProblems(v: View): string[] {
  const out: string[] = [];
  for (const k of TRAFFIC) if (typeof v[k] !== 'number' || Number(v[k]) < 0) out.push(`${k} is ${JSON.stringify(v[k])}`);
  const hit = Number(v.hit), missed = Number(v.missed);
  const rate = hit + missed ? (100 * hit) / (hit + missed) : 0;
  if (Number(v.cacheHitRate).toFixed(2) !== rate.toFixed(2)) out.push(`cacheHitRate ${v.cacheHitRate} is not 100*hit/(hit+missed) = ${rate.toFixed(2)}`);
  if (!String(v.text).includes(`lookups: hit:${hit} missed:${missed} lost:${v.lost}`)) out.push('the text does not show the counters');
  if (!String(v.text).includes(`flows: ${v.flows}`)) out.push('the text does not show the flow count');
  return out;
}

/** What every transport must show for the scenario (comparableView form). */
export const SCENARIO_VIEW: View = comparableView({
  name: 'system@ovs-system',
  ports: [
    { portNo: 0, name: 'ovs-system', type: 'internal' },
    { portNo: 1, name: 'br-int', type: 'internal' },
    { portNo: 2, name: 'vp-a', type: 'system' },
    { portNo: 3, name: 'vp-b', type: 'system' },
  ],
  text: 'system@ovs-system:\n  lookups: hit:0 missed:0 lost:0\n  flows: 0\n  masks: hit:0 total:0 hit/pkt:0.00\n  cache: hit:0 hit-rate:0.00%\n'
    + '  port 0: ovs-system (internal)\n  port 1: br-int (internal)\n  port 2: vp-a\n  port 3: vp-b\n',
});
