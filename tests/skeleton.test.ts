import t from 'tap';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../engine/setup/paths.js';
import { TapCounter } from './lib/tap-count.js';

t.test('package.json bin entries point at executables in engine/bin', async (t) => {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  for (const [name, rel] of Object.entries(pkg.bin)) {
    t.ok(rel.startsWith('engine/bin/'), `${name} lives in engine/bin`);
    const p = join(projectRoot, rel);
    t.ok(existsSync(p), `${rel} exists`);
    t.ok((statSync(p).mode & 0o111) !== 0, `${rel} is executable`);
  }
});

t.test('the TAP counter counts leaves, not subtest summaries', async (t) => {
  const c = new TapCounter();
  const stream = [
    '# Subtest: file.js', '    # Subtest: a', '        ok 1 - x', '        not ok 2 - y', '        1..2',
    '    not ok 1 - a', '    ok 2 - skipped one # SKIP needs root', '    ok 3 - plain', '    1..3', 'not ok 1 - file.js',
  ];
  for (const l of stream) c.line(l);
  t.same(c.totals(), { passed: 2, failed: 1, skipped: 1 });
});
