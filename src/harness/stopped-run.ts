import type { ScenarioResult } from './suite-runner';

/**
 * A run whose IUT cannot be reached or started stops early (exit code 3) with one message,
 * instead of spending every remaining scenario's waits on a dead address. The scenarios that
 * ran keep their verdicts and evidence; the others are listed as not run, each with this one
 * short reason and no copy of the cause: the cause is said once, for the run.
 *
 * In a parallel run every worker counts its own scenarios, against its own instance of the IUT
 * (parallel-workers.ts); the first worker to reach the limit stops the whole run (run-flags.ts),
 * so the run ends as a serial one would, and the message names that worker.
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
  /** In a parallel run: the worker whose IUT could not be reached or started, of how many. */
  readonly worker?: { readonly index: number; readonly of: number };
}

/** The stop of a run of `workers` workers, from its results; null when every scenario ran. */
export function stoppedRun(results: readonly ScenarioResult[], workers = 1): StoppedRun | null {
  const notRun = results.filter((r) => r.reason === NOT_RUN_UNREACHABLE).length;
  if (notRun === 0) return null;
  let tried = results.filter((r) => r.unreachable && r.reason !== NOT_RUN_UNREACHABLE);
  let worker: StoppedRun['worker'];
  if (workers > 1) {
    // The worker that stopped the run is the one that failed to reach its IUT most often.
    const count = (w: number | undefined): number => tried.filter((r) => r.worker === w).length;
    const index = tried.map((r) => r.worker).reduce<number | undefined>((best, w) => (best === undefined || count(w) >= count(best) ? w : best), undefined);
    if (index !== undefined) {
      tried = tried.filter((r) => r.worker === index);
      worker = { index, of: workers };
    }
  }
  const notApplicable = results.filter((r) => r.verdict === 'not-applicable').length;
  return {
    cause: tried[tried.length - 1]?.reason ?? 'the IUT could not be reached or started',
    ran: results.length - notRun - notApplicable,
    notApplicable,
    notRun,
    ...(worker ? { worker } : {}),
  };
}

/** The run's one message about its stop, for the console and the reports. */
export function describeStoppedRun(s: StoppedRun): string {
  return [
    `the run stopped: the IUT could not be reached or started in ${UNREACHABLE_LIMIT} scenarios in a row` +
      (s.worker ? ` by worker ${s.worker.index} of ${s.worker.of} (each worker certifies its own instance of the IUT; the other workers stopped with it)` : ''),
    ...s.cause.split('\n').map((l) => `  ${l}`),
    `${s.ran} scenario(s) ran and are reported, ${s.notApplicable} are not applicable to the IUT, ${s.notRun} were not run`,
  ].join('\n');
}
