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
  /** Writes out lines the logger holds back (e.g. vlog's batched file lines), if it does. */
  flush?(): void;
}

/** Discards everything; the default when no logger is given. */
export const silentLogger: Logger = {
  info: () => {},
  warn: () => {},
  err: () => {},
  dbg: () => {},
};
