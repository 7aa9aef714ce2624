import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { clauseOfTag, scenarioClauses, strengthOfTags } from '../harness/clause-tags';
import { requirementById } from '../harness/requirements';
import type { UserRequirement } from '../harness/user-requirements';
import { VERDICT_MEDIA_TYPE, type Verdict } from '../harness/verdict';

/**
 * Allure through allure-cucumberjs. The formatter writes `allure-results/` from the cucumber
 * messages; each scenario adds its labels, links and parameters as an Allure runtime message
 * (an attachment of ALLURE_MESSAGE_TYPE, as allure-cucumberjs' own runtime does). Allure knows
 * five statuses, our verdicts are more: after the run, each result's status is set from its
 * verdict label, and categories.json sorts warn, inconclusive and not-applicable apart from
 * failures.
 */

export const ALLURE_MESSAGE_TYPE = 'application/vnd.allure.message+json';
/** The label carrying the harness verdict into the result file. */
export const VERDICT_LABEL = 'hsms.verdict';
/** The verdict's reason, moved into the status message after the run. */
export const REASON_LABEL = 'hsms.reason';
/**
 * An After hook with this name is no Allure fixture (allure-cucumberjs' convention): its
 * attachments and metadata land on the test result itself, not in a tear-down section.
 */
export const ALLURE_DIRECT_HOOK = 'ALLURE_FIXTURE_IGNORE';

const CHAPTERS: Record<string, string> = {
  '5': 'Section 5: state machine',
  '6': 'Section 6: use of TCP/IP',
  '7': 'Section 7: procedures',
  '8': 'Section 8: message format',
  '9': 'Section 9: special considerations',
  '10': 'Section 10: documentation',
  A1: 'Appendix A1: application notes',
  'E37.1': 'HSMS-SS (E37.1)',
};

const SEVERITY: Record<string, string> = { MUST: 'critical', SHOULD: 'normal', MAY: 'minor' };

/** The chapter a clause id belongs to, as the Allure epic. */
export function epicOf(clause: string): string {
  if (clause.startsWith('E37.1-')) return CHAPTERS['E37.1']!;
  const s = clause.replace(/^E37-/, '');
  const key = s.startsWith('A1-') ? 'A1' : (s.split('.')[0] ?? s);
  return CHAPTERS[key] ?? `Section ${key}`;
}

export interface AllureScenarioInput {
  /** All tags of the pickle (feature tags included). */
  readonly tags: readonly string[];
  /** Tags of the feature alone. */
  readonly featureTags: readonly string[];
  readonly iut: string;
  readonly role: string;
  readonly profile: Readonly<Record<string, string>>;
  readonly seed: number;
  readonly verdict: Verdict;
  readonly reason: string;
  /** Relative link from allure-report/index.html to compliance.html. */
  readonly complianceHref?: string;
  /** The user's own requirements (`run --requirements`): their clauses are labelled like E37's. */
  readonly userRequirements?: readonly UserRequirement[];
}

interface Label {
  name: string;
  value: string;
}

/** The runtime message that gives one scenario its labels, links and parameters. */
export function allureScenarioMessage(s: AllureScenarioInput): string {
  const user = new Map((s.userRequirements ?? []).map((r) => [r.id, r]));
  const userIds = new Set(user.keys());
  const clauses = scenarioClauses(s.tags, s.featureTags, userIds);
  const labels: Label[] = [];
  const featureClause = s.featureTags.map((t) => clauseOfTag(t, userIds)).find((c) => c !== undefined) ?? clauses[0];
  // A user's clause is filed under the source its requirements file names.
  if (featureClause) labels.push({ name: 'epic', value: user.get(featureClause)?.source ?? epicOf(featureClause) });
  for (const c of clauses) {
    const q = requirementById(c) ?? user.get(c);
    labels.push({ name: 'story', value: q ? `${c} ${q.title}` : c });
  }
  const strength = strengthOfTags(s.tags) ?? (clauses[0] ? user.get(clauses[0])?.strength : undefined);
  if (strength) labels.push({ name: 'severity', value: SEVERITY[strength] ?? 'normal' });
  labels.push({ name: VERDICT_LABEL, value: s.verdict }, { name: REASON_LABEL, value: s.reason });
  const href = s.complianceHref ?? '../compliance.html';
  const links = clauses.map((c) => ({ name: c, url: `${href}#${encodeURIComponent(c)}`, type: 'tms' }));
  const profile = Object.entries(s.profile)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
  const parameters = [
    { name: 'IUT', value: s.iut },
    { name: 'role', value: s.role },
    { name: 'profile', value: profile },
    { name: 'seed', value: String(s.seed) },
  ];
  return JSON.stringify([{ type: 'metadata', data: { labels, links, parameters } }]);
}

/** Allure status per verdict; the categories below tell the non-pass ones apart. */
const STATUS: Record<Verdict, 'passed' | 'failed' | 'broken' | 'skipped' | 'unknown'> = {
  pass: 'passed',
  warn: 'passed',
  fail: 'failed',
  error: 'broken',
  inconclusive: 'unknown',
  'not-applicable': 'skipped',
};

export const CATEGORIES = [
  { name: 'Failures: the IUT does not meet a clause', matchedStatuses: ['failed'], messageRegex: 'FAIL:[\\s\\S]*' },
  { name: 'Harness errors: the harness broke, the IUT is not blamed', matchedStatuses: ['broken'] },
  { name: 'Warnings: a SHOULD not met or a lenient outcome', matchedStatuses: ['passed'], messageRegex: 'WARN:[\\s\\S]*' },
  { name: 'Inconclusive: neither proves nor disproves the clause', matchedStatuses: ['unknown'], messageRegex: 'INCONCLUSIVE:[\\s\\S]*' },
  { name: 'Not applicable to this IUT', matchedStatuses: ['skipped'], messageRegex: 'NOT-APPLICABLE:[\\s\\S]*' },
];

/**
 * Sets each result's status from its verdict label (written by the scenario's After hook),
 * with the verdict and reason as the status message, and drops the harness's own verdict
 * records (an internal message between the hooks and the runner, not evidence). Files are
 * rewritten indented, one field per line. Idempotent.
 */
export function finalizeAllureResults(resultsDir: string): number {
  if (!fs.existsSync(resultsDir)) return 0;
  let n = 0;
  for (const f of fs.readdirSync(resultsDir)) {
    if (f.endsWith('-container.json')) dropVerdictRecords(resultsDir, f);
    if (!f.endsWith('-result.json')) continue;
    const file = path.join(resultsDir, f);
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as AllureResultFile;
    const verdict = r.labels?.find((l) => l.name === VERDICT_LABEL)?.value as Verdict | undefined;
    if (!verdict || !(verdict in STATUS)) continue;
    const reasonLabel = r.labels?.find((l) => l.name === REASON_LABEL);
    if (!reasonLabel) {
      fs.writeFileSync(file, JSON.stringify(r, null, 2));
      continue;
    }
    const reason = reasonLabel.value;
    r.labels = r.labels?.filter((l) => l !== reasonLabel);
    r.status = STATUS[verdict];
    const text = reason.replace(/^(FAIL|ERROR|WARN|INCONCLUSIVE|NOT-APPLICABLE):\s*/i, '');
    r.statusDetails = { ...(r.statusDetails ?? {}), message: verdict === 'pass' ? text : `${verdict.toUpperCase()}: ${text}` };
    fs.writeFileSync(file, JSON.stringify(r, null, 2));
    n++;
  }
  return n;
}

interface AllureStep {
  steps?: AllureStep[];
  attachments?: Array<{ source?: string; type?: string }>;
}

/** Removes the verdict-record attachments (and the steps that only carried them) from a container's fixtures. */
function dropVerdictRecords(resultsDir: string, containerFile: string): void {
  const file = path.join(resultsDir, containerFile);
  const container = JSON.parse(fs.readFileSync(file, 'utf8')) as { befores?: AllureStep[]; afters?: AllureStep[] };
  const prune = (step: AllureStep): boolean => {
    for (const a of step.attachments ?? []) if (a.type === VERDICT_MEDIA_TYPE && a.source) fs.rmSync(path.join(resultsDir, a.source), { force: true });
    const hadAttachments = (step.attachments ?? []).length > 0;
    step.attachments = (step.attachments ?? []).filter((a) => a.type !== VERDICT_MEDIA_TYPE);
    step.steps = (step.steps ?? []).filter(prune);
    return !hadAttachments || step.attachments.length > 0 || step.steps.length > 0;
  };
  for (const fixture of [...(container.befores ?? []), ...(container.afters ?? [])]) prune(fixture);
  fs.writeFileSync(file, JSON.stringify(container, null, 2));
}

export interface AllureResultFile {
  name?: string;
  status?: string;
  statusDetails?: { message?: string; trace?: string };
  labels?: Label[];
  parameters?: Array<{ name: string; value: string }>;
  [key: string]: unknown;
}

/** categories.json and environment.properties in allure-results. */
export function writeAllureExtras(resultsDir: string, environment: Readonly<Record<string, string>>): void {
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'categories.json'), JSON.stringify(CATEGORIES, null, 2) + '\n');
  const escape = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/([=:#!])/g, '\\$1');
  const lines = Object.entries(environment).map(([k, v]) => `${k.replace(/[\s=:]/g, '_')}=${escape(v)}`);
  fs.writeFileSync(path.join(resultsDir, 'environment.properties'), lines.join('\n') + '\n');
}

/**
 * Builds `<report-dir>/allure-report/` with the Allure CLI (allure-commandline, needs Java).
 * Returns null on success, else a one-line notice.
 */
export function generateAllureReport(resultsDir: string, outDir: string): string | null {
  const cli = allureCli();
  if (!cli) return 'Allure HTML report not built: allure-commandline is not installed';
  const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (java.error || java.status !== 0) return 'Allure HTML report not built: Java is not installed (allure-results/ is complete; run `hsms-conformance report` where Java is)';
  const r = spawnSync(process.execPath, [cli, 'generate', resultsDir, '--clean', '-o', outDir], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `Allure HTML report not built: allure generate failed: ${(r.error?.message ?? r.stderr ?? '').trim().split('\n')[0]}`;
  return null;
}

/**
 * The Allure CLI's Node entry point in the allure-commandline package, wherever npm placed it: inside this
 * package's node_modules in a checkout, hoisted beside it when installed as a dependency.
 */
function allureCli(): string | null {
  let manifest: string;
  try {
    manifest = require.resolve('allure-commandline/package.json');
  } catch {
    return null;
  }
  const cli = path.join(path.dirname(manifest), 'bin', 'allure');
  return fs.existsSync(cli) ? cli : null;
}
