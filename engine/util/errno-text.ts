// The C library's error texts for Node's system errors (strerror) and signals (strsignal), as OVS
// prints them. A module of its own, so that a client (every CLI's connection code) gets them
// without the logging module.
import { existsSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname } from 'node:path';

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory', EACCES: 'Permission denied', EEXIST: 'File exists',
  EISDIR: 'Is a directory', ENOTDIR: 'Not a directory', ECONNREFUSED: 'Connection refused',
  ESRCH: 'No such process', EPIPE: 'Broken pipe', ECONNRESET: 'Connection reset by peer',
  ETIMEDOUT: 'Connection timed out', EADDRINUSE: 'Address already in use', ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system', EINVAL: 'Invalid argument', EAGAIN: 'Resource temporarily unavailable',
  ENAMETOOLONG: 'File name too long', EPROTO: 'Protocol error', EOF: 'End of file',
  EHOSTUNREACH: 'No route to host', ENETUNREACH: 'Network is unreachable',
  EPERM: 'Operation not permitted', EIO: 'Input/output error', EDQUOT: 'Disk quota exceeded',
  EBADF: 'Bad file descriptor', EMFILE: 'Too many open files', ELOOP: 'Too many levels of symbolic links',
};

/** The C library's strerror text for a Node system error, as OVS prints it (the code itself for
 *  a code not known here). */
export function strerror(err: { code?: string; message?: string }): string {
  return (err.code && ERRNO_TEXT[err.code]) ?? err.code ?? err.message ?? 'Unknown error';
}

/** strerror of anything thrown: a system error's text, else what it says. */
export function thrownText(e: unknown): string {
  return e !== null && typeof e === 'object' ? strerror(e as { code?: string; message?: string }) : String(e);
}

/** strerror for a failed listen on unix socket `path`, with what bind's errno hides said for what
 *  it is: libuv reports a path in a missing directory as EACCES, and bind on a directory fails
 *  with EADDRINUSE. */
export function listenErrorText(err: { code?: string; message?: string }, path: string): string {
  if (process.platform === 'win32') return strerror(err);
  if (err.code === 'EACCES' && !existsSync(dirname(path))) return 'No such file or directory';
  if (err.code === 'EADDRINUSE' && isDirectory(path)) return 'Is a directory';
  return strerror(err);
}

function isDirectory(path: string): boolean {
  try { return statSync(path).isDirectory(); } catch { return false; }
}

/** The strerror text of the system error behind `e` (itself or one of its causes), else `e`'s
 *  message: what OVS tools print in parentheses after "connection failed". */
export function causeText(e: unknown): string {
  for (let x: unknown = e; x; x = (x as { cause?: unknown }).cause) {
    const c = (x as { code?: unknown }).code;
    if (typeof c === 'string' && ERRNO_TEXT[c]) return ERRNO_TEXT[c]!;
  }
  return e instanceof Error ? e.message : String(e);
}

const SIGNAL_TEXT: Partial<Record<NodeJS.Signals, string>> = {
  SIGHUP: 'Hangup', SIGINT: 'Interrupt', SIGQUIT: 'Quit', SIGABRT: 'Aborted', SIGKILL: 'Killed',
  SIGSEGV: 'Segmentation fault', SIGPIPE: 'Broken pipe', SIGALRM: 'Alarm clock', SIGTERM: 'Terminated',
};

/** The C library's strsignal text ("Terminated"); the signal's name for one not known here. */
export function strsignal(sig: NodeJS.Signals): string {
  return SIGNAL_TEXT[sig] ?? sig;
}

/** A signal as OVS's fatal_signal names it: its number and text, "15 (Terminated)". */
export function signalNumberText(sig: NodeJS.Signals): string {
  return `${constants.signals[sig] ?? '?'} (${strsignal(sig)})`;
}
