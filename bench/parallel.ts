import * as os from 'node:os';
import { EMBEDDED_ROLES, embeddedConfig } from '../src/harness/iut-config';
import { runSuite, type ScenarioResult } from '../src/harness/suite-runner';
import { fmtRatio, type Row } from './util';

/**
 * Parallel workers: the default self-certification (the embedded reference peer in its three
 * roles, E37) run serially and on two workers of cucumber's parallel mode (`run --parallel 2`),
 * one after the other in this process, on the same seed. Wall time of the suite (as the CLI's
 * "wall time" line: report writing excluded, worker start-up included), the speed-up, and whether
 * every scenario got the same verdict. The suite mostly waits on the peer's timers, so two workers
 * overlap those waits; the load average beside the figure says how busy the machine was.
 */

export interface ParallelFigures {
  readonly rows: Row[];
  readonly notes: string[];
}

const WORKERS = 2;
const TARGET = 1.6;

async function selfCertification(seed: number, parallel: number): Promise<{ wallMs: number; results: ScenarioResult[]; load: number }> {
  const results: ScenarioResult[] = [];
  const start = performance.now();
  for (const role of EMBEDDED_ROLES) {
    const run = await runSuite({ iut: embeddedConfig(role, 'e37'), seed, fuzzRuns: 100, parallel });
    results.push(...run.results);
  }
  return { wallMs: performance.now() - start, results, load: os.loadavg()[0]! };
}

/** One line per scenario: role, name and verdict; equal lists mean identical verdicts. */
function verdicts(results: readonly ScenarioResult[]): string[] {
  return results.map((r) => `${r.role} | ${r.id} | ${r.verdict}`);
}

export async function benchParallel(seed: number): Promise<ParallelFigures> {
  const loadBefore = os.loadavg()[0]!;
  const serial = await selfCertification(seed, 1);
  const parallel = await selfCertification(seed, WORKERS);
  const speedUp = serial.wallMs / parallel.wallMs;
  const a = verdicts(serial.results);
  const b = verdicts(parallel.results);
  const differing = a.map((serialLine, i) => ({ serial: serialLine, parallel: b[i] ?? '(missing)' })).filter((d) => d.serial !== d.parallel);
  const identical = a.length === b.length && differing.length === 0;
  const rows: Row[] = [
    {
      section: 'parallel',
      figure: `self-certification, ${serial.results.length} scenarios, --parallel ${WORKERS}`,
      value: `wall ${(parallel.wallMs / 1000).toFixed(2)} s`,
      reference: `serial wall ${(serial.wallMs / 1000).toFixed(2)} s`,
      ratio: `${fmtRatio(speedUp)} speed-up`,
      target: `>= ${TARGET}x`,
      status: speedUp >= TARGET ? 'met' : 'missed',
    },
    {
      section: 'parallel',
      figure: `  verdicts of every scenario, --parallel ${WORKERS} vs serial (seed ${seed})`,
      value: identical ? 'identical' : `${differing.length + Math.abs(a.length - b.length)} differ`,
      reference: `${a.length} scenarios serial, ${b.length} parallel`,
      ratio: '',
      target: 'identical',
      status: identical ? 'met' : 'missed',
    },
  ];
  const notes = [
    `parallel: load average (1 min) ${loadBefore.toFixed(2)} before the serial run, ${serial.load.toFixed(2)} after it, ${parallel.load.toFixed(2)} after the parallel run (${os.cpus().length} cores)`,
    ...differing.slice(0, 5).map((d) => `parallel: verdict differs: serial "${d.serial}", parallel "${d.parallel}"`),
  ];
  return { rows, notes };
}
