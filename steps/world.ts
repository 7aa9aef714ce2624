import { After, AfterAll, Before, BeforeAll, BeforeStep, setDefaultTimeout, setWorldConstructor, World, type IWorldOptions } from '@cucumber/cucumber';
import { IutSession } from '../src/harness/iut';
import type { IutConfig } from '../src/harness/iut-config';
import { applicability } from '../src/harness/applicability';
import { ScenarioContext } from '../src/harness/scenario-context';
import { allureScenarioMessage, ALLURE_DIRECT_HOOK, ALLURE_MESSAGE_TYPE } from '../src/report/allure';
import { pcapAddresses, writeEvidence } from '../src/report/evidence';
import { boundText, foldLongLines, REASON_LIMIT } from '../src/report/line-limits';
import { NOT_RUN_UNREACHABLE } from '../src/harness/stopped-run';
import { INTERRUPTED, IutUnreachable, VERDICT_MEDIA_TYPE, VerdictSignal, type Verdict, type VerdictRecord } from '../src/harness/verdict';
import type { UserRequirement } from '../src/harness/user-requirements';
import { workerIndex, workerIutConfig } from '../src/harness/parallel-workers';
import { flagRaised, INTERRUPT_NOTICE, raiseFlag } from '../src/harness/run-flags';

/** World parameters the runner passes (plain JSON). */
export interface SuiteParameters {
  readonly iut: IutConfig;
  readonly seed: number;
  readonly fuzzRuns: number;
  /** Where the run writes reports; each scenario's pcap and decoded trace go to its traces/. */
  readonly reportDir?: string;
  /** The user's own requirements (`run --requirements`), for the clause labels of their scenarios. */
  readonly userRequirements?: readonly UserRequirement[];
  /** A parallel run's folder of flags (run-flags.ts): the run stopped or was interrupted, whichever worker saw it. */
  readonly runFlags?: string;
}

// Every harness wait is bounded by the profile's timers; this is only the outer safety net.
setDefaultTimeout(180_000);

let session: IutSession | null = null;
let sessionKey = '';

let interrupted = false;

/**
 * Ctrl-C ends the run cleanly: the scenario under way finishes (its waits are bounded), the rest
 * are reported as not run, the IUT is stopped and the reports are written. A second Ctrl-C
 * leaves at once (a launched IUT is still killed, see IutProcess).
 */
function onInterrupt(): void {
  if (interrupted) process.exit(130);
  interrupted = true;
  // In a parallel run the coordinating process says it, once for all its workers.
  if (workerIndex() === null) process.stderr.write(INTERRUPT_NOTICE);
}

BeforeAll(function () {
  process.on('SIGINT', onInterrupt);
});

/** The IUT this process certifies: in a parallel run, the worker's own instance (parallel-workers.ts). */
function iutSession(config: IutConfig): IutSession {
  const key = JSON.stringify(config);
  if (!session || key !== sessionKey) {
    session = new IutSession(workerIutConfig(config, workerIndex()));
    sessionKey = key;
  }
  return session;
}

/** The cucumber world of a scenario: `this` in step bodies and hooks; `ctx` is its ScenarioContext. */
export class HsmsWorld extends World<SuiteParameters> {
  ctx!: ScenarioContext;
  /** Gherkin keyword type of the step running: failures in a Given are inconclusive (precondition). */
  stepType = 'Unknown';
  skippedReason: string | null = null;
  /** The scenario was not run (interrupted, or the run stopped): no IUT, no evidence, one short reason. */
  notRun = false;
  /** Set by the verdict hook for the reporting hook that runs after it. */
  evidence: { record: VerdictRecord; pcap: Buffer | null } | null = null;

  constructor(options: IWorldOptions<SuiteParameters>) {
    super(options);
  }
}

setWorldConstructor(HsmsWorld);

Before(async function (this: HsmsWorld, { pickle }) {
  const iut = iutSession(this.parameters.iut);
  this.ctx = new ScenarioContext(iut, pickle.tags.map((t) => t.name));
  const flags = this.parameters.runFlags;
  if (interrupted || (flags !== undefined && flagRaised(flags, 'interrupted'))) {
    this.ctx.recorder.add('inconclusive', INTERRUPTED);
    this.notRun = true;
    return 'skipped';
  }
  const tags = pickle.tags.map((t) => t.name);
  const notApplicable = applicability(tags, this.parameters.iut);
  if (notApplicable) {
    this.ctx.recorder.add('not-applicable', notApplicable);
    return 'skipped';
  }
  if (iut.gaveUp || (flags !== undefined && flagRaised(flags, 'stopped'))) {
    this.ctx.recorder.add('inconclusive', NOT_RUN_UNREACHABLE);
    this.notRun = true;
    return 'skipped';
  }
  try {
    await iut.beforeScenario(tags);
  } catch (err) {
    if (err instanceof VerdictSignal) {
      this.ctx.recorder.add(err.verdict, err.reason);
      this.ctx.recorder.unreachable = err instanceof IutUnreachable;
      return 'skipped';
    }
    throw err;
  }
  return undefined;
});

BeforeStep(function (this: HsmsWorld, { pickleStep }) {
  this.stepType = pickleStep.type ?? 'Unknown';
});

// Reporting (runs after the verdict hook below: cucumber runs After hooks in reverse order).
// Named so that allure-cucumberjs puts what it attaches on the test result, not a tear-down.
After({ name: ALLURE_DIRECT_HOOK }, function (this: HsmsWorld, { pickle, gherkinDocument }) {
  const ev = this.evidence;
  if (!ev) return;
  const p = this.parameters;
  this.attach(
    allureScenarioMessage({
      tags: pickle.tags.map((t) => t.name),
      featureTags: gherkinDocument.feature?.tags.map((t) => t.name) ?? [],
      iut: p.iut.name,
      role: p.iut.role,
      profile: p.iut.profileSummary,
      seed: p.seed,
      verdict: ev.record.verdict,
      reason: ev.record.reason,
      ...(p.userRequirements ? { userRequirements: p.userRequirements } : {}),
    }),
    ALLURE_MESSAGE_TYPE,
  );
  // A scenario that did not run has no traffic and no IUT output of its own to show.
  if (this.notRun) return;
  this.attach(foldLongLines(ev.record.trace || '(no traffic)'), { mediaType: 'text/plain', fileName: 'wire-trace.txt' });
  if (ev.pcap) this.attach(ev.pcap, { mediaType: 'application/vnd.tcpdump.pcap', fileName: 'wire-trace.pcap' });
  const output = this.ctx.iut.output();
  if (output) this.attach(foldLongLines(output.slice(-65536)), { mediaType: 'text/plain', fileName: 'iut-output.txt' });
});

After(async function (this: HsmsWorld, { pickle }) {
  const ctx = this.ctx;
  const stopProblem = await ctx.iut.afterScenario();
  if (stopProblem) {
    ctx.trace.event('iut', `stopping the IUT: ${stopProblem}`);
    ctx.recorder.measure(`stopping the IUT: ${stopProblem}`);
  }
  // Checked, not assumed: nothing the scenario opened may outlive it.
  const leak = await ctx.iut.checkResources();
  if (leak) ctx.recorder.add('error', `harness resource leak: ${leak}`);
  if (!this.notRun && ctx.recorder.verdict !== 'not-applicable') ctx.iut.noteReachability(ctx.recorder.unreachable);
  // One worker's IUT out of reach stops the whole run, as it would a serial one.
  if (ctx.iut.gaveUp && this.parameters.runFlags !== undefined) raiseFlag(this.parameters.runFlags, 'stopped');
  const exit = ctx.iut.processExit;
  if (exit) ctx.trace.event('iut', `the launched IUT ${exit}`);
  const { verdict, reason } = finalVerdict(ctx);
  const rendered = ctx.trace.render();
  const reportDir = this.parameters.reportDir;
  const evidence =
    reportDir && !this.notRun ? writeEvidence({ reportDir, uri: pickle.uri, scenario: pickle.name, role: this.parameters.iut.role, addresses: pcapAddresses(this.parameters.iut), trace: ctx.trace, rendered, verdict, reason }) : null;
  const record: VerdictRecord = {
    verdict,
    reason,
    findings: ctx.recorder.findings,
    measurements: ctx.recorder.measurements,
    unreachable: ctx.recorder.unreachable,
    judgedUnder: ctx.recorder.judgedUnder,
    trace: rendered,
    unavoidableWaitMs: ctx.unavoidableWaitMs,
    ...(evidence ? { traceFile: evidence.file } : {}),
  };
  this.attach(JSON.stringify(record), VERDICT_MEDIA_TYPE);
  this.evidence = { record, pcap: evidence?.pcap ?? null };
});

/**
 * The scenario's verdict and its reason, bounded for the reports. A launcher that answered a
 * command with "cannot ..." makes the scenario not applicable whatever followed on the wire
 * (E37 obliges no entity to initiate every procedure); a harness error still stands.
 */
function finalVerdict(ctx: ScenarioContext): { verdict: Verdict; reason: string } {
  const refusal = ctx.iut.commandRefusal;
  if (refusal && ctx.recorder.verdict !== 'error') return { verdict: 'not-applicable', reason: boundText(refusal, REASON_LIMIT) };
  return { verdict: ctx.recorder.verdict, reason: boundText(ctx.recorder.reason, REASON_LIMIT) };
}

AfterAll(async function () {
  process.removeListener('SIGINT', onInterrupt);
  await session?.shutdown();
  session = null;
});
