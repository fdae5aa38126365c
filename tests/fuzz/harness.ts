// The fuzzing harness: a target is an input generator (fast-check arbitrary) plus a check that
// throws FuzzFailure when the code under test misbehaves (an untyped error escaped, a result is
// malformed, state changed when it must not). Each case is time-boxed; a failing input is shrunk
// and kept under tests/fuzz-regressions/<target>.json so that replay.test.ts runs it forever after.
import fc from 'fast-check';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../../engine/ovsdb/api.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { OvsError } from '../../engine/util/errors.js';
import { parseJson, stringifyJson } from '../../engine/util/json-int64.js';

/** The code under test broke a rule (not merely rejected bad input). */
export class FuzzFailure extends Error {
  constructor(message: string, readonly causeError?: unknown) {
    super(causeError instanceof Error ? `${message}: ${causeError.stack ?? causeError.message}` : message);
  }
}

export interface FuzzTarget<T> {
  readonly name: string;
  arbitrary(): fc.Arbitrary<T>;
  /** Runs one input; throws FuzzFailure (or anything else) on a rule broken. */
  check(input: T): void | Promise<void>;
  /** Inputs as JSON for the regression files (Buffers as {"hex": ...}, bigints as strings...). */
  toJson(input: T): Json;
  fromJson(json: Json): T;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

export interface FuzzRunOptions {
  numRuns: number;
  seed?: number;
  /** Longest a single case may take (ms); a longer case is a hang. */
  timeBoxMs?: number;
  /** Write a found crasher to tests/fuzz-regressions/ (default true). */
  keepCrasher?: boolean;
  /** Heap bound (bytes) checked after the run. */
  maxHeapBytes?: number;
}

export interface FuzzRunResult {
  target: string;
  cases: number;
  crashes: number;
  seed: number;
  seconds: number;
  peakHeapMiB: number;
  /** The shrunk counterexample and what went wrong, when a case failed. */
  failure?: { input: Json; error: string };
}

/** Rejects anything but a typed OvsError whose code is in `codes` (or any OvsError if omitted). */
export function expectTyped(e: unknown, what: string, codes?: readonly string[], classes: readonly (abstract new (...a: never[]) => unknown)[] = []): void {
  if (classes.some((c) => e instanceof c)) return;
  if (e instanceof OvsError && (codes === undefined || codes.includes(e.code))) return;
  throw new FuzzFailure(`${what} threw an untyped or unexpected error`, e);
}

export function regressionFile(target: string): string {
  return join(projectRoot, 'tests', 'fuzz-regressions', `${target}.json`);
}

export interface RegressionCase { input: Json; error: string; found: string }

export function readRegressions(target: string): RegressionCase[] {
  const f = regressionFile(target);
  if (!existsSync(f)) return [];
  return parseJson(readFileSync(f, 'utf8')) as unknown as RegressionCase[];
}

function keepCrasher(target: string, c: RegressionCase): void {
  const cases = readRegressions(target);
  const key = stringifyJson(c.input);
  if (cases.some((x) => stringifyJson(x.input) === key)) return;
  cases.push(c);
  writeFileSync(regressionFile(target), stringifyJson(cases, 1) + '\n');
}

/** Runs `target.check` on `numRuns` generated inputs. */
export async function runFuzz<T>(target: FuzzTarget<T>, opts: FuzzRunOptions): Promise<FuzzRunResult> {
  const started = Date.now();
  const seed = opts.seed ?? (Date.now() ^ 0x5eed) >>> 0;
  const timeBox = opts.timeBoxMs ?? 5000;
  let peakHeap = process.memoryUsage().heapUsed;
  let n = 0;
  await target.setup?.();
  let details: fc.RunDetails<[T]>;
  try {
    const prop = fc.asyncProperty(target.arbitrary(), async (input) => {
      const t0 = Date.now();
      await target.check(input);
      const took = Date.now() - t0;
      if (took > timeBox) throw new FuzzFailure(`one case took ${took} ms (time box ${timeBox} ms)`);
      if ((++n & 1023) === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    });
    details = await fc.check(prop, { numRuns: opts.numRuns, seed, timeout: timeBox * 2, endOnFailure: false, verbose: 0 });
  } finally {
    await target.teardown?.();
  }
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const result: FuzzRunResult = {
    target: target.name, cases: details.numRuns, crashes: 0, seed, seconds: (Date.now() - started) / 1000,
    peakHeapMiB: Math.round(peakHeap / 1048576),
  };
  if (details.failed) {
    result.crashes = 1;
    const err = details.errorInstance;
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    const input = details.counterexample ? target.toJson(details.counterexample[0]) : null;
    result.failure = { input, error };
    if (opts.keepCrasher !== false && details.counterexample) {
      keepCrasher(target.name, { input, error: error.split('\n').slice(0, 12).join('\n'), found: `seed ${seed}, ${new Date().toISOString()}` });
    }
  }
  if (opts.maxHeapBytes !== undefined && peakHeap > opts.maxHeapBytes) {
    result.crashes++;
    result.failure ??= { input: null, error: `heap grew to ${result.peakHeapMiB} MiB (bound ${Math.round(opts.maxHeapBytes / 1048576)} MiB)` };
  }
  return result;
}

// ---- encoding helpers for regression files ----------------------------------------------------

export function bufToJson(b: Uint8Array): Json {
  return { hex: Buffer.from(b).toString('hex') };
}

export function bufFromJson(j: Json): Buffer {
  if (j && typeof j === 'object' && !Array.isArray(j) && typeof j.hex === 'string') return Buffer.from(j.hex, 'hex');
  throw new Error(`not an encoded buffer: ${stringifyJson(j)}`);
}
