// `npm test`: runs every compiled test file under tap, shows failures and skip reasons, keeps the
// full TAP stream in .build/test-output.tap, and ends with the line `N passed, N failed[, N skipped]`.
// Usage: node .build/tests/run.js [substring-filter ...]
import { spawn } from 'node:child_process';
import { createWriteStream, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { projectRoot } from '../engine/setup/paths.js';
import { TapCounter } from './lib/tap-count.js';

const builtTests = join(projectRoot, '.build', 'tests');

function findTests(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'bench' && name !== 'lib' && name !== 'kernel-vm') findTests(p, out);
    } else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = findTests(builtTests, []).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.log(`no test file matches ${filters.map((f) => JSON.stringify(f)).join(', ')}`);
  console.log('0 passed, 0 failed');
  process.exit(1);
}
const require = createRequire(import.meta.url);
const tapBin = join(require.resolve('tap/package.json').replace(/package\.json$/, ''), 'dist', 'esm', 'run.mjs');
const log = createWriteStream(join(projectRoot, '.build', 'test-output.tap'));
const counter = new TapCounter();
const started = Date.now();

const child = spawn(process.execPath, [tapBin, '--reporter=tap', '--disable-coverage', '--allow-empty-coverage',
  '--timeout=900', '--jobs=2', ...files.map((f) => relative(projectRoot, f))], {
  cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TAP_RCFILE: '/dev/null' },
});
let buf = '';
child.stdout.on('data', (chunk: Buffer) => {
  log.write(chunk);
  buf += chunk.toString('utf8');
  let nl: number;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    const shown = counter.line(line);
    if (shown !== undefined) console.log(shown);
  }
});
child.on('close', (code) => {
  if (buf) counter.line(buf);
  log.end();
  const c = counter.totals();
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\n${files.length} test files in ${secs}s (full TAP in .build/test-output.tap)`);
  if (code !== 0 && c.failed === 0) c.failed = 1; // tap itself failed (crash, timeout): never report green
  const skipped = c.skipped > 0 ? `, ${c.skipped} skipped` : '';
  console.log(`${c.passed} passed, ${c.failed} failed${skipped}`);
  process.exit(c.failed > 0 ? 1 : 0);
});
