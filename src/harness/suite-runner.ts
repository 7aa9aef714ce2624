import * as fs from 'node:fs';
import * as os from 'node:os';
import { Writable } from 'node:stream';
import * as path from 'node:path';
import { loadConfiguration, loadSupport, runCucumber, type IRunConfiguration, type IRunEnvironment } from '@cucumber/cucumber/api';
import type { Envelope, Pickle } from '@cucumber/messages';
import { scenarioClauses, strengthOfTags } from './clause-tags';
import type { IutConfig } from './iut-config';
import { builtInSupportFiles, TYPESCRIPT_STEPS_ENV, typeScriptStepsHook, userSupport } from './step-files';
import { parallelRefusal } from './parallel-workers';
import { INTERRUPT_NOTICE, raiseFlag } from './run-flags';
import { EMPTY_CATALOGUE, type UserCatalogue } from './user-requirements';
import { resolveJudgedElsewhere } from './judged-elsewhere';
import { VERDICT_MEDIA_TYPE, type Verdict, type VerdictRecord } from './verdict';

/**
 * Runs the Gherkin suite through cucumber's API, in this process or on `parallel` worker
 * processes of cucumber's own parallel mode (parallel-workers.ts), and turns its messages into
 * one result per scenario, in the order a serial run has them. The step definitions receive the
 * IUT as world parameters.
 *
 * Cucumber is configured here, never from a configuration file, and runs with the package root
 * as its working directory: the caller's cucumber configuration, tsconfig.json and working
 * directory play no part (step-files.ts says how step files load).
 */

export interface ScenarioResult {
  readonly id: string;
  readonly name: string;
  readonly feature: string;
  readonly uri: string;
  readonly tags: readonly string[];
  /** Clause ids the scenario is tagged with (`@E37-7.6.2` -> `E37-7.6.2`, and the user's own ids). */
  readonly clauses: readonly string[];
  readonly strength: 'MUST' | 'SHOULD' | 'MAY' | null;
  /** The IUT role of the run that produced it. */
  readonly role: string;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly measurements: readonly string[];
  readonly unreachable: boolean;
  /** Clauses a not-applicable verdict defers to (judged-elsewhere.ts); empty otherwise. */
  readonly judgedUnder?: readonly string[];
  readonly trace: string;
  /** The scenario's pcap relative to the report folder ('traces/<slug>.pcap'), '' when none was written. */
  readonly traceFile: string;
  /** Time spent in waits the scenario cannot avoid (the suite-efficiency benchmark sums these). */
  readonly unavoidableWaitMs: number;
  readonly durationMs: number;
  /** In a parallel run, the worker (0-based) that ran the scenario. */
  readonly worker?: number;
}

/** A user's own scenarios and step definitions (`run --features ... --require ...`). */
export interface UserSuite {
  /** Feature files or folders, absolute. */
  readonly features: readonly string[];
  /** Step definition files, absolute. */
  readonly support: readonly string[];
  /** Run only these features, not the built-in E37 ones. */
  readonly only: boolean;
  /** The clauses their scenarios are tagged with. */
  readonly catalogue: UserCatalogue;
}

export interface SuiteRunOptions {
  readonly iut: IutConfig;
  readonly seed: number;
  readonly fuzzRuns: number;
  /** Report folder: scenarios write their pcap and decoded trace to its traces/. */
  readonly reportDir?: string;
  readonly tags?: string;
  /** The user's own features and steps, run with (or instead of) the built-in ones. */
  readonly user?: UserSuite;
  /** Cucumber messages are written here (ndjson) when given. */
  readonly messagesFile?: string;
  /** Extra cucumber formatters, e.g. allure. */
  readonly formats?: ReadonlyArray<string | [string, string]>;
  readonly formatOptions?: Record<string, unknown>;
  /** Called as each scenario finishes (in a parallel run, in the order they finish). */
  readonly onScenario?: (r: ScenarioResult) => void;
  /** Worker processes (cucumber's parallel mode); 0 or 1 runs the scenarios in this process. */
  readonly parallel?: number;
}

/** An IUT that several workers cannot certify at once (parallel-workers.ts): a usage error. */
export class ParallelRefusal extends Error {
  override readonly name = 'ParallelRefusal';
}

/** The package root: the folder holding this package's package.json, features/ and bin/. */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && fs.existsSync(path.join(dir, 'features'))) {
      const name = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name;
      if (name === 'hsms-conformance') return dir;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the hsms-conformance package root above ${__dirname}`);
    dir = up;
  }
}

/** The built-in E37 features. */
function builtInFeatures(): string {
  return path.join(projectRoot(), 'features');
}

/** The environment cucumber runs in: the package root, its own formatter output discarded. */
export function cucumberEnvironment(): IRunEnvironment {
  // Cucumber always writes a formatter to stdout; ours prints its own progress lines instead.
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  return { cwd: projectRoot(), stdout: quiet, stderr: process.stderr, env: process.env };
}

/** Cucumber's run configuration for the built-in and the user's features and steps. */
export async function suiteConfiguration(
  options: Pick<SuiteRunOptions, 'tags' | 'user' | 'formats' | 'formatOptions' | 'messagesFile' | 'parallel'> & { readonly worldParameters?: Record<string, unknown> },
): Promise<IRunConfiguration> {
  const user = options.user;
  const support = userSupport(user?.support ?? []);
  const format: Array<string | [string, string]> = [];
  if (options.messagesFile) format.push(['message', options.messagesFile]);
  for (const f of options.formats ?? []) format.push(typeof f === 'string' ? f : [f[0], f[1]]);
  const paths = [...(user?.only ? [] : [builtInFeatures()]), ...(user?.features ?? [])];
  const { runConfiguration } = await loadConfiguration(
    {
      file: false,
      provided: {
        paths,
        require: [...builtInSupportFiles(), ...support.requirePaths],
        // A worker process loads the step files itself: it registers TypeScript for them first.
        requireModule: support.requirePaths.length > 0 ? [typeScriptStepsHook()] : [],
        import: [...support.importPaths],
        format,
        formatOptions: { ...(options.formatOptions ?? {}) } as never,
        tags: options.tags ?? '',
        worldParameters: (options.worldParameters ?? {}) as never,
        parallel: workersOf(options),
      },
    },
    cucumberEnvironment(),
  );
  return runConfiguration;
}

/** Cucumber's `parallel`: 0 runs in this process; one worker process would only add its start-up. */
function workersOf(options: Pick<SuiteRunOptions, 'parallel'>): number {
  const n = options.parallel ?? 0;
  return n > 1 ? n : 0;
}

export async function runSuite(options: SuiteRunOptions): Promise<{ results: ScenarioResult[]; cucumberSuccess: boolean }> {
  const workers = workersOf(options);
  const refusal = parallelRefusal(options.iut, workers);
  if (refusal) throw new ParallelRefusal(refusal);
  const catalogue = options.user?.catalogue ?? EMPTY_CATALOGUE;
  // The workers of a parallel run share the run's stop and interrupt through this folder.
  const runFlags = workers > 0 ? fs.mkdtempSync(path.join(os.tmpdir(), 'hsms-conformance-run-')) : null;
  const onInterrupt = runFlags ? coordinatorInterrupt(runFlags) : null;
  try {
    const runConfiguration = await suiteConfiguration({
      ...options,
      worldParameters: {
        iut: options.iut,
        seed: options.seed,
        fuzzRuns: options.fuzzRuns,
        userRequirements: catalogue.requirements,
        ...(options.reportDir ? { reportDir: options.reportDir } : {}),
        ...(runFlags ? { runFlags } : {}),
      },
    });
    const environment = cucumberEnvironment();
    const typeScriptSteps = userSupport(options.user?.support ?? []).requirePaths;
    if (typeScriptSteps.length > 0) environment.env = { ...environment.env, [TYPESCRIPT_STEPS_ENV]: JSON.stringify(typeScriptSteps) };
    const support = await cachedSupport(runConfiguration, environment);
    const collector = new ResultCollector(options.iut.role, new Set(catalogue.requirements.map((r) => r.id)), options.onScenario);
    if (onInterrupt) process.on('SIGINT', onInterrupt);
    const { success } = await runCucumber({ ...runConfiguration, support }, environment, (e) => collector.add(e));
    return { results: resolveJudgedElsewhere(collector.inRunOrder()), cucumberSuccess: success };
  } finally {
    if (onInterrupt) process.removeListener('SIGINT', onInterrupt);
    if (runFlags) fs.rmSync(runFlags, { recursive: true, force: true });
  }
}

/**
 * Ctrl-C in a parallel run: the workers finish their scenarios and report the rest as not run
 * (steps/world.ts), this process waits for them and the reports are written; a second Ctrl-C
 * leaves at once. The flag reaches workers the signal did not (a SIGINT sent to this process only).
 */
function coordinatorInterrupt(runFlags: string): () => void {
  let interrupted = false;
  return () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    raiseFlag(runFlags, 'interrupted');
    process.stderr.write(INTERRUPT_NOTICE);
  };
}

type SupportLibrary = Awaited<ReturnType<typeof loadSupport>>;
const supportCache = new Map<string, SupportLibrary>();

/**
 * Step definitions load once per process and set of files; later runs (the second role, the
 * teeth test) reuse them. Node caches the modules, so loading them again would find no steps.
 */
export async function cachedSupport(runConfiguration: IRunConfiguration, environment: IRunEnvironment = cucumberEnvironment()): Promise<SupportLibrary> {
  const key = JSON.stringify(runConfiguration.support);
  let library = supportCache.get(key);
  if (!library) {
    library = await loadSupport(runConfiguration, environment);
    supportCache.set(key, library);
  }
  return library;
}

class ResultCollector {
  private readonly results: Array<{ readonly result: ScenarioResult; readonly order: number }> = [];
  private readonly pickles = new Map<string, Pickle>();
  /** Pickles in the order cucumber compiled them, which is the order a serial run runs them in. */
  private readonly pickleOrder = new Map<string, number>();
  private readonly featureNames = new Map<string, string>();
  private readonly featureTags = new Map<string, readonly string[]>();
  private readonly testCasePickle = new Map<string, string>();
  private readonly started = new Map<string, { testCaseId: string; at: number; worker?: number }>();
  private readonly records = new Map<string, VerdictRecord>();
  private readonly stepProblems = new Map<string, string[]>();
  private readonly finishedTestCases = new Set<string>();

  constructor(
    private readonly role: string,
    private readonly userClauses: ReadonlySet<string>,
    private readonly onScenario?: (r: ScenarioResult) => void,
  ) {}

  add(e: Envelope): void {
    if (e.gherkinDocument?.feature && e.gherkinDocument.uri) {
      this.featureNames.set(e.gherkinDocument.uri, e.gherkinDocument.feature.name);
      this.featureTags.set(e.gherkinDocument.uri, e.gherkinDocument.feature.tags.map((t) => t.name));
    }
    if (e.pickle) {
      this.pickles.set(e.pickle.id, e.pickle);
      this.pickleOrder.set(e.pickle.id, this.pickleOrder.size);
    }
    if (e.testCase) this.testCasePickle.set(e.testCase.id, e.testCase.pickleId);
    if (e.testCaseStarted) {
      const { id, testCaseId, workerId } = e.testCaseStarted;
      this.started.set(id, { testCaseId, at: performance.now(), ...(workerId !== undefined ? { worker: Number(workerId) } : {}) });
    }
    if (e.attachment?.testCaseStartedId && e.attachment.mediaType === VERDICT_MEDIA_TYPE) {
      this.records.set(e.attachment.testCaseStartedId, JSON.parse(e.attachment.body) as VerdictRecord);
    }
    if (e.testStepFinished) {
      const r = e.testStepFinished.testStepResult;
      if (r.status === 'UNDEFINED' || r.status === 'AMBIGUOUS' || (r.status === 'FAILED' && !r.message?.startsWith('FAIL'))) {
        const list = this.stepProblems.get(e.testStepFinished.testCaseStartedId) ?? [];
        list.push(`${r.status}${r.message ? `: ${r.message.split('\n')[0]}` : ''}`);
        this.stepProblems.set(e.testStepFinished.testCaseStartedId, list);
      }
    }
    if (e.testCaseFinished) this.finish(e.testCaseFinished.testCaseStartedId);
  }

  private finish(startedId: string): void {
    const s = this.started.get(startedId);
    if (!s) return;
    const pickle = this.pickles.get(this.testCasePickle.get(s.testCaseId) ?? '');
    if (!pickle) return;
    this.finishedTestCases.add(s.testCaseId);
    const record = this.records.get(startedId);
    const problems = this.stepProblems.get(startedId) ?? [];
    let verdict: Verdict = record?.verdict ?? 'error';
    let reason = record?.reason ?? 'the scenario ended without a verdict';
    if (problems.length > 0 && verdict !== 'fail') {
      // Undefined steps, ambiguous steps and exceptions are the harness's own faults.
      verdict = 'error';
      reason = `harness error: ${problems.join('; ')}`;
    }
    this.report(pickle, verdict, reason, record, performance.now() - s.at, s.worker);
  }

  private report(pickle: Pickle, verdict: Verdict, reason: string, record: VerdictRecord | undefined, durationMs: number, worker: number | undefined): void {
    const tags = pickle.tags.map((t) => t.name);
    const result: ScenarioResult = {
      id: `${pickle.uri}:${pickle.name}`,
      name: pickle.name,
      feature: this.featureNames.get(pickle.uri) ?? pickle.uri,
      uri: pickle.uri,
      tags,
      clauses: scenarioClauses(tags, this.featureTags.get(pickle.uri) ?? [], this.userClauses),
      strength: strengthOfTags(tags),
      role: this.role,
      verdict,
      reason,
      measurements: record?.measurements ?? [],
      unreachable: record?.unreachable ?? false,
      judgedUnder: record?.judgedUnder ?? [],
      trace: record?.trace ?? '',
      traceFile: record?.traceFile ?? '',
      unavoidableWaitMs: record?.unavoidableWaitMs ?? 0,
      durationMs,
      ...(worker !== undefined ? { worker } : {}),
    };
    this.results.push({ result, order: this.pickleOrder.get(pickle.id) ?? this.pickleOrder.size });
    this.onScenario?.(result);
  }

  /**
   * The results in the order a serial run has them, whatever order the workers finished them in.
   * A scenario cucumber planned that never finished (its worker process died) is a harness error,
   * never a gap in the reports.
   */
  inRunOrder(): ScenarioResult[] {
    for (const [testCaseId, pickleId] of this.testCasePickle) {
      const pickle = this.pickles.get(pickleId);
      if (this.finishedTestCases.has(testCaseId) || !pickle) continue;
      this.finishedTestCases.add(testCaseId);
      const started = [...this.started.values()].find((s) => s.testCaseId === testCaseId);
      const where = started?.worker !== undefined ? `its worker process (${started.worker})` : 'the run';
      this.report(pickle, 'error', `harness error: the scenario never finished: ${where} ended before it reported a verdict`, undefined, 0, started?.worker);
    }
    return [...this.results].sort((a, b) => a.order - b.order).map((r) => r.result);
  }
}
