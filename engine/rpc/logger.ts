// The minimal logger the RPC layer writes through. engine/util/vlog.ts provides the real one
// (OVS log line format and levels); anything with these four methods fits.

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  err(message: string): void;
  dbg(message: string): void;
  /** False when `info` lines currently go nowhere (e.g. `-vaudit:off`), so callers can skip
   *  composing them. Absent: assume they go somewhere. */
  infoEnabled?(): boolean;
  /** Runs `fn`, whose lines the logger may write out together when it returns (vlog: one file
   *  write). Absent: call `fn` as it is. */
  batch?(fn: () => void): void;
}

/** Discards everything; the default when no logger is given. */
export const silentLogger: Logger = {
  info: () => {},
  warn: () => {},
  err: () => {},
  dbg: () => {},
};
