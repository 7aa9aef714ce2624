import { Given, Then, When } from '@cucumber/cucumber';
import { LiveTarget, preflight, runLiveProperty, type LiveFuzzReport, type PropertyName } from '../src/fuzz/live-properties';
import { printReport } from '../src/cli/fuzz-command';
import { Failure, Inconclusive } from '../src/harness/verdict';
import type { ScenarioContext } from '../src/harness/scenario-context';
import { step } from './step';

/**
 * Thin steps over src/fuzz/live-properties.ts: `fuzzRuns` cases with the run's seed. A scenario
 * fails only on findings on its own clause; a finding on another clause stops the run and leaves
 * the scenario inconclusive (the scenario for that clause reports it).
 */

const reports = new WeakMap<ScenarioContext, { report: LiveFuzzReport; clause: string }>();

function runsFor(property: PropertyName, fuzzRuns: number): number {
  if (property === 'gaps') return Math.max(3, Math.ceil(fuzzRuns / 50));
  if (property === 'model') return Math.max(5, Math.ceil(fuzzRuns / 5));
  return Math.max(1, fuzzRuns);
}

Given('the IUT answers the checks every fuzzed case relies on', step({
  does: 'Checks that Select, Deselect and Linktest work before fuzzing.',
  checks: 'A precondition: they work; inconclusive otherwise.',
}, async (ctx) => {
  const findings = await preflight(new LiveTarget(ctx.iut));
  if (findings.length > 0) throw new Inconclusive(`fuzzing needs Select, Deselect and Linktest to work: ${findings.map((f) => `${f.clause}: ${f.message}`).join('; ')}`);
}));

When('the tester fuzzes the {word} property for clause {word}', step({
  does: 'Runs the fast-check property (framing, gaps or model) against the IUT with the run\'s seed and --fuzz-runs budget, stopping at the first finding.',
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
  checks: 'No finding on the scenario\'s clause: a MUST finding fails, a SHOULD finding is WARN, a finding on another clause leaves it inconclusive.',
}, async (ctx) => {
  const r = reports.get(ctx);
  if (!r) throw new Inconclusive('no fuzz run');
  const { report } = r;
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
  if (report.outOfScope) throw new Inconclusive(`the fuzzer stopped on a finding outside ${r.clause}: ${report.outOfScope.findings.map((f) => `${f.clause}: ${f.message}`).join('; ')}`);
}));
