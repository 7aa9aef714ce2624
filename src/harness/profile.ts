/**
 * The IUT profile (CONTRACTS.md section 3): what the implementation under test declares
 * (capabilities, which decide which scenarios apply) and how to reach and drive it (test
 * parameters). Read from a YAML file in the subset of ./yaml-subset.
 *
 * Every problem is a `ProfileError` whose `field` is the full key path as the user wrote it
 * (`capabilities.refusal`, `timers.t9`, `launch.env.X`) and whose message starts with that
 * path; the CLI turns it into exit code 2 (CONTRACTS.md section 2). Unknown keys are errors
 * rather than warnings because a misspelt key (`tolerence`) would otherwise silently fall back
 * to a default and change verdicts.
 */

import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { dirname, resolve } from 'node:path';
import {
  DEFAULT_MAX_LENGTH,
  ParameterError,
  TIMER_NAMES,
  TYPICAL_TIMERS,
  validateTimer,
  type ConnectMode,
  type RefusalOption,
  type Standard,
  type TimerName,
  type TimerSeconds,
} from '../peer/parameters';
import { YamlError, parseYamlDocument, type YamlMapping, type YamlPosition, type YamlValue } from './yaml-subset';

export type ControlMode = 'stdin' | 'manual' | 'none';
export type RestartPolicy = 'per-scenario' | 'once';

export interface IutCapabilities {
  /** E37-9.2.4: several connections accepted on the published port. */
  readonly multipleConnections: boolean;
  /** E37-9.2.4.1 refusal option; absent when the profile does not declare one. */
  readonly refusal?: RefusalOption;
  /** E37-10 item 4: the largest message the IUT accepts, in bytes. */
  readonly maxMessageLength: number;
}

export interface IutLaunch {
  /** Run through the shell. */
  readonly command: string;
  /** Extra environment; numbers written in the YAML arrive here as their decimal text. */
  readonly env: Readonly<Record<string, string>>;
  readonly restart: RestartPolicy;
  /**
   * Extension: working directory of the command. `parseProfile` keeps it as written;
   * `loadProfile` resolves it against the profile file's directory.
   */
  readonly cwd?: string;
  /** Extension: seconds to wait for the launched IUT to become reachable (default 10). */
  readonly readyTimeout: number;
}

export interface IutProfile {
  readonly name: string;
  /** The IUT's connect mode. */
  readonly role: ConnectMode;
  /** Passive IUT: where it listens; active IUT: where the harness listens. Always loopback. */
  readonly host: string;
  readonly port: number;
  readonly sessionId: number;
  readonly standard: Standard;
  /** As configured in the IUT, seconds. */
  readonly timers: TimerSeconds;
  /** Seconds a measured timer may differ from the declared one before the verdict is fail. */
  readonly tolerance: number;
  readonly capabilities: IutCapabilities;
  readonly launch?: IutLaunch;
  readonly control: ControlMode;
}

export const DEFAULT_TOLERANCE = 0.5;
export const DEFAULT_READY_TIMEOUT = 10;

/** A profile problem; `field` is the full key path, and the message starts with it. */
export class ProfileError extends Error {
  constructor(
    readonly field: string,
    /** The problem without the field prefix. */
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'ProfileError';
  }
}

const TOP_KEYS = ['name', 'role', 'host', 'port', 'sessionId', 'standard', 'timers', 'tolerance', 'capabilities', 'launch', 'control'] as const;
const CAPABILITY_KEYS = ['multipleConnections', 'refusal', 'maxMessageLength'] as const;
const LAUNCH_KEYS = ['command', 'env', 'restart', 'cwd', 'readyTimeout'] as const;
const ROLES: readonly ConnectMode[] = ['passive', 'active', 'alternating'];
const STANDARDS: readonly Standard[] = ['e37', 'hsms-ss'];
const REFUSALS: readonly RefusalOption[] = ['a', 'b', 'c'];
const RESTARTS: readonly RestartPolicy[] = ['per-scenario', 'once'];
const CONTROLS: readonly ControlMode[] = ['stdin', 'manual', 'none'];

/** The variables `launchEnvironment` sets from the profile (CONTRACTS.md section 3). */
export const PROFILE_ENV_NAMES = ['HSMS_ROLE', 'HSMS_HOST', 'HSMS_PORT', 'HSMS_SESSION_ID', 'HSMS_T3', 'HSMS_T5', 'HSMS_T6', 'HSMS_T7', 'HSMS_T8'] as const;

export function parseProfile(text: string, source: string): IutProfile {
  let value: YamlValue;
  let positions: ReadonlyMap<string, YamlPosition>;
  try {
    ({ value, positions } = parseYamlDocument(text));
  } catch (err) {
    if (!(err instanceof YamlError)) throw err;
    throw new ProfileError(err.path ?? 'profile', `${err.detail} (${source} line ${err.line}, column ${err.column})`);
  }
  return new ProfileReader(source, positions).read(value);
}

export function loadProfile(path: string): IutProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ProfileError('profile', `cannot read ${path}: ${(err as Error).message}`);
  }
  const profile = parseProfile(text, path);
  if (profile.launch?.cwd === undefined) return profile;
  // The profile travels with its launcher script, so a relative cwd means "next to the profile",
  // whatever directory the harness happens to run from.
  return { ...profile, launch: { ...profile.launch, cwd: resolve(dirname(resolve(path)), profile.launch.cwd) } };
}

/**
 * What the launched command finds in its environment, beyond the harness's own (the launcher
 * adds this on top of `process.env`): `launch.env`, then the HSMS_* variables of CONTRACTS.md
 * section 3. The HSMS_* variables win over `launch.env` because they describe the profile the
 * harness tests against; an IUT started with different values would be tested against the wrong
 * expectations. `parseProfile` already rejects those names in `launch.env`, so the precedence
 * only matters for profiles built in code.
 */
export function launchEnvironment(p: IutProfile): Record<string, string> {
  return {
    ...(p.launch?.env ?? {}),
    HSMS_ROLE: p.role,
    HSMS_HOST: p.host,
    HSMS_PORT: String(p.port),
    HSMS_SESSION_ID: String(p.sessionId),
    HSMS_T3: String(p.timers.t3),
    HSMS_T5: String(p.timers.t5),
    HSMS_T6: String(p.timers.t6),
    HSMS_T7: String(p.timers.t7),
    HSMS_T8: String(p.timers.t8),
  };
}

/** Flat key -> text, in profile order, for the report's "IUT profile" table. */
export function describeProfile(p: IutProfile): Record<string, string> {
  const out: Record<string, string> = {
    name: p.name,
    role: p.role,
    host: p.host,
    port: String(p.port),
    sessionId: String(p.sessionId),
    standard: p.standard,
  };
  for (const t of TIMER_NAMES) out[`timers.${t}`] = String(p.timers[t]);
  out.tolerance = String(p.tolerance);
  out['capabilities.multipleConnections'] = String(p.capabilities.multipleConnections);
  out['capabilities.refusal'] = p.capabilities.refusal ?? 'not declared';
  out['capabilities.maxMessageLength'] = String(p.capabilities.maxMessageLength);
  if (p.launch) {
    out['launch.command'] = p.launch.command;
    for (const [k, v] of Object.entries(p.launch.env)) out[`launch.env.${k}`] = v;
    out['launch.restart'] = p.launch.restart;
    if (p.launch.cwd !== undefined) out['launch.cwd'] = p.launch.cwd;
    out['launch.readyTimeout'] = String(p.launch.readyTimeout);
  }
  out.control = p.control;
  return out;
}

/** A loopback address: 127.0.0.0/8, localhost, ::1 (also written out, or IPv4-mapped 127/8). */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  if (isIPv4(host)) return host.split('.')[0] === '127';
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!isIPv6(bare)) return false;
  // The URL parser canonicalises IPv6 text (zero compression, mapped IPv4 in hex).
  const canonical = new URL(`http://[${bare}]/`).hostname;
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

function show(v: YamlValue): string {
  if (Array.isArray(v)) return 'a list';
  if (v !== null && typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}

function isMapping(v: YamlValue | undefined): v is YamlMapping {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function has(m: YamlMapping, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(m, key);
}

class ProfileReader {
  constructor(
    private readonly source: string,
    private readonly positions: ReadonlyMap<string, YamlPosition>,
  ) {}

  private fail(field: string, detail: string): never {
    const pos = this.positions.get(field);
    throw new ProfileError(field, pos ? `${detail} (${this.source} line ${pos.line})` : `${detail} (${this.source})`);
  }

  read(doc: YamlValue): IutProfile {
    if (doc === null) this.fail('profile', 'is empty; a profile needs at least name, role and port');
    if (!isMapping(doc)) this.fail('profile', `must be a YAML mapping of keys to values, got ${show(doc)}`);
    this.checkKeys(doc, '', TOP_KEYS);

    const name = this.string(doc, 'name', 'name', true);
    if (name.trim() === '') this.fail('name', 'must not be empty');
    const role = this.oneOf(doc, 'role', 'role', ROLES, undefined);
    const host = this.string(doc, 'host', 'host', false) ?? '127.0.0.1';
    if (!isLoopbackHost(host)) {
      this.fail('host', `must be a loopback address (127.0.0.0/8, localhost or ::1), got ${JSON.stringify(host)}: this harness only talks to equipment on the local machine`);
    }
    const port = this.integer(doc, 'port', 'port', 1, 65535, undefined);
    const sessionId = this.integer(doc, 'sessionId', 'sessionId', 0, 0xffff, 0);
    const standard = this.oneOf(doc, 'standard', 'standard', STANDARDS, 'e37');
    const timers = this.timers(doc.timers);
    const tolerance = this.positive(doc, 'tolerance', 'tolerance', DEFAULT_TOLERANCE);
    const capabilities = this.capabilities(doc.capabilities);
    const launch = has(doc, 'launch') ? this.launch(doc.launch) : undefined;
    const control = this.oneOf(doc, 'control', 'control', CONTROLS, launch ? 'stdin' : 'none');
    if (control === 'stdin' && !launch) {
      this.fail('control', "'stdin' needs launch: the harness writes commands to the standard input of the command it launched; add launch, or use manual or none");
    }

    return { name, role, host, port, sessionId, standard, timers, tolerance, capabilities, ...(launch ? { launch } : {}), control };
  }

  private checkKeys(m: YamlMapping, path: string, known: readonly string[]): void {
    for (const key of Object.keys(m)) {
      if (!known.includes(key)) this.fail(path === '' ? key : `${path}.${key}`, `unknown key (known: ${known.join(', ')})`);
    }
  }

  /** An optional section; an empty one (`capabilities:` with everything commented out) is `{}`. */
  private section(v: YamlValue | undefined, field: string): YamlMapping {
    if (v === undefined || v === null) return {};
    if (!isMapping(v)) this.fail(field, `must be a mapping, got ${show(v)}`);
    return v;
  }

  private string(m: YamlMapping, key: string, field: string, required: true): string;
  private string(m: YamlMapping, key: string, field: string, required: false): string | undefined;
  private string(m: YamlMapping, key: string, field: string, required: boolean): string | undefined {
    if (!has(m, key)) {
      if (required) this.fail(field, 'is required');
      return undefined;
    }
    const v = m[key];
    // No silent conversion: `name: 2.1` is a number in YAML, and quoting says what was meant.
    if (typeof v !== 'string') this.fail(field, `must be a string, got ${show(v)} (quote it if it is meant as text)`);
    return v;
  }

  private oneOf<T extends string>(m: YamlMapping, key: string, field: string, allowed: readonly T[], fallback: T | undefined): T {
    if (!has(m, key)) {
      if (fallback === undefined) this.fail(field, `is required (one of ${allowed.join(', ')})`);
      return fallback;
    }
    const v = m[key];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.fail(field, `must be one of ${allowed.join(', ')}, got ${show(v)}`);
    return v as T;
  }

  private integer(m: YamlMapping, key: string, field: string, min: number, max: number, fallback: number | undefined): number {
    if (!has(m, key)) {
      if (fallback === undefined) this.fail(field, `is required (an integer from ${min} to ${max})`);
      return fallback;
    }
    const v = m[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(field, `must be an integer from ${min} to ${max}, got ${show(v)}`);
    return v;
  }

  private positive(m: YamlMapping, key: string, field: string, fallback: number): number {
    if (!has(m, key)) return fallback;
    const v = m[key];
    if (typeof v !== 'number' || !(v > 0)) this.fail(field, `must be a number of seconds greater than 0, got ${show(v)}`);
    return v;
  }

  private timers(v: YamlValue | undefined): TimerSeconds {
    const m = this.section(v, 'timers');
    this.checkKeys(m, 'timers', TIMER_NAMES);
    const out: Record<TimerName, number> = { ...TYPICAL_TIMERS };
    for (const t of TIMER_NAMES) {
      if (!has(m, t)) continue;
      const field = `timers.${t}`;
      try {
        // The same limits the reference peer accepts, so one profile can drive both.
        out[t] = validateTimer(field, m[t]);
      } catch (err) {
        if (!(err instanceof ParameterError)) throw err;
        this.fail(field, err.message.slice(`${err.field}: `.length));
      }
    }
    return out;
  }

  private capabilities(v: YamlValue | undefined): IutCapabilities {
    const m = this.section(v, 'capabilities');
    this.checkKeys(m, 'capabilities', CAPABILITY_KEYS);
    let multipleConnections = false;
    if (has(m, 'multipleConnections')) {
      const b = m.multipleConnections;
      if (typeof b !== 'boolean') this.fail('capabilities.multipleConnections', `must be true or false, got ${show(b)}`);
      multipleConnections = b;
    }
    const refusal = has(m, 'refusal') ? this.oneOf(m, 'refusal', 'capabilities.refusal', REFUSALS, undefined) : undefined;
    if (refusal !== undefined && multipleConnections) {
      // E37-9.2.4.1 options only exist for an entity that refuses further connections.
      this.fail('capabilities.refusal', 'applies only when capabilities.multipleConnections is false (E37-9.2.4.1)');
    }
    const maxMessageLength = this.integer(m, 'maxMessageLength', 'capabilities.maxMessageLength', 10, 0xffffffff, DEFAULT_MAX_LENGTH);
    return { multipleConnections, ...(refusal !== undefined ? { refusal } : {}), maxMessageLength };
  }

  private launch(v: YamlValue | undefined): IutLaunch {
    const m = this.section(v, 'launch');
    this.checkKeys(m, 'launch', LAUNCH_KEYS);
    const command = this.string(m, 'command', 'launch.command', true);
    if (command.trim() === '') this.fail('launch.command', 'must not be empty');
    const env = this.env(m.env);
    const restart = this.oneOf(m, 'restart', 'launch.restart', RESTARTS, 'per-scenario');
    const cwd = this.string(m, 'cwd', 'launch.cwd', false);
    if (cwd !== undefined && cwd === '') this.fail('launch.cwd', 'must not be empty');
    const readyTimeout = this.positive(m, 'readyTimeout', 'launch.readyTimeout', DEFAULT_READY_TIMEOUT);
    return { command, env, restart, ...(cwd !== undefined ? { cwd } : {}), readyTimeout };
  }

  private env(v: YamlValue | undefined): Record<string, string> {
    const m = this.section(v, 'launch.env');
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(m)) {
      const field = `launch.env.${name}`;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) this.fail(field, 'is not a valid environment variable name (letters, digits and _, not starting with a digit)');
      if ((PROFILE_ENV_NAMES as readonly string[]).includes(name)) {
        this.fail(field, 'is set by the harness from the profile itself (role, host, port, sessionId, timers); change those keys instead');
      }
      if (typeof value !== 'number' && typeof value !== 'string') this.fail(field, `must be a string or a number, got ${show(value)} (quote it to pass it as text)`);
      // defineProperty, because assigning to a variable named __proto__ would be silently lost.
      Object.defineProperty(out, name, { value: String(value), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}
