import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * What the processes of one parallel run tell each other (parallel-workers.ts): that the run
 * stopped because a worker's IUT could not be reached or started (stopped-run.ts), or that it was
 * interrupted. A flag is a file in a folder of the run's own; a worker looks before each scenario.
 * Files, not IPC: cucumber owns the channel between its coordinator and its workers.
 */

export type RunFlag = 'stopped' | 'interrupted';

export function raiseFlag(dir: string, flag: RunFlag): void {
  fs.writeFileSync(path.join(dir, flag), '');
}

export function flagRaised(dir: string, flag: RunFlag): boolean {
  return fs.existsSync(path.join(dir, flag));
}

/** Said once when Ctrl-C reaches the run. */
export const INTERRUPT_NOTICE = '\nhsms-conformance: interrupted; finishing the current scenario, then writing the reports (Ctrl-C again to quit now)\n';
