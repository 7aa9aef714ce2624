import * as fs from 'node:fs';
import { HarnessError } from './verdict';

/**
 * Ports the harness picks for itself: where the embedded reference peer listens, and the
 * tester's listener for an embedded active or alternating peer. They come from below the
 * kernel's ephemeral range, never from port 0. The kernel hands out ports from that range to
 * every listener on port 0 and every outgoing connection of every process on the host, so a
 * port given up and taken again a moment later (the 'relisten-after-close' variant between two
 * connections, an alternating peer in each passive phase) can be taken in between by anyone,
 * and the peer then never listens again: seen with several suite runs side by side, where the
 * re-listen failed with EADDRINUSE and the scenario was blamed on the peer. Below the range only
 * a process that asks for that very port can take it.
 */

/** The lowest port drawn. */
export const OWN_PORTS_FROM = 20000;
/** Draws before giving up: a port drawn at random is rarely in use. */
const ATTEMPTS = 100;

/** The first port of the kernel's ephemeral range (Linux; the usual 32768 elsewhere, below the 49152 of macOS and Windows). */
export function ephemeralLow(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/** A random port from OWN_PORTS_FROM up to the ephemeral range, with room for `span` consecutive ones. */
export function randomOwnPort(span = 1): number {
  return OWN_PORTS_FROM + Math.floor(Math.random() * Math.max(1, ephemeralLow() - OWN_PORTS_FROM - span));
}

/** Whether `err` says the port was taken (or is not ours to bind), so another one should be drawn. */
export function portTaken(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EADDRINUSE' || code === 'EACCES';
}

/** `listen(port)` on random own ports until one is free; other errors are thrown as they are. */
export async function onOwnPort<T>(listen: (port: number) => Promise<T>): Promise<T> {
  let last: unknown = null;
  for (let i = 0; i < ATTEMPTS; i++) {
    try {
      return await listen(randomOwnPort());
    } catch (err) {
      if (!portTaken(err)) throw err;
      last = err;
    }
  }
  throw new HarnessError(`no free port between ${OWN_PORTS_FROM} and ${ephemeralLow()} in ${ATTEMPTS} draws: ${(last as Error).message}`);
}
