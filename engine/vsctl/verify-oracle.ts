// An optional ability of the OvsdbClient ovs-vsctl's library runs on: telling, while a transaction
// is planned, that a row still holds the very values the client handed out when the tables were
// read. The library then leaves out the verify `wait` ops that would pass (ovs-vsctl verifies every
// bridge's ports and every port's interfaces: hundreds of ops on a big switch, each parsed and
// compared by the server). Only a client whose transact() runs the operations synchronously when
// it is called may offer it (nothing can commit between the plan and the transaction): the
// engine's MirrorClient, which reads its own in-process database.
import type { Json, OvsdbClient, RowJson } from '../ovsdb/api.js';

export interface VerifyOracle {
  /** True when row `uuid` of `table` holds, in each of `columns`, the same value object as `raw`. */
  verifiedHolds(db: string, table: string, uuid: string, columns: readonly string[], raw: RowJson): boolean;
  /** True when nothing has committed since `read` (the answer this client gave to a transaction
   *  of selects) was made: then every value it handed out is still current, every verify `wait`
   *  would pass, and the plan leaves them all out (without looking at each verified row). */
  readStillCurrent?(db: string, read: readonly Json[]): boolean;
}

export function verifyOracleOf(client: OvsdbClient): VerifyOracle | undefined {
  const c = client as Partial<VerifyOracle>;
  return typeof c.verifiedHolds === 'function' ? (client as OvsdbClient & VerifyOracle) : undefined;
}
