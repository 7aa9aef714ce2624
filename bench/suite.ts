import { EMBEDDED_ROLES, embeddedConfig } from '../src/harness/iut-config';
import { runSuite, type ScenarioResult } from '../src/harness/suite-runner';
import { fmtRatio, type Row } from './util';

/**
 * Suite efficiency: wall time of the default self-certification (the embedded reference peer in
 * its three roles, E37) divided by the time its scenarios cannot avoid waiting.
 *
 * The unavoidable wait is recorded by the harness itself: ScenarioContext counts the time spent in
 * the waits that end on a timer, not on traffic: a close the verdict waits for (T7, T8, ... due at
 * a fixed time after the connect), a period of required silence or of staying open, an explicit
 * "the tester waits" delay. Each is counted for the time actually spent, at most the timer's
 * budget, so a wait that fails early counts only what it took.
 */

export interface SuiteFigures {
  readonly rows: Row[];
  readonly notes: string[];
  readonly efficiency: number;
}

interface Span {
  readonly name: string;
  readonly role: string;
  readonly durationMs: number;
  readonly waitMs: number;
}

export async function benchSuite(seed: number): Promise<SuiteFigures> {
  const spans: Span[] = [];
  const roles: Array<{ role: string; wallMs: number; waitMs: number; scenarios: number }> = [];
  const wallStart = performance.now();
  for (const role of EMBEDDED_ROLES) {
    const start = performance.now();
    const { results } = await runSuite({
      iut: embeddedConfig(role, 'e37'),
      seed,
      fuzzRuns: 100,
      onScenario: (r: ScenarioResult) => spans.push({ name: r.name, role: r.role, durationMs: r.durationMs, waitMs: r.unavoidableWaitMs }),
    });
    roles.push({ role, wallMs: performance.now() - start, waitMs: results.reduce((a, r) => a + r.unavoidableWaitMs, 0), scenarios: results.length });
  }
  const wallMs = performance.now() - wallStart;
  const waitMs = roles.reduce((a, r) => a + r.waitMs, 0);
  const scenarioMs = spans.reduce((a, s) => a + s.durationMs, 0);
  const count = spans.length;
  const efficiency = waitMs > 0 ? wallMs / waitMs : Infinity;
  const rows: Row[] = [
    {
      section: 'suite',
      figure: `default self-certification, ${count} scenarios (passive + active, E37)`,
      value: `wall ${(wallMs / 1000).toFixed(2)} s`,
      reference: `unavoidable timer waits ${(waitMs / 1000).toFixed(2)} s`,
      ratio: waitMs > 0 ? `${fmtRatio(efficiency)} (wall / waits)` : 'n/a: no scenario waits on a timer yet',
      target: '<= 1.25',
      status: waitMs > 0 ? (efficiency <= 1.25 ? 'met' : 'missed') : '',
    },
  ];
  for (const r of roles) {
    rows.push({
      section: 'suite',
      figure: `  IUT ${r.role}: ${r.scenarios} scenarios`,
      value: `wall ${(r.wallMs / 1000).toFixed(2)} s`,
      reference: `waits ${(r.waitMs / 1000).toFixed(2)} s`,
      ratio: r.waitMs > 0 ? fmtRatio(r.wallMs / r.waitMs) : 'n/a',
      target: '',
      status: '',
    });
  }
  const overhead = spans.map((s) => ({ ...s, over: s.durationMs - s.waitMs })).sort((a, b) => b.over - a.over);
  const notes = [
    `suite: time outside scenarios (cucumber and step definitions load, IUT start/stop between scenarios): ${((wallMs - scenarioMs) / 1000).toFixed(2)} s of ${(wallMs / 1000).toFixed(2)} s`,
    `suite: mean overhead per scenario beyond its waits: ${count > 0 ? ((scenarioMs - waitMs) / count).toFixed(1) : 'n/a'} ms`,
    ...overhead.slice(0, 3).map((s) => `suite: largest overhead: ${s.over.toFixed(0)} ms (${s.durationMs.toFixed(0)} ms, waits ${s.waitMs.toFixed(0)} ms) in "${s.name}" (IUT ${s.role})`),
  ];
  return { rows, notes, efficiency };
}
