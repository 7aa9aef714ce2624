import type { IutProfile } from '../harness/profile';
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
