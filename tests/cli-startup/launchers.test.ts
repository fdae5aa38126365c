// The CLI launchers (engine/bin/*) and the CommonJS CLI bundles they prefer: which build a launcher
// loads (fresh CommonJS bundle, fresh ES module bundle, tsc output; never a bundle older than the
// last tsc build), that it loads the CommonJS one with require() (no ES module loader), that it
// still works copied where it runs as an ES module or reached through a symlink, that load errors
// are one clear line, and that bundleEngine writes CommonJS bundles that behave like the ES ones.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleEngine, CJS_DIR, CJS_WRAPPER_HEAD, CJS_WRAPPER_TAIL, writeCodeCache } from '../../engine/setup/bundle.js';
import { projectRoot } from '../../engine/setup/paths.js';

const BIN = join(projectRoot, 'engine', 'bin');
const launchers = readdirSync(BIN).filter((f) => f !== 'package.json').sort();

function write(root: string, rel: string, text: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
}

function age(root: string, rel: string, secondsAgo: number): void {
  const when = Date.now() / 1000 - secondsAgo;
  utimesSync(join(root, rel), when, when);
}

/** A project root with the real ovs-vsctl launcher; `commonjs` copies engine/bin/package.json too. */
function fakeRoot(t: Test, commonjs: boolean): string {
  const root = mkdtempSync(join(tmpdir(), 'ovsps-h18-launch-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  write(root, 'package.json', '{"type":"module"}');
  mkdirSync(join(root, 'engine/bin'), { recursive: true });
  copyFileSync(join(BIN, 'ovs-vsctl'), join(root, 'engine/bin/ovs-vsctl'));
  if (commonjs) copyFileSync(join(BIN, 'package.json'), join(root, 'engine/bin/package.json'));
  return root;
}

// Each fake build prints which build it is, its arguments, and how it was loaded: required by a
// CommonJS launcher (the launcher is the main module) or imported by one that runs as an ES module
// (no CommonJS main module at all).
const ESM_TOOL = (tag: string): string => `export function main(a) { console.log('${tag} ' + a.join(' ')); }\n`;
const CJS_TOOL = "exports.main = (a) => console.log('cjs ' + a.join(' ') + ' ' + (require.main && /ovs-vsctl$/.test(require.main.filename) ? 'required' : 'imported'));\n";

// Runs node as a user does: the test runner puts its module loader hook into every child's
// NODE_OPTIONS (whatever env we pass), and with a loader hook Node 20 loads an extensionless file
// as CommonJS even in an ES module package; `env -u` takes it out again.
function node(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const argv = process.platform === 'win32' ? [process.execPath, ...args] : ['env', '-u', 'NODE_OPTIONS', process.execPath, ...args];
  return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
}

function launch(root: string, via = join(root, 'engine/bin/ovs-vsctl')): { status: number | null; stdout: string; stderr: string } {
  const r = node([via, 'list-br', '--x']);
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

t.test('every launcher is the ovs-vsctl launcher with its own name, for a tool in engine/cli/', async (t) => {
  t.ok(launchers.length >= 8, `launchers: ${launchers.join(', ')}`);
  const template = readFileSync(join(BIN, 'ovs-vsctl'), 'utf8');
  t.match(template, /^#!\/usr\/bin\/env node\n/);
  t.match(template, /const name = 'ovs-vsctl';/);
  for (const name of launchers) {
    t.ok(existsSync(join(projectRoot, 'engine', 'cli', `${name}.ts`)), `engine/cli/${name}.ts exists`);
    t.equal(readFileSync(join(BIN, name), 'utf8'), template.split('ovs-vsctl').join(name), `${name} matches the template`);
  }
  t.same(JSON.parse(readFileSync(join(BIN, 'package.json'), 'utf8')), { type: 'commonjs' }, 'engine/bin/package.json makes the launchers CommonJS');
  const wrapper = `${JSON.stringify(CJS_WRAPPER_HEAD).replace(/"/g, "'")} + fs.readFileSync(file, 'utf8') + ${JSON.stringify(CJS_WRAPPER_TAIL).replace(/"/g, "'")}`;
  t.ok(template.includes(wrapper), 'the launcher wraps a bundle exactly as bundle.ts does when it makes the code cache');
});

t.test('launcher (CommonJS): fresh CommonJS bundle, else fresh ES bundle, else the tsc output', async (t) => {
  const root = fakeRoot(t, true);
  write(root, '.build/engine/cli/ovs-vsctl.js', ESM_TOOL('tsc'));
  t.equal(launch(root).stdout, 'tsc list-br --x', 'only the tsc output');
  write(root, '.build/tsbuildinfo', '{}');
  age(root, '.build/tsbuildinfo', 100);
  write(root, '.build/bundle/engine/cli/ovs-vsctl.js', ESM_TOOL('esm'));
  t.equal(launch(root).stdout, 'esm list-br --x', 'ES bundle newer than the tsc build');
  write(root, `.build/bundle/${CJS_DIR}/engine/cli/ovs-vsctl.cjs`, CJS_TOOL);
  t.equal(launch(root).stdout, 'cjs list-br --x required', 'CommonJS bundle, loaded with require()');
  age(root, `.build/bundle/${CJS_DIR}/engine/cli/ovs-vsctl.cjs`, 200);
  t.equal(launch(root).stdout, 'esm list-br --x', 'a CommonJS bundle older than the tsc build is stale: the ES bundle');
  age(root, '.build/bundle/engine/cli/ovs-vsctl.js', 200);
  t.equal(launch(root).stdout, 'tsc list-br --x', 'both bundles stale: the tsc output');
  rmSync(join(root, '.build/tsbuildinfo'));
  t.equal(launch(root).stdout, 'cjs list-br --x required', 'no tsc build at all (a packaged root): bundles are not stale');
});

t.test('launcher through a symlink (npm .bin) finds the builds next to its real file', async (t) => {
  const root = fakeRoot(t, true);
  write(root, `.build/bundle/${CJS_DIR}/engine/cli/ovs-vsctl.cjs`, CJS_TOOL);
  const link = join(root, 'node_modules/.bin/ovs-vsctl');
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(join(root, 'engine/bin/ovs-vsctl'), link);
  t.equal(launch(root, link).stdout, 'cjs list-br --x required');
});

t.test('launcher copied where it is an ES module: the same choice, loaded with import()', { skip: process.platform === 'win32' && 'runs node without the test runner\'s loader hook through env -u' }, async (t) => {
  const root = fakeRoot(t, false);
  write(root, '.build/engine/cli/ovs-vsctl.js', ESM_TOOL('tsc'));
  t.equal(launch(root).stdout, 'tsc list-br --x');
  write(root, '.build/bundle/engine/cli/ovs-vsctl.js', ESM_TOOL('esm'));
  t.equal(launch(root).stdout, 'esm list-br --x');
  write(root, `.build/bundle/${CJS_DIR}/engine/cli/ovs-vsctl.cjs`, CJS_TOOL);
  t.equal(launch(root).stdout, 'cjs list-br --x imported');
  write(root, '.build/tsbuildinfo', '{}');
  age(root, `.build/bundle/${CJS_DIR}/engine/cli/ovs-vsctl.cjs`, 100);
  age(root, '.build/bundle/engine/cli/ovs-vsctl.js', 100);
  t.equal(launch(root).stdout, 'tsc list-br --x', 'stale bundles are skipped here too');
  rmSync(join(root, '.build'), { recursive: true });
  const none = launch(root);
  t.equal(none.status, 1);
  t.match(none.stderr, /^ovs-vsctl: cannot load the engine \(.*\); run npm ci\n$/);
});

t.test('launcher load errors: one line naming the tool and the cause, exit status 1', async (t) => {
  const root = fakeRoot(t, true);
  const none = launch(root);
  t.equal(none.status, 1, 'nothing built');
  t.match(none.stderr, /^ovs-vsctl: cannot load the engine \(.*ovs-vsctl\.js.*\); run npm ci\n$/);
  write(root, `.build/bundle/${CJS_DIR}/engine/cli/ovs-vsctl.cjs`, "throw new Error('broken bundle');\n");
  const broken = launch(root);
  t.equal(broken.status, 1, 'a bundle that throws while loading');
  t.equal(broken.stderr, 'ovs-vsctl: cannot load the engine (broken bundle); run npm ci\n');
  write(root, `.build/bundle/${CJS_DIR}/engine/cli/ovs-vsctl.cjs`, 'exports.main = (;\n');
  const syntax = launch(root);
  t.equal(syntax.status, 1, 'a bundle that does not parse');
  t.match(syntax.stderr, /^ovs-vsctl: cannot load the engine \(.+\); run npm ci\n$/);
});

t.test('code cache: used when fresh, ignored when older than its bundle, harmless when V8 rejects it', async (t) => {
  const root = fakeRoot(t, true);
  const rel = `.build/bundle/${CJS_DIR}/engine/cli/ovs-vsctl.cjs`;
  const tool = (tag: string): string => `exports.main = (a) => console.log('${tag} ' + a.join(' ') + ' ' + __filename.endsWith('ovs-vsctl.cjs') + ' ' + typeof require('node:path').join);\n`;
  write(root, rel, tool('AAAA'));
  t.ok(await writeCodeCache(join(root, rel)), 'cache written');
  t.ok(existsSync(join(root, `${rel}.cache`)));
  t.equal(launch(root).stdout, 'AAAA list-br --x true function', 'with its cache: module, require, __filename as under require()');
  // Same length, other code: V8 checks little more than the length, so only the launcher's age
  // check keeps it from running the cached old code.
  write(root, rel, tool('BBBB'));
  age(root, `${rel}.cache`, 100);
  t.equal(launch(root).stdout, 'BBBB list-br --x true function', 'a cache older than its bundle is not used');
  write(root, `${rel}.cache`, 'not a code cache');
  t.equal(launch(root).stdout, 'BBBB list-br --x true function', 'a cache V8 rejects: compiled as usual');
  write(root, rel, "exports.main = () => import('node:os').then((os) => console.log(typeof os.EOL));\n");
  t.notOk(await writeCodeCache(join(root, rel)), 'no cache for a bundle that still calls import()');
  t.notOk(existsSync(join(root, `${rel}.cache`)), 'and the old cache is gone');
  t.equal(launch(root).stdout, 'string', 'it loads with require() and its import() works');
  write(root, rel, "require('node:fs').writeFileSync(__filename + '.ran', 'x'); throw new Error('module code fails');\n");
  t.notOk(await writeCodeCache(join(root, rel)), 'no cache for a bundle whose module code throws');
});

t.test('bundleEngine: CommonJS CLI bundles with import.meta.url, main guards and the port worker as in the ES bundles', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovsps-h18-bundle-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const guard = "import { resolve } from 'node:path';\nimport { fileURLToPath } from 'node:url';\n";
  const runsItself = 'if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {';
  write(root, 'package.json', '{"name":"fake","version":"1.2.3","type":"module"}');
  write(root, 'engine/main.ts', `${guard}export const here = (): string => import.meta.url;\n${runsItself}\n  console.log('main.ts ran as the program');\n}\n`);
  write(root, 'engine/ovs-engine.ts', "import { here } from './main.js';\nexport function main(): void { console.log(here()); }\n");
  write(root, 'engine/cli/tool-a.ts', "import { here } from '../main.js';\n" +
    'export async function main(argv: string[]): Promise<void> {\n' +
    "  const later = await import('../later.js');\n" +
    "  console.log([here(), later.worker().href, argv.join(',')].join(' '));\n}\n");
  write(root, 'engine/later.ts', "export const worker = (): URL => new URL('./port-worker.js', import.meta.url);\n");
  write(root, 'driver/userspace/port-worker.ts', "console.log('port worker');\n");
  const out = join(root, 'out');
  const r = await bundleEngine({ root, outDir: out });
  const cjs = join(out, CJS_DIR, 'engine/cli/tool-a.cjs');
  t.same(r.cjsFiles.sort(), [cjs, join(out, CJS_DIR, 'engine/cli/port-worker.js')].sort());
  t.ok(existsSync(`${cjs}.cache`), 'with its code cache');
  t.ok(r.files.every((f) => !f.endsWith('.cjs')), 'the ES bundle list (what packages ship) has no CommonJS bundle');
  t.ok(existsSync(join(out, CJS_DIR, 'engine/cli/port-worker.js')), 'the port worker sits beside the CommonJS bundles');
  const text = readFileSync(cjs, 'utf8');
  t.notMatch(text, /import\.meta/, 'no import.meta left in CommonJS');
  t.notMatch(text, /^\s*import\s/m, 'no import statement left');
  const run = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(cjs)}).main(['x', 'y'])`], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  const self = pathToFileURL(cjs).href;
  t.equal(run.stdout, `${self} ${new URL('./port-worker.js', self).href} x,y\n`,
    'import.meta.url is the bundle\'s own URL; the imported module\'s main guard did not fire; the dynamic import works');
});

// bundle.ts compiles every function for the cache with --no-lazy and sets it back before writing:
// V8 must still take the cache in a plain run (it refuses one made under other flags).
const CJS_CLI_DIR = join(projectRoot, '.build/bundle', CJS_DIR, 'engine/cli');
t.test('the code cache of each CLI bundle is accepted by a plain Node and covers functions not yet run', { skip: !existsSync(CJS_CLI_DIR) && `no CommonJS bundles in ${CJS_CLI_DIR}: run npm run build` }, async (t) => {
  const dir = CJS_CLI_DIR;
  const tools = readdirSync(dir).filter((f) => f.endsWith('.cjs') && existsSync(join(dir, `${f}.cache`)));
  t.ok(tools.includes('ovs-vsctl.cjs'), `caches: ${tools.join(', ')}`);
  for (const f of tools) {
    const file = join(dir, f);
    const script = 'const fs = require("node:fs"), vm = require("node:vm");\n' +
      `const file = ${JSON.stringify(file)};\n` +
      `const src = ${JSON.stringify(CJS_WRAPPER_HEAD)} + fs.readFileSync(file, "utf8") + ${JSON.stringify(CJS_WRAPPER_TAIL)};\n` +
      'const cache = fs.readFileSync(file + ".cache");\n' +
      'const s = new vm.Script(src, { filename: file, cachedData: cache });\n' +
      'const plain = new vm.Script(src, { filename: file + "#plain" }).createCachedData();\n' +
      'process.stdout.write(JSON.stringify({ rejected: s.cachedDataRejected, cache: cache.length, plain: plain.length }));';
    const r = node(['-e', script]);
    t.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { rejected: boolean; cache: number; plain: number };
    t.equal(out.rejected, false, `${f}: V8 takes its cache`);
    t.ok(out.cache > 2 * out.plain, `${f}: the cache (${out.cache} bytes) holds far more than the top-level code alone (${out.plain} bytes)`);
  }
});

// (net is no sign: a piped stdout is a net.Socket. The OVSDB client's stream module imports tls.)
t.test('ovs-vsctl --version loads no TLS: the OVSDB client loads only when a command needs the database', async (t) => {
  const cjs = join(projectRoot, '.build/bundle', CJS_DIR, 'engine/cli/ovs-vsctl.cjs');
  const builds = [join(projectRoot, '.build/engine/cli/ovs-vsctl.js'), ...(existsSync(cjs) ? [cjs] : [])];
  for (const build of builds) {
    const script = `process.on('exit', () => process.stderr.write(process.moduleLoadList.filter((m) => /^NativeModule (tls|_tls_wrap)$/.test(m)).join(',')));\n` +
      `import(${JSON.stringify(pathToFileURL(build).href)}).then((m) => m.main(['--version']));`;
    const r = node(['-e', script]);
    t.equal(r.status, 0, r.stderr);
    t.match(r.stdout, /^ovs-vsctl \(Open vSwitch\)/, build);
    t.equal(r.stderr, '', `${build}: tls not loaded`);
  }
});

t.test('the real launchers start every tool (--version) through whatever build is current', async (t) => {
  for (const name of launchers) {
    const r = node([join(BIN, name), '--version']);
    t.equal(r.status, 0, `${name} --version: ${r.stderr}`);
    t.match(r.stdout, new RegExp(`^${name} \\(Open vSwitch\\) \\d+\\.\\d+\\.\\d+`), name);
  }
});
