/**
 * The step-definition API of hsms-conformance (`import ... from 'hsms-conformance/steps'`):
 * what a user's own step definitions need to run beside the built-in ones, with the same
 * verdicts, traces and reports.
 *
 * `Given`, `When`, `Then` and the hooks are the harness's own cucumber functions, so steps
 * defined with them register in the same support library as the built-in steps (a cucumber
 * installed separately in the user's project would not). Wrap each body in {@link step} to get
 * the scenario's {@link ScenarioContext} and to turn {@link Failure}, {@link Inconclusive} and
 * {@link NotApplicable} into verdicts.
 *
 * @example
 * import { Then, When, step, sendPrimary, expectReplyTo, itemAt, Failure } from 'hsms-conformance/steps';
 *
 * When('the host sends S1F13', step({ does: 'Sends S1F13 W with an empty list.' }, (ctx) => {
 *   sendPrimary(ctx, { stream: 1, function: 13, text: '<L>' });
 * }));
 *
 * @module hsms-conformance/steps
 */

export { After, AfterAll, Before, BeforeAll, BeforeStep, AfterStep, DataTable, Given, Then, When, defineParameterType } from '@cucumber/cucumber';
export { step, STEP_DOC, type StepBody, type StepDoc, type StepFunction } from './step';
export type { HsmsWorld, SuiteParameters } from './world';
export { ScenarioContext, type ConnName } from '../src/harness/scenario-context';
export { expectItem, expectReplyTo, itemAt, sendPrimary, toItem, type PrimaryMessage, type ReplyMessage } from '../src/harness/data-exchange';
export { Failure, HarnessError, Inconclusive, NotApplicable, VerdictSignal, type Verdict } from '../src/harness/verdict';
export type { IutConfig } from '../src/harness/iut-config';
