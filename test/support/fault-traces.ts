import * as path from 'node:path';
import { embeddedConfig } from '../../src/harness/iut-config';
import { runSuite } from '../../src/harness/suite-runner';

/**
 * Runs the suite's scenarios of some clauses against the embedded reference peer, once per
 * deliberate fault (or with none), in one process (the step definitions load once), writing each
 * run's pcaps under `<reportDir>/<fault>/traces/`. Prints the verdicts per run as JSON. Used by
 * the analyze self-consistency test:
 *   node dist/test/support/fault-traces.js REPORT_DIR ROLE FAULT=TAGS [FAULT=TAGS ...]   (FAULT '-' for none)
 */

export interface FaultRun {
  readonly fault: string;
  readonly results: ReadonlyArray<{ readonly clauses: readonly string[]; readonly verdict: string; readonly name: string; readonly traceFile: string }>;
}

async function main(): Promise<void> {
  const [reportDir = '', role = 'passive', ...jobs] = process.argv.slice(2);
  const runs: FaultRun[] = [];
  for (const job of jobs) {
    const eq = job.indexOf('=');
    const fault = job.slice(0, eq);
    const tags = job.slice(eq + 1);
    const dir = path.join(reportDir, fault === '-' ? 'none' : fault);
    const { results } = await runSuite({ iut: embeddedConfig(role as 'passive' | 'active', 'e37', fault === '-' ? [] : [fault]), seed: 1, fuzzRuns: 5, tags, reportDir: dir });
    runs.push({ fault, results: results.map((r) => ({ clauses: r.clauses, verdict: r.verdict, name: r.name, traceFile: r.traceFile })) });
  }
  process.stdout.write(JSON.stringify(runs));
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack}\n`);
  process.exitCode = 3;
});
