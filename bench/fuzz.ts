import fc from 'fast-check';
import { FrameDecoder } from '../src/protocol/frame-decoder';
import { chunkingArb, fuzzInputArb, type FuzzContext } from '../src/fuzz/arbitraries';
import { LiveTarget, runLiveProperty, type LiveFuzzReport } from '../src/fuzz/live-properties';
import { IutSession } from '../src/harness/iut';
import { embeddedConfig } from '../src/harness/iut-config';
import { Secs4jsDecoder } from './secs4js';
import { fmtRate, fmtRatio, type Row } from './util';

/**
 * Fuzz throughput. In process: fast-check inputs from src/fuzz/arbitraries (valid frames of every
 * SType, mutated), cut by an arbitrary chunking, through a fresh FrameDecoder per case; the same
 * cases through secs4js's framing for the reference column. Over loopback: needs the fuzz runner
 * of src/fuzz (not there yet: the row says so).
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
  // Over loopback: the live framing property of src/fuzz against the embedded passive reference peer.
  const runs = 150;
  const iut = new IutSession(embeddedConfig('passive', 'e37'));
  await iut.beforeScenario();
  let report: LiveFuzzReport;
  try {
    report = await runLiveProperty(new LiveTarget(iut), { property: 'framing', runs, seed: 1 });
  } finally {
    await iut.afterScenario();
  }
  const live = report.casesRun / (report.elapsedMs / 1000);
  rows.push({
    section: 'fuzz',
    figure: `over loopback: framing property (runLiveProperty, ${report.casesRun} cases, seed 1) against the passive reference peer`,
    value: fmtRate(live),
    reference: `in-process decoder ${fmtRate(ref)}`,
    ratio: `${fmtRatio(live / ref)} in-process`,
    target: '>= 500 cases/s',
    status: live >= 500 ? 'met' : 'missed',
  });
  const finding = report.failure;
  if (finding) {
    const first = finding.findings[0];
    notes.push(`fuzz: the loopback run stopped after ${report.casesRun} of ${runs} cases on a finding (${first ? `${first.clause}: ${first.message}` : 'no detail'}); its cases/s is not representative`);
  }
  return { rows, notes };
}
