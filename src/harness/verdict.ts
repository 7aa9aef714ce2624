/**
 * Verdicts as conformance testing grades them (TTCN-3, Autobahn): pass, warn (a SHOULD-level
 * finding), fail, inconclusive (neither proves nor disproves the clause), not-applicable (with
 * the reason) and error (the harness itself broke, never blamed on the IUT).
 */
export type Verdict = 'pass' | 'warn' | 'fail' | 'inconclusive' | 'not-applicable' | 'error';
export type ClauseVerdict = Verdict | 'not-tested';

/** Worst first: a clause takes the worst verdict of its scenarios. */
const RANK: Record<ClauseVerdict, number> = { fail: 6, error: 5, inconclusive: 4, warn: 3, pass: 2, 'not-applicable': 1, 'not-tested': 0 };

export function worst<V extends ClauseVerdict>(verdicts: readonly V[], empty: V): V {
  let out = empty;
  for (const v of verdicts) if (RANK[v] > RANK[out]) out = v;
  return out;
}

/**
 * Whether a verdict fails the run. Inconclusive does: the clause was not shown to hold, and a
 * run that could not judge must not pass as if it had (a false pass is the worst outcome).
 */
export function isFailing(v: ClauseVerdict, strict: boolean): boolean {
  return v === 'fail' || v === 'error' || v === 'inconclusive' || (strict && v === 'warn');
}

/** Thrown by harness functions to end a scenario with a verdict other than pass. */
export class VerdictSignal extends Error {
  constructor(
    readonly verdict: Exclude<Verdict, 'pass'>,
    readonly reason: string,
  ) {
    super(reason);
    this.name = `Verdict(${verdict})`;
  }
}

export class Failure extends VerdictSignal {
  constructor(reason: string) {
    super('fail', reason);
  }
}
export class NotApplicable extends VerdictSignal {
  constructor(reason: string) {
    super('not-applicable', reason);
  }
}
export class Inconclusive extends VerdictSignal {
  constructor(reason: string) {
    super('inconclusive', reason);
  }
}
export class HarnessError extends VerdictSignal {
  constructor(reason: string) {
    super('error', reason);
  }
}
/**
 * The scenario cannot judge its own clause because the IUT deviates on another clause, whose own
 * scenarios judge that deviation (one defect, one flagged clause). The scenario is reported
 * not applicable, naming that clause; at the end of the run the verdict is checked against the
 * run: if none of `clauses` was flagged (fail or warn), it becomes inconclusive after all
 * (judged-elsewhere.ts), so a deviation can never hide behind a verdict that claims another
 * clause judges it.
 */
export class JudgedElsewhere extends VerdictSignal {
  constructor(
    readonly clauses: readonly string[],
    reason: string,
  ) {
    super('not-applicable', `not judged here: ${reason} (judged under ${clauses.join(' and ')})`);
  }
}
/** The IUT could not be reached or started (exit code 3 for the run). */
export class IutUnreachable extends VerdictSignal {
  constructor(reason: string) {
    super('inconclusive', reason);
  }
}

export interface Finding {
  readonly verdict: Exclude<Verdict, 'pass'>;
  readonly reason: string;
  /** For a not-applicable finding: the clauses that judge the deviation that kept this scenario from judging its own (JudgedElsewhere). */
  readonly judgedUnder?: readonly string[];
}

/** What one scenario found; its verdict is the worst finding, pass when there is none. */
export class ScenarioRecorder {
  readonly findings: Finding[] = [];
  /** Measured values (timers) stated with the verdict. */
  readonly measurements: string[] = [];
  unreachable = false;

  add(verdict: Exclude<Verdict, 'pass'>, reason: string, judgedUnder?: readonly string[]): void {
    this.findings.push(judgedUnder && judgedUnder.length > 0 ? { verdict, reason, judgedUnder } : { verdict, reason });
  }

  /** Clauses that judge what kept this scenario from judging its own; empty unless its verdict is not-applicable for that reason. */
  get judgedUnder(): readonly string[] {
    if (this.verdict !== 'not-applicable') return [];
    return [...new Set(this.findings.flatMap((f) => f.judgedUnder ?? []))];
  }

  measure(text: string): void {
    this.measurements.push(text);
  }

  get verdict(): Verdict {
    if (this.findings.length === 0) return 'pass';
    return worst<Verdict>(
      this.findings.map((f) => f.verdict),
      'not-applicable',
    );
  }

  get reason(): string {
    const v = this.verdict;
    const relevant = this.findings.filter((f) => f.verdict === v).map((f) => f.reason);
    return [...relevant, ...this.measurements].join('; ');
  }
}

/** Reason recorded for the scenarios a Ctrl-C kept from running. */
export const INTERRUPTED = 'not run: the run was interrupted (SIGINT)';

/** The verdict attachment each scenario carries in the cucumber messages. */
export const VERDICT_MEDIA_TYPE = 'application/vnd.hsms-conformance.verdict+json';

export interface VerdictRecord {
  readonly verdict: Verdict;
  readonly reason: string;
  readonly findings: readonly Finding[];
  readonly measurements: readonly string[];
  readonly unreachable: boolean;
  /** Clauses that judge the deviation that kept the scenario from judging its own (ScenarioRecorder.judgedUnder). */
  readonly judgedUnder?: readonly string[];
  readonly trace: string;
  /** Time the scenario spent in waits it cannot avoid (timers of the IUT, required silence). */
  readonly unavoidableWaitMs?: number;
  /** The scenario's pcap, relative to the report folder, when the run writes reports. */
  readonly traceFile?: string;
}
