/**
 * What a step does and what it checks, kept next to its definition (steps/step.ts attaches it
 * to the function cucumber receives): `hsms-conformance steps` prints the catalogue from these.
 */
export interface StepDoc {
  /** What the step does to the IUT or the connection, in a tester's words. */
  readonly does: string;
  /**
   * What the step judges and how: the verdict when the IUT does not behave (a Given step's
   * failure is inconclusive: its precondition was not met). Omitted for steps that only act.
   */
  readonly checks?: string;
}

/** Where a step definition's StepDoc is kept on the function cucumber receives. */
export const STEP_DOC: unique symbol = Symbol.for('hsms-conformance.step-doc') as never;

/** The StepDoc a step function carries, if any. */
export function stepDocOf(code: unknown): StepDoc | undefined {
  return typeof code === 'function' ? (code as { [STEP_DOC]?: StepDoc })[STEP_DOC] : undefined;
}
