import { IutUnreachable, JudgedElsewhere, VerdictSignal } from '../src/harness/verdict';
import type { ScenarioContext } from '../src/harness/scenario-context';
import { STEP_DOC, type StepDoc } from '../src/harness/step-doc';
import type { HsmsWorld } from './world';

export { STEP_DOC, type StepDoc };

/** A step body: the scenario's context first, then the step's parameters; `this` is the world. */
export type StepBody<A extends unknown[]> = (this: HsmsWorld, ctx: ScenarioContext, ...args: A) => Promise<void> | void;

/** The function `step` returns, for cucumber's `Given`, `When` and `Then`. */
export type StepFunction<A extends unknown[]> = ((this: HsmsWorld, ...args: A) => Promise<'skipped' | undefined>) & { readonly [STEP_DOC]?: StepDoc };

/**
 * Wraps a step body: verdict signals (Failure, Inconclusive, NotApplicable, HarnessError)
 * become the scenario's findings. A failure while establishing a precondition (a Given step)
 * proves nothing about the clause under test: inconclusive. Not-applicable and inconclusive end
 * the scenario as skipped; fail and error as failed. Any other exception is a harness error.
 *
 * @example
 * When('the host sends S1F13', step({ does: 'Sends S1F13 W (Establish Communications Request).' }, async (ctx) => {
 *   sendPrimary(ctx, { stream: 1, function: 13, text: '<L>' });
 * }));
 */
export function step<A extends unknown[]>(body: StepBody<A>): StepFunction<A>;
export function step<A extends unknown[]>(doc: StepDoc, body: StepBody<A>): StepFunction<A>;
export function step<A extends unknown[]>(docOrBody: StepDoc | StepBody<A>, maybeBody?: StepBody<A>): StepFunction<A> {
  const body = typeof docOrBody === 'function' ? docOrBody : maybeBody;
  if (!body) throw new TypeError('step(doc, body): the body is missing');
  const doc = typeof docOrBody === 'function' ? undefined : docOrBody;
  const wrapped = async function (this: HsmsWorld, ...args: A): Promise<'skipped' | undefined> {
    try {
      await body.call(this, this.ctx, ...args);
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
  if (doc) Object.defineProperty(wrapped, STEP_DOC, { value: doc });
  return wrapped;
}
