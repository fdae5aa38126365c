// `npm run package`: builds the release artifacts under dist/ (git-ignored):
//   dist/OpenVSwitch/<version>/        the PowerShell module, PowerShell Gallery layout, with the
//                                      engine bundled in engine/ (an engine root: package.json,
//                                      manifests/, engine/bin/ launchers, .build/engine/*.js
//                                      bundles, node_modules/ffi-rs + its platform package)
//   dist/ovs-powershell-<version>.tgz  the npm package (npm pack), the CLIs as bin entries
//                                      service-host/ovs-service-host.exe: the Windows service
//                                      wrapper (C#, .NET Framework 4.8, built with the .NET SDK)
//   dist/OpenVSwitch-<version>-x64.msi the Windows installer (wixl), when wixl and the .NET SDK are
//                                      installed; its ServiceInstall row runs ovs-service-host.exe
//   dist/SHA256SUMS
// Signing (Authenticode, osslsigncode) when a certificate and key are given:
//   --sign-cert=FILE --sign-key=FILE [--sign-pass=PASS] [--timestamp-url=URL]
//   or OVS_SIGN_CERT, OVS_SIGN_KEY, OVS_SIGN_PASS, OVS_SIGN_TIMESTAMP_URL.
// Other flags: --out=DIR (default dist), --no-msi, --no-npm, --no-check (skip Test-ModuleManifest),
//   --win32-ffi=TGZ|fetch (the @yuuang/ffi-rs-win32-x64-msvc package, added to the module and the MSI; `fetch` runs
//   npm pack for it into .cache/packaging/; without it the MSI carries no native ffi-rs).
import { spawnSync } from 'node:child_process';
import { cpSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEngine } from './bundle.js';
import { projectRoot } from './paths.js';
import { buildServiceHost, SERVICE_HOST_EXE } from './service-host.js';
import { OvsError } from '../util/errors.js';

export class PackageError extends OvsError {
  constructor(message: string) { super('OVS_E_PACKAGE', message); }
}

export interface SignOptions { cert: string; key: string; pass?: string; timestampUrl?: string }

export interface PackageOptions {
  root?: string;
  outDir?: string;
  msi?: boolean;
  npm?: boolean;
  checkManifest?: boolean;
  sign?: SignOptions;
  /** A .tgz of @yuuang/ffi-rs-win32-x64-msvc, or 'fetch' to npm pack it. */
  win32Ffi?: string;
  log?: (line: string) => void;
}

export interface PackageResult {
  version: string;
  moduleDir: string;
  engineRoot: string;
  npmTarball?: string;
  msi?: string;
  /** <module>/service-host/ovs-service-host.exe, when the .NET SDK was there to build it. */
  serviceHost?: string;
  signed: string[];
  skipped: string[];
}

interface ProjectPackageJson {
  name: string; version: string; description?: string; license?: string;
  engines?: Record<string, string>; bin?: Record<string, string>; dependencies?: Record<string, string>;
}

export const MODULE_NAME = 'OpenVSwitch';
const WIN32_FFI_PACKAGE = '@yuuang/ffi-rs-win32-x64-msvc';

/** package.json's version, checked to be what the module manifest and the MSI accept (X.Y.Z). */
export function readProjectVersion(root: string = projectRoot): { pkg: ProjectPackageJson; version: string } {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as ProjectPackageJson;
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(pkg.version ?? '');
  if (!m || Number(m[1]) > 255 || Number(m[2]) > 255 || Number(m[3]) > 65535) {
    throw new PackageError(`package.json version '${pkg.version}' is not MAJOR.MINOR.PATCH within 255.255.65535 (what PowerShell module manifests and MSI ProductVersion accept)`);
  }
  return { pkg, version: pkg.version };
}

/** Finds a command on PATH (or the project's .tools/), undefined when absent. */
export function findTool(name: string, root: string = projectRoot): string | undefined {
  const local = join(root, '.tools', process.platform === 'win32' ? `${name}.exe` : name);
  if (existsSync(local)) return local;
  const r = process.platform === 'win32'
    ? spawnSync('where', [name], { encoding: 'utf8' })
    : spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const p = (r.stdout ?? '').split(/\r?\n/)[0]!.trim();
  return r.status === 0 && p ? p : undefined;
}

function run(cmd: string, args: string[], opts: { cwd?: string; what: string }): string {
  // npm is npm.cmd on Windows, which Node runs only through a shell (arguments quoted for cmd.exe).
  const viaShell = process.platform === 'win32' && cmd === 'npm';
  const r = viaShell
    ? spawnSync('npm.cmd', args.map((a) => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '""')}"` : a)), { cwd: opts.cwd, encoding: 'utf8', shell: true, maxBuffer: 64 * 1024 * 1024 })
    : spawnSync(cmd, args, { cwd: opts.cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new PackageError(`${opts.what}: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new PackageError(`${opts.what} failed (${cmd} exit ${r.status}): ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r.stdout;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p); else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The package.json of a bundled engine root: identity, ESM, the CLIs, the one native dependency. */
function engineRootPackageJson(pkg: ProjectPackageJson, extra: Record<string, unknown> = {}): string {
  const json = {
    name: pkg.name, version: pkg.version, description: pkg.description, license: pkg.license, type: 'module',
    engines: pkg.engines ?? { node: '>=20' }, bin: pkg.bin,
    dependencies: { 'ffi-rs': pkg.dependencies?.['ffi-rs'] ?? '*' },
    ...extra,
  };
  return JSON.stringify(json, null, 2) + '\n';
}

/** Writes an engine root at dir: package.json, manifests/, engine/bin/, .build/engine/ bundles. */
function stageEngineRoot(root: string, bundleDir: string, dir: string, pkgJson: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), pkgJson);
  cpSync(join(root, 'manifests'), join(dir, 'manifests'), { recursive: true });
  cpSync(join(root, 'engine', 'bin'), join(dir, 'engine', 'bin'), { recursive: true });
  cpSync(join(bundleDir, 'engine'), join(dir, '.build', 'engine'), { recursive: true });
  // The CommonJS bundles the launchers load synchronously (faster start-up), when built.
  if (existsSync(join(bundleDir, 'cjs'))) cpSync(join(bundleDir, 'cjs'), join(dir, '.build', 'bundle', 'cjs'), { recursive: true });
}

/** ffi-rs and every installed platform package of it (@yuuang/ffi-rs-*), into dir/node_modules. */
function copyNativeModules(root: string, dir: string): string[] {
  const nm = join(root, 'node_modules');
  const copied: string[] = [];
  if (!existsSync(join(nm, 'ffi-rs'))) throw new PackageError(`ffi-rs is not installed in ${nm}; run npm ci`);
  cpSync(join(nm, 'ffi-rs'), join(dir, 'node_modules', 'ffi-rs'), { recursive: true });
  copied.push('ffi-rs');
  const scope = join(nm, '@yuuang');
  if (existsSync(scope)) {
    for (const p of readdirSync(scope).filter((n) => n.startsWith('ffi-rs-'))) {
      cpSync(join(scope, p), join(dir, 'node_modules', '@yuuang', p), { recursive: true });
      copied.push(`@yuuang/${p}`);
    }
  }
  return copied;
}

/** Sets ModuleVersion in a copied manifest to the package version. */
function stampModuleVersion(psd1: string, version: string): void {
  const text = readFileSync(psd1, 'utf8');
  const re = /^(\s*ModuleVersion\s*=\s*)'[^']*'/m;
  if (!re.test(text)) throw new PackageError(`${psd1} has no ModuleVersion = '...' line to stamp with ${version}`);
  writeFileSync(psd1, text.replace(re, `$1'${version}'`));
}

function testModuleManifest(pwsh: string, psd1: string): string {
  const script = `$ErrorActionPreference='Stop'; $m = Test-ModuleManifest -Path '${psd1.replace(/'/g, "''")}'; "$($m.Name) $($m.Version)"`;
  return run(pwsh, ['-NoProfile', '-NonInteractive', '-Command', script], { what: 'Test-ModuleManifest' }).trim();
}

/** Authenticode-signs one file in place with osslsigncode (PE, MSI, or PowerShell script). */
export function signFile(file: string, sign: SignOptions, description = 'Open vSwitch (ovs-powershell)'): void {
  const tool = findTool('osslsigncode');
  if (!tool) throw new PackageError('osslsigncode is not installed; it signs the MSI and the module scripts');
  for (const f of [sign.cert, sign.key]) if (!existsSync(f)) throw new PackageError(`signing file '${f}' does not exist`);
  const out = `${file}.signed`;
  rmSync(out, { force: true });
  const args = ['sign', '-certs', sign.cert, '-key', sign.key, '-n', description, '-h', 'sha256'];
  if (sign.pass) args.push('-pass', sign.pass);
  if (sign.timestampUrl) args.push('-ts', sign.timestampUrl);
  args.push('-in', file, '-out', out);
  run(tool, args, { what: `signing ${basename(file)}` });
  renameSync(out, file);
}

const SIGNED_SCRIPT = /\.(ps1|psm1|psd1|ps1xml)$/i;

function xmlAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The @FILES@ tree and @COMPONENTREFS@ of the WiX template for the module folder. */
export function wixFileTree(sources: Array<{ rel: string; source: string }>, indent = '                '): { files: string; refs: string } {
  interface Dir { name: string; dirs: Map<string, Dir>; files: Array<{ name: string; source: string }> }
  const top: Dir = { name: '', dirs: new Map(), files: [] };
  for (const s of sources) {
    const parts = s.rel.split('/');
    let d = top;
    for (const p of parts.slice(0, -1)) {
      let next = d.dirs.get(p);
      if (!next) { next = { name: p, dirs: new Map(), files: [] }; d.dirs.set(p, next); }
      d = next;
    }
    d.files.push({ name: parts[parts.length - 1]!, source: s.source });
  }
  const lines: string[] = [];
  const refs: string[] = [];
  let n = 0;
  const emit = (d: Dir, pad: string): void => {
    for (const f of d.files) {
      n++;
      lines.push(`${pad}<Component Id="c${n}" Guid="*" Win64="yes"><File Id="f${n}" Name="${xmlAttr(f.name)}" Source="${xmlAttr(f.source)}" KeyPath="yes" /></Component>`);
      refs.push(`      <ComponentRef Id="c${n}" />`);
    }
    for (const sub of d.dirs.values()) {
      n++;
      lines.push(`${pad}<Directory Id="d${n}" Name="${xmlAttr(sub.name)}">`);
      emit(sub, pad + '  ');
      lines.push(`${pad}</Directory>`);
    }
  };
  emit(top, indent);
  return { files: lines.join('\n'), refs: refs.join('\n') };
}

function win32FfiDir(root: string, spec: string, ffiVersion: string, stage: string): string {
  let tgz = spec;
  if (spec === 'fetch') {
    const cache = join(root, '.cache', 'packaging');
    mkdirSync(cache, { recursive: true });
    const name = `yuuang-ffi-rs-win32-x64-msvc-${ffiVersion}.tgz`;
    if (!existsSync(join(cache, name))) run('npm', ['pack', `${WIN32_FFI_PACKAGE}@${ffiVersion}`, '--pack-destination', cache], { cwd: cache, what: `npm pack ${WIN32_FFI_PACKAGE}` });
    tgz = join(cache, name);
  }
  if (!existsSync(tgz)) throw new PackageError(`--win32-ffi: '${tgz}' does not exist; expected a .tgz of ${WIN32_FFI_PACKAGE} or 'fetch'`);
  const dir = join(stage, 'win32-ffi');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  run('tar', ['-xzf', resolve(tgz), '-C', dir], { what: `unpacking ${tgz}` });
  if (!existsSync(join(dir, 'package', 'package.json'))) throw new PackageError(`${tgz} is not an npm package tarball (no package/package.json)`);
  return join(dir, 'package');
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function buildPackage(opts: PackageOptions = {}): Promise<PackageResult> {
  const root = opts.root ?? projectRoot;
  const log = opts.log ?? ((l: string) => console.log(l));
  const outDir = resolve(opts.outDir ?? join(root, 'dist'));
  const { pkg, version } = readProjectVersion(root);
  const skipped: string[] = [];
  const signed: string[] = [];
  const stage = join(outDir, '.stage');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });

  const bundle = await bundleEngine({ root, outDir: join(stage, 'bundle') });
  log(`bundled ${bundle.files.length} files (${Math.round(bundle.bytes / 1024)} KiB)`);

  // The module, with its engine.
  const moduleSrc = join(root, 'powershell-module', MODULE_NAME);
  if (!existsSync(join(moduleSrc, `${MODULE_NAME}.psd1`))) throw new PackageError(`no module manifest at ${moduleSrc}`);
  const moduleDir = join(outDir, MODULE_NAME, version);
  cpSync(moduleSrc, moduleDir, { recursive: true });
  stampModuleVersion(join(moduleDir, `${MODULE_NAME}.psd1`), version);
  const engineRoot = join(moduleDir, 'engine');
  stageEngineRoot(root, bundle.outDir, engineRoot, engineRootPackageJson(pkg, { private: true }));
  const natives = copyNativeModules(root, engineRoot);
  if (opts.win32Ffi) {
    const ffiVersion = (JSON.parse(readFileSync(join(root, 'node_modules', 'ffi-rs', 'package.json'), 'utf8')) as { version: string }).version;
    const target = join(engineRoot, 'node_modules', '@yuuang', 'ffi-rs-win32-x64-msvc');
    if (!existsSync(target)) {
      cpSync(win32FfiDir(root, opts.win32Ffi, ffiVersion, stage), target, { recursive: true });
      natives.push(WIN32_FFI_PACKAGE);
    }
  }
  const changelog = join(root, 'packaging', 'CHANGELOG.md');
  if (existsSync(changelog)) cpSync(changelog, join(moduleDir, 'CHANGELOG.md'));
  log(`module ${relative(outDir, moduleDir)} (engine with ${natives.join(', ')})`);

  // The Windows service host (node.exe cannot answer the service control manager itself).
  let serviceHost: string | undefined;
  const dotnet = findTool('dotnet', root);
  if (!dotnet) {
    skipped.push('service host (the .NET SDK is not installed: dotnet builds driver/windows/service-host)');
  } else {
    const built = buildServiceHost({ root, version, dotnet, scratch: stage });
    const dir = join(moduleDir, 'service-host');
    mkdirSync(dir, { recursive: true });
    serviceHost = join(dir, SERVICE_HOST_EXE);
    cpSync(built.exe, serviceHost);
    cpSync(built.config, `${serviceHost}.config`);
    log(`service host ${relative(outDir, serviceHost)}${built.cached ? ' (cached build)' : ''}`);
    if (opts.sign) { signFile(serviceHost, opts.sign); signed.push(relative(outDir, serviceHost)); }
  }

  if (opts.sign) {
    for (const f of listFiles(moduleDir).filter((f) => SIGNED_SCRIPT.test(f) && !f.startsWith(engineRoot + sep))) {
      signFile(f, opts.sign);
      signed.push(relative(outDir, f));
    }
    log(`signed ${signed.length} module scripts`);
  }
  if (opts.checkManifest !== false) {
    const pwsh = findTool('pwsh', root);
    if (pwsh) log(`Test-ModuleManifest: ${testModuleManifest(pwsh, join(moduleDir, `${MODULE_NAME}.psd1`))}`);
    else skipped.push('Test-ModuleManifest (no pwsh)');
  }

  // The npm package.
  let npmTarball: string | undefined;
  if (opts.npm !== false) {
    const npmRoot = join(stage, 'npm');
    stageEngineRoot(root, bundle.outDir, npmRoot, engineRootPackageJson(pkg, {
      files: ['.build/engine/', 'engine/bin/', 'manifests/', 'powershell-module/', 'CHANGELOG.md', 'README.md'],
    }));
    cpSync(moduleSrc, join(npmRoot, 'powershell-module', MODULE_NAME), { recursive: true });
    stampModuleVersion(join(npmRoot, 'powershell-module', MODULE_NAME, `${MODULE_NAME}.psd1`), version);
    if (existsSync(changelog)) cpSync(changelog, join(npmRoot, 'CHANGELOG.md'));
    if (existsSync(join(root, 'README.md'))) cpSync(join(root, 'README.md'), join(npmRoot, 'README.md'));
    const out = run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', outDir], { cwd: npmRoot, what: 'npm pack' });
    const info = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string }>;
    npmTarball = join(outDir, info[0]!.filename);
    log(`npm package ${relative(outDir, npmTarball)}`);
  }

  // The Windows installer.
  let msi: string | undefined;
  if (opts.msi !== false) {
    const wixl = findTool('wixl', root);
    if (!wixl) {
      skipped.push('MSI (wixl not installed: apt-get install wixl)');
    } else if (!serviceHost) {
      skipped.push('MSI (its service runs ovs-service-host.exe, which needs the .NET SDK to build)');
    } else {
      // Only Windows platform packages of ffi-rs go into the MSI.
      const hostDir = join(moduleDir, 'service-host');
      const sources = listFiles(moduleDir)
        .filter((f) => !/^node_modules[\\/]@yuuang[\\/]ffi-rs-(?!win32-)/.test(relative(engineRoot, f)))
        .filter((f) => !f.startsWith(hostDir + sep)) // in the template: its component carries ServiceInstall
        .map((f) => ({ rel: relative(moduleDir, f).split(sep).join('/'), source: f }));
      if (!sources.some((s) => s.rel.startsWith('engine/node_modules/@yuuang/ffi-rs-win32-'))) {
        skipped.push(`MSI without ${WIN32_FFI_PACKAGE} (pass --win32-ffi=fetch or a .tgz)`);
      }
      // wixl takes only relative Source paths (relative to its working directory, the stage).
      const tree = wixFileTree(sources.map((s) => ({ rel: s.rel, source: relative(stage, s.source) })));
      const template = readFileSync(join(root, 'packaging', 'openvswitch.wxs'), 'utf8');
      const setupScript = join(stage, 'msi-setup.ps1');
      cpSync(join(root, 'packaging', 'msi-setup.ps1'), setupScript);
      if (opts.sign) { signFile(setupScript, opts.sign); signed.push('msi-setup.ps1'); }
      const wxs = template
        .replace(/@VERSION@/g, version)
        .replace('@SETUPSCRIPT@', () => xmlAttr(relative(stage, setupScript)))
        .replace('@SERVICEHOSTEXE@', () => xmlAttr(relative(stage, serviceHost!)))
        .replace('@SERVICEHOSTCONFIG@', () => xmlAttr(relative(stage, `${serviceHost!}.config`)))
        .replace('@FILES@', () => tree.files)
        .replace('@COMPONENTREFS@', () => tree.refs);
      const wxsPath = join(stage, 'openvswitch.wxs');
      writeFileSync(wxsPath, wxs);
      msi = join(outDir, `${MODULE_NAME}-${version}-x64.msi`);
      run(wixl, ['-a', 'x64', '-o', msi, wxsPath], { cwd: stage, what: 'wixl' });
      if (opts.sign) { signFile(msi, opts.sign); signed.push(basename(msi)); }
      log(`installer ${basename(msi)} (${Math.round(statSync(msi).size / 1024)} KiB, ${sources.length + 3} files)`);
    }
  }

  rmSync(stage, { recursive: true, force: true });
  const sums: string[] = [];
  for (const f of [npmTarball, msi]) if (f) sums.push(`${await sha256(f)}  ${basename(f)}`);
  writeFileSync(join(outDir, 'SHA256SUMS'), sums.join('\n') + (sums.length ? '\n' : ''));
  for (const s of skipped) log(`skipped: ${s}`);
  return { version, moduleDir, engineRoot, npmTarball, msi, serviceHost, signed, skipped };
}

export function parsePackageArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): PackageOptions {
  const opts: PackageOptions = {};
  const sign: Partial<SignOptions> = {
    cert: env.OVS_SIGN_CERT || undefined, key: env.OVS_SIGN_KEY || undefined,
    pass: env.OVS_SIGN_PASS || undefined, timestampUrl: env.OVS_SIGN_TIMESTAMP_URL || undefined,
  };
  if (env.OVS_WIN32_FFI) opts.win32Ffi = env.OVS_WIN32_FFI;
  for (const a of argv) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new PackageError(`unexpected argument '${a}'; expected --out=DIR, --no-msi, --no-npm, --no-check, --win32-ffi=TGZ|fetch, --sign-cert=FILE, --sign-key=FILE, --sign-pass=PASS, --timestamp-url=URL`);
    const [, name, value] = m;
    const need = (): string => {
      if (value === undefined || value === '') throw new PackageError(`--${name} needs a value (--${name}=...)`);
      return value;
    };
    switch (name) {
      case 'out': opts.outDir = resolve(need()); break;
      case 'no-msi': opts.msi = false; break;
      case 'no-npm': opts.npm = false; break;
      case 'no-check': opts.checkManifest = false; break;
      case 'win32-ffi': opts.win32Ffi = need(); break;
      case 'sign-cert': sign.cert = resolve(need()); break;
      case 'sign-key': sign.key = resolve(need()); break;
      case 'sign-pass': sign.pass = need(); break;
      case 'timestamp-url': sign.timestampUrl = need(); break;
      default: throw new PackageError(`unknown option '--${name}'`);
    }
  }
  if (sign.cert && sign.key) opts.sign = sign as SignOptions;
  else if (sign.cert || sign.key) throw new PackageError('signing needs both a certificate (--sign-cert / OVS_SIGN_CERT) and a key (--sign-key / OVS_SIGN_KEY)');
  return opts;
}

async function main(argv: string[]): Promise<void> {
  const r = await buildPackage(parsePackageArgs(argv));
  console.log(`ovs-powershell ${r.version} packaged in ${relative(process.cwd(), resolve(r.moduleDir, '../..')) || '.'}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`package: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
