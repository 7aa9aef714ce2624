/**
 * HSMS protocol parameters (E37-10.1) and their validation.
 *
 * E37-10.1 requires at least the ranges 1-120 s (T3, T8) and 1-240 s (T5, T6, T7) with a
 * resolution of 1 s. This implementation accepts a wider range: any multiple of 1 ms from
 * 0.05 s up to 86400 s. Sub-second values are an extension so that tests can run fast; they are
 * legal under 10.1, which sets minimum ranges, not maximum ones.
 */

/** How the entity forms connections (E37-6.3, A1-3). */
export type ConnectMode = 'passive' | 'active' | 'alternating';
/** e37: generic HSMS; hsms-ss: the HSMS-SS restrictions of SEMI E37.1 apply. */
export type Standard = 'e37' | 'hsms-ss';
/** How a single-connection passive entity refuses further connections (E37-9.2.4.1 a, b or c). */
export type RefusalOption = 'a' | 'b' | 'c';

/** The HSMS timers in seconds (E37-10.1). */
export interface TimerSeconds {
  readonly t3: number;
  readonly t5: number;
  readonly t6: number;
  readonly t7: number;
  readonly t8: number;
}

/** The name of one of the timers. */
export type TimerName = keyof TimerSeconds;
/** The timers, in E37 order. */
export const TIMER_NAMES: readonly TimerName[] = ['t3', 't5', 't6', 't7', 't8'];

/** The "typical values" column of E37-10.1. */
export const TYPICAL_TIMERS: TimerSeconds = { t3: 45, t5: 10, t6: 5, t7: 10, t8: 5 };

/** The minimum ranges E37-10.1 demands of every implementation, in seconds. */
export const E37_MINIMUM_RANGES: Readonly<Record<TimerName, readonly [number, number]>> = {
  t3: [1, 120],
  t5: [1, 240],
  t6: [1, 240],
  t7: [1, 240],
  t8: [1, 120],
};

/** What this implementation accepts (documented in the README, E37-10 items 1 and 2). */
export const TIMER_LIMITS = { min: 0.05, max: 86400, resolution: 0.001 } as const;

/** E37-10 item 4: the default largest message accepted; configurable up to 0xFFFFFFFF. */
export const DEFAULT_MAX_LENGTH = 16 * 1024 * 1024;

/** The parameters of an HSMS entity (E37-10.1), as `hsms-peer` takes them. */
export interface PeerParameters {
  readonly mode: ConnectMode;
  /** Passive: where it listens. Active: where it connects, unless `remoteHost` is set. Alternating: where it listens in its passive phase. */
  readonly host: string;
  readonly port: number;
  /**
   * Active and alternating modes: the address connect attempts go to, at `port` (E37-10.1: the
   * remote address is an installation parameter). Unset, they go to `host`. An alternating entity
   * listens on `host` and connects to `remoteHost`, so both can be addresses of one machine.
   */
  readonly remoteHost?: string;
  readonly sessionId: number;
  readonly timers: TimerSeconds;
  readonly maxLength: number;
  readonly standard: Standard;
  /** E37-9.2.4: accept several connections on the published port, each independent. */
  readonly multipleConnections: boolean;
  /** E37-9.2.4.1: how further connections are refused when multipleConnections is false. */
  readonly refusal: RefusalOption;
  /** The peer's application: primary `SxFy` -> the SECS-II text of its reply (configuration file only). */
  readonly replies?: Readonly<Record<string, string>>;
}

/** Defaults: passive on 127.0.0.1:5000, session id 0, the typical timers, 16 MiB messages, e37, one connection, refusal option a. */
export const DEFAULT_PARAMETERS: PeerParameters = {
  mode: 'passive',
  host: '127.0.0.1',
  port: 5000,
  sessionId: 0,
  timers: TYPICAL_TIMERS,
  maxLength: DEFAULT_MAX_LENGTH,
  standard: 'e37',
  multipleConnections: false,
  refusal: 'a',
};

/** A parameter that failed validation; `field` names it the way the user wrote it. */
export class ParameterError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ParameterError';
  }
}

/** Checks one timer against TIMER_LIMITS; returns it or throws a ParameterError naming `field`. */
export function validateTimer(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ParameterError(field, `must be a number of seconds, got ${JSON.stringify(value)}`);
  if (value < TIMER_LIMITS.min || value > TIMER_LIMITS.max) {
    throw new ParameterError(field, `must be between ${TIMER_LIMITS.min} and ${TIMER_LIMITS.max} seconds, got ${value}`);
  }
  if (Math.abs(Math.round(value * 1000) - value * 1000) > 1e-6) throw new ParameterError(field, `resolution is 1 ms, got ${value}`);
  return value;
}

/** Checks every parameter; returns them or throws a ParameterError naming the first field at fault. */
export function validateParameters(p: PeerParameters): PeerParameters {
  if (!['passive', 'active', 'alternating'].includes(p.mode)) throw new ParameterError('mode', `must be passive, active or alternating, got ${JSON.stringify(p.mode)}`);
  if (typeof p.host !== 'string' || p.host.length === 0) throw new ParameterError('host', 'must be a non-empty host name or address');
  if (p.remoteHost !== undefined) {
    if (typeof p.remoteHost !== 'string' || p.remoteHost.length === 0) throw new ParameterError('remote-host', 'must be a non-empty host name or address');
    if (p.mode === 'passive') throw new ParameterError('remote-host', 'applies to active and alternating modes (a passive entity connects nowhere)');
  }
  if (!Number.isInteger(p.port) || p.port < 0 || p.port > 65535) throw new ParameterError('port', `must be an integer 0-65535, got ${p.port}`);
  if (!Number.isInteger(p.sessionId) || p.sessionId < 0 || p.sessionId > 0xffff) throw new ParameterError('session-id', `must be an integer 0-65535, got ${p.sessionId}`);
  for (const name of TIMER_NAMES) validateTimer(name, p.timers[name]);
  if (!Number.isInteger(p.maxLength) || p.maxLength < 10 || p.maxLength > 0xffffffff) {
    throw new ParameterError('max-length', `must be an integer from 10 to 4294967295, got ${p.maxLength}`);
  }
  if (p.standard !== 'e37' && p.standard !== 'hsms-ss') throw new ParameterError('standard', `must be e37 or hsms-ss, got ${JSON.stringify(p.standard)}`);
  if (!['a', 'b', 'c'].includes(p.refusal)) throw new ParameterError('refusal', `must be a, b or c, got ${JSON.stringify(p.refusal)}`);
  return p;
}

/** Seconds to whole milliseconds. */
export function toMillis(seconds: number): number {
  return Math.round(seconds * 1000);
}
