import type { ScenarioResult } from './suite-runner';

/**
 * A run whose IUT cannot be reached or started stops early (exit code 3) with one message,
 * instead of spending every remaining scenario's waits on a dead address. The scenarios that
 * ran keep their verdicts and evidence; the others are listed as not run, each with this one
 * short reason and no copy of the cause: the cause is said once, for the run.
 */

/** After this many scenarios in a row without reaching or starting the IUT, the run stops. */
export const UNREACHABLE_LIMIT = 3;

/** Reason recorded for every scenario the run did not attempt after it stopped. */
export const NOT_RUN_UNREACHABLE = 'not run: the run stopped because the IUT could not be reached or started';

export interface StoppedRun {
  /** Why the IUT could not be reached or started: the reason of the last scenario that tried. */
  readonly cause: string;
  /** Scenarios that ran (whatever their verdict), scenarios not applicable to the IUT, and scenarios not run. */
  readonly ran: number;
  readonly notApplicable: number;
  readonly notRun: number;
}

/** The stop of a run, from its results; null when every scenario ran. */
export function stoppedRun(results: readonly ScenarioResult[]): StoppedRun | null {
  const notRun = results.filter((r) => r.reason === NOT_RUN_UNREACHABLE).length;
  if (notRun === 0) return null;
  const tried = results.filter((r) => r.unreachable && r.reason !== NOT_RUN_UNREACHABLE);
  const notApplicable = results.filter((r) => r.verdict === 'not-applicable').length;
  return {
    cause: tried[tried.length - 1]?.reason ?? 'the IUT could not be reached or started',
    ran: results.length - notRun - notApplicable,
    notApplicable,
    notRun,
  };
}

/** The run's one message about its stop, for the console and the reports. */
export function describeStoppedRun(s: StoppedRun): string {
  return [
    `the run stopped: the IUT could not be reached or started in ${UNREACHABLE_LIMIT} scenarios in a row`,
    ...s.cause.split('\n').map((l) => `  ${l}`),
    `${s.ran} scenario(s) ran and are reported, ${s.notApplicable} are not applicable to the IUT, ${s.notRun} were not run`,
  ].join('\n');
}
