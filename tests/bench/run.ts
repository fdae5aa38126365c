// `npm run bench`: runs each compiled benchmark (.build/tests/bench/<name>.js, except this runner)
// in its own Node process, one after the other, so that each one's peak RSS is its own.
// Usage: node .build/tests/bench/run.js [name ...]   (names without .js; default: all)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';

const dir = join(projectRoot, '.build', 'tests', 'bench');
const all = readdirSync(dir).filter((f) => f.endsWith('.js') && f !== 'run.js').map((f) => f.slice(0, -3)).sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`bench: no benchmark named ${unknown.join(', ')} (have: ${all.join(', ')})`);
  process.exit(1);
}
let failed = 0;
for (const name of wanted.length ? wanted : all) {
  console.log(`== ${name}`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(dir, `${name}.js`)], { stdio: 'inherit', cwd: projectRoot });
  if (r.status !== 0) {
    failed++;
    console.log(`== ${name} failed (exit ${r.status ?? r.signal})`);
  }
}
process.exit(failed ? 1 : 0);
