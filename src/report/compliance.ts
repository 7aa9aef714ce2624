import { JUDGED_THROUGH, REQUIREMENTS, sectionOrder } from '../harness/requirements';
import type { ScenarioResult } from '../harness/suite-runner';
import type { UserRequirement } from '../harness/user-requirements';
import type { BaselineSummary } from './baseline';
import { worst, type ClauseVerdict, type Verdict } from '../harness/verdict';
import type { Timeline } from './timeline-svg';

/** compliance.json (CONTRACTS.md section 4): the verdict per clause, rolled up worst first. */

export interface ComplianceScenario {
  readonly name: string;
  readonly role: string;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly measurements: readonly string[];
  readonly trace: string;
}

export interface ComplianceClause {
  readonly id: string;
  readonly title: string;
  readonly strength: 'MUST' | 'SHOULD' | 'MAY';
  readonly statement: string;
  /** 'E37', 'E37.1 (...)', or the source a user's requirements file names for its own clauses. */
  readonly source: string;
  readonly verdict: ClauseVerdict;
  readonly reason?: string;
  readonly scenarios: ComplianceScenario[];
}

export interface ComplianceReport {
  readonly iut: string;
  readonly standard: string;
  readonly seed: number;
  readonly started: string;
  readonly finished: string;
  readonly verdict: 'pass' | 'warn' | 'fail' | 'inconclusive';
  readonly harness: { readonly name: string; readonly version: string; readonly node: string };
  readonly profile: Readonly<Record<string, string>>;
  readonly counts: Readonly<Record<ClauseVerdict, number>>;
  readonly clauses: ComplianceClause[];
  /** With --baseline: new, fixed (stale) and still-failing entries against the known-failure baseline. */
  baseline?: BaselineSummary;
  /** Set when the run stopped early because the IUT could not be reached or started: why, once. */
  stopped?: string;
  /** Present when the verdicts come from traffic (`hsms-conformance analyze` or `monitor`), not from a run. */
  capture?: CaptureSection;
}

/** What a report judged from traffic says about where its evidence came from. */
export interface CaptureSection {
  readonly files: readonly string[];
  /** The entity judged: `address:port (accepting)` or `address (connecting to address:port)`. */
  readonly entity: string;
  readonly role: 'accepting' | 'connecting';
  /** The entities it talked to. */
  readonly peers: readonly string[];
  readonly packets: number;
  readonly connections: number;
  readonly messagesSent: number;
  /** Timer values measured, one line each (`T7 connect to select: n=3: min ...`). */
  readonly measurements: readonly string[];
  /** What the capture did not show whole (holes, mid-stream starts, skipped frames). */
  readonly notes: readonly string[];
  readonly connectionList: ReadonlyArray<{ readonly id: number; readonly label: string; readonly started: string; readonly findings: number; readonly transcript: string }>;
  /** Connections drawn as timelines (those with findings first). */
  readonly timelines: readonly Timeline[];
}

export interface ComplianceInput {
  readonly iut: string;
  readonly standard: string;
  readonly seed: number;
  readonly started: Date;
  readonly finished: Date;
  readonly version: string;
  readonly profile: Readonly<Record<string, string>>;
  readonly results: readonly ScenarioResult[];
  /** File name of each scenario's trace, relative to the report folder, when written. */
  readonly traceFile?: (r: ScenarioResult) => string;
  /** The user's own requirements (`run --requirements`): each gets a row like an E37 clause. */
  readonly userRequirements?: readonly UserRequirement[];
  /** Why a clause no scenario checked is not tested, when the catalogue's reason does not apply (traffic analysis). */
  readonly notTestedReason?: (id: string) => string | undefined;
}

export function buildCompliance(input: ComplianceInput): ComplianceReport {
  const byClause = new Map<string, ScenarioResult[]>();
  for (const r of input.results) {
    for (const c of r.clauses) {
      const list = byClause.get(c) ?? [];
      list.push(r);
      byClause.set(c, list);
    }
  }
  const user = input.userRequirements ?? [];
  const known = new Set([...REQUIREMENTS, ...user].map((q) => q.id));
  const clauses: ComplianceClause[] = [];
  const scenarioRows = (scenarios: readonly ScenarioResult[]): ComplianceScenario[] =>
    scenarios.map((s) => ({
      name: s.name,
      role: s.role,
      verdict: s.verdict,
      reason: s.reason,
      measurements: s.measurements,
      trace: input.traceFile ? input.traceFile(s) : s.traceFile,
    }));
  for (const q of REQUIREMENTS) {
    const scenarios = byClause.get(q.id) ?? [];
    const verdicts = scenarios.map((s) => s.verdict);
    let verdict: ClauseVerdict = worst<ClauseVerdict>(verdicts, 'not-tested');
    let reason: string | undefined;
    const through = JUDGED_THROUGH[q.id];
    if (scenarios.length === 0 && through) {
      // Judged through the sections that carry the same obligations (requirements.ts).
      const judged = through.flatMap((id) => byClause.get(id) ?? []).map((s) => s.verdict);
      verdict = worst<ClauseVerdict>(judged, 'not-tested');
      reason = `judged through ${through.join(', ')}`;
    } else if (scenarios.length === 0) {
      reason = input.notTestedReason?.(q.id) ?? q.notTestedReason ?? 'no scenario of this suite checks it';
    } else if (verdict === 'not-applicable') {
      reason = [...new Set(scenarios.map((s) => s.reason))].join('; ');
    } else if (q.standard === 'hsms-ss' && input.standard !== 'hsms-ss') {
      verdict = 'not-applicable';
      reason = 'an HSMS-SS rule; the IUT declares standard e37';
    }
    clauses.push({
      id: q.id,
      title: q.title,
      strength: q.strength,
      statement: q.statement,
      source: q.standard === 'hsms-ss' ? 'E37.1 (subsidiary standard, as publicly understood)' : 'E37',
      verdict,
      ...(reason ? { reason } : {}),
      scenarios: scenarioRows(scenarios),
    });
  }
  // The user's own clauses, judged the same way: the worst verdict of their scenarios.
  for (const q of user) {
    const scenarios = byClause.get(q.id) ?? [];
    const verdict = worst<ClauseVerdict>(
      scenarios.map((s) => s.verdict),
      'not-tested',
    );
    const reason = scenarios.length === 0 ? 'no scenario of this run checks it' : verdict === 'not-applicable' ? [...new Set(scenarios.map((s) => s.reason))].join('; ') : undefined;
    clauses.push({ id: q.id, title: q.title, strength: q.strength, statement: q.statement, source: q.source, verdict, ...(reason ? { reason } : {}), scenarios: scenarioRows(scenarios) });
  }
  // A scenario tagged with a clause the catalogue lacks is a harness mistake worth seeing, not hiding.
  for (const [id, scenarios] of byClause) {
    if (known.has(id)) continue;
    clauses.push({
      id,
      title: '(not in the requirements catalogue)',
      strength: 'MUST',
      statement: '',
      source: 'E37',
      verdict: 'error',
      reason: 'scenario tagged with a clause id the catalogue does not define',
      scenarios: scenarioRows(scenarios),
    });
  }
  clauses.sort((a, b) => sectionOrder(a.id, b.id));
  const counts = { pass: 0, warn: 0, fail: 0, inconclusive: 0, 'not-applicable': 0, 'not-tested': 0, error: 0 } as Record<ClauseVerdict, number>;
  for (const c of clauses) counts[c.verdict]++;
  return {
    iut: input.iut,
    standard: input.standard,
    seed: input.seed,
    started: input.started.toISOString(),
    finished: input.finished.toISOString(),
    verdict: overall(clauses.map((c) => c.verdict)),
    harness: { name: 'hsms-conformance', version: input.version, node: process.version },
    profile: input.profile,
    counts,
    clauses,
  };
}

/** The run's verdict: fail if any clause failed or broke the harness, then inconclusive, warn, pass. */
export function overall(verdicts: readonly ClauseVerdict[]): ComplianceReport['verdict'] {
  if (verdicts.some((v) => v === 'fail' || v === 'error')) return 'fail';
  if (verdicts.includes('inconclusive')) return 'inconclusive';
  if (verdicts.includes('warn')) return 'warn';
  return 'pass';
}
