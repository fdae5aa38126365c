// engine/rpc/win-pipe-acl.ts: the DACL the engine's Windows named pipes get, checked by decoding
// the binary ACL with the documented winnt.h layout (ACL header, ACCESS_ALLOWED_ACE, SID), and the
// order of the Win32 calls that apply it (through a recording stand-in for kernel32/advapi32:
// there is no Windows here; the Windows workflow's service smoke reads the real pipe's DACL back).
import t from 'tap';
import {
  DACL_SECURITY_INFORMATION, PROTECTED_DACL_SECURITY_INFORMATION, PIPE_SDDL, PipeAclError, READ_CONTROL, WRITE_DAC,
  pipeAclBytes, restrictPipeAccess, type PipeSecurityApi,
} from '../../engine/rpc/win-pipe-acl.js';

/** An ACL's entries as "(type;flags;mask;S-1-...)" strings, read field by field. */
function decodeAcl(b: Buffer): { revision: number; entries: string[] } {
  const revision = b[0]!;
  const size = b.readUInt16LE(2), count = b.readUInt16LE(4);
  if (size !== b.length) throw new Error(`AclSize ${size} but ${b.length} bytes`);
  const entries: string[] = [];
  let off = 8;
  for (let i = 0; i < count; i++) {
    const type = b[off]!, flags = b[off + 1]!, aceSize = b.readUInt16LE(off + 2), mask = b.readUInt32LE(off + 4);
    if (aceSize % 4 !== 0) throw new Error(`ACE ${i} size ${aceSize} is not a multiple of 4`);
    const sid = b.subarray(off + 8, off + aceSize);
    const n = sid[1]!;
    if (sid.length !== 8 + 4 * n) throw new Error(`ACE ${i}: SID of ${sid.length} bytes for ${n} sub-authorities`);
    const subs = Array.from({ length: n }, (_, k) => sid.readUInt32LE(8 + 4 * k));
    entries.push(`(${type};${flags};0x${mask.toString(16)};S-${sid[0]}-${sid.readUIntBE(2, 6)}${subs.map((x) => `-${x}`).join('')})`);
    off += aceSize;
  }
  if (off !== size) throw new Error(`entries end at ${off}, AclSize is ${size}`);
  return { revision, entries };
}

t.test('the pipe ACL: full access for SYSTEM, Administrators and OWNER RIGHTS, nobody else', async (t) => {
  const acl = decodeAcl(pipeAclBytes());
  t.equal(acl.revision, 2, 'ACL_REVISION');
  t.same(acl.entries, ['(0;0;0x1f01ff;S-1-5-18)', '(0;0;0x1f01ff;S-1-5-32-544)', '(0;0;0x1f01ff;S-1-3-4)'],
    'ACCESS_ALLOWED, not inherited, FILE_ALL_ACCESS: LocalSystem, BUILTIN\\Administrators, OWNER RIGHTS');
  t.notOk(acl.entries.some((e) => /S-1-1-0\)|S-1-5-7\)|S-1-5-11\)|S-1-5-32-545\)/.test(e)), 'no Everyone, anonymous, authenticated users or Users');
  t.equal(PIPE_SDDL, 'D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;OW)', 'the SDDL form that is logged says the same');
  t.throws(() => pipeAclBytes(['WD']), /unknown trustee "WD"/);
});

function thrown(fn: () => void): unknown {
  try { fn(); } catch (e) { return e; }
  return undefined;
}

/** Records the calls; `script` gives the results of successive openPipe calls. */
function recorder(opens: Array<{ handle: number; error: number }>, setErr = 0) {
  const calls: string[] = [];
  let acl: Buffer | undefined;
  const api: PipeSecurityApi = {
    openPipe: (name, access) => { calls.push(`open ${name} 0x${access.toString(16)}`); return opens.shift() ?? { handle: -1, error: 2 }; },
    waitPipe: (name, ms) => { calls.push(`wait ${name} ${ms}`); return true; },
    setDacl: (h, info, a) => { calls.push(`set ${h} 0x${info.toString(16)}`); acl = a; return setErr; },
    closeHandle: (h) => { calls.push(`close ${h}`); },
  };
  return { api, calls, acl: () => acl };
}

t.test('restrictPipeAccess: open with READ_CONTROL|WRITE_DAC, set a protected DACL, close', async (t) => {
  const pipe = '\\\\.\\pipe\\C:ovsrundb.sock';
  const r = recorder([{ handle: 44, error: 0 }]);
  restrictPipeAccess(pipe, r.api);
  t.same(r.calls, [`open ${pipe} 0x${(READ_CONTROL | WRITE_DAC).toString(16)}`, `set 44 0x${((DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION) >>> 0).toString(16)}`, 'close 44']);
  t.same(r.acl(), pipeAclBytes(), 'the ACL passed is the pipe ACL');

  const busy = recorder([{ handle: -1, error: 231 }, { handle: -1, error: 231 }, { handle: 7, error: 0 }]);
  restrictPipeAccess(pipe, busy.api);
  t.same(busy.calls.filter((c) => c.startsWith('wait')).length, 2, 'ERROR_PIPE_BUSY: waits for a free instance and opens again');
  t.equal(busy.calls.at(-1), 'close 7');

  const denied = recorder([{ handle: -1, error: 5 }]);
  const e = thrown(() => restrictPipeAccess(pipe, denied.api));
  t.ok(e instanceof PipeAclError && e.win32Error === 5 && e.code === 'OVSPS_PIPE_ACL' && e.message.includes(pipe) && /default DACL/.test(e.message),
    `access denied: a typed error naming the pipe, the Windows error and what the pipe keeps (${String(e)})`);
  t.notOk(denied.calls.some((c) => c.startsWith('set')), 'nothing set without a handle');

  const setFails = recorder([{ handle: 9, error: 0 }], 1307);
  t.throws(() => restrictPipeAccess(pipe, setFails.api), /SetSecurityInfo failed with Windows error 1307/);
  t.equal(setFails.calls.at(-1), 'close 9', 'the handle is closed when SetSecurityInfo fails');

  const stuck = recorder(Array.from({ length: 10 }, () => ({ handle: -1, error: 231 })));
  t.throws(() => restrictPipeAccess(pipe, stuck.api), /Windows error 231/, 'always busy: gives up after a bounded number of waits');
  t.ok(stuck.calls.filter((c) => c.startsWith('wait')).length <= 5);
});

t.test('off Windows the real API is not available and says why', { skip: process.platform === 'win32' ? 'on Windows' : false }, async (t) => {
  const e = thrown(() => restrictPipeAccess('\\\\.\\pipe\\x'));
  t.ok(e instanceof PipeAclError && /not Windows/.test(e.message), String(e));
});
