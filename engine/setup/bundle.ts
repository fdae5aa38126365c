// Bundles the engine with esbuild: one self-contained ES module per entry point (the engine, each
// CLI, the userspace port worker). Only ffi-rs stays outside (a native addon, loaded at run time
// from node_modules next to the bundle). Run directly, it writes .build/bundle/ for the launchers
// in engine/bin/ (`node .build/engine/setup/bundle.js [OUTDIR]`).
// Each CLI is also bundled as CommonJS under cjs/engine/cli/<name>.cjs: the launchers load that one
// synchronously, which skips Node's ES module loader (a large part of a short-lived tool's start-up;
// see tests/bench/cli-startup.ts), compiled with the V8 code cache <name>.cjs.cache written here
// after loading the bundle once (so parsing and compiling its start-up code is not redone each run).
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from './paths.js';
import { OvsError } from '../util/errors.js';

export class BundleError extends OvsError {
  constructor(message: string) { super('OVS_E_BUNDLE', message); }
}

export interface BundleEntry {
  /** Source file relative to the project root, e.g. engine/cli/ovs-vsctl.ts. */
  source: string;
  /** Output file relative to the bundle root, e.g. engine/cli/ovs-vsctl.js. */
  output: string;
}

export interface BundleOptions {
  /** Directory that receives engine/ovs-engine.js, engine/cli/*.js, engine/port-worker.js. */
  outDir: string;
  /** Project whose sources are bundled; default the running project. */
  root?: string;
  minify?: boolean;
}

export interface BundleResult {
  outDir: string;
  /** The ES module bundles (and worker copies) under outDir/engine/: what packages ship. */
  files: string[];
  /** The CommonJS CLI bundles (and their worker copy) under outDir/cjs/: the launchers' fast path. */
  cjsFiles: string[];
  bytes: number;
}

/** Where the CommonJS CLI bundles go, relative to the bundle root. */
export const CJS_DIR = 'cjs';

/** How a launcher wraps a CommonJS bundle's source to compile it with its code cache (the engine/bin
 *  launchers spell out the same text: a cache only fits the exact source it was made from). */
export const CJS_WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
export const CJS_WRAPPER_TAIL = '\n})';

/** Modules never bundled: native addons and their platform packages. */
export const EXTERNAL_MODULES = ['ffi-rs', '@yuuang/*'];

// Bundled CommonJS dependencies call require() for their own files, which esbuild inlines, and
// occasionally for node: builtins; ESM output has no require, so each bundle gets one.
const REQUIRE_BANNER =
  "import { createRequire as __ovsBundleCreateRequire } from 'node:module';\n" +
  'const require = __ovsBundleCreateRequire(import.meta.url);';

// CommonJS output has no import.meta: each use of import.meta.url reads this file's own URL instead
// (module paths, the port worker next to the bundle, projectRoot all resolve as in the ES bundle).
const IMPORT_META_URL = '__ovsImportMetaUrl';
const CJS_BANNER = `var ${IMPORT_META_URL} = require('node:url').pathToFileURL(__filename).href;`;

/** The entry points: the engine, every CLI in engine/cli/, and the port worker. */
export function bundleEntries(root: string = projectRoot): BundleEntry[] {
  const cliDir = join(root, 'engine', 'cli');
  if (!existsSync(cliDir)) throw new BundleError(`no CLI sources at ${cliDir}; expected the project's engine/cli/*.ts`);
  const clis = readdirSync(cliDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort();
  return [
    { source: 'engine/ovs-engine.ts', output: 'engine/ovs-engine.js' },
    ...clis.map((f) => ({ source: `engine/cli/${f}`, output: `engine/cli/${basename(f, '.ts')}.js` })),
    { source: 'driver/userspace/port-worker.ts', output: 'engine/port-worker.js' },
  ];
}

/**
 * Modules that run themselves when started directly guard it with
 * `process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)`. Inside a bundle
 * every module's import.meta.url is the bundle's, so a guard in an imported module (engine/main.ts
 * inside the ovs-engine bundle) would fire too; this plugin turns guards off outside the entry point.
 */
const MAIN_GUARD = /process\.argv\[1\]\s*&&\s*resolve\(process\.argv\[1\]\)\s*===\s*fileURLToPath\(import\.meta\.url\)/g;

function mainGuardPlugin(entrySources: Set<string>): Plugin {
  return {
    name: 'ovs-main-guard',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (entrySources.has(resolve(args.path))) return { contents: text, loader: 'ts' };
        const contents = text.replace(MAIN_GUARD, 'false /* bundled: only the entry point runs itself */');
        if (/fileURLToPath\(import\.meta\.url\)\s*\)?\s*\{?\s*$/m.test(contents) && /process\.argv\[1\][^;\n]*import\.meta\.url/.test(contents)) {
          throw new BundleError(`${args.path}: a "run when started directly" guard in an unexpected form; it would fire inside bundles`);
        }
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * The datapath starts its port worker as `new URL('./port-worker.js', import.meta.url)`: inside a
 * bundle that is the bundle's own directory, so the worker goes next to every bundle directory.
 */
const WORKER_COPIES = ['engine/cli/port-worker.js'];

export async function bundleEngine(opts: BundleOptions): Promise<BundleResult> {
  const root = opts.root ?? projectRoot;
  const entries = bundleEntries(root);
  for (const e of entries) {
    if (!existsSync(join(root, e.source))) throw new BundleError(`entry point ${e.source} is missing under ${root}`);
  }
  const outDir = resolve(opts.outDir);
  rmSync(join(outDir, 'engine'), { recursive: true, force: true });
  const common: BuildOptions = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL_MODULES,
    banner: { js: REQUIRE_BANNER },
    minify: opts.minify ?? false,
    legalComments: 'none',
    logLevel: 'silent',
    absWorkingDir: root,
  };
  const result = await build({
    ...common,
    entryPoints: entries.map((e) => ({ in: join(root, e.source), out: e.output.replace(/\.js$/, '') })),
    outdir: outDir,
    plugins: [mainGuardPlugin(new Set(entries.map((e) => resolve(root, e.source))))],
  }).catch((e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e);
    throw new BundleError(`esbuild failed: ${msg}`);
  });
  if (result.errors.length) throw new BundleError(`esbuild failed: ${result.errors.map((m) => m.text).join('; ')}`);
  const files = entries.map((e) => join(outDir, e.output));
  for (const copy of WORKER_COPIES) {
    const to = join(outDir, copy);
    mkdirSync(resolve(to, '..'), { recursive: true });
    copyFileSync(join(outDir, 'engine/port-worker.js'), to);
    files.push(to);
  }
  const cjsFiles = await bundleCjsClis(root, outDir, entries.filter((e) => e.source.startsWith('engine/cli/')), common);
  for (const f of [...files, ...cjsFiles]) if (!existsSync(f)) throw new BundleError(`esbuild did not write ${relative(outDir, f)}`);
  const bytes = [...files, ...cjsFiles].reduce((n, f) => n + statSync(f).size, 0);
  return { outDir, files, cjsFiles, bytes };
}

/** The CLIs as CommonJS bundles, outDir/cjs/engine/cli/<name>.cjs, plus the port worker beside them. */
async function bundleCjsClis(root: string, outDir: string, clis: BundleEntry[], common: BuildOptions): Promise<string[]> {
  const cjsRoot = join(outDir, CJS_DIR);
  rmSync(cjsRoot, { recursive: true, force: true });
  if (clis.length === 0) return [];
  const result = await build({
    ...common,
    format: 'cjs',
    banner: { js: CJS_BANNER },
    define: { 'import.meta.url': IMPORT_META_URL },
    outExtension: { '.js': '.cjs' },
    entryPoints: clis.map((e) => ({ in: join(root, e.source), out: e.output.replace(/\.js$/, '') })),
    outdir: cjsRoot,
    plugins: [mainGuardPlugin(new Set(clis.map((e) => resolve(root, e.source))))],
  }).catch((e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e);
    throw new BundleError(`esbuild (CommonJS CLI bundles) failed: ${msg}`);
  });
  if (result.errors.length) throw new BundleError(`esbuild (CommonJS CLI bundles) failed: ${result.errors.map((m) => m.text).join('; ')}`);
  const files = clis.map((e) => join(cjsRoot, e.output.replace(/\.js$/, '.cjs')));
  for (const copy of WORKER_COPIES) {
    const to = join(cjsRoot, copy);
    mkdirSync(resolve(to, '..'), { recursive: true });
    copyFileSync(join(outDir, 'engine/port-worker.js'), to);
    files.push(to);
  }
  await Promise.all(files.filter((f) => f.endsWith('.cjs')).map((f) => writeCodeCache(f)));
  return files;
}

// Run in a fresh Node: compiles the bundle as the launcher does, runs its module code (not main; no
// argv[1], so no "started directly" guard fires), then writes what V8 compiled. Exits at once, so a
// module that opened a handle cannot keep it.
// It compiles every function, not only those the module code ran (V8's --no-lazy, set back before
// the cache is written, so the cache's flag hash is that of a plain run and V8 accepts it): a
// command's own functions are then read from the cache instead of being parsed and compiled on
// their first call. Measured with callgrind on ovs-vsctl add-br into 50 bridges: 175M instructions
// against 190M with a cache of the module code only; --version about the same either way.
const CODE_CACHE_MAKER = `
const fs = require('node:fs'), vm = require('node:vm'), path = require('node:path'), v8 = require('node:v8');
const file = process.env.OVS_CODE_CACHE_FOR;
v8.setFlagsFromString('--no-lazy');
const script = new vm.Script(${JSON.stringify(CJS_WRAPPER_HEAD)} + fs.readFileSync(file, 'utf8') + ${JSON.stringify(CJS_WRAPPER_TAIL)}, { filename: file });
const mod = { exports: {}, id: file, filename: file, loaded: false };
script.runInThisContext().call(mod.exports, mod.exports, require('node:module').createRequire(file), mod, file, path.dirname(file));
v8.setFlagsFromString('--lazy');
fs.writeFileSync(file + '.cache', script.createCachedData());
process.exit(0);
`;

/**
 * Writes <file>.cache, the V8 code cache of a CommonJS bundle, after the bundle (the launchers use
 * a cache only when it is not older than its bundle). A bundle with a real import() left in it
 * gets none: code compiled through vm has no ES module loader behind it. A bundle whose module
 * code fails here gets none either and loads with a plain require().
 */
export async function writeCodeCache(file: string): Promise<boolean> {
  const cache = `${file}.cache`;
  rmSync(cache, { force: true });
  if (/(^|[^\w$.])import\s*\(/m.test(readFileSync(file, 'utf8'))) return false;
  const status = await new Promise<number | null>((done) => {
    const child = spawn(process.execPath, ['-e', CODE_CACHE_MAKER], {
      env: { ...process.env, OVS_CODE_CACHE_FOR: file, NODE_OPTIONS: '' }, stdio: 'ignore', timeout: 60_000,
    });
    child.on('error', () => done(null));
    child.on('exit', (code) => done(code));
  });
  if (status !== 0 || !existsSync(cache)) {
    rmSync(cache, { force: true });
    return false;
  }
  return true;
}

async function main(argv: string[]): Promise<void> {
  const outDir = argv[0] ? resolve(argv[0]) : join(projectRoot, '.build', 'bundle');
  const r = await bundleEngine({ outDir });
  console.log(`bundled ${r.files.length} files (${(r.bytes / 1024).toFixed(0)} KiB) into ${relative(process.cwd(), r.outDir) || '.'}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`bundle: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
