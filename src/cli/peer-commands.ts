/**
 * The standard-input command lines of `hsms-peer` (CONTRACTS.md section 1), parsed without
 * side effects so that a malformed line can be refused with one clear message.
 */
export type PeerCommand =
  | { readonly kind: 'select' | 'deselect' | 'linktest' | 'separate' | 'disconnect' }
  | { readonly kind: 'send'; readonly stream: number; readonly function: number; readonly wBit: boolean; readonly text: Buffer };

export type ParsedCommand = { readonly ok: true; readonly command: PeerCommand } | { readonly ok: false; readonly error: string } | null;

const SIMPLE = new Set(['select', 'deselect', 'linktest', 'separate', 'disconnect']);
const USAGE = 'send <stream 0-127> <function 0-255> [W] [hex-text]';

/** Parses one line; an empty or blank line gives null (nothing to do). */
export function parsePeerCommand(line: string): ParsedCommand {
  const words = line.trim().split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return null;
  const [verb, ...args] = words as [string, ...string[]];
  const name = verb.toLowerCase();
  if (SIMPLE.has(name)) {
    if (args.length > 0) return { ok: false, error: `'${name}' takes no arguments` };
    return { ok: true, command: { kind: name as 'select' } };
  }
  if (name !== 'send') return { ok: false, error: `unknown command '${verb}' (known: select, deselect, linktest, separate, disconnect, send)` };
  if (args.length < 2 || args.length > 4) return { ok: false, error: `usage: ${USAGE}` };
  const stream = parseIntStrict(args[0]!);
  const fn = parseIntStrict(args[1]!);
  if (stream === null || stream > 127) return { ok: false, error: `stream must be an integer 0-127, got '${args[0]}'` };
  if (fn === null || fn > 255) return { ok: false, error: `function must be an integer 0-255, got '${args[1]}'` };
  let rest = args.slice(2);
  let wBit = false;
  if (rest[0]?.toUpperCase() === 'W') {
    wBit = true;
    rest = rest.slice(1);
  }
  if (rest.length > 1) return { ok: false, error: `usage: ${USAGE}` };
  const hex = rest[0] ?? '';
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) return { ok: false, error: `text must be hex digits in pairs, got '${hex}'` };
  return { ok: true, command: { kind: 'send', stream, function: fn, wBit, text: Buffer.from(hex, 'hex') } };
}

function parseIntStrict(s: string): number | null {
  return /^\d{1,3}$/.test(s) ? Number(s) : null;
}
