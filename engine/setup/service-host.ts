// Builds driver/windows/service-host (ovs-service-host.exe, C# for .NET Framework 4.8, the Windows
// service wrapper of the engine) with the .NET SDK, on Linux as on Windows, and reads back what was
// built (PE32 headers, CLI header, target framework) so the packaging and its tests can check it.
// Builds are cached in .cache/packaging/service-host/<hash of sources + version>/.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { OvsError } from '../util/errors.js';

export class ServiceHostBuildError extends OvsError {
  constructor(message: string) { super('OVS_E_SERVICE_HOST', message); }
}

export const SERVICE_HOST_EXE = 'ovs-service-host.exe';
export const SERVICE_HOST_SOURCE = join('driver', 'windows', 'service-host');

export interface ServiceHostBuild {
  /** The built executable (in the cache; copy it, do not modify it). */
  exe: string;
  /** Its .exe.config (supportedRuntime .NET Framework 4.8). */
  config: string;
  /** true when taken from the cache. */
  cached: boolean;
}

function sourceFiles(root: string): string[] {
  const dir = join(root, SERVICE_HOST_SOURCE);
  if (!existsSync(dir)) throw new ServiceHostBuildError(`no service host sources at ${dir}`);
  return readdirSync(dir).filter((f) => /\.(cs|csproj)$/.test(f)).sort();
}

/** Builds (or takes from the cache) ovs-service-host.exe stamped with version. Throws
 *  ServiceHostBuildError with the SDK's own message when the build fails. */
export function buildServiceHost(opts: { root: string; version: string; dotnet: string; scratch: string }): ServiceHostBuild {
  const files = sourceFiles(opts.root);
  const h = createHash('sha256').update(`version ${opts.version}\n`);
  for (const f of files) h.update(`${f}\n`).update(readFileSync(join(opts.root, SERVICE_HOST_SOURCE, f)));
  const cacheDir = join(opts.root, '.cache', 'packaging', 'service-host', h.digest('hex').slice(0, 16));
  const exe = join(cacheDir, SERVICE_HOST_EXE);
  const config = `${exe}.config`;
  if (existsSync(exe) && existsSync(config)) return { exe, config, cached: true };

  // Built from a copy, so that no bin/ or obj/ appears in the source tree.
  const src = join(opts.scratch, 'service-host-src');
  const out = join(opts.scratch, 'service-host-out');
  rmSync(src, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  for (const f of files) copyFileSync(join(opts.root, SERVICE_HOST_SOURCE, f), join(src, f));
  const r = spawnSync(opts.dotnet, ['build', '-c', 'Release', '-o', out, '--nologo', `-p:Version=${opts.version}`], {
    cwd: src, encoding: 'utf8', maxBuffer: 32 * 1024 * 1024,
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1', DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1' },
  });
  if (r.error) throw new ServiceHostBuildError(`cannot run ${opts.dotnet}: ${r.error.message}`);
  if (r.status !== 0) {
    const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /error|warn/i.test(l));
    throw new ServiceHostBuildError(`dotnet build of the service host failed (exit ${r.status}): ${(lines.length ? lines.join('\n') : r.stdout + r.stderr).trim().slice(-3000)}`);
  }
  if (!existsSync(join(out, SERVICE_HOST_EXE))) throw new ServiceHostBuildError(`dotnet build succeeded but wrote no ${SERVICE_HOST_EXE} in ${out}`);
  mkdirSync(cacheDir, { recursive: true });
  // Into the cache by rename (a concurrent build of the same sources writes the same bytes).
  copyFileSync(join(out, `${SERVICE_HOST_EXE}.config`), `${config}.tmp`);
  copyFileSync(join(out, SERVICE_HOST_EXE), `${exe}.tmp`);
  renameSync(`${config}.tmp`, config);
  renameSync(`${exe}.tmp`, exe);
  rmSync(src, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  return { exe, config, cached: false };
}

export interface PeInfo {
  /** 'PE32' (optional header magic 0x10b) or 'PE32+' (0x20b). */
  format: 'PE32' | 'PE32+';
  /** COFF machine, e.g. 0x14c (i386: what AnyCPU .NET assemblies carry). */
  machine: number;
  /** 2 = Windows GUI, 3 = Windows console. */
  subsystem: number;
  /** The image has a CLI (.NET) header: data directory 14 is set. */
  dotnet: boolean;
  /** The metadata's runtime version string, e.g. v4.0.30319. */
  runtimeVersion?: string;
  /** The TargetFrameworkAttribute value found in the image, e.g. .NETFramework,Version=v4.8. */
  targetFramework?: string;
}

/** Reads a PE image's headers (enough to tell a .NET Framework assembly from anything else). */
export function readPeInfo(image: Buffer): PeInfo {
  const bad = (why: string): never => { throw new ServiceHostBuildError(`not a PE image: ${why}`); };
  if (image.length < 0x40 || image.readUInt16LE(0) !== 0x5a4d) bad('no MZ header');
  const pe = image.readUInt32LE(0x3c);
  if (pe + 24 > image.length || image.readUInt32LE(pe) !== 0x00004550) bad('no PE signature');
  const machine = image.readUInt16LE(pe + 4);
  const opt = pe + 24;
  const magic = image.readUInt16LE(opt);
  if (magic !== 0x10b && magic !== 0x20b) bad(`optional header magic 0x${magic.toString(16)}`);
  const format = magic === 0x10b ? 'PE32' : 'PE32+';
  const subsystem = image.readUInt16LE(opt + 68);
  const dirs = opt + (format === 'PE32' ? 96 : 112);
  const count = image.readUInt32LE(opt + (format === 'PE32' ? 92 : 108));
  const dotnet = count > 14 && image.readUInt32LE(dirs + 14 * 8) !== 0 && image.readUInt32LE(dirs + 14 * 8 + 4) !== 0;
  const info: PeInfo = { format, machine, subsystem, dotnet };
  // The metadata root ("BSJB") carries the runtime version string.
  const bsjb = image.indexOf(Buffer.from('BSJB', 'latin1'));
  if (dotnet && bsjb >= 0 && bsjb + 16 < image.length) {
    const len = image.readUInt32LE(bsjb + 12);
    info.runtimeVersion = image.subarray(bsjb + 16, bsjb + 16 + len).toString('latin1').replace(/\0+$/, '');
  }
  const tf = /\.NETFramework,Version=v[0-9.]+/.exec(image.toString('latin1'));
  if (tf) info.targetFramework = tf[0];
  return info;
}
