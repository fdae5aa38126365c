// Differential test of the ovs-ofctl flow syntax: our parse+format against real
// `ovs-ofctl parse-flow` (OVS 3.1, default OpenFlow 1.0 + NXM) over the corpus, plus unit checks.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { needCommand } from '../lib/env.js';
import { parseFlowMod, formatFlowMod, formatMatch, FlowSyntaxError, parseActions, formatActions } from '../../engine/pipeline/flow-syntax.js';
import { VALID_FLOWS, INVALID_FLOWS } from './flow-corpus.js';

interface Outcome { ok: boolean; text: string }

function ours(flow: string): Outcome {
  try {
    return { ok: true, text: formatFlowMod(parseFlowMod(flow, 'add')).trim() };
  } catch (e) {
    if (e instanceof FlowSyntaxError) return { ok: false, text: e.message };
    throw e;
  }
}

function real(flow: string): Outcome {
  const r = spawnSync('ovs-ofctl', ['parse-flow', flow], { encoding: 'utf8' });
  if (r.status === 0) {
    const line = r.stdout.trim().split('\n').pop()!;
    return { ok: true, text: line.replace(/^[A-Z0-9_]+ \(xid=0x[0-9a-f]+\):/, '').trim() };
  }
  const err = r.stderr.trim().split('\n').filter((l) => l.startsWith('ovs-ofctl: ')).pop() ?? r.stderr.trim();
  return { ok: false, text: err.replace(/^ovs-ofctl: /, '') };
}

t.test('differential: parse-flow over the corpus', { skip: needCommand('ovs-ofctl') }, async (t) => {
  const all = [...VALID_FLOWS, ...INVALID_FLOWS];
  t.ok(all.length >= 100, `corpus has ${all.length} flows`);
  let okCount = 0, errCount = 0;
  for (const flow of all) {
    const r = real(flow);
    const o = ours(flow);
    if (r.ok) okCount++; else errCount++;
    t.same(o, r, `${JSON.stringify(flow)} -> ${r.ok ? r.text : 'error: ' + r.text}`);
  }
  t.ok(okCount >= 80 && errCount >= 40, `valid ${okCount}, invalid ${errCount} per real OVS`);
});

t.test('round trip: formatted flows parse back to the same text', async (t) => {
  for (const flow of VALID_FLOWS) {
    let fm;
    try { fm = parseFlowMod(flow, 'add'); } catch { continue; }
    const m = formatMatch(fm.match, fm.priority);
    const text = `${m}${m ? ',' : ''}actions=${formatActions(fm.actions)}`;
    const again = parseFlowMod(text, 'add');
    t.equal(formatMatch(again.match, again.priority), m, `match of ${flow}`);
  }
});

t.test('commands: del-flows and mod-flows keywords', async (t) => {
  const d = parseFlowMod('cookie=0x5/0xff,out_port=3,in_port=1', 'delete');
  t.equal(d.cookieMask, 0xffn);
  t.equal(d.outPort, 3);
  t.throws(() => parseFlowMod('priority=3', 'delete'), /unknown keyword priority/);
  t.equal(parseFlowMod('priority=3,in_port=1', 'delete_strict').priority, 3);
  t.throws(() => parseFlowMod('cookie=5,in_port=1', 'delete'), /cannot set cookie/);
  const m = parseFlowMod('in_port=1,actions=output:2', 'modify');
  t.equal(m.actions.length, 1);
  const a = parseFlowMod('delete in_port=1', 'auto');
  t.equal(a.command, 'delete');
  t.same(parseActions('push_vlan:0x8100,output:1').map((x) => x.type), ['push_vlan', 'output']);
});

t.test('flow files as add-flows reads them', async (t) => {
  const { parseFlowFile } = await import('../../engine/pipeline/flow-syntax.js');
  const fms = parseFlowFile('# comment\n\npriority=5,in_port=1,actions=output:2  # trailing\nmodify in_port=1,\\\n actions=drop\ndelete_strict priority=5,in_port=1\n');
  t.same(fms.map((f) => f.command), ['add', 'modify', 'delete_strict']);
  t.equal(fms[1]!.actions.length, 0);
  t.throws(() => parseFlowFile('actions=drop\nfoo=1,actions=drop\n'), /^line 2: unknown keyword foo$/);
});
