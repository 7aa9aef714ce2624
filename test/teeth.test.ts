import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULTS, type Fault } from '../src/peer/faults';
import { JUDGED_THROUGH } from '../src/harness/requirements';
import { EMBEDDED_ROLES } from '../src/harness/iut-config';
import type { ConnectMode } from '../src/peer/parameters';
import { describeVerdict, pool, suiteProcess, SUITE_RUN_LIMIT_MS, SUITE_TAGS, type ScenarioVerdict } from './support/suite-processes';

/**
 * The suite has teeth, and aims them: against the embedded reference peer with one deliberate
 * deviation, the clause it breaks is flagged (fail, or warn for a SHOULD-level rule), and every
 * other clause, apart from the sections judged through that clause (JUDGED_THROUGH), is neither
 * fail, warn nor inconclusive (one defect, one flagged clause: a scenario the deviation keeps
 * from judging its own clause defers to the clause that judges it). Against the correct peer
 * everything applicable passes, in each of its three roles.
 *
 * Each run is a separate process, as many at a time as there are suite slots, shared with the
 * no-false-fail test (support/suite-processes.ts, support/suite-slots.ts; SUITE_TAGS narrows
 * every run).
 */

function runSuite(faults: readonly string[], role: ConnectMode): Promise<ScenarioVerdict[]> {
  return suiteProcess([faults.length ? faults.join(',') : '-', role, 'e37', SUITE_TAGS], `${faults.join(',') || 'no fault'} (${role})`, SUITE_RUN_LIMIT_MS);
}

/** Faults only an active IUT can show. */
const ACTIVE_ONLY: ReadonlySet<Fault> = new Set<Fault>([]);
/** Faults on rules of SHOULD strength: flagged as warn rather than fail. */
const flagged = (v: string): boolean => v === 'fail' || v === 'warn';
/** What a deviation may cause on a clause it does not break: nothing. */
const spread = (v: string): boolean => v === 'fail' || v === 'warn' || v === 'inconclusive' || v === 'error';

/** The clauses a deviation of `clause` may show on: itself and the sections judged through it. */
function ownClauses(clause: string): Set<string> {
  return new Set([clause, ...Object.entries(JUDGED_THROUGH).filter(([, parts]) => parts.includes(clause)).map(([parent]) => parent)]);
}

/**
 * Deviations that fool a naive state probe together: an IUT that ignores Separate.req and also
 * accepts Select.req with status 0 while SELECTED must still fail Transition 5.
 */
const COMBINED = [
  { faults: ['separate-ignored-selected', 'reselect-status-0'] as Fault[], scenario: 'Transition 5: Separate leads back to NOT SELECTED', clause: 'E37-7.6.2' },
];

const faults = Object.keys(FAULTS) as Fault[];
const jobs: Array<{ faults: Fault[]; role: ConnectMode }> = [
  ...EMBEDDED_ROLES.map((role) => ({ faults: [], role })),
  ...faults.map((f) => ({ faults: [f], role: ACTIVE_ONLY.has(f) ? ('active' as const) : ('passive' as const) })),
  ...COMBINED.map((c) => ({ faults: c.faults, role: 'passive' as const })),
];
let all: Promise<ScenarioVerdict[][]> | null = null;
function results(): Promise<ScenarioVerdict[][]> {
  all ??= pool(jobs, (job) => runSuite(job.faults, job.role));
  return all;
}

for (const role of EMBEDDED_ROLES) {
  test(`the correct reference peer passes every applicable scenario as a ${role} IUT`, { timeout: 1_800_000 }, async () => {
    const verdicts = (await results())[jobs.findIndex((j) => j.faults.length === 0 && j.role === role)]!;
    const bad = verdicts.filter((v) => v.verdict !== 'pass' && v.verdict !== 'not-applicable').map(describeVerdict);
    assert.deepEqual(bad, []);
    assert.ok(verdicts.filter((v) => v.verdict === 'pass').length > 0, 'no scenario ran');
  });
}

for (const fault of faults) {
  const clause = FAULTS[fault].clause;
  test(`fault ${fault} (${FAULTS[fault].what}) is flagged on ${clause} and nowhere else`, { timeout: 1_800_000 }, async () => {
    const verdicts = (await results())[jobs.findIndex((j) => j.faults.length === 1 && j.faults[0] === fault)]!;
    assert.ok(
      verdicts.some((v) => v.clauses.includes(clause) && flagged(v.verdict)),
      `not flagged on ${clause}`,
    );
    const own = ownClauses(clause);
    const elsewhere = verdicts.filter((v) => spread(v.verdict) && !v.clauses.some((c) => own.has(c))).map(describeVerdict);
    assert.deepEqual(elsewhere, []);
    const errors = verdicts.filter((v) => v.verdict === 'error').map(describeVerdict);
    assert.deepEqual(errors, []);
  });
}

for (const c of COMBINED) {
  test(`faults ${c.faults.join(' + ')} together still fail "${c.scenario}"`, { timeout: 1_800_000 }, async () => {
    const verdicts = (await results())[jobs.findIndex((j) => j.faults.join() === c.faults.join())]!;
    const v = verdicts.find((r) => r.name === c.scenario);
    assert.ok(v, `no scenario "${c.scenario}"`);
    assert.equal(v.verdict, 'fail', describeVerdict(v));
    const own = new Set(c.faults.flatMap((f) => [...ownClauses(FAULTS[f].clause)]));
    assert.deepEqual(verdicts.filter((r) => spread(r.verdict) && !r.clauses.some((x) => own.has(x))).map(describeVerdict), []);
    assert.ok(v.clauses.includes(c.clause));
  });
}
