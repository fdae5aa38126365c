// .github/workflows/windows.yml, parsed with the `yaml` package (installed with tap): a Windows job
// that installs with npm ci, runs npm test and the PowerShell tests, on a Node the engine supports.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../engine/setup/paths.js';

interface Step { name?: string; uses?: string; run?: string; shell?: string; with?: Record<string, unknown> }
interface Job { 'runs-on': string | string[]; steps: Step[]; strategy?: { matrix?: Record<string, unknown[]> }; defaults?: { run?: { shell?: string } } }
interface Workflow { name: string; on: Record<string, unknown>; jobs: Record<string, Job> }

const text = readFileSync(join(projectRoot, '.github', 'workflows', 'windows.yml'), 'utf8');

t.test('windows.yml is valid YAML with the GitHub Actions shape', async (t) => {
  const wf = parse(text, { strict: true, uniqueKeys: true }) as Workflow;
  t.type(wf.name, 'string');
  t.ok(wf.on && typeof wf.on === 'object', 'on: is a mapping (a bare `on` would be YAML 1.1 true)');
  t.ok('push' in wf.on && 'pull_request' in wf.on, 'runs on pushes and pull requests');
  const jobs = Object.values(wf.jobs);
  t.ok(jobs.length >= 1);
  for (const job of jobs) {
    t.ok(Array.isArray(job.steps) && job.steps.length > 0, 'steps');
    for (const s of job.steps) t.ok((s.uses === undefined) !== (s.run === undefined), `step '${s.name ?? s.uses}' has exactly one of uses/run`);
  }
});

t.test('a windows-latest job: npm ci, npm test, the PowerShell tests, on Node >= 20', async (t) => {
  const wf = parse(text) as Workflow;
  const job = Object.values(wf.jobs).find((j) => j['runs-on'] === 'windows-latest');
  t.ok(job, 'a job runs on windows-latest');
  if (!job) return;
  const runs = job.steps.map((s) => s.run ?? '');
  const idx = (re: RegExp): number => runs.findIndex((r) => re.test(r));
  t.ok(job.steps.some((s) => /^actions\/checkout@v\d+$/.test(s.uses ?? '')), 'checks out');
  const setup = job.steps.find((s) => /^actions\/setup-node@v\d+$/.test(s.uses ?? ''));
  t.ok(setup, 'sets up Node');
  const nodeSpec = String(setup?.with?.['node-version'] ?? '');
  const versions = nodeSpec.includes('matrix.node') ? (job.strategy?.matrix?.node ?? []).map(String) : [nodeSpec];
  t.ok(versions.length > 0 && versions.every((v) => Number(v.split('.')[0]) >= 20), `Node ${versions.join(', ')} (package.json engines: >=20)`);
  const ci = idx(/^npm ci\b/m), test = idx(/^npm test\b/m), ps = idx(/run\.js powershell|Invoke-Pester/);
  t.ok(ci >= 0, 'npm ci');
  t.ok(test > ci, 'npm test after npm ci');
  t.ok(ps > ci, 'the PowerShell tests after npm ci');
  const psStep = job.steps[ps];
  t.equal(psStep?.shell ?? job.defaults?.run?.shell, 'pwsh', 'the PowerShell step runs in pwsh');
  t.match(runs[ps], /Test-ModuleManifest/, 'and checks the module manifest');
  const pkg = idx(/^npm run package\b/m), smoke = idx(/packaging\/windows-service-smoke\.ps1/);
  t.ok(pkg > ci, 'builds the packages');
  t.ok(smoke > pkg, 'runs the Windows service smoke test on the packaged module');
  t.ok(existsSync(join(projectRoot, 'packaging', 'windows-service-smoke.ps1')), 'the smoke script it names exists');
});
