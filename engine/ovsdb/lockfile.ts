// The OVS lock file next to a database: `.<name>.~lock~` in the same directory, mode 0600, holding a
// POSIX record lock (fcntl F_SETLK, F_WRLCK, whole file) for as long as the writer lives. Using the
// same kind of lock as OVS means our writers and Debian's ovsdb-server/ovsdb-tool exclude each other.
// Node has no fcntl, so the lock is taken with libc's lockf(F_TLOCK), which glibc implements as that
// very fcntl call, through ffi-rs. Record locks are per process, so a registry also stops a second
// open of the same file inside this process (the kernel would grant it, and closing either fd would
// drop the lock of both).
import { closeSync, openSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { OvsError } from '../util/errors.js';
import { thrownText } from '../util/errno-text.js';

/** A database file is locked by another writer (another process, or another open in this one). */
export class LockError extends OvsError {
  constructor(message: string) {
    super('OVSDB_E_LOCKED', message);
  }
}

/** `dir/name` -> `dir/.name.~lock~`, following a symlinked database to its target as OVS does. */
export function lockFileName(path: string): string {
  let target = resolve(path);
  try {
    target = realpathSync(target);
  } catch {
    // Not there yet (create): lock next to the name given.
  }
  return join(dirname(target), `.${basename(target)}.~lock~`);
}

type LockfFn = (fd: number) => { ok: true } | { ok: false; errno: number; message: string };

let lockf: LockfFn | null | undefined;

/** Loads lockf from libc once; null when the platform has none (Windows) or ffi-rs is missing. */
function getLockf(): LockfFn | null {
  if (lockf !== undefined) return lockf;
  lockf = null;
  if (process.platform === 'win32') return lockf;
  try {
    const require = createRequire(import.meta.url);
    const ffi = require('ffi-rs') as typeof import('ffi-rs');
    ffi.open({ library: 'ovsps_libc', path: '' });
    const F_TLOCK = 2;
    lockf = (fd: number) => {
      const r = ffi.load({
        library: 'ovsps_libc', funcName: 'lockf', retType: ffi.DataType.I32,
        paramsType: [ffi.DataType.I32, ffi.DataType.I32, ffi.DataType.I64], paramsValue: [fd, F_TLOCK, 0], errno: true,
      }) as unknown as { value: number; errnoCode: number; errnoMessage: string };
      if (r.value === 0) return { ok: true };
      return { ok: false, errno: r.errnoCode, message: r.errnoMessage.replace(/ \(os error \d+\)$/, '') };
    };
  } catch {
    lockf = null;
  }
  return lockf;
}

const heldInProcess = new Set<string>();

export interface HeldLock {
  readonly path: string;
  release(): void;
}

/** Takes the lock for database `dbPath` (display name `name` in errors) or throws LockError with
 *  OVS's wording: `I/O error: <name>: failed to lock lockfile (Resource temporarily unavailable)`. */
export function lockDatabase(dbPath: string, name: string = dbPath): HeldLock {
  const path = lockFileName(dbPath);
  const busy = `I/O error: ${name}: failed to lock lockfile (Resource temporarily unavailable)`;
  if (heldInProcess.has(path)) throw new LockError(busy);
  let fd: number;
  try {
    fd = openSync(path, 'a+', 0o600);
  } catch (e) {
    throw new LockError(`I/O error: ${name}: failed to lock lockfile (${thrownText(e)})`);
  }
  const fn = getLockf();
  if (fn) {
    const r = fn(fd);
    if (!r.ok) {
      closeSync(fd);
      throw new LockError(r.errno === 11 || r.errno === 13 ? busy : `I/O error: ${name}: failed to lock lockfile (${r.message})`);
    }
  }
  heldInProcess.add(path);
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      heldInProcess.delete(path);
      closeSync(fd); // closing the only fd we hold on the lock file drops the record lock
    },
  };
}
