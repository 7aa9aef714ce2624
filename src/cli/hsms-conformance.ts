import * as fs from 'node:fs';
import * as path from 'node:path';
import { embeddedConfig, type IutConfig } from '../harness/iut-config';
import { loadProfile, describeProfile, ProfileError, type IutProfile } from '../harness/profile';
import { projectRoot, runSuite, type ScenarioResult } from '../harness/suite-runner';
import { isFailing } from '../harness/verdict';
import { buildCompliance, type ComplianceReport } from '../report/compliance';
import { buildJunit } from '../report/junit';
import { choiceOption, numberOption, parseArgs, UsageError } from './args';

const USAGE = `usage: hsms-conformance [run] [--profile FILE] [--tags EXPR] [--report-dir reports]
                        [--seed N] [--fuzz-runs N] [--strict] [--standard e37|hsms-ss]
  Without --profile the embedded reference peer is certified, as a passive and as an active IUT
  (--standard chooses which rules it follows). Exit codes: 0 pass, 1 failure, 2 usage or
  profile error, 3 IUT unreachable or harness error.`;

const SPEC = {
  profile: 'string',
  tags: 'string',
  'report-dir': 'string',
  seed: 'string',
  'fuzz-runs': 'string',
  strict: 'boolean',
  standard: 'string',
  help: 'boolean',
} as const;

interface RunOptions {
  readonly profilePath: string | undefined;
  readonly tags: string | undefined;
  readonly reportDir: string;
  readonly seed: number;
  readonly fuzzRuns: number;
  readonly strict: boolean;
  readonly standard: 'e37' | 'hsms-ss';
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
  const standard = choiceOption(args, 'standard', ['e37', 'hsms-ss'] as const) ?? 'e37';
  if (args.values.has('standard') && args.values.has('profile')) throw new UsageError('--standard applies to the embedded peer; a profile declares its own standard');
  return {
    profilePath: args.values.get('profile'),
    tags: args.values.get('tags'),
    reportDir: path.resolve(args.values.get('report-dir') ?? 'reports'),
    seed,
    fuzzRuns,
    strict: args.flags.has('strict'),
    standard,
  };
}

export function configFromProfile(p: IutProfile): IutConfig {
  return {
    name: p.name,
    role: p.role,
    host: p.host,
    port: p.port,
    sessionId: p.sessionId,
    standard: p.standard,
    timers: p.timers,
    tolerance: p.tolerance,
    capabilities: { multipleConnections: p.capabilities.multipleConnections, refusal: p.capabilities.refusal ?? null, maxMessageLength: p.capabilities.maxMessageLength },
    control: p.control,
    launch: p.launch ? { command: p.launch.command, env: p.launch.env, restart: p.launch.restart, cwd: p.launch.cwd ?? null, readyTimeout: p.launch.readyTimeout } : null,
    profileSummary: describeProfile(p),
  };
}

function harnessVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

const LABEL: Record<string, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', inconclusive: 'INCO', 'not-applicable': 'N/A ', error: 'ERR ' };

function progress(r: ScenarioResult): void {
  const line = `${LABEL[r.verdict]} ${r.clauses.join(' ').padEnd(14)} ${r.name} (IUT ${r.role})`;
  const why = r.verdict === 'pass' || r.verdict === 'not-applicable' ? '' : `\n       ${r.reason.split('\n')[0]}`;
  process.stdout.write(line + why + '\n');
}

function summary(report: ComplianceReport, results: readonly ScenarioResult[], strict: boolean): string {
  const lines: string[] = [];
  const sc = (v: string): number => results.filter((r) => r.verdict === v).length;
  lines.push('');
  lines.push(`IUT: ${report.iut}   standard: ${report.standard}   seed: ${report.seed}`);
  lines.push(`scenarios: ${results.length}  pass ${sc('pass')}  warn ${sc('warn')}  fail ${sc('fail')}  inconclusive ${sc('inconclusive')}  not-applicable ${sc('not-applicable')}  error ${sc('error')}`);
  const c = report.counts;
  lines.push(`clauses:   ${report.clauses.length}  pass ${c.pass}  warn ${c.warn}  fail ${c.fail}  inconclusive ${c.inconclusive}  not-applicable ${c['not-applicable']}  not-tested ${c['not-tested']}  error ${c.error}`);
  const notable = report.clauses.filter((cl) => cl.verdict === 'fail' || cl.verdict === 'error' || cl.verdict === 'warn' || cl.verdict === 'inconclusive');
  if (notable.length > 0) {
    lines.push('');
    lines.push('clause          strength verdict       scenario findings');
    for (const cl of notable) {
      const first = cl.scenarios.find((s) => s.verdict === cl.verdict);
      lines.push(`${cl.id.padEnd(15)} ${cl.strength.padEnd(8)} ${cl.verdict.padEnd(13)} ${first ? `${first.name}: ${first.reason.split('\n')[0]}` : (cl.reason ?? '')}`);
    }
  }
  lines.push('');
  lines.push(`verdict: ${report.verdict.toUpperCase()}${strict ? ' (strict: warn counts as failure)' : ''}`);
  return lines.join('\n');
}

async function run(o: RunOptions): Promise<number> {
  let configs: IutConfig[];
  if (o.profilePath) {
    configs = [configFromProfile(loadProfile(o.profilePath))];
  } else {
    configs = [embeddedConfig('passive', o.standard), embeddedConfig('active', o.standard)];
  }
  fs.mkdirSync(o.reportDir, { recursive: true });
  process.stdout.write(`hsms-conformance: certifying ${configs[0]!.name}${configs.length > 1 ? ' in both roles' : ''}; seed ${o.seed}\n`);
  const started = new Date();
  const results: ScenarioResult[] = [];
  for (const [i, iut] of configs.entries()) {
    const messagesFile = path.join(o.reportDir, configs.length > 1 ? `cucumber-${iut.role}.ndjson` : 'cucumber.ndjson');
    const { results: rs } = await runSuite({
      iut,
      seed: o.seed,
      fuzzRuns: o.fuzzRuns,
      ...(o.tags ? { tags: o.tags } : {}),
      messagesFile,
      onScenario: progress,
    });
    results.push(...rs);
    if (configs.length > 1 && i === configs.length - 1) mergeMessageFiles(configs.map((c) => path.join(o.reportDir, `cucumber-${c.role}.ndjson`)), path.join(o.reportDir, 'cucumber.ndjson'));
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
  });
  fs.writeFileSync(path.join(o.reportDir, 'compliance.json'), JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(o.reportDir, 'junit.xml'), buildJunit(results, `HSMS conformance: ${report.iut}`));
  process.stdout.write(summary(report, results, o.strict) + '\n');
  process.stdout.write(`reports written to ${o.reportDir}\n`);
  if (results.some((r) => r.unreachable || r.verdict === 'error')) return 3;
  if (results.some((r) => isFailing(r.verdict, o.strict))) return 1;
  return 0;
}

/** Both roles' cucumber messages in one file, as CONTRACTS.md section 4 names it. */
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
  let options: RunOptions | 'help';
  try {
    options = parseRunOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`hsms-conformance: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (options === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  try {
    return await run(options);
  } catch (err) {
    if (err instanceof ProfileError) {
      process.stderr.write(`hsms-conformance: profile error: ${err.message}\n`);
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
