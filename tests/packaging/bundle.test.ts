// The bundler and the packaging helpers, on small fake projects in temp directories: bundles run
// only their own entry point's "started directly" code, the launchers pick the fresh bundle, and the
// package options, version checks and WiX file tree reject or render what they should.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bundleEngine, bundleEntries } from '../../engine/setup/bundle.js';
import { PackageError, parsePackageArgs, readProjectVersion, wixFileTree } from '../../engine/setup/package.js';
import { projectRoot } from '../../engine/setup/paths.js';

function write(root: string, rel: string, text: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
}

const GUARD = "if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {";
const GUARD_IMPORTS = "import { resolve } from 'node:path';\nimport { fileURLToPath } from 'node:url';\n";

t.test('bundles: one file per entry point; an imported module\'s main guard does not fire', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovsps-h15-bundle-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  write(root, 'package.json', '{"name":"fake","version":"1.2.3","type":"module"}');
  write(root, 'engine/main.ts', `${GUARD_IMPORTS}export function serve(): string { return 'served'; }\n${GUARD}\n  console.log('main.ts ran as the program');\n}\n`);
  write(root, 'engine/ovs-engine.ts', `${GUARD_IMPORTS}import { serve } from './main.js';\nexport function main(): void { console.log('engine ' + serve()); }\n${GUARD}\n  main();\n}\n`);
  write(root, 'engine/cli/tool-a.ts', "import { serve } from '../main.js';\nexport function main(argv: string[]): void { console.log('tool-a ' + serve() + ' ' + argv.join(',')); }\n");
  write(root, 'driver/userspace/port-worker.ts', "export const worker = 'port worker';\nconsole.log(worker);\n");
  t.same(bundleEntries(root).map((e) => e.output), ['engine/ovs-engine.js', 'engine/cli/tool-a.js', 'engine/port-worker.js']);
  const out = join(root, 'out');
  const r = await bundleEngine({ root, outDir: out });
  t.equal(r.files.length, 4, 'three bundles and the worker copy next to the CLIs');
  write(out, 'package.json', '{"type":"module"}');
  const run = spawnSync(process.execPath, [join(out, 'engine/ovs-engine.js')], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  t.equal(run.stdout, 'engine served\n', 'only the entry point ran itself');
  const tool = spawnSync(process.execPath, ['--input-type=module', '-e',
    `const m = await import(${JSON.stringify(join(out, 'engine/cli/tool-a.js'))}); m.main(['x', 'y']);`], { encoding: 'utf8' });
  t.equal(tool.stdout, 'tool-a served x,y\n', 'a CLI bundle exports main');
});

t.test('bundles: a missing entry point is a BundleError naming it', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovsps-h15-bundle-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  write(root, 'engine/cli/x.ts', 'export {};\n');
  await t.rejects(bundleEngine({ root, outDir: join(root, 'out') }), { code: 'OVS_E_BUNDLE', message: /engine\/ovs-engine\.ts is missing/ });
});

t.test('launchers run the bundle when it is newer than the tsc build, else the tsc output', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovsps-h15-launch-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  write(root, 'package.json', '{"type":"module"}');
  mkdirSync(join(root, 'engine/bin'), { recursive: true });
  copyFileSync(join(projectRoot, 'engine/bin/ovs-vsctl'), join(root, 'engine/bin/ovs-vsctl'));
  write(root, '.build/engine/cli/ovs-vsctl.js', "export function main(a) { console.log('tsc ' + a.join(' ')); }\n");
  const launch = (): string => spawnSync(process.execPath, [join(root, 'engine/bin/ovs-vsctl'), 'list-br'], { encoding: 'utf8' }).stdout.trim();
  t.equal(launch(), 'tsc list-br', 'no bundle: the tsc output');
  write(root, '.build/bundle/engine/cli/ovs-vsctl.js', "export function main(a) { console.log('bundle ' + a.join(' ')); }\n");
  write(root, '.build/tsbuildinfo', '{}');
  const now = Date.now() / 1000;
  utimesSync(join(root, '.build/tsbuildinfo'), now - 100, now - 100);
  utimesSync(join(root, '.build/bundle/engine/cli/ovs-vsctl.js'), now - 50, now - 50);
  t.equal(launch(), 'bundle list-br', 'bundle newer than the last tsc build: the bundle');
  utimesSync(join(root, '.build/tsbuildinfo'), now, now);
  t.equal(launch(), 'tsc list-br', 'tsc built after the bundle: the tsc output (the bundle is stale)');
  rmSync(join(root, '.build/engine'), { recursive: true });
  rmSync(join(root, '.build/bundle'), { recursive: true });
  const none = spawnSync(process.execPath, [join(root, 'engine/bin/ovs-vsctl')], { encoding: 'utf8' });
  t.equal(none.status, 1);
  t.match(none.stderr, /^ovs-vsctl: cannot load the engine .*run npm ci/);
});

t.test('package options: flags, environment, and clear errors', async (t) => {
  const o = parsePackageArgs(['--out=/tmp/x', '--no-msi', '--sign-cert=/c.pem', '--sign-key=/k.pem'], {});
  t.equal(o.outDir, '/tmp/x');
  t.equal(o.msi, false);
  t.same(o.sign, { cert: '/c.pem', key: '/k.pem', pass: undefined, timestampUrl: undefined });
  const e = parsePackageArgs([], { OVS_SIGN_CERT: '/c', OVS_SIGN_KEY: '/k', OVS_SIGN_PASS: 'pw', OVS_WIN32_FFI: 'fetch' });
  t.same(e.sign, { cert: '/c', key: '/k', pass: 'pw', timestampUrl: undefined });
  t.equal(e.win32Ffi, 'fetch');
  t.same(parsePackageArgs([], {}).sign, undefined, 'no signing unless asked');
  t.throws(() => parsePackageArgs(['--sign-cert=/c'], {}), { code: 'OVS_E_PACKAGE', message: /both a certificate .* and a key/ });
  t.throws(() => parsePackageArgs(['--bogus'], {}), { message: /unknown option '--bogus'/ });
  t.throws(() => parsePackageArgs(['dist'], {}), { message: /unexpected argument 'dist'/ });
  t.throws(() => parsePackageArgs(['--out='], {}), { message: /--out needs a value/ });
  t.ok(new PackageError('x') instanceof Error);
});

t.test('versions: package.json must be MAJOR.MINOR.PATCH that MSI and module manifests accept', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovsps-h15-ver-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const [v, ok] of [['1.2.3', true], ['0.1.0', true], ['1.2', false], ['1.2.3-beta.1', false], ['256.0.0', false], ['1.2.65536', false]] as const) {
    write(root, 'package.json', JSON.stringify({ name: 'x', version: v }));
    if (ok) t.equal(readProjectVersion(root).version, v);
    else t.throws(() => readProjectVersion(root), { code: 'OVS_E_PACKAGE', message: new RegExp(`'${v.replace(/\./g, '\\.')}' is not MAJOR\\.MINOR\\.PATCH`) }, v);
  }
});

t.test('WiX file tree: one component per file, nested directories, XML escaped', async (t) => {
  const tree = wixFileTree([
    { rel: 'a.psd1', source: 'src/a.psd1' },
    { rel: 'engine/.build/engine/x.js', source: 'src/x.js' },
    { rel: 'engine/.build/engine/cli/y&z.js', source: 'src/y&z.js' },
    { rel: 'engine/manifests/s.json', source: 'src/"s".json' },
  ], '');
  t.equal((tree.files.match(/<Component /g) ?? []).length, 4);
  t.equal((tree.refs.match(/<ComponentRef /g) ?? []).length, 4);
  t.equal((tree.files.match(/<Directory /g) ?? []).length, (tree.files.match(/<\/Directory>/g) ?? []).length, 'balanced');
  t.equal((tree.files.match(/<Directory [^>]*Name="engine"/g) ?? []).length, 2, 'engine/ and engine/.build/engine/');
  t.match(tree.files, /Name="y&amp;z\.js" Source="src\/y&amp;z\.js"/);
  t.match(tree.files, /Source="src\/&quot;s&quot;\.json"/);
  const ids = [...tree.files.matchAll(/ Id="([^"]+)"/g)].map((m) => m[1]);
  t.equal(new Set(ids).size, ids.length, 'ids are unique');
});
