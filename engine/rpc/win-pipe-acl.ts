// Access to the engine's named pipe on Windows (punix:/unix: remotes become \\.\pipe\<name>, see
// stream.ts). Wanted: Administrators and SYSTEM only, i.e. a protected DACL
//   D:P(A;;GA;;;SY)(A;;GA;;;BA)
// set when the pipe is created. NOT DONE, and why (measured against Node 20 / libuv 1.4x sources):
//
// 1. Node's net.Server.listen(pipePath) is the only way to get a Node stream server on a pipe. libuv
//    (src/win/pipe.c, uv_pipe_bind) creates the first instance with CreateNamedPipeW(name,
//    PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | WRITE_DAC | FILE_FLAG_FIRST_PIPE_INSTANCE, ...,
//    lpSecurityAttributes = NULL), so the pipe gets the default DACL: full control for SYSTEM,
//    Administrators and the creating account (creator owner), READ for Everyone and ANONYMOUS LOGON.
//    Node exposes no option to pass a security descriptor; listen({readableAll, writableAll}) can
//    only widen access (uv_pipe_chmod adds Everyone).
// 2. Creating the first instance ourselves (ffi-rs CreateNamedPipeW with a SECURITY_ATTRIBUTES from
//    ConvertStringSecurityDescriptorToSecurityDescriptorW(PIPE_SDDL)) and letting Node add instances
//    fails: libuv insists on FILE_FLAG_FIRST_PIPE_INSTANCE, so listen() gets ERROR_ACCESS_DENIED.
// 3. Changing the DACL after listen() needs a handle to the pipe. libuv's instance handles carry
//    WRITE_DAC, but Node does not hand them to JavaScript (the Pipe handle's `fd` is -1 on Windows).
//    The only other way to get a handle is to open the pipe by name (CreateFileW or
//    SetNamedSecurityInfoW, which opens it the same way): that CONNECTS as a client, so the server
//    accepts a spurious session, and clients that connected between listen() and the change keep
//    their connection. That race is why it is not done.
// 4. What would do it cleanly: our own accept loop instead of net.Server for pipes: CreateNamedPipeW
//    (PIPE_SDDL, FILE_FLAG_FIRST_PIPE_INSTANCE for the first instance, PIPE_REJECT_REMOTE_CLIENTS),
//    ConnectNamedPipe on a worker thread (ffi-rs runInNewThread), then the connected handle turned
//    into a CRT fd (_open_osfhandle in ucrtbase.dll) and wrapped with new net.Socket({ fd }) (libuv's
//    uv_pipe_open accepts a connected pipe, as for stdio). It needs a Windows machine to develop and
//    test; none is available here.
//
// What the default DACL means meanwhile: a non-administrator can open the pipe for reading only, so
// it cannot send a request (no FILE_WRITE_DATA) and receives nothing (the server sends nothing
// unsolicited on pipes: no inactivity probe). Such connections still count against maxConnections
// (engine/util/limits.ts), which bounds how many instances they can hold. It cannot create a rogue
// instance of the name while the engine runs (no FILE_CREATE_PIPE_INSTANCE).

/** The DACL the engine's pipe should have: Administrators and SYSTEM, generic all, protected. */
export const PIPE_SDDL = 'D:P(A;;GA;;;SY)(A;;GA;;;BA)';

/** One line for the log when a pipe listener starts on Windows. */
export function pipeAccessNote(pipe: string): string {
  return `${pipe}: named pipe created with the default DACL (SYSTEM, Administrators, owner: full; Everyone: read only, cannot send requests); ` +
    `the intended ${PIPE_SDDL} is not applied (Node cannot set a pipe DACL: see engine/rpc/win-pipe-acl.ts)`;
}

/** Parses the ACEs of a simple SDDL DACL ("D:P(A;;GA;;;SY)..."): [type, rights, trustee] each. */
export function daclEntries(sddl: string): { protectedDacl: boolean; aces: { type: string; rights: string; trustee: string }[] } {
  const m = /^D:([A-Z]*)((?:\([^()]*\))*)$/.exec(sddl);
  if (!m) throw new RangeError(`not a DACL-only SDDL string: ${sddl}`);
  const aces = [...m[2]!.matchAll(/\(([^()]*)\)/g)].map((a) => {
    const f = a[1]!.split(';');
    if (f.length !== 6) throw new RangeError(`ACE "${a[1]}" does not have 6 fields`);
    return { type: f[0]!, rights: f[2]!, trustee: f[5]! };
  });
  return { protectedDacl: m[1]!.includes('P'), aces };
}
