// Runs a command inside a network namespace without blocking the test's event loop (the datapath's
// threads keep forwarding while it runs); resolves with its exit status and combined output.
import { spawn } from 'node:child_process';

export function nsRun(ns: string, cmd: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('close', (status) => resolve({ status, out }));
  });
}
