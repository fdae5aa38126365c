// set_queue / pop_queue / enqueue: parsed and printed as ovs-ofctl does, and translated into a
// set(priority) before the outputs they apply to (queue N = tc class 1:N+1 = priority 0x1000N+1).
import t from 'tap';
import type { OdpAction, OdpFlowKey } from '../../engine/channel/odp-types.js';
import { Pipeline } from '../../engine/pipeline/pipeline.js';
import { parseActions, formatActions } from '../../engine/pipeline/flow-syntax.js';

const key = (inPort: number): OdpFlowKey => ({ inPort, eth: { src: '00:00:00:00:00:0a', dst: '00:00:00:00:00:0b' }, ethType: 0x88b5 });

function setup() {
  const p = new Pipeline({ now: () => 0 });
  const br = p.addBridge('br0');
  br.addPort({ name: 'p1', ofport: 1, odpPort: 2 });
  br.addPort({ name: 'p2', ofport: 2, odpPort: 3 });
  br.addPort({ name: 'p3', ofport: 3, odpPort: 4 });
  br.delFlows();
  return { p, br };
}

t.test('syntax', async (t) => {
  t.equal(formatActions(parseActions('set_queue:1,output:2,pop_queue,enqueue:3:7,enqueue(2,0)')), 'set_queue:1,output:2,pop_queue,enqueue:3:7,enqueue:2:0');
  t.throws(() => parseActions('set_queue:x'), /x: invalid queue id for set_queue/);
  t.throws(() => parseActions('enqueue:3'), /enqueue needs PORT:QUEUE/);
});

t.test('translation', async (t) => {
  const { p, br } = setup();
  br.addFlow('in_port=1,actions=set_queue:1,output:2,pop_queue,output:3');
  const r = p.translate({ key: key(2) });
  t.same(r.actions, [{ type: 'set', key: { priority: 0x10002 } }, { type: 'output', port: 3 }, { type: 'set', key: { priority: 0 } }, { type: 'output', port: 4 }] as OdpAction[],
    'queue 1 is priority 0x10002 for the first output; pop_queue restores the packet\'s own');
  br.delFlows();
  br.addFlow('in_port=1,actions=enqueue:2:5,output:3');
  const e = p.translate({ key: key(2) });
  t.same(e.actions, [{ type: 'set', key: { priority: 0x10006 } }, { type: 'output', port: 3 }, { type: 'set', key: { priority: 0 } }, { type: 'output', port: 4 }] as OdpAction[],
    'enqueue applies the queue to its own output only');
  br.delFlows();
  br.addFlow('in_port=1,actions=set_queue:2,NORMAL');
  const n = p.translate({ key: { ...key(2), eth: { src: '00:00:00:00:00:0a', dst: 'ff:ff:ff:ff:ff:ff' } } });
  t.same(n.actions.filter((a) => a.type === 'set'), [{ type: 'set', key: { priority: 0x10003 } }], 'one priority set for all of NORMAL\'s outputs');
  br.delFlows();
  br.addFlow('in_port=1,actions=set_queue:70000,output:2');
  t.same(p.translate({ key: key(2) }).actions, [{ type: 'output', port: 3 }], 'a queue id beyond the tc range is ignored');
});
