import { Given, Then, When } from '@cucumber/cucumber';
import { LiveTarget, preflight, runLiveProperty, type LiveFuzzReport, type PropertyName } from '../src/fuzz/live-properties';
import type { Finding } from '../src/fuzz/oracle';
import { otherClauseNotes, printReport } from '../src/cli/fuzz-command';
import { Failure, Inconclusive } from '../src/harness/verdict';
import type { ScenarioContext } from '../src/harness/scenario-context';
import { step } from './step';

/**
 * Thin steps over src/fuzz/live-properties.ts: `fuzzRuns` cases with the run's seed. A scenario
 * fails only on findings on its own clause; a finding on another clause is a note in its reason
 * (the scenario for that clause reports it), and the property stops generating that class of
 * input and goes on judging its own clause on the others (one defect, one flagged clause).
 */

const reports = new WeakMap<ScenarioContext, { report: LiveFuzzReport; clause: string }>();
/** What the preflight found: a note, unless it is on the scenario's own clause (judged in the Then step). */
const preflightFindings = new WeakMap<ScenarioContext, Finding[]>();

function runsFor(property: PropertyName, fuzzRuns: number): number {
  if (property === 'gaps') return Math.max(3, Math.ceil(fuzzRuns / 50));
  if (property === 'model') return Math.max(5, Math.ceil(fuzzRuns / 5));
  return Math.max(1, fuzzRuns);
}

Given('the IUT answers the checks every fuzzed case relies on', step({
  does: 'Checks that Select, Deselect and Linktest work before fuzzing.',
  checks: 'A finding on the scenario\'s own clause is judged; one on another clause becomes a note and the property skips the cases it touches.',
}, async (ctx) => {
  // A finding here does not stop the scenario: on its own clause it is judged, on another it is a
  // note, and the property stops the cases that finding touches.
  const findings = await preflight(new LiveTarget(ctx.iut));
  preflightFindings.set(ctx, findings);
}));

When('the tester fuzzes the {word} property for clause {word}', step({
  does: 'Runs the fast-check property (framing, gaps or model) against the IUT with the run\'s seed and --fuzz-runs budget, shrinking the first finding on its clause.',
}, async function (ctx, property: string, clause: string) {
  const { seed, fuzzRuns } = this.parameters;
  const p = property as PropertyName;
  const report = await runLiveProperty(new LiveTarget(ctx.iut), { property: p, runs: runsFor(p, fuzzRuns), seed, clauses: [clause] });
  reports.set(ctx, { report, clause });
  ctx.trace.blockedMs += report.blockedMs ?? 0;
  ctx.recorder.measure(`fuzz ${p}: ${report.casesRun} cases, seed ${seed}, case sequence ${report.caseDigest}`);
}));

Then('the fuzzer finds nothing', step({
  does: 'Reads the fuzz run\'s result and prints any failure with its replay command.',
  checks: 'No finding on the scenario\'s clause: a MUST finding fails, a SHOULD finding is WARN; a finding on another clause is a note in the reason (one defect, one flagged clause).',
}, async (ctx) => {
  const r = reports.get(ctx);
  if (!r) throw new Inconclusive('no fuzz run');
  const { report } = r;
  const pre = preflightFindings.get(ctx) ?? [];
  const own = pre.filter((f) => f.clause === r.clause);
  if (pre.length > own.length) ctx.recorder.measure(`note: before fuzzing, ${pre.filter((f) => f.clause !== r.clause).map((f) => `${f.clause}: ${f.message}`).join('; ')}`);
  if (own.some((f) => f.severity === 'fail')) throw new Failure(`before fuzzing: ${own.map((f) => `${f.clause}: ${f.message}`).join('; ')}`);
  for (const f of own) ctx.recorder.add('warn', `before fuzzing: ${f.clause}: ${f.message}`);
  const text = printReport(report, `hsms-conformance fuzz${ctx.iut.config.control === 'embedded' ? '' : ' --profile FILE'}`);
  for (const line of text.split('\n')) if (line) ctx.trace.event('fuzz', line);
  if (report.failure) {
    const fails = report.failure.findings.filter((f) => f.severity === 'fail');
    const summary = report.failure.findings.map((f) => `${f.clause}: ${f.message}`).join('; ');
    const replay = `replay: hsms-conformance fuzz --replay ${report.failure.token}`;
    if (fails.length > 0) throw new Failure(`${summary} (minimal input: ${report.failure.input.split('\n').filter((l) => /^(mutation|bytes|commands)/.test(l)).join(', ')}; ${replay})`);
    ctx.recorder.add('warn', `${summary} (${replay})`);
    return;
  }
  for (const n of otherClauseNotes(report)) ctx.recorder.measure(`note: outside ${r.clause}: ${n}`);
  if (report.skipped > 0) ctx.recorder.measure(`${report.skipped} of ${report.casesRun} cases skipped for those notes`);
  for (const u of report.unconfirmed) ctx.recorder.measure(`note: not confirmed on a fresh connection, so not counted: ${u}`);
}));
