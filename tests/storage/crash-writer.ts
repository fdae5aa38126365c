// Child process for the crash test: opens the database file given in argv[2] and commits one-row
// transactions as fast as it can, printing `ack <n>` on stdout after each transact() has returned.
// The parent SIGKILLs it at a random moment and checks that every acknowledged row survived.
// argv[3] = "durable" asks every commit to be durable (fsync).
import { openDatabaseFile } from '../../engine/ovsdb/file-db.js';

const path = process.argv[2]!;
const durable = process.argv[3] === 'durable';
const db = await openDatabaseFile(path, { onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
let n = 0;
for (const r of db.rows('A')) {
  const v = r['n'];
  if (typeof v === 'number' && v >= n) n = v + 1;
}
process.stdout.write(`start ${n}\n`);
for (;;) {
  const ops: unknown[] = [{ op: 'insert', table: 'A', row: { n, s: 'x'.repeat(n % 300) } }];
  if (durable) ops.push({ op: 'commit', durable: true });
  const res = await db.transact(ops as never);
  const first = res[0] as { error?: string } | null;
  if (!first || first.error) {
    process.stderr.write(`transact failed: ${JSON.stringify(res)}\n`);
    process.exit(3);
  }
  process.stdout.write(`ack ${n}\n`);
  n++;
}
