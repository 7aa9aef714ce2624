import * as net from 'node:net';
import { delay } from './tester-connection';

/**
 * Whether a launched IUT's port has been released, so the next instance can listen on it.
 *
 * The probe binds the port itself and closes at once. Node binds with SO_REUSEADDR, so a probe
 * is refused by what refuses the next instance too: a listener that is still open (a process
 * that outlived its launcher), and, on Linux, connections in TIME_WAIT left by an IUT that
 * binds without SO_REUSEADDR.
 */

/** How often a held port is probed again. */
const PROBE_EVERY_MS = 20;

/** True when host:port can be bound now; errors other than "in use" cannot be judged and count as free. */
export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'EADDRINUSE'));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Waits until host:port can be bound or `timeoutMs` passes; returns whether it was released. */
export async function waitPortReleased(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await portIsFree(host, port)) return true;
    if (performance.now() >= deadline) return false;
    await delay(PROBE_EVERY_MS);
  }
}
