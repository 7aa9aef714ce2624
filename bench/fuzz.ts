import fc from 'fast-check';
import { FrameDecoder } from '../src/protocol/frame-decoder';
import { chunkingArb, fuzzInputArb, type FuzzContext } from '../src/fuzz/arbitraries';
import { LiveTarget, PROPERTY_NAMES, runLiveProperty, type LiveFuzzReport, type PropertyName } from '../src/fuzz/live-properties';
import { casesPerSecond as liveRate } from '../src/cli/fuzz-command';
import { IutSession } from '../src/harness/iut';
import { embeddedConfig } from '../src/harness/iut-config';
import { Secs4jsDecoder } from './secs4js';
import { fmtRate, fmtRatio, type Row } from './util';

/**
 * Fuzz throughput. In process: fast-check inputs from src/fuzz/arbitraries (valid frames of every
 * SType, mutated), cut by an arbitrary chunking, through a fresh FrameDecoder per case; the same
 * cases through secs4js's framing for the reference column. Over loopback: each live property
 * against the embedded passive reference peer, in cases per second (shrink attempts included).
 */

const CTX: FuzzContext = { maxLength: 1024 * 1024, sessionId: 0 };

function casesPerSecond(budgetMs: number, decode: (pieces: Buffer[]) => void): number {
  const arb = fuzzInputArb(CTX).chain((input) => chunkingArb(input.bytes.length).map((cuts) => ({ input, cuts })));
  let cases = 0;
  const start = performance.now();
  let seed = 1;
  while (performance.now() - start < budgetMs) {
    fc.assert(
      fc.property(arb, ({ input, cuts }) => {
        const pieces: Buffer[] = [];
        let from = 0;
        for (const c of cuts) {
          pieces.push(input.bytes.subarray(from, c));
          from = c;
        }
        pieces.push(input.bytes.subarray(from));
        decode(pieces);
        cases++;
      }),
      { numRuns: 1000, seed: seed++ },
    );
  }
  return cases / ((performance.now() - start) / 1000);
}

export async function benchFuzz(budgetMs: number): Promise<{ rows: Row[]; notes: string[] }> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const ref = casesPerSecond(budgetMs / 2, (pieces) => {
    const d = new FrameDecoder({ maxLength: CTX.maxLength });
    for (const p of pieces) d.push(p);
  });
  const s4 = casesPerSecond(budgetMs / 2, (pieces) => {
    const d = new Secs4jsDecoder();
    for (const p of pieces) d.push(p);
  });
  rows.push({
    section: 'fuzz',
    figure: 'in process: fuzzInputArb + chunking through the decoder (fast-check generation included)',
    value: fmtRate(ref),
    reference: `same cases through secs4js framing ${fmtRate(s4)}`,
    ratio: `${fmtRatio(ref / s4)} secs4js`,
    target: '',
    status: '',
  });
  // Over loopback: each live property of src/fuzz against the embedded passive reference peer
  // (single connection, the suite's self-test timers), as `hsms-conformance fuzz` runs it.
  const runs: Record<PropertyName, number> = { framing: 2000, gaps: 8, model: 200 };
  for (const property of PROPERTY_NAMES) {
    const iut = new IutSession(embeddedConfig('passive', 'e37'));
    await iut.beforeScenario();
    let report: LiveFuzzReport;
    // CPU of this process (the tester and the embedded peer) per case: what the rate becomes when
    // the run has a core to itself, whatever else loads the machine.
    const cpu0 = process.cpuUsage();
    try {
      report = await runLiveProperty(new LiveTarget(iut), { property, runs: runs[property], seed: 1 });
    } finally {
      await iut.afterScenario();
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuMsPerCase = (cpu.user + cpu.system) / 1000 / Math.max(1, report.casesRun);
    const live = liveRate(report);
    const framing = property === 'framing';
    rows.push({
      section: 'fuzz',
      figure: `over loopback: ${property} property (${report.casesRun} cases, seed 1) against the passive reference peer${property === 'gaps' ? ' (each case pauses beyond T8 on purpose)' : property === 'model' ? ' (sequences of up to 12 commands)' : ''}`,
      value: `${fmtRate(live)}, CPU ${cpuMsPerCase.toFixed(2)} ms/case (${(1000 / cpuMsPerCase).toFixed(0)} cases per CPU-second)`,
      reference: `in-process decoder ${fmtRate(ref)}`,
      ratio: `${fmtRatio(live / ref)} in-process`,
      target: framing ? '>= 500 cases/s' : '',
      status: framing ? (live >= 500 ? 'met' : 'missed') : '',
    });
    const first = report.failure?.findings[0];
    if (report.failure) notes.push(`fuzz: the ${property} run stopped after ${report.casesRun} cases on a finding (${first ? `${first.clause}: ${first.message}` : 'no detail'}); its cases/s is not representative`);
    if (report.unconfirmed.length > 0) notes.push(`fuzz: ${report.unconfirmed.length} ${property} finding(s) on the kept connection were not confirmed on a fresh one: ${report.unconfirmed[0]}`);
  }
  return { rows, notes };
}
