import { encodeItem, L } from '../protocol/secs2';
import { parseItem, Secs2TextError } from '../protocol/secs2-text';
import type { PrimaryResponder } from './connection';
import { ParameterError } from './parameters';

const EMPTY_LIST = encodeItem(L());

/**
 * The reference peer's application (CONTRACTS.md section 1): S1F1 W (Are You There) gets
 * S1F2 <L[0]>; any other primary with the W-bit gets function + 1 with an empty text.
 */
export const defaultResponder: PrimaryResponder = (primary) => {
  const h = primary.header;
  if ((h.byte2 & 0x7f) === 1 && h.byte3 === 1) return { text: EMPTY_LIST };
  return {};
};

/** Key of a primary in a reply table: stream and function. */
function key(stream: number, fn: number): number {
  return (stream << 8) | fn;
}

const PRIMARY = /^S(\d{1,3})F(\d{1,3})$/;

/**
 * Compiles a reply table (the `replies` key of the peer's configuration file): each primary
 * `SxFy` maps to the text of its reply `SxF(y+1)` in SECS-II text form (secs2-text.ts), or ''
 * for a reply without text. Throws a ParameterError naming the entry at fault.
 */
export function compileReplies(replies: Readonly<Record<string, string>>): ReadonlyMap<number, Buffer> {
  const table = new Map<number, Buffer>();
  for (const [name, text] of Object.entries(replies)) {
    const field = `replies.${name}`;
    const m = PRIMARY.exec(name);
    if (!m) throw new ParameterError(field, "must name a primary message as SxFy, e.g. 'S1F13'");
    const stream = Number(m[1]);
    const fn = Number(m[2]);
    if (stream > 127) throw new ParameterError(field, `stream ${stream} is outside 0-127 (E37-8.2.1)`);
    if (fn > 254 || fn % 2 === 0) throw new ParameterError(field, `function ${fn} is not a primary's: primaries have odd functions up to 253, their replies function + 1`);
    if (typeof text !== 'string') throw new ParameterError(field, `must be the reply's SECS-II text as a string (e.g. "<L[2] <B 0x00> <L>>"), or "" for none; got ${JSON.stringify(text)}`);
    let encoded: Buffer = Buffer.alloc(0);
    if (text.trim() !== '') {
      try {
        encoded = encodeItem(parseItem(text));
      } catch (err) {
        if (err instanceof Secs2TextError || err instanceof RangeError) throw new ParameterError(field, `not a SECS-II item: ${err.message}`);
        throw err;
      }
    }
    table.set(key(stream, fn), encoded);
  }
  return table;
}

/**
 * Answers the primaries a reply table names with their configured text, every other primary as
 * `defaultResponder` does.
 */
export function replyTableResponder(replies: Readonly<Record<string, string>>): PrimaryResponder {
  const table = compileReplies(replies);
  return (primary) => {
    const text = table.get(key(primary.header.byte2 & 0x7f, primary.header.byte3));
    return text ? { text } : defaultResponder(primary);
  };
}
