import { isFailing, type ClauseVerdict, type Verdict } from '../harness/verdict';

/**
 * Known-failure baseline (`--baseline FILE`), after the MCP conformance suite's expected
 * failures: known failures do not fail the run, a known failure that now passes is stale and
 * does fail it (so the baseline only ever shrinks), anything failing outside it is new.
 *
 * Format: one entry per line, a clause id or a scenario name, and a required comment saying why:
 *
 *     # blank lines and lines starting with # are ignored
 *     E37-9.2.2  # the IUT answers Linktest.req before Select (ticket 123)
 *     scenario: Select.req while already SELECTED draws status 1  # vendor says status 0 is fine
 *
 * A clause entry covers every scenario tagged with the clause; a scenario entry covers the
 * scenario of that name in every role. The comment starts at the first ` #`.
 */

export interface BaselineEntry {
  readonly kind: 'clause' | 'scenario';
  /** Clause id or scenario name. */
  readonly id: string;
  readonly comment: string;
  readonly line: number;
}

export class BaselineError extends Error {
  override readonly name = 'BaselineError';
}

const CLAUSE_ID = /^E37(?:\.1)?-[A-Za-z0-9.-]+$/;

export function parseBaseline(text: string, file: string): BaselineEntry[] {
  const entries: BaselineEntry[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const hash = /\s#/.exec(trimmed);
    const comment = hash ? trimmed.slice(hash.index + 2).trim() : '';
    const body = (hash ? trimmed.slice(0, hash.index) : trimmed).trim();
    if (!comment) throw new BaselineError(`${file}:${line}: entry '${body}' has no comment; say why it is a known failure, e.g. '${body}  # vendor ticket 123'`);
    let entry: BaselineEntry;
    if (body.startsWith('scenario:')) {
      const name = body.slice('scenario:'.length).trim();
      if (!name) throw new BaselineError(`${file}:${line}: 'scenario:' needs a scenario name`);
      entry = { kind: 'scenario', id: name, comment, line };
    } else if (CLAUSE_ID.test(body)) {
      entry = { kind: 'clause', id: body, comment, line };
    } else {
      throw new BaselineError(`${file}:${line}: '${body}' is neither a clause id (E37-9.2.2, E37.1-name) nor 'scenario: NAME'`);
    }
    const key = `${entry.kind}:${entry.id}`;
    const first = seen.get(key);
    if (first !== undefined) throw new BaselineError(`${file}:${line}: duplicate entry '${body}' (first on line ${first})`);
    seen.set(key, line);
    entries.push(entry);
  });
  return entries;
}

export interface BaselineScenario {
  readonly name: string;
  readonly role: string;
  readonly clauses: readonly string[];
  readonly verdict: Verdict;
}

export interface BaselineClause {
  readonly id: string;
  readonly verdict: ClauseVerdict;
}

export interface BaselineRef {
  readonly id: string;
  readonly comment: string;
}

export interface BaselineSummary {
  readonly file: string;
  /** Failing scenarios no entry covers: `[clauses] name (IUT role)`. */
  readonly newFailures: string[];
  /** Entries whose clause or scenario ran and no longer fails: stale, remove them. */
  readonly fixed: BaselineRef[];
  /** Entries that still fail: known, they do not fail the run. */
  readonly stillFailing: BaselineRef[];
  /** Entries that matched nothing this run ran (tag filter, not applicable, or a typo). */
  readonly notRun: BaselineRef[];
  /** True when the run fails because of the baseline comparison: new failures or stale entries. */
  readonly failsRun: boolean;
}

/** True when an entry covers the scenario: its name, or one of its clauses. */
export function isCovered(entries: readonly BaselineEntry[], s: BaselineScenario): boolean {
  return entries.some((e) => (e.kind === 'scenario' ? e.id === s.name : s.clauses.includes(e.id)));
}

export function compareBaseline(
  file: string,
  entries: readonly BaselineEntry[],
  scenarios: readonly BaselineScenario[],
  clauses: readonly BaselineClause[],
  strict: boolean,
): BaselineSummary {
  const newFailures = scenarios.filter((s) => isFailing(s.verdict, strict) && !isCovered(entries, s)).map((s) => `[${s.clauses.join(' ')}] ${s.name} (IUT ${s.role})`);
  const fixed: BaselineRef[] = [];
  const stillFailing: BaselineRef[] = [];
  const notRun: BaselineRef[] = [];
  const ran = (v: ClauseVerdict): boolean => v !== 'not-tested' && v !== 'not-applicable';
  for (const e of entries) {
    const ref = { id: e.kind === 'clause' ? e.id : `scenario: ${e.id}`, comment: e.comment };
    const verdicts: ClauseVerdict[] =
      e.kind === 'clause'
        ? scenarios.filter((s) => s.clauses.includes(e.id)).map((s) => s.verdict)
        : scenarios.filter((s) => s.name === e.id).map((s) => s.verdict);
    if (e.kind === 'clause') {
      const c = clauses.find((x) => x.id === e.id);
      if (c) verdicts.push(c.verdict);
    }
    if (verdicts.some((v) => isFailing(v, strict))) stillFailing.push(ref);
    else if (verdicts.some(ran)) fixed.push(ref);
    else notRun.push(ref);
  }
  return { file, newFailures, fixed, stillFailing, notRun, failsRun: newFailures.length > 0 || fixed.length > 0 };
}

export function describeBaseline(b: BaselineSummary): string {
  const lines = [`baseline ${b.file}: new ${b.newFailures.length}  fixed (stale) ${b.fixed.length}  still failing ${b.stillFailing.length}  not run ${b.notRun.length}`];
  for (const n of b.newFailures) lines.push(`  new failure:   ${n}`);
  for (const f of b.fixed) lines.push(`  stale entry:   ${f.id} now passes; remove it from the baseline (${f.comment})`);
  for (const s of b.stillFailing) lines.push(`  known failure: ${s.id} (${s.comment})`);
  for (const s of b.notRun) lines.push(`  not run:       ${s.id}`);
  return lines.join('\n');
}
