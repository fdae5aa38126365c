// The Linux generic-netlink transport against this machine's kernel: the genl controller
// ("nlctrl") exists on every kernel, so family resolution, multicast group lookup, errors,
// dumps until NLMSG_DONE and concurrent requests are checked for real without openvswitch.ko.
import t from 'tap';
import { constants as osConstants } from 'node:os';
import { GenlTransport, GenlTransportError } from '../../driver/linux/genetlink.js';
import { GenlSocket } from '../../driver/linux/genetlink-socket.js';
import { needRoot } from '../lib/env.js';
import { decodeFamily } from '../../engine/channel/messages.js';
import { decodeMessage, encodeGenl, NlWriter } from '../../engine/channel/netlink.js';
import { netlinkTables } from '../../engine/channel/netlink-tables.js';

const CTRL = 0x10;
const isCtrl = (type: number): boolean => type !== CTRL;

t.test('resolves the controller family itself, with its multicast group', async (t) => {
  const tr = GenlTransport.open();
  t.teardown(() => tr.close());
  t.ok(tr.pid > 0 && tr.upcallPid > 0 && tr.pid !== tr.upcallPid, `two sockets with kernel-assigned port ids (${tr.pid}, ${tr.upcallPid})`);
  t.equal(await tr.resolveFamily('nlctrl'), netlinkTables().controller.id, 'nlctrl is GENL_ID_CTRL (0x10)');
  const info = await tr.family('nlctrl');
  t.equal(info.name, 'nlctrl');
  t.ok(info.version >= 1, `version ${info.version}`);
  const notify = await tr.resolveMulticastGroup('nlctrl', 'notify');
  t.ok(notify > 0, `nlctrl's "notify" group has id ${notify}`);
  await t.rejects(tr.resolveMulticastGroup('nlctrl', 'no-such-group'), { code: 'OVS_E_GENL_ENOENT' });
});

t.test('a family the kernel does not have gives ENOENT', async (t) => {
  const tr = GenlTransport.open();
  t.teardown(() => tr.close());
  const err = await tr.resolveFamily('ovsps_nosuchfam').then(() => undefined, (e: unknown) => e);
  t.type(err, GenlTransportError);
  t.equal((err as GenlTransportError).errno, osConstants.errno.ENOENT);
  t.equal((err as GenlTransportError).code, 'OVS_E_GENL_ENOENT');
  t.match((err as Error).message, /ovsps_nosuchfam.*ENOENT/);
});

t.test('a dump returns every part until NLMSG_DONE', async (t) => {
  const tr = GenlTransport.open();
  t.teardown(() => tr.close());
  const req = encodeGenl({ type: CTRL, flags: 0x1 | 0x300, cmd: 3 /* CTRL_CMD_GETFAMILY */, version: 1 });
  const replies = await tr.transact(req);
  const names = replies.map((r) => {
    const m = decodeMessage(r, isCtrl);
    if (m.kind !== 'genl') throw new Error(`unexpected ${m.kind} in a dump`);
    return decodeFamily(m).name;
  });
  t.ok(names.includes('nlctrl'), `nlctrl among ${names.length} families`);
  t.equal(new Set(replies.map((r) => r.readUInt32LE(8))).size, 1, 'every part carries the request seq');
  t.ok(replies.every((r) => r.readUInt32LE(12) === tr.pid), 'addressed to the request socket');
});

t.test('a request the kernel refuses comes back as one NLMSG_ERROR with its errno', async (t) => {
  const tr = GenlTransport.open();
  t.teardown(() => tr.close());
  const bad = encodeGenl({ type: CTRL, flags: 0x1, cmd: 200, version: 1 });
  const r = await tr.transact(bad);
  t.equal(r.length, 1);
  const m = decodeMessage(r[0]!, isCtrl);
  t.equal(m.kind, 'error');
  t.equal(m.kind === 'error' && m.error, -osConstants.errno.EOPNOTSUPP, 'unknown controller command: EOPNOTSUPP');
  t.equal(m.kind === 'error' && m.request?.seq, r[0]!.readUInt32LE(8), 'the error echoes the stamped request header');
  const noFamily = encodeGenl({ type: 0x7ff0, flags: 0x1, cmd: 1, version: 1 });
  const r2 = decodeMessage((await tr.transact(noFamily))[0]!, isCtrl);
  t.equal(r2.kind === 'error' && r2.error, -osConstants.errno.ENOENT, 'a message type no family has: ENOENT');
});

t.test('concurrent requests each get their own answer', async (t) => {
  const tr = GenlTransport.open();
  t.teardown(() => tr.close());
  const get = (name: string): Buffer => encodeGenl({ type: CTRL, flags: 0x1, cmd: 3, version: 1 }, (w: NlWriter) => {
    const b = Buffer.concat([Buffer.from(name), Buffer.alloc(1)]);
    w.attr(2, b);
  });
  const results = await Promise.all(['nlctrl', 'ovsps_nosuchfam', 'nlctrl', 'ovsps_nosuchfam2'].map((n) => tr.transact(get(n))));
  const kinds = results.map((r) => decodeMessage(r[0]!, isCtrl).kind);
  t.same(kinds, ['genl', 'error', 'genl', 'error']);
  const seqs = results.map((r) => r[0]!.readUInt32LE(8));
  t.equal(new Set(seqs).size, 4, 'distinct sequence numbers');
});

t.test('messages sent to the upcall port reach onMessage listeners, in order, until unsubscribed', { skip: needRoot() }, async (t) => {
  const tr = GenlTransport.open();
  const sender = GenlSocket.open();
  t.teardown(async () => { sender.close(); await tr.close(); });
  const got: number[] = [];
  let wake: (() => void) | undefined;
  const off = tr.onMessage((m) => { got.push(m.readUInt32LE(8)); wake?.(); });
  const upcall = (seq: number): Buffer => encodeGenl({ type: 0x7000, flags: 0, seq, pid: tr.upcallPid, cmd: 1, version: 1, dpIfindex: 7 }, (w: NlWriter) => w.attr(1, Buffer.alloc(60, seq)));
  // Two messages in one datagram (as the kernel may batch them) and one more alone.
  sender.sendTo(Buffer.concat([upcall(101), upcall(102)]), tr.upcallPid);
  sender.sendTo(upcall(103), tr.upcallPid);
  while (got.length < 3) await new Promise<void>((r) => { wake = r; });
  t.same(got, [101, 102, 103], 'every message, split out of its datagram, in order');
  off();
  sender.sendTo(upcall(104), tr.upcallPid);
  for (let i = 0; i < 5; i++) await tr.resolveFamily('nlctrl').then(() => new Promise((r) => setTimeout(r, 15)));
  t.same(got, [101, 102, 103], 'nothing after the listener is removed');
});

t.test('subscribeMulticast resolves the group through nlctrl and joins it once', { skip: needRoot() }, async (t) => {
  const tr = GenlTransport.open();
  t.teardown(() => tr.close());
  await tr.subscribeMulticast('nlctrl', 'notify');
  await tr.subscribeMulticast('nlctrl', 'notify');
  t.pass('joined nlctrl\'s notify group (twice is a no-op)');
  await t.rejects(tr.subscribeMulticast('nlctrl', 'no-such-group'), { code: 'OVS_E_GENL_ENOENT' });
  await t.rejects(tr.subscribeMulticast('ovsps_nosuchfam', 'x'), { code: 'OVS_E_GENL_ENOENT' });
});

t.test('requests after close fail clearly', async (t) => {
  const tr = GenlTransport.open();
  await tr.close();
  await t.rejects(tr.resolveFamily('nlctrl'), /closed/);
  await t.rejects(tr.subscribeMulticast('nlctrl', 'notify'), /closed/);
});
