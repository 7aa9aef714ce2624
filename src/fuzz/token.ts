/**
 * Replay tokens: seed, fast-check path and property of one reported failure, in one word that
 * survives a shell (base64url of JSON). `hsms-conformance fuzz --replay TOKEN` replays exactly that case.
 */
export interface ReplayToken {
  readonly property: string;
  readonly seed: number;
  readonly path: string;
  readonly runs: number;
  /** fc.commands replay path (model property). */
  readonly replayPath?: string;
}

export class TokenError extends Error {
  override readonly name = 'TokenError';
}

export function encodeToken(t: ReplayToken): string {
  const body: Record<string, string | number> = { v: 1, p: t.property, s: t.seed, a: t.path, n: t.runs };
  if (t.replayPath) body.r = t.replayPath;
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

export function decodeToken(text: string): ReplayToken {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError(`--replay: '${text}' is not a replay token`);
  }
  if (typeof raw !== 'object' || raw === null) throw new TokenError('--replay: malformed token');
  const o = raw as Record<string, unknown>;
  if (o.v !== 1 || typeof o.p !== 'string' || typeof o.s !== 'number' || typeof o.a !== 'string' || typeof o.n !== 'number') throw new TokenError('--replay: malformed token');
  return { property: o.p, seed: o.s, path: o.a, runs: o.n, ...(typeof o.r === 'string' ? { replayPath: o.r } : {}) };
}
