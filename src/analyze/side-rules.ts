import { sameAddress, type IutProfile } from '../harness/profile';
import type { Standard, TimerName } from '../peer/parameters';

/**
 * What the analysis knows of one entity beyond its traffic: the values it declares in a profile
 * (`--profile`), or nothing but the standard it is judged under. Timer limits exist only where
 * declared; without them the measured values are reported and the limit is not tested.
 */
export interface SideRules {
  readonly standard: Standard;
  /** The profile's name, when one was given for this entity. */
  readonly profileName: string | null;
  /** Declared timers in milliseconds, or null without a profile. */
  readonly timers: Readonly<Record<TimerName, number>> | null;
  readonly toleranceMs: number;
  /** Largest message the entity accepts (E37-10 item 4), when declared. */
  readonly maxLength: number | null;
  /** The session (device) id its data messages carry, when declared. */
  readonly sessionId: number | null;
  readonly multipleConnections: boolean | null;
}

/**
 * Which side of a connection to `server` a profile declares: a passive profile the side accepting
 * on its port, an active one the side connecting to its port. An alternating entity does both
 * with the same port (E37 A1-3), so its addresses tell the sides apart: it accepts at `host` and
 * connects to the remote entity listening at `testerHost`.
 */
export function profiledSide(p: IutProfile, server: { readonly address: string; readonly port: number }): 'accepting' | 'connecting' | null {
  if (p.port !== server.port) return null;
  if (p.role === 'passive') return 'accepting';
  if (p.role === 'active') return 'connecting';
  if (sameAddress(server.address, p.host)) return 'accepting';
  return sameAddress(server.address, p.testerHost) ? 'connecting' : null;
}

export function undeclared(standard: Standard): SideRules {
  return { standard, profileName: null, timers: null, toleranceMs: 0, maxLength: null, sessionId: null, multipleConnections: null };
}

export function rulesFromProfile(p: IutProfile): SideRules {
  const ms = (s: number): number => Math.round(s * 1000);
  return {
    standard: p.standard,
    profileName: p.name,
    timers: { t3: ms(p.timers.t3), t5: ms(p.timers.t5), t6: ms(p.timers.t6), t7: ms(p.timers.t7), t8: ms(p.timers.t8) },
    toleranceMs: ms(p.tolerance),
    maxLength: p.capabilities.maxMessageLength,
    sessionId: p.sessionId,
    multipleConnections: p.capabilities.multipleConnections,
  };
}
