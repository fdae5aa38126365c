// engine/rpc/win-pipe-acl.ts: the DACL the Windows named pipe should have, and that the module
// loads everywhere. (Applying it is not implemented: see the module header.)
import t from 'tap';
import { daclEntries, pipeAccessNote, PIPE_SDDL } from '../../engine/rpc/win-pipe-acl.js';

t.test('PIPE_SDDL: protected DACL, generic all for SYSTEM and Administrators, nobody else', async (t) => {
  const d = daclEntries(PIPE_SDDL);
  t.equal(d.protectedDacl, true, 'P: inherited ACEs are not added');
  t.same(d.aces, [
    { type: 'A', rights: 'GA', trustee: 'SY' },
    { type: 'A', rights: 'GA', trustee: 'BA' },
  ]);
  t.notOk(d.aces.some((a) => ['WD', 'AN', 'AU', 'BU', 'CO'].includes(a.trustee)), 'no Everyone, anonymous, users or creator owner');
  t.throws(() => daclEntries('O:SYG:SY'), RangeError);
  t.throws(() => daclEntries('D:(A;;GA;SY)'), /6 fields/);
  t.match(pipeAccessNote('punix:db.sock'), /default DACL.*D:P\(A;;GA;;;SY\)\(A;;GA;;;BA\) is not applied/);
});
