import { readFileSync, writeFileSync } from 'node:fs';
import { compileReplies } from './default-responder';
import { DEFAULT_PARAMETERS, ParameterError, TIMER_NAMES, validateParameters, type PeerParameters, type TimerSeconds } from './parameters';

/**
 * Installation-time parameter storage (E37-10.1: settings survive a restart). A JSON file with
 * the same names as the command line, e.g.
 * `{ "mode": "passive", "port": 5000, "timers": { "t7": 10 } }`. Unknown keys are errors that name the key.
 * `replies` is the peer's application: a reply table from primaries to the SECS-II text of
 * their replies, `{ "S1F13": "<L[2] <B 0x00> <L>>" }` (default-responder.ts).
 */

const TOP_KEYS = ['mode', 'host', 'remoteHost', 'port', 'sessionId', 'timers', 'maxLength', 'standard', 'multipleConnections', 'refusal', 'replies'] as const;

/** Parses a configuration file's text; throws a ParameterError naming the key at fault. */
export function parseConfig(text: string, source: string): Partial<PeerParameters> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ParameterError(source, `not valid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ParameterError(source, 'must hold a JSON object');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(TOP_KEYS as readonly string[]).includes(key)) throw new ParameterError(key, `unknown key in ${source} (known: ${TOP_KEYS.join(', ')})`);
    if (key === 'timers') out.timers = parseTimers(value, source);
    else if (key === 'replies') out.replies = parseReplies(value, source);
    else out[key] = value;
  }
  const typed = out as Partial<PeerParameters>;
  checkType('mode', typed.mode, 'string');
  checkType('host', typed.host, 'string');
  checkType('remoteHost', typed.remoteHost, 'string');
  checkType('port', typed.port, 'number');
  checkType('sessionId', typed.sessionId, 'number');
  checkType('maxLength', typed.maxLength, 'number');
  checkType('standard', typed.standard, 'string');
  checkType('multipleConnections', typed.multipleConnections, 'boolean');
  checkType('refusal', typed.refusal, 'string');
  return typed;
}

function checkType(key: string, value: unknown, type: 'string' | 'number' | 'boolean'): void {
  if (value !== undefined && typeof value !== type) throw new ParameterError(key, `must be a ${type}, got ${JSON.stringify(value)}`);
}

function parseTimers(value: unknown, source: string): Partial<TimerSeconds> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ParameterError('timers', `must be an object in ${source}`);
  const out: Partial<Record<keyof TimerSeconds, number>> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(TIMER_NAMES as readonly string[]).includes(key)) throw new ParameterError(`timers.${key}`, `unknown timer (known: ${TIMER_NAMES.join(', ')})`);
    if (typeof v !== 'number') throw new ParameterError(`timers.${key}`, `must be a number of seconds, got ${JSON.stringify(v)}`);
    out[key as keyof TimerSeconds] = v;
  }
  return out;
}

function parseReplies(value: unknown, source: string): Readonly<Record<string, string>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ParameterError('replies', `must be an object in ${source}, e.g. { "S1F13": "<L[2] <B 0x00> <L>>" }`);
  const replies = value as Record<string, string>;
  compileReplies(replies);
  return replies;
}

/** Reads and parses a configuration file. */
export function loadConfig(path: string): Partial<PeerParameters> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ParameterError('config', `cannot read ${path}: ${(err as Error).message}`);
  }
  return parseConfig(text, path);
}

/** Later sources override earlier ones; timers merge field by field. */
export function mergeParameters(...parts: Partial<PeerParameters>[]): PeerParameters {
  let timers: TimerSeconds = DEFAULT_PARAMETERS.timers;
  let merged: PeerParameters = DEFAULT_PARAMETERS;
  for (const p of parts) {
    if (p.timers) timers = { ...timers, ...p.timers };
    merged = { ...merged, ...p, timers };
  }
  return validateParameters(merged);
}

/** Writes the parameters in use as a configuration file (`hsms-peer --save-config`). */
export function saveConfig(path: string, p: PeerParameters): void {
  writeFileSync(path, JSON.stringify(p, null, 2) + '\n');
}
