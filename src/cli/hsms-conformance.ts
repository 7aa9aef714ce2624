import * as fs from 'node:fs';
import * as path from 'node:path';
import { configFromProfile, EMBEDDED_ROLES, embeddedConfig, type IutConfig } from '../harness/iut-config';
import { loadProfile, ProfileError } from '../harness/profile';
import { projectRoot, runSuite, type ScenarioResult, type UserSuite } from '../harness/suite-runner';
import { parallelRefusal } from '../harness/parallel-workers';
import { checkUserFeatures } from '../harness/user-feature-check';
import { StepFileError } from '../harness/step-files';
import { INTERRUPTED, isFailing } from '../harness/verdict';
import { describeStoppedRun, NOT_RUN_UNREACHABLE, stoppedRun } from '../harness/stopped-run';
import { buildCompliance, type ComplianceReport } from '../report/compliance';
import { buildJunit } from '../report/junit';
import { finalizeAllureResults, generateAllureReport, writeAllureExtras } from '../report/allure';
import { BaselineError, compareBaseline, describeBaseline, isCovered, parseBaseline, type BaselineEntry } from '../report/baseline';
import { renderComplianceHtml, renderComplianceMarkdown } from '../report/compliance-html';
import { TRACES_DIR } from '../report/evidence';
import { FleetInputError, writeFleet, type FleetReport } from '../report/fleet-report';
import { choiceOption, numberOption, parseArgs, UsageError } from './args';
import { runAnalyzeCommand } from './analyze-command';
import { runFuzzCommand } from './fuzz-command';
import { runInitCommand } from './init-command';
import { runStepsCommand } from './steps-command';
import { USER_SUITE_SPEC, USER_SUITE_USAGE, userSuiteFrom } from './user-suite-options';
import { runMonitorCommand } from './monitor-command';

const USAGE = `usage: hsms-conformance [run] [--profile FILE] [--tags EXPR] [--report-dir reports]
                        [--seed N] [--fuzz-runs N] [--strict] [--standard e37|hsms-ss]
                        [--baseline FILE] [--parallel N] [--features DIR|FILE ...]
                        [--require FILE ...] [--requirements FILE ...] [--only-user-features]
       hsms-conformance report [--report-dir reports]
       hsms-conformance report --merge DIR... [--report-dir reports]
       hsms-conformance fuzz [--profile FILE] [--runs N] [--seed S] [--replay TOKEN]
       hsms-conformance init [--role passive|active|alternating] [--standard e37|hsms-ss] [--out FILE] [--force]
       hsms-conformance steps [--require FILE ...] [--json]
       hsms-conformance analyze FILE... [--port P]... [--profile FILE]... [--report-dir DIR]
       hsms-conformance monitor --listen HOST:PORT --upstream HOST:PORT [--pcap FILE]
                        [--report-dir DIR] [--report-every MIN] [--profile FILE]...
  Without --profile the embedded reference peer is certified as a passive, an active and an
  alternating IUT (--standard chooses which rules it follows). --baseline names known failures (one clause id or
  'scenario: NAME' per line, each with a '# why' comment): they do not fail the run, a known
  failure that now passes (stale entry) does. 'report' rebuilds compliance.html, compliance.md
  and the Allure HTML report from a finished run's compliance.json and allure-results/;
  'report --merge' combines several runs' compliance.json into fleet.json, fleet.html and
  fleet.md (one row per IUT).
  --parallel N runs the scenarios on N worker processes, each with its own IUT: the embedded
  peer on ports of its own; a launched IUT started by every worker, worker k (0-based) on the
  profile's port + k (HSMS_PORT and HSMS_WORKER tell the command). An IUT at a fixed address
  (no launch) is refused unless it is passive and declares capabilities.multipleConnections;
  control: manual is refused with any IUT.
${USER_SUITE_USAGE}
  'analyze' judges E37 from pcap/pcapng captures, 'monitor' live on a relayed link, both
  entities at once ('analyze --help', 'monitor --help').
  Exit codes: 0 pass, 1 failure, 2 usage or profile error, 3 IUT unreachable or harness error.`;

const SPEC = {
  profile: 'string',
  tags: 'string',
  'report-dir': 'string',
  seed: 'string',
  'fuzz-runs': 'string',
  strict: 'boolean',
  standard: 'string',
  baseline: 'string',
  parallel: 'string',
  help: 'boolean',
  ...USER_SUITE_SPEC,
} as const;

const REPORT_SPEC = { 'report-dir': 'string', merge: 'boolean', help: 'boolean' } as const;

interface RunOptions {
  readonly profilePath: string | undefined;
  readonly tags: string | undefined;
  readonly reportDir: string;
  readonly seed: number;
  readonly fuzzRuns: number;
  readonly strict: boolean;
  readonly standard: 'e37' | 'hsms-ss';
  readonly baselinePath: string | undefined;
  readonly baseline: BaselineEntry[] | null;
  /** The user's own features, steps and requirements (--features, --require, --requirements). */
  readonly user: UserSuite | undefined;
  /** Worker processes (--parallel); 1 runs the scenarios in this process. */
  readonly parallel: number;
}

type Command =
  | { readonly kind: 'run'; readonly options: RunOptions }
  | { readonly kind: 'report'; readonly reportDir: string }
  | { readonly kind: 'merge'; readonly runs: readonly string[]; readonly reportDir: string }
  | 'help';

/** Subcommand dispatch: run (the default), report and report --merge. */
function parseCommand(argv: readonly string[]): Command {
  // Parsed with every subcommand's options to find the subcommand; each then checks its own.
  const sub = parseArgs(argv, { ...SPEC, ...REPORT_SPEC }).positionals[0];
  if (sub === 'report') {
    const args = parseArgs(argv, REPORT_SPEC);
    const extra = args.positionals.slice(1);
    if (args.flags.has('help')) return 'help';
    const reportDir = path.resolve(args.values.get('report-dir') ?? 'reports');
    if (args.flags.has('merge')) {
      if (extra.length === 0) throw new UsageError('--merge needs the report folders of the runs to combine');
      return { kind: 'merge', runs: extra, reportDir };
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    return { kind: 'report', reportDir };
  }
  const options = parseRunOptions(argv);
  return options === 'help' ? 'help' : { kind: 'run', options };
}

function parseRunOptions(argv: readonly string[]): RunOptions | 'help' {
  const args = parseArgs(argv, SPEC);
  const [sub, ...rest] = args.positionals;
  if (sub !== undefined && sub !== 'run') throw new UsageError(`unknown subcommand '${sub}'`);
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
  if (args.flags.has('help')) return 'help';
  const seed = numberOption(args, 'seed') ?? Math.floor(Math.random() * 0x7fffffff);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got ${seed}`);
  const fuzzRuns = numberOption(args, 'fuzz-runs') ?? 100;
  if (!Number.isInteger(fuzzRuns) || fuzzRuns < 0) throw new UsageError(`--fuzz-runs must be a non-negative integer, got ${fuzzRuns}`);
  const parallel = numberOption(args, 'parallel') ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) throw new UsageError(`--parallel must be a whole number of workers, 1 or more, got ${parallel}`);
  const standard = choiceOption(args, 'standard', ['e37', 'hsms-ss'] as const) ?? 'e37';
  if (args.values.has('standard') && args.values.has('profile')) throw new UsageError('--standard applies to the embedded peer; a profile declares its own standard');
  const baselinePath = args.values.get('baseline');
  let baseline: BaselineEntry[] | null = null;
  if (baselinePath !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(baselinePath, 'utf8');
    } catch (err) {
      throw new UsageError(`--baseline: cannot read ${baselinePath}: ${(err as Error).message}`);
    }
    try {
      baseline = parseBaseline(text, baselinePath);
    } catch (err) {
      if (err instanceof BaselineError) throw new UsageError(`--baseline: ${err.message}`);
      throw err;
    }
  }
  return {
    baselinePath,
    baseline,
    profilePath: args.values.get('profile'),
    tags: args.values.get('tags'),
    reportDir: path.resolve(args.values.get('report-dir') ?? 'reports'),
    seed,
    fuzzRuns,
    strict: args.flags.has('strict'),
    standard,
    user: userSuiteFrom(args),
    parallel,
  };
}

function harnessVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

const LABEL: Record<string, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', inconclusive: 'INCO', 'not-applicable': 'N/A ', error: 'ERR ' };

/** Set once a scenario is reported as not run because the run stopped (stopped-run.ts). */
let runStopped = false;

function progress(r: ScenarioResult): void {
  // Once the run has stopped, nothing more is attempted: the summary says so once.
  runStopped ||= r.reason === NOT_RUN_UNREACHABLE;
  if (runStopped) return;
  const line = `${LABEL[r.verdict]} ${r.clauses.join(' ').padEnd(14)} ${r.name} (IUT ${r.role})`;
  const why = r.verdict === 'pass' || r.verdict === 'not-applicable' ? '' : `\n       ${r.reason.split('\n')[0]}`;
  process.stdout.write(line + why + '\n');
}

function summary(report: ComplianceReport, results: readonly ScenarioResult[], o: RunOptions): string {
  const lines: string[] = [];
  const sc = (v: string): number => results.filter((r) => r.verdict === v).length;
  lines.push('');
  lines.push(`IUT: ${report.iut}   standard: ${report.standard}   seed: ${report.seed}${o.parallel > 1 ? `   workers: ${o.parallel}` : ''}`);
  // resourceUsage reports kilobytes.
  lines.push(`wall time: ${((Date.parse(report.finished) - Date.parse(report.started)) / 1000).toFixed(1)} s   harness peak RSS: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
  lines.push(`scenarios: ${results.length}  pass ${sc('pass')}  warn ${sc('warn')}  fail ${sc('fail')}  inconclusive ${sc('inconclusive')}  not-applicable ${sc('not-applicable')}  error ${sc('error')}`);
  const c = report.counts;
  lines.push(`clauses:   ${report.clauses.length}  pass ${c.pass}  warn ${c.warn}  fail ${c.fail}  inconclusive ${c.inconclusive}  not-applicable ${c['not-applicable']}  not-tested ${c['not-tested']}  error ${c.error}`);
  const notable = report.clauses.filter((cl) => cl.verdict === 'fail' || cl.verdict === 'error' || cl.verdict === 'warn' || cl.verdict === 'inconclusive');
  if (report.stopped) {
    lines.push('', report.stopped);
  } else if (notable.length > 0) {
    lines.push('');
    lines.push('clause          strength verdict       scenario findings');
    for (const cl of notable) {
      const first = cl.scenarios.find((s) => s.verdict === cl.verdict);
      lines.push(`${cl.id.padEnd(15)} ${cl.strength.padEnd(8)} ${cl.verdict.padEnd(13)} ${first ? `${first.name}: ${first.reason.split('\n')[0]}` : (cl.reason ?? '')}`);
    }
  }
  lines.push('');
  lines.push(`verdict: ${report.verdict.toUpperCase()}${o.strict ? ' (strict: warn counts as failure)' : ''}`);
  return lines.join('\n');
}

async function run(o: RunOptions): Promise<number> {
  let configs: IutConfig[];
  if (o.profilePath) {
    configs = [configFromProfile(loadProfile(o.profilePath))];
  } else {
    configs = EMBEDDED_ROLES.map((role) => embeddedConfig(role, o.standard));
  }
  const refusal = configs.map((c) => parallelRefusal(c, o.parallel)).find((r) => r !== null);
  if (refusal) {
    process.stderr.write(`hsms-conformance: ${refusal}\n`);
    return 2;
  }
  if (o.user) {
    const problems = await checkUserFeatures(o.user);
    if (problems.length > 0) {
      process.stderr.write(`hsms-conformance: your features cannot run as they are:\n  ${problems.join('\n  ')}\n`);
      return 2;
    }
  }
  fs.mkdirSync(o.reportDir, { recursive: true });
  // This run's evidence only: stale traces or Allure results would mix with the new ones.
  const allureResults = path.join(o.reportDir, 'allure-results');
  for (const d of [path.join(o.reportDir, TRACES_DIR), allureResults]) fs.rmSync(d, { recursive: true, force: true });
  const roles = configs.length > 1 ? ` in ${configs.length} roles (${configs.map((c) => c.role).join(', ')})` : '';
  const workers = o.parallel > 1 ? `; ${o.parallel} workers` : '';
  process.stdout.write(`hsms-conformance: certifying ${configs.length > 1 ? 'the hsms-conformance reference peer' : configs[0]!.name}${roles}; seed ${o.seed}${workers}\n`);
  const started = new Date();
  const results: ScenarioResult[] = [];
  for (const [i, iut] of configs.entries()) {
    if (results.some((r) => r.reason === INTERRUPTED || r.reason === NOT_RUN_UNREACHABLE)) break;
    const messagesFile = path.join(o.reportDir, configs.length > 1 ? `cucumber-${iut.role}.ndjson` : 'cucumber.ndjson');
    const { results: rs } = await runSuite({
      iut,
      seed: o.seed,
      fuzzRuns: o.fuzzRuns,
      ...(o.tags ? { tags: o.tags } : {}),
      ...(o.user ? { user: o.user } : {}),
      messagesFile,
      reportDir: o.reportDir,
      formats: ['allure-cucumberjs/reporter'],
      formatOptions: { resultsDir: allureResults },
      onScenario: progress,
      parallel: o.parallel,
    });
    results.push(...rs);
    if (configs.length > 1 && i === configs.length - 1) mergeMessageFiles(configs.map((c) => path.join(o.reportDir, `cucumber-${c.role}.ndjson`)), path.join(o.reportDir, 'cucumber.ndjson'));
  }
  if (configs.length > 1 && !fs.existsSync(path.join(o.reportDir, 'cucumber.ndjson'))) {
    mergeMessageFiles(configs.map((c) => path.join(o.reportDir, `cucumber-${c.role}.ndjson`)), path.join(o.reportDir, 'cucumber.ndjson'));
  }
  const finished = new Date();
  const first = configs[0]!;
  const report = buildCompliance({
    iut: configs.length > 1 ? `hsms-conformance reference peer${o.standard === 'hsms-ss' ? ' (HSMS-SS)' : ''}` : first.name,
    standard: first.standard,
    seed: o.seed,
    started,
    finished,
    version: harnessVersion(),
    profile: first.profileSummary,
    results,
    userRequirements: o.user?.catalogue.requirements ?? [],
  });
  const baseline = o.baseline && o.baselinePath ? compareBaseline(o.baselinePath, o.baseline, results, report.clauses, o.strict) : null;
  if (baseline) report.baseline = baseline;
  const stopped = stoppedRun(results, o.parallel);
  if (stopped) report.stopped = describeStoppedRun(stopped);
  fs.writeFileSync(path.join(o.reportDir, 'compliance.json'), JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(o.reportDir, 'junit.xml'), buildJunit(results, `HSMS conformance: ${report.iut}`));
  finalizeAllureResults(allureResults);
  writeAllureExtras(allureResults, allureEnvironment(report, first));
  const notice = writeHumanReports(o.reportDir, report, stopped ? 'stopped' : process.env[ALLURE_HTML_ENV] === 'off' ? 'off' : 'build');
  const code = exitCode(results, o, baseline?.failsRun ?? null);
  process.stdout.write(summary(report, results, o) + '\n');
  if (baseline) {
    process.stdout.write(describeBaseline(baseline) + '\n');
    if (code === 0 && report.verdict !== 'pass') process.stdout.write('every finding is a known one in the baseline: the run passes\n');
  }
  if (notice) process.stdout.write(`hsms-conformance: ${notice}\n`);
  process.stdout.write(`reports written to ${o.reportDir}\n`);
  if (code === EXIT_INTERRUPTED) process.stdout.write('hsms-conformance: the run was interrupted; the reports cover the scenarios that finished\n');
  return code;
}

/** Exit code 130, as shells report SIGINT: an extension of CONTRACTS.md section 2's codes. */
const EXIT_INTERRUPTED = 130;

/** CONTRACTS.md section 2: 0 pass (or only baselined failures), 1 failure, 3 unreachable or harness error. */
function exitCode(results: readonly ScenarioResult[], o: RunOptions, baselineFails: boolean | null): number {
  if (results.some((r) => r.reason === INTERRUPTED)) return EXIT_INTERRUPTED;
  if (results.some((r) => r.unreachable)) return 3;
  const known = o.baseline;
  if (known) {
    if (results.some((r) => r.verdict === 'error' && !isCovered(known, r))) return 3;
    return baselineFails ? 1 : 0;
  }
  if (results.some((r) => r.verdict === 'error')) return 3;
  return results.some((r) => isFailing(r.verdict, o.strict)) ? 1 : 0;
}

/** Allure's Environment widget: what was tested, with what, under which parameters. */
function allureEnvironment(report: ComplianceReport, iut: IutConfig): Record<string, string> {
  return {
    harness: `${report.harness.name} ${report.harness.version}`,
    node: report.harness.node,
    IUT: report.iut,
    standard: report.standard,
    timers: Object.entries(iut.timers)
      .map(([k, v]) => `${k}=${v}s`)
      .join(' '),
    tolerance: `${iut.tolerance}s`,
    seed: String(report.seed),
  };
}

/**
 * `HSMS_CONFORMANCE_ALLURE_HTML=off` makes `run` skip the Allure HTML report: its build starts a
 * JVM and takes seconds of CPU, which a CI job that reads compliance.json or junit.xml, and the
 * project's own tests, can spare. allure-results/ is still written; `report` builds the HTML.
 */
const ALLURE_HTML_ENV = 'HSMS_CONFORMANCE_ALLURE_HTML';

/**
 * compliance.html, compliance.md and the Allure HTML report; returns a notice when Allure was not
 * built. A stopped run skips Allure's HTML (it takes seconds, for scenarios that mostly did not run),
 * and so does a run told to by ALLURE_HTML_ENV.
 */
function writeHumanReports(reportDir: string, report: ComplianceReport, allureHtml: 'build' | 'stopped' | 'off' = 'build'): string | null {
  fs.writeFileSync(path.join(reportDir, 'compliance.html'), renderComplianceHtml(report));
  fs.writeFileSync(path.join(reportDir, 'compliance.md'), renderComplianceMarkdown(report));
  const later = '(allure-results/ is complete; `hsms-conformance report` builds it)';
  if (allureHtml === 'stopped') return `Allure HTML report not built for a stopped run ${later}`;
  if (allureHtml === 'off') return `Allure HTML report not built: ${ALLURE_HTML_ENV}=off ${later}`;
  const results = path.join(reportDir, 'allure-results');
  if (!fs.existsSync(results)) return 'Allure HTML report not built: no allure-results/ in the report folder';
  return generateAllureReport(results, path.join(reportDir, 'allure-report'));
}

/** `hsms-conformance report`: rebuilds the human-readable reports of a finished run. */
function rebuildReports(reportDir: string): number {
  const file = path.join(reportDir, 'compliance.json');
  if (!fs.existsSync(file)) {
    process.stderr.write(`hsms-conformance: no compliance.json in ${reportDir}; run the suite first\n`);
    return 2;
  }
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as ComplianceReport;
  finalizeAllureResults(path.join(reportDir, 'allure-results'));
  const notice = writeHumanReports(reportDir, report);
  if (notice) process.stdout.write(`hsms-conformance: ${notice}\n`);
  process.stdout.write(`reports rebuilt in ${reportDir}\n`);
  return 0;
}

/** `hsms-conformance report --merge`: several runs' compliance.json as one fleet summary (fleet-report.ts). */
function mergeRuns(runs: readonly string[], reportDir: string): number {
  let fleet: FleetReport;
  try {
    fleet = writeFleet(runs, reportDir);
  } catch (err) {
    if (err instanceof FleetInputError) {
      process.stderr.write(`hsms-conformance: report --merge: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  for (const row of fleet.iuts) {
    const failed = row.failedClauses.length > 0 ? `  failed: ${row.failedClauses.join(' ')}` : '';
    process.stdout.write(`${row.verdict.toUpperCase().padEnd(12)} ${row.iut} (${row.standard}; ${row.roles.join(', ')}; ${row.runs.length} run(s))${failed}\n`);
  }
  process.stdout.write(`fleet: ${fleet.iuts.length} IUT(s) from ${runs.length} run(s), verdict ${fleet.verdict.toUpperCase()}; fleet.json, fleet.html and fleet.md written to ${reportDir}\n`);
  return 0;
}

/** Every role's cucumber messages in one file, as CONTRACTS.md section 4 names it. */
function mergeMessageFiles(parts: readonly string[], target: string): void {
  const out = fs.openSync(target, 'w');
  try {
    for (const p of parts) {
      if (!fs.existsSync(p)) continue;
      fs.writeSync(out, fs.readFileSync(p));
      fs.unlinkSync(p);
    }
  } finally {
    fs.closeSync(out);
  }
}

async function main(): Promise<number> {
  if (process.argv[2] === 'fuzz') return runFuzzCommand(process.argv.slice(3));
  if (process.argv[2] === 'init') return runInitCommand(process.argv.slice(3));
  if (process.argv[2] === 'steps') return runStepsCommand(process.argv.slice(3));
  if (process.argv[2] === 'analyze') return runAnalyzeCommand(process.argv.slice(3));
  if (process.argv[2] === 'monitor') return runMonitorCommand(process.argv.slice(3));
  let command: Command;
  try {
    command = parseCommand(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`hsms-conformance: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (command === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (command.kind === 'report') return rebuildReports(command.reportDir);
  if (command.kind === 'merge') return mergeRuns(command.runs, command.reportDir);
  try {
    return await run(command.options);
  } catch (err) {
    if (err instanceof ProfileError) {
      process.stderr.write(`hsms-conformance: profile error: ${err.message}\n`);
      return 2;
    }
    if (err instanceof StepFileError) {
      process.stderr.write(`hsms-conformance: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`hsms-conformance: harness error: ${err.stack ?? err.message}\n`);
    process.exitCode = 3;
  },
);
