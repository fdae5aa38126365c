// Differential test: every corpus line is run by Debian's real ovs-vsctl and by ours, each
// starting from the very same database (restored with identical row UUIDs), both with --no-wait
// against a private real ovsdb-server, then again against our own in-process server; stdout, stderr, exit status and resulting database must
// match (new UUIDs and log timestamps normalised; list/find rows compared as sets).
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { needRealOvs } from '../lib/env.js';
import { projectRoot } from '../../engine/setup/paths.js';
import type { JsonObject, OvsdbClient } from '../../engine/ovsdb/api.js';
import { runVsctl } from '../../engine/vsctl/cli.js';
import {
  canonicalDump, connectRaw, dump, knownUuids, normalize, orderInsensitive, readCorpus, restore, runRealVsctl,
  shellWords, startOurServer, startRealServer, type Dump,
} from './lib-diff.js';

const corpusDir = join(projectRoot, 'tests', 'corpus', 'vsctl');

t.jobs = 2;
for (const [label, start] of [['real ovsdb-server', startRealServer], ['our ovsdb server', startOurServer]] as const) {
t.test(`ovs-vsctl corpus: ours vs real, against ${label}`, { skip: needRealOvs() }, async (t) => {
  const server = await start();
  t.teardown(() => server.stop());
  const admin = await connectRaw(server.target);
  t.teardown(() => admin.close());
  const schema = await admin.getSchema('Open_vSwitch');
  const tables = Object.keys(schema.tables as JsonObject);
  const empty: Dump = new Map(tables.map((x) => [x, new Map()]));
  const files = readdirSync(corpusDir).filter((f) => f.endsWith('.txt')).sort();
  let total = 0;
  for (const f of files) {
    for (const sc of readCorpus(join(corpusDir, f))) {
      await t.test(`${f}: ${sc.name}`, async (t) => {
        await restore(admin, empty, schema);
        for (const line of sc.lines) {
          total++;
          const words = shellWords(line);
          const before = await dump(admin, tables);
          const known = knownUuids(before);
          const real = await runRealVsctl([`--db=${server.target}`, '--no-wait', ...words]);
          const afterReal = await dump(admin, tables);
          await restore(admin, before, schema);
          const ours = await runOurs(server.target, words);
          const afterOurs = await dump(admin, tables);
          // Continue from the real tool's result so that every line starts from its state.
          await restore(admin, afterReal, schema);
          const norm = (s: string) => orderInsensitive(words, normalize(s, known));
          t.same({ out: norm(ours.stdout), err: normalize(ours.stderr, known), status: ours.status },
            { out: norm(real.stdout), err: normalize(real.stderr, known), status: real.status }, `output of: ${line}`);
          t.equal(canonicalDump(afterOurs, known), canonicalDump(afterReal, known), `database after: ${line}`);
        }
      });
    }
  }
  t.ok(total >= 150, `corpus has ${total} command lines (>= 150)`);
});
}

async function runOurs(target: string, words: string[]): Promise<{ stdout: string; stderr: string; status: number }> {
  let stdout = '', stderr = '';
  const status = await runVsctl([`--db=${target}`, '--no-wait', ...words], {
    connect: (x: string): Promise<OvsdbClient> => connectRaw(x),
    defaultDb: target,
    io: { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; } },
  });
  return { stdout, stderr, status };
}
