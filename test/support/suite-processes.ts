import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { SUITE_SLOTS, withSuiteSlot } from './suite-slots';

/**
 * Suite runs in child processes, for the tests that certify many reference peers (teeth,
 * no-false-fail): the suite holds one IUT per process, and the runs mostly wait on the peer's
 * timers, so several run at a time: as many as there are suite slots (suite-slots.ts), shared
 * with the other test files that run suites at the same time.
 */

export interface ScenarioVerdict {
  readonly clauses: readonly string[];
  readonly verdict: string;
  readonly name: string;
  readonly reason: string;
}

export const ROOT = path.resolve(__dirname, '../../..');
const RUNNER = path.join(ROOT, 'dist', 'test', 'support', 'suite-with-fault.js');

/**
 * The bound on one suite run: a safety net against a hang, not a speed check. A run takes 20-60 s
 * on an idle machine; a machine loaded by other jobs has been seen to make it ten times slower.
 */
export const SUITE_RUN_LIMIT_MS = 600_000;

/** Runs suite-with-fault.js with `args` (its command line, `--json` added) and returns its verdicts; `label` names the run in an error. */
export function suiteProcess(args: readonly string[], label: string, timeoutMs: number): Promise<ScenarioVerdict[]> {
  return withSuiteSlot(() => new Promise((resolve, reject) => {
    execFile(process.execPath, [RUNNER, ...args, '--json'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`suite run for ${label} failed: ${err.message}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(stdout) as ScenarioVerdict[]);
    });
  }));
}

/** Runs `work` on every item, `width` at a time (by default as many as there are suite slots); results in item order. */
export async function pool<T, R>(items: readonly T[], work: (item: T) => Promise<R>, width: number = SUITE_SLOTS): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!);
      }
    }),
  );
  return out;
}

/** One line per verdict, for assertion messages. */
export function describeVerdict(v: ScenarioVerdict): string {
  return `${v.verdict} on ${v.clauses.join(' ')} "${v.name}": ${v.reason}`;
}

/** SUITE_TAGS: a cucumber tag expression narrowing every run while a feature is being written (e.g. "not @fuzz"). */
export const SUITE_TAGS = process.env.SUITE_TAGS ?? '';
