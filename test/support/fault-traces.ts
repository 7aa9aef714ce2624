import * as path from 'node:path';
import { configFromProfile, embeddedConfig, type IutConfig } from '../../src/harness/iut-config';
import { loadProfile } from '../../src/harness/profile';
import type { ConnectMode } from '../../src/peer/parameters';
import { runSuite } from '../../src/harness/suite-runner';

/**
 * Runs the suite's scenarios of some clauses against an IUT once per job, in one process (the
 * step definitions load once), writing each run's pcaps under `<reportDir>/<job>/traces/`, and
 * prints the verdicts per run as JSON. A job is `IUT|ROLE|TAGS`, IUT being `-` (the correct
 * embedded reference peer), a deliberate fault's name, or `profile:FILE`. Used by the analyze
 * self-consistency test:
 *   node dist/test/support/fault-traces.js REPORT_DIR JOB [JOB ...]
 */

export interface TraceRun {
  readonly iut: string;
  readonly role: string;
  readonly dir: string;
  readonly results: ReadonlyArray<{ readonly clauses: readonly string[]; readonly verdict: string; readonly name: string; readonly traceFile: string }>;
}

async function main(): Promise<void> {
  const [reportDir = '', ...jobs] = process.argv.slice(2);
  const runs: TraceRun[] = [];
  for (const job of jobs) {
    const [iut = '-', role = 'passive', tags = ''] = job.split('|');
    const dir = path.join(reportDir, `${iut === '-' ? 'correct' : iut.startsWith('profile:') ? path.basename(iut, '.yaml') : iut}-${role}`);
    const config: IutConfig = iut.startsWith('profile:') ? configFromProfile(loadProfile(iut.slice('profile:'.length))) : embeddedConfig(role as ConnectMode, 'e37', iut === '-' ? [] : [iut]);
    const { results } = await runSuite({ iut: config, seed: 1, fuzzRuns: 5, tags, reportDir: dir });
    runs.push({ iut, role, dir, results: results.map((r) => ({ clauses: r.clauses, verdict: r.verdict, name: r.name, traceFile: r.traceFile })) });
  }
  process.stdout.write(JSON.stringify(runs));
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack}\n`);
  process.exitCode = 3;
});
