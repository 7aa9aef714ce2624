import { EMBEDDED_ROLES, embeddedConfig } from '../src/harness/iut-config';
import { runSuite, type ScenarioResult } from '../src/harness/suite-runner';
import { fmtRatio, type Row } from './util';

/**
 * Suite efficiency: wall time of the default self-certification (the embedded reference peer in
 * its three roles, E37) divided by the time its scenarios cannot avoid waiting, per role (each
 * role is one `runSuite`, timed from its start to its end) and for the three together.
 *
 * The unavoidable wait is recorded by the harness itself (ScenarioContext.unavoidableWaitMs):
 * the time spent in waits that end on a timer, not on traffic. That is a close the verdict
 * waits for (T7, T8, ... due at a fixed time after the connect), a period of silence or of
 * staying open that the check must observe for its bounded time, a deliberate pause of the
 * scenario ("the tester waits", a gap between the pieces of a message), and the fuzz cases'
 * pauses beyond T8. Each is counted for the time actually spent, at most its budget, so a wait
 * that ends early counts only what it took. A wait a frame ends (a response, a reply) is the
 * IUT's response time, and everything else (connecting, cucumber, the IUT's start and stop, the
 * harness's own checks after a scenario) is overhead.
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

const TARGET = 1.25;
/** How many scenarios the bench lists by overhead beyond their waits. */
const LISTED = 10;

function efficiencyRow(figure: string, wallMs: number, waitMs: number): Row {
  const ratio = waitMs > 0 ? wallMs / waitMs : Infinity;
  return {
    section: 'suite',
    figure,
    value: `wall ${(wallMs / 1000).toFixed(2)} s`,
    reference: `unavoidable timer waits ${(waitMs / 1000).toFixed(2)} s`,
    ratio: waitMs > 0 ? `${fmtRatio(ratio)} (wall / waits)` : 'n/a: no scenario waits on a timer',
    target: `<= ${TARGET}`,
    status: waitMs > 0 ? (ratio <= TARGET ? 'met' : 'missed') : '',
  };
}

export async function benchSuite(seed: number): Promise<SuiteFigures> {
  const spans: Span[] = [];
  const roles: Array<{ role: string; wallMs: number; waitMs: number; scenarioMs: number; scenarios: number; ran: number }> = [];
  for (const role of EMBEDDED_ROLES) {
    const start = performance.now();
    const { results } = await runSuite({
      iut: embeddedConfig(role, 'e37'),
      seed,
      fuzzRuns: 100,
      onScenario: (r: ScenarioResult) => spans.push({ name: r.name, role: r.role, durationMs: r.durationMs, waitMs: r.unavoidableWaitMs }),
    });
    roles.push({
      role,
      wallMs: performance.now() - start,
      waitMs: results.reduce((a, r) => a + r.unavoidableWaitMs, 0),
      scenarioMs: results.reduce((a, r) => a + r.durationMs, 0),
      scenarios: results.length,
      ran: results.filter((r) => r.verdict !== 'not-applicable').length,
    });
  }
  const wallMs = roles.reduce((a, r) => a + r.wallMs, 0);
  const waitMs = roles.reduce((a, r) => a + r.waitMs, 0);
  const rows: Row[] = [
    efficiencyRow(`default self-certification, ${roles.map((r) => r.role).join(' + ')} (E37)`, wallMs, waitMs),
    ...roles.map((r) => efficiencyRow(`  IUT ${r.role}: ${r.ran} of ${r.scenarios} scenarios applicable`, r.wallMs, r.waitMs)),
  ];
  const overhead = spans.map((s) => ({ ...s, over: s.durationMs - s.waitMs })).sort((a, b) => b.over - a.over);
  const notes = [
    ...roles.map(
      (r) =>
        `suite: IUT ${r.role}: ${((r.wallMs - r.scenarioMs) / 1000).toFixed(2)} s outside scenarios (cucumber, IUT start and stop between scenarios), ` +
        `${((r.scenarioMs - r.waitMs) / 1000).toFixed(2)} s in scenarios beyond their waits (${r.ran > 0 ? ((r.scenarioMs - r.waitMs) / r.ran).toFixed(1) : 'n/a'} ms per applicable scenario)`,
    ),
    `suite: the ${LISTED} scenarios with the largest overhead beyond their waits (duration - waits):`,
    ...overhead.slice(0, LISTED).map((s, i) => `suite: ${String(i + 1).padStart(2)}. ${s.over.toFixed(0).padStart(5)} ms (${s.durationMs.toFixed(0)} ms, waits ${s.waitMs.toFixed(0)} ms) "${s.name}" (IUT ${s.role})`),
  ];
  return { rows, notes, efficiency: waitMs > 0 ? wallMs / waitMs : Infinity };
}
