/**
 * The IUT profile (CONTRACTS.md section 3): what the implementation under test declares
 * (capabilities, which decide which scenarios apply) and how to reach and drive it (test
 * parameters). A YAML file, checked against `profile.schema.json` (./profile-schema), then
 * against the rules a schema cannot say (loopback hosts, 1 ms timer resolution, rules between
 * keys), here.
 *
 * Every problem of a file is reported at once, each with the full key path as the user wrote it
 * (`capabilities.refusal`, `timers.t9`, `launch.env.X`) and its line and column; the CLI turns
 * a `ProfileError` into exit code 2 (CONTRACTS.md section 2). Unknown keys are errors rather
 * than warnings because a misspelt key (`tolerence`) would otherwise silently fall back to a
 * default and change verdicts.
 */

import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { PeerCommand } from '../cli/peer-commands';
import { ParameterError, TIMER_NAMES, validateTimer, type ConnectMode, type RefusalOption, type Standard, type TimerSeconds } from '../peer/parameters';
import { ProfileDocument, type KeyPath } from './profile-document';
import { applyDefaults, schemaEnum, schemaProblems, show, type SchemaProblem } from './profile-schema';

export type ControlMode = 'stdin' | 'manual' | 'none';
/** A procedure the harness can make the IUT initiate, named as its control command (CONTRACTS.md section 1). */
export type ControlProcedure = PeerCommand['kind'];
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
  /** Passive IUT: where it listens; active IUT: where the harness listens; alternating IUT: where it listens in its passive phase. Always loopback. */
  readonly host: string;
  /**
   * Extension, alternating IUT only: where the harness listens for the IUT's active connect
   * attempts, at `port` (default 127.0.0.2). It differs from `host`, so the harness's listener
   * never collides with the IUT's published port (E37 A1-3). Always loopback.
   */
  readonly testerHost: string;
  readonly port: number;
  readonly sessionId: number;
  readonly standard: Standard;
  /** As configured in the IUT, seconds. */
  readonly timers: TimerSeconds;
  /** Seconds a measured timer may differ from the declared one before the verdict is fail. */
  readonly tolerance: number;
  readonly capabilities: IutCapabilities;
  readonly launch?: IutLaunch;
  /** `control` alone, or `control.mode` of the mapping form. */
  readonly control: ControlMode;
  /**
   * Extension, `control.initiates`: the procedures the IUT can be made to initiate. Every one
   * unless the profile lists them (E37 requires no entity to initiate Deselect, Separate or
   * Linktest); a scenario that needs another one is not applicable.
   */
  readonly initiates: readonly ControlProcedure[];
}

/** One problem of a profile: the full key path, what is wrong, and where it is written. */
export interface ProfileProblem {
  /** The key path as written (`capabilities.refusal`, `control.initiates[1]`), or `profile` for the whole file. */
  readonly field: string;
  readonly detail: string;
  /** 1-based; absent when the file could not be read. */
  readonly line?: number;
  readonly column?: number;
}

/**
 * Every problem of one profile file. The message lists them one per line, each as
 * `FILE:LINE:COLUMN: FIELD: DETAIL` (the form editors and terminals link to the place).
 */
export class ProfileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly ProfileProblem[],
  ) {
    const lines = problems.map((p) => `${source}${p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : ''}: ${p.field}: ${p.detail}`);
    super(lines.length === 1 ? lines[0]! : `${lines.length} problems in ${source}:\n${lines.map((l) => `  ${l}`).join('\n')}`);
    this.name = 'ProfileError';
  }

  /** The first problem's key path. */
  get field(): string {
    return this.problems[0]?.field ?? 'profile';
  }
}

/** The variables `launchEnvironment` sets from the profile (CONTRACTS.md section 3). */
export const PROFILE_ENV_NAMES = ['HSMS_ROLE', 'HSMS_HOST', 'HSMS_REMOTE_HOST', 'HSMS_PORT', 'HSMS_SESSION_ID', 'HSMS_T3', 'HSMS_T5', 'HSMS_T6', 'HSMS_T7', 'HSMS_T8'] as const;

/** The profile as the schema describes it, once it holds (defaults filled in). */
interface ValidatedProfile extends Omit<IutProfile, 'launch' | 'control' | 'initiates'> {
  readonly launch?: Omit<IutLaunch, 'env'> & { readonly env: Readonly<Record<string, string | number>> };
  readonly control?: ControlMode | { readonly mode: ControlMode; readonly initiates?: readonly ControlProcedure[] };
}

export function parseProfile(text: string, source: string): IutProfile {
  const doc = new ProfileDocument(text);
  const syntax = doc.syntaxProblems();
  if (syntax.length > 0) throw new ProfileError(source, syntax.map((p) => ({ field: fieldName(p.path), detail: p.detail, ...p.position })));
  const data = doc.value();
  const start = doc.locate([], 'value');
  if (data === null || data === undefined) throw new ProfileError(source, [{ field: 'profile', detail: 'is empty; a profile needs at least name, role and port', ...start }]);
  if (!isPlainObject(data)) throw new ProfileError(source, [{ field: 'profile', detail: `must be a YAML mapping of keys to values, got ${show(data)}`, ...start }]);

  // Rules on keys that only mean something when written (testerHost) need to know which were.
  const written = new Set(Object.keys(data));
  applyDefaults(data);
  const found = schemaProblems(data);
  // The harness's own rules, on the keys the schema found nothing wrong with.
  const flagged = found.map((p) => fieldName(p.path));
  for (const p of ruleProblems(data, written)) {
    const field = fieldName(p.path);
    if (!flagged.some((f) => field === f || field.startsWith(`${f}.`))) found.push(p);
  }
  if (found.length > 0) {
    const problems = found.map((p) => ({ field: fieldName(p.path), detail: p.detail, ...doc.locate(p.path, p.at) }));
    problems.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new ProfileError(source, problems);
  }
  return toProfile(data as unknown as ValidatedProfile);
}

export function loadProfile(path: string): IutProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ProfileError(path, [{ field: 'profile', detail: `cannot read ${path}: ${(err as Error).message}` }]);
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
    ...remoteHostEnvironment(p),
    HSMS_PORT: String(p.port),
    HSMS_SESSION_ID: String(p.sessionId),
    HSMS_T3: String(p.timers.t3),
    HSMS_T5: String(p.timers.t5),
    HSMS_T6: String(p.timers.t6),
    HSMS_T7: String(p.timers.t7),
    HSMS_T8: String(p.timers.t8),
  };
}

/**
 * HSMS_REMOTE_HOST, where the IUT's connect attempts go: `host` for an active IUT (the harness
 * listens there), `testerHost` for an alternating one; a passive IUT connects nowhere.
 */
export function remoteHostEnvironment(p: Pick<IutProfile, 'role' | 'host' | 'testerHost'>): { HSMS_REMOTE_HOST?: string } {
  if (p.role === 'passive') return {};
  return { HSMS_REMOTE_HOST: p.role === 'alternating' ? p.testerHost : p.host };
}

/** Flat key -> text, in profile order, for the report's "IUT profile" table. */
export function describeProfile(p: IutProfile): Record<string, string> {
  const out: Record<string, string> = {
    name: p.name,
    role: p.role,
    host: p.host,
    ...(p.role === 'alternating' ? { testerHost: p.testerHost } : {}),
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
  out['control.initiates'] = p.initiates.length > 0 ? p.initiates.join(', ') : 'nothing';
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

/** True when two addresses as written name the same address (localhost is 127.0.0.1 or ::1). */
export function sameAddress(a: string, b: string): boolean {
  const canonical = (h: string): string[] => {
    const l = h.toLowerCase();
    if (l === 'localhost') return ['127.0.0.1', '[::1]'];
    const bare = l.startsWith('[') && l.endsWith(']') ? l.slice(1, -1) : l;
    return [isIPv6(bare) ? new URL(`http://[${bare}]/`).hostname : bare];
  };
  const ca = canonical(a);
  return canonical(b).some((x) => ca.includes(x));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `capabilities.refusal`, `control.initiates[1]`; the whole file is `profile`. */
function fieldName(path: KeyPath): string {
  let out = '';
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  return out === '' ? 'profile' : out;
}

/**
 * The rules of a profile that its schema cannot say. They look only at values of the right
 * type: a value of the wrong type is the schema's problem, reported once.
 */
function ruleProblems(d: Record<string, unknown>, written: ReadonlySet<string>): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  for (const key of ['host', 'testerHost'] as const) {
    const v = d[key];
    if (typeof v === 'string' && !isLoopbackHost(v)) {
      out.push({ path: [key], at: 'value', detail: `must be a loopback address (127.0.0.0/8, localhost or ::1), got ${JSON.stringify(v)}: this harness only talks to equipment on the local machine` });
    }
  }
  if (written.has('testerHost') && typeof d.role === 'string' && d.role !== 'alternating') {
    out.push({ path: ['testerHost'], at: 'key', detail: `applies only to role alternating (role ${d.role}: ${d.role === 'active' ? 'the IUT connects to host, where the harness listens' : 'the IUT connects nowhere'}); remove it` });
  }
  if (d.role === 'alternating' && typeof d.host === 'string' && typeof d.testerHost === 'string' && sameAddress(d.host, d.testerHost)) {
    out.push({ path: [written.has('testerHost') ? 'testerHost' : 'host'], at: 'value', detail: `must differ from ${written.has('testerHost') ? 'host' : 'testerHost'} (${d.host}): an alternating IUT listens on host and the harness on testerHost, both at port ${String(d.port)} (E37 A1-3)` });
  }
  if (isPlainObject(d.timers)) {
    for (const t of TIMER_NAMES) {
      const field = `timers.${t}`;
      try {
        // The same limits the reference peer accepts, so one profile can drive both; the range
        // is the schema's too, the 1 ms resolution only here.
        if (typeof d.timers[t] === 'number') validateTimer(field, d.timers[t]);
      } catch (err) {
        if (!(err instanceof ParameterError)) throw err;
        out.push({ path: ['timers', t], at: 'value', detail: err.message.slice(`${err.field}: `.length) });
      }
    }
  }
  if (isPlainObject(d.capabilities) && d.capabilities.refusal !== undefined && d.capabilities.multipleConnections === true) {
    // E37-9.2.4.1 options only exist for an entity that refuses further connections.
    out.push({ path: ['capabilities', 'refusal'], at: 'key', detail: 'applies only when capabilities.multipleConnections is false (E37-9.2.4.1)' });
  }
  const env = isPlainObject(d.launch) && isPlainObject(d.launch.env) ? d.launch.env : {};
  for (const name of Object.keys(env)) {
    if ((PROFILE_ENV_NAMES as readonly string[]).includes(name)) {
      out.push({ path: ['launch', 'env', name], at: 'key', detail: 'is set by the harness from the profile itself (role, host, testerHost, port, sessionId, timers); change those keys instead' });
    }
  }
  const control = d.control;
  const mode = isPlainObject(control) ? control.mode : control;
  if (mode === 'stdin' && d.launch === undefined) {
    out.push({ path: isPlainObject(control) ? ['control', 'mode'] : ['control'], at: 'value', detail: "'stdin' needs launch: the harness writes commands to the standard input of the command it launched; add launch, or use manual or none" });
  }
  if (mode === 'none' && isPlainObject(control) && control.initiates !== undefined) {
    out.push({ path: ['control', 'initiates'], at: 'key', detail: 'means nothing with mode none (the harness cannot make the IUT initiate anything); remove it, or choose mode stdin or manual' });
  }
  return out;
}

function toProfile(d: ValidatedProfile): IutProfile {
  const { control, launch, ...rest } = d;
  const mode = typeof control === 'object' ? control.mode : (control ?? (launch ? 'stdin' : 'none'));
  const initiates = typeof control === 'object' && control.initiates ? control.initiates : (schemaEnum('procedure') as readonly ControlProcedure[]);
  const profile: IutProfile = { ...rest, control: mode, initiates };
  if (!launch) return profile;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(launch.env)) {
    // defineProperty, because assigning to a variable named __proto__ would be silently lost.
    Object.defineProperty(env, name, { value: String(value), enumerable: true, writable: true, configurable: true });
  }
  return { ...profile, launch: { ...launch, env } };
}
