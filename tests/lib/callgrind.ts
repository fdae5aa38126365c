// Counting the instructions a process executes, with valgrind's callgrind: a measure of a server's
// work that does not depend on how busy the machine is or where the kernel runs it (time on a
// shared virtual machine moves by tens of per cent between runs; these counts by a few).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A process running under callgrind; `stop()` ends it with SIGTERM and returns how many
 *  user-space instructions it executed, all threads together (callgrind's "Collected"). */
export interface CountedProcess {
  readonly child: ChildProcess;
  stop(): Promise<number>;
}

export class CallgrindError extends Error {
  readonly code = 'BENCH_E_CALLGRIND';
}

/** Starts `command args` under callgrind, its valgrind log in `logFile` and its profile in
 *  `outFile`. V8 writes machine code at run time, hence --smc-check=all-non-file. */
export function startCounted(command: string, args: string[], logFile: string, outFile: string): CountedProcess {
  const child = spawn('valgrind', ['--tool=callgrind', '--smc-check=all-non-file', `--log-file=${logFile}`, `--callgrind-out-file=${outFile}`, command, ...args],
    { stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (e) => reject(new CallgrindError(`valgrind ${command}: ${e.message}`)));
    child.once('exit', () => resolve());
  });
  return {
    child,
    async stop(): Promise<number> {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      const log = readFileSync(logFile, 'utf8');
      const m = /Collected : (\d+)/.exec(log);
      if (!m) throw new CallgrindError(`${command}: no instruction count in ${logFile}: ${log.slice(-400)}`);
      return Number(m[1]);
    },
  };
}
