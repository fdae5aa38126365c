// The minimal logger the RPC layer writes through. engine/util/vlog.ts provides the real one
// (OVS log line format and levels); anything with these four methods fits.

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  err(message: string): void;
  dbg(message: string): void;
}

/** Discards everything; the default when no logger is given. */
export const silentLogger: Logger = {
  info: () => {},
  warn: () => {},
  err: () => {},
  dbg: () => {},
};
