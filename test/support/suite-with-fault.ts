import { embeddedConfig } from '../../src/harness/iut-config';
import { runSuite, type ScenarioResult } from '../../src/harness/suite-runner';
import type { ConnectMode, Standard } from '../../src/peer/parameters';

/**
 * Runs the whole suite against the embedded reference peer with deliberate faults, and returns
 * the verdict per scenario. Used by the teeth test; runnable by hand while writing features:
 *   node dist/test/support/suite-with-fault.js [fault,fault|-] [passive|active|alternating] [e37|hsms-ss] [tag-expression] [--json]
 */
export async function suiteWithFaults(faults: readonly string[], role: ConnectMode, standard: Standard = 'e37', tags?: string): Promise<ScenarioResult[]> {
  const { results } = await runSuite({ iut: embeddedConfig(role, standard, faults), seed: 1, fuzzRuns: 10, ...(tags ? { tags } : {}) });
  return results;
}

if (require.main === module) {
  const [faultArg = '-', role = 'passive', standard = 'e37', tags, format] = process.argv.slice(2);
  const faults = faultArg === '-' ? [] : faultArg.split(',');
  suiteWithFaults(faults, role as ConnectMode, standard as Standard, tags || undefined).then(
    (results) => {
      if (format === '--json') {
        process.stdout.write(JSON.stringify(results.map((r) => ({ clauses: r.clauses, verdict: r.verdict, name: r.name, reason: r.reason }))));
        return;
      }
      for (const r of results) {
        if (r.verdict === 'not-applicable') continue;
        process.stdout.write(`${r.verdict.padEnd(14)} ${r.clauses.join(' ').padEnd(16)} ${r.name}${r.verdict === 'pass' ? '' : `\n               ${r.reason.split('\n')[0]}`}\n`);
      }
    },
    (err: Error) => {
      process.stderr.write(`${err.stack}\n`);
      process.exitCode = 3;
    },
  );
}
