import type { Verdict } from './verdict';

/**
 * One defect, one flagged clause: a scenario that could not judge its own clause because the IUT
 * deviates on another one is reported not applicable, naming the clauses that judge that
 * deviation (verdict.ts JudgedElsewhere). That claim is checked against the whole run here: it
 * holds only if one of those clauses was flagged (fail or warn) by a scenario of the same run.
 * Otherwise nothing in the run shows the deviation (the other clause passed, or was not run under
 * the tag filter), so the scenario is inconclusive after all: a deviation never hides behind a
 * verdict that says another clause judges it.
 */

export interface JudgedScenario {
  readonly clauses: readonly string[];
  readonly verdict: Verdict;
  readonly reason: string;
  /** The clauses the scenario's not-applicable verdict defers to; empty for any other verdict. */
  readonly judgedUnder?: readonly string[];
}

const flagged = (v: Verdict): boolean => v === 'fail' || v === 'warn';

export function resolveJudgedElsewhere<R extends JudgedScenario>(results: readonly R[]): R[] {
  const flaggedClauses = new Set(results.filter((r) => flagged(r.verdict)).flatMap((r) => r.clauses));
  return results.map((r) => {
    const under = r.judgedUnder ?? [];
    if (r.verdict !== 'not-applicable' || under.length === 0) return r;
    if (under.some((c) => flaggedClauses.has(c))) return r;
    return {
      ...r,
      verdict: 'inconclusive',
      reason: `${r.reason}; but no scenario of this run flagged ${under.join(' or ')}, so nothing shows that deviation and this clause was not judged`,
    };
  });
}
