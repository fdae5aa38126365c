// Differential test of ovsdb-client: every command line of tests/corpus/ovsdb-client/*.txt is run
// by Debian's real ovsdb-client and by ours (engine/bin/ovsdb-client), against the same private
// server and database, with the same cwd and OVS_RUNDIR; stdout, stderr and exit status must
// match. Both clients see the very same rows, so outputs are compared raw, except UUIDs that are
// not in the database before the command (rows a transaction creates, _version values) and vlog
// timestamps. A `transact` may change the database: it runs with the real client first, the
// database is put back as it was, ours runs, and both resulting databases must match too.
// Each scenario runs on a fresh real ovsdb-server (and, with OVSPS_CLIENT_DIFF_OUR_SERVER=1, again
// on our in-process server: real client + our server vs our client + our server). Each differing
// line is one failure naming the command line and where the outputs first part; a comment counts
// them. OVSPS_CLIENT_DIFF_SELF_CHECK=1 runs the real client on both sides (must pass: checks the
// test). Where real OVS prints in hash order, the corpus marks the line with `~` (lines compared
// as sorted sets); note that a real client's hash order also follows the key order of the
// server's JSON (list-tables against our server lists tables in another order than against a
// real one).
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../../engine/ovsdb/api.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { needRealOvs } from '../lib/env.js';
import {
  SCHEMA, canonicalDump, connectRaw, dump, knownUuids, restore, startOurServer, startRealServer, type PrivateServer,
} from '../vsctl/lib-diff.js';
import {
  commandOf, compareRuns, expandWords, firstDifference, knownUuidsOn, readClientCorpus, runClient, runProgram, type ClientScenario,
} from './lib-client-diff.js';

const corpusDir = join(projectRoot, 'tests', 'corpus', 'ovsdb-client');
const files = readdirSync(corpusDir).filter((f) => f.endsWith('.txt')).sort();
const scenarios: ClientScenario[] = files.flatMap((f) => readClientCorpus(join(corpusDir, f)));
const DBS = ['Open_vSwitch', '_Server'];

t.test('the ovsdb-client corpus is large enough', async (t) => {
  const total = scenarios.reduce((n, sc) => n + sc.lines.length, 0);
  t.ok(total >= 150, `corpus has ${total} command lines in ${scenarios.length} scenarios (>= 150)`);
});

// The pass against our server doubles the run time (each line starts two clients), so it runs
// when OVSPS_CLIENT_DIFF_OUR_SERVER=1.
const ourServerPass = process.env.OVSPS_CLIENT_DIFF_OUR_SERVER === '1';
const servers: Array<[string, () => Promise<PrivateServer>, string | false]> = [
  ['real ovsdb-server', startRealServer, false],
  ['our ovsdb server', startOurServer, ourServerPass ? false : 'set OVSPS_CLIENT_DIFF_OUR_SERVER=1 to run the corpus against our server too'],
];

for (const [label, start, off] of servers) {
  t.test(`ovsdb-client corpus: ours vs real, against ${label}`, { skip: needRealOvs() || off }, async (t) => {
    // Scenarios are independent (each its own server): two at a time.
    t.jobs = 2;
    let lines = 0, differing = 0;
    const runs: Array<Promise<unknown>> = [];
    for (const sc of scenarios) {
      runs.push(t.test(`${sc.file.slice(corpusDir.length + 1)}: ${sc.name}`, async (t) => {
        const server = await start();
        t.teardown(() => server.stop());
        const admin = await connectRaw(server.target);
        t.teardown(() => admin.close());
        const vars = { SERVER: server.target, DIR: server.dir, SCHEMA };
        for (const line of sc.setup) {
          const [prog, ...rest] = expandWords(line, vars);
          const r = prog === 'ovs-vsctl'
            ? await runProgram('ovs-vsctl', ['--no-wait', `--db=${server.target}`, ...rest], { cwd: server.dir })
            : prog === 'ovsdb-client' ? await runClient('real', rest, server.dir)
              : { status: -1, stdout: '', stderr: `unknown setup program ${prog}`, timedOut: false };
          t.equal(r.status, 0, `setup: ${line}${r.stderr ? ` (${r.stderr.trim()})` : ''}`);
        }
        const schema = await admin.getSchema('Open_vSwitch');
        const tables = Object.keys(schema.tables as JsonObject);
        for (const line of sc.lines) {
          const words = expandWords(line.text, vars);
          let diff: string | undefined;
          if (commandOf(words) === 'transact') {
            const known = await knownUuidsOn(admin, DBS);
            // May change the database: real first, then put the database back, then ours.
            const before = await dump(admin, tables);
            const rows = knownUuids(before);
            const real = await runClient('real', words, server.dir);
            const afterReal = await dump(admin, tables);
            const changed = canonicalDump(afterReal, rows) !== canonicalDump(before, rows);
            if (changed) await restore(admin, before, schema);
            const ours = await runClient('ours', words, server.dir);
            const afterOurs = await dump(admin, tables);
            const realDb = canonicalDump(afterReal, rows), ourDb = canonicalDump(afterOurs, rows);
            if (changed || ourDb !== realDb) await restore(admin, afterReal, schema);
            diff = compareRuns(real, ours, { known, sorted: line.sorted });
            if (realDb !== ourDb) diff = `${diff ? `${diff}\n` : ''}database afterwards: ${firstDifference(realDb, ourDb)}`;
          } else {
            const [real, ours] = await Promise.all([runClient('real', words, server.dir), runClient('ours', words, server.dir)]);
            const same = real.stdout === ours.stdout && real.stderr === ours.stderr && real.status === ours.status;
            // The command changed nothing, so the UUIDs known now are those known before it.
            if (!same) diff = compareRuns(real, ours, { known: await knownUuidsOn(admin, DBS), sorted: line.sorted });
          }
          lines++;
          if (diff === undefined) t.pass(`ovsdb-client ${line.text}`);
          else {
            differing++;
            t.fail(`ovsdb-client ${line.text}\n${diff}`);
          }
        }
      }));
    }
    await Promise.all(runs);
    t.comment(`${differing} of ${lines} command lines differ between real ovsdb-client and ours (against ${label})`);
  });
}
