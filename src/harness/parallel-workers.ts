import type { IutConfig } from './iut-config';

/**
 * `run --parallel N`: the scenarios run on N worker processes of cucumber's own parallel mode.
 * Every worker loads the step definitions itself and certifies its own instance of the IUT, so
 * that no scenario sees another's connections or timers:
 *
 * - the embedded reference peer listens (or the tester listens for it) on ports drawn at random (own-port.ts);
 * - a launched IUT is started by every worker, worker k (0-based) on the profile's `port` + k:
 *   a passive IUT listens there, an active one connects to the tester's listener there, an
 *   alternating one does both (at `host` and `testerHost`). The launch command finds the port in
 *   HSMS_PORT and the worker in HSMS_WORKER;
 * - an IUT already running at an address (no launch) is shared by every worker: only a passive
 *   IUT that declares `capabilities.multipleConnections: true` can serve several workers at once
 *   (E37-9.2.4); parallelRefusal() says why any other cannot;
 * - `control: manual` is refused whatever the IUT: one operator cannot follow N workers' prompts.
 */

/** This process's worker index in a parallel run (cucumber's CUCUMBER_WORKER_ID), or null in a serial run. */
export function workerIndex(env: NodeJS.ProcessEnv = process.env): number | null {
  if (env.CUCUMBER_PARALLEL !== 'true') return null;
  const id = Number(env.CUCUMBER_WORKER_ID);
  return Number.isInteger(id) && id >= 0 ? id : null;
}

/** The IUT worker `index` certifies: a launched IUT moves to the profile's port + index; any other IUT is the profile's. */
export function workerIutConfig(c: IutConfig, index: number | null): IutConfig {
  if (index === null || !c.launch) return c;
  return { ...c, port: c.port + index, worker: index };
}

/** The highest TCP port. */
const MAX_PORT = 65535;

/** Why `workers` workers cannot certify this IUT at once (a usage error, exit code 2), or null when they can. */
export function parallelRefusal(c: IutConfig, workers: number): string | null {
  if (workers <= 1 || c.control === 'embedded') return null;
  if (c.control === 'manual') return `--parallel ${workers}: the profile declares control: manual, and an operator cannot follow ${workers} workers' prompts at once; run without --parallel`;
  if (c.launch) {
    const last = c.port + workers - 1;
    if (last > MAX_PORT) return `--parallel ${workers}: the launched IUT of worker ${workers - 1} would use port ${c.port} + ${workers - 1} = ${last}, above ${MAX_PORT}; lower the profile's port`;
    return null;
  }
  const fixed = `the IUT is not launched by the harness, so every worker would certify the one instance at ${c.host}:${c.port}`;
  if (c.role !== 'passive') {
    return `--parallel ${workers}: ${fixed}; a${c.role === 'active' ? 'n active' : 'n alternating'} IUT connects to one address, where only one worker can listen; add a launch command (worker k then uses port ${c.port} + k) or run without --parallel`;
  }
  if (!c.capabilities.multipleConnections) {
    return `--parallel ${workers}: ${fixed}, and the profile declares capabilities.multipleConnections: false (E37-9.2.4: it serves one connection at a time); declare true if it accepts several connections, add a launch command (worker k then uses port ${c.port} + k), or run without --parallel`;
  }
  return null;
}
