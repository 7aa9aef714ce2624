import { IutUnreachable, JudgedElsewhere, VerdictSignal } from '../src/harness/verdict';
import type { ScenarioContext } from '../src/harness/scenario-context';
import type { HsmsWorld } from './world';

/**
 * Wraps a step body: verdict signals become findings. A failure while establishing a
 * precondition (a Given step) proves nothing about the clause under test: inconclusive.
 * Not-applicable and inconclusive end the scenario as skipped; fail and error as failed.
 */
export function step<A extends unknown[]>(body: (ctx: ScenarioContext, ...args: A) => Promise<void> | void) {
  const wrapped = async function (this: HsmsWorld, ...args: A): Promise<'skipped' | undefined> {
    try {
      await body(this.ctx, ...args);
      return undefined;
    } catch (err) {
      if (!(err instanceof VerdictSignal)) {
        this.ctx.recorder.add('error', `harness error: ${(err as Error).stack ?? String(err)}`);
        throw err;
      }
      let verdict = err.verdict;
      let reason = err.reason;
      if (verdict === 'fail' && this.stepType === 'Context') {
        verdict = 'inconclusive';
        reason = `precondition not met: ${reason}`;
      }
      if (err instanceof IutUnreachable) this.ctx.recorder.unreachable = true;
      this.ctx.recorder.add(verdict, reason, err instanceof JudgedElsewhere ? err.clauses : undefined);
      if (verdict === 'fail' || verdict === 'error') throw new Error(`${verdict.toUpperCase()}: ${reason}`);
      return 'skipped';
    }
  };
  // Cucumber checks a step function's arity against the expression's parameters.
  Object.defineProperty(wrapped, 'length', { value: Math.max(0, body.length - 1) });
  return wrapped;
}
