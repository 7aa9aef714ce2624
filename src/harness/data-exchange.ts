import { SType } from '../protocol/constants';
import { isPrimary, stream, type Frame } from '../protocol/header';
import * as msg from '../protocol/messages';
import { encodeItem, formatItem, tryDecodeItem, type Item } from '../protocol/secs2';
import { parseItem, Secs2TextError } from '../protocol/secs2-text';
import { describeFrame } from '../peer/event-format';
import type { ConnName, ScenarioContext } from './scenario-context';
import { Failure, HarnessError } from './verdict';

/**
 * SECS-II data transactions for step definitions, the tester's own and a user's: send a primary
 * with a message text, wait for the IUT's reply, read the items in it. Each failure states what
 * was expected and what came.
 */

/** A data primary to send; its text is an item or the item's text form (`<L[2] <A "x"> <U4 1>>`). */
export interface PrimaryMessage {
  readonly stream: number;
  readonly function: number;
  /** Whether a reply is expected (E37-8.2.1 W-bit); default true. */
  readonly wBit?: boolean;
  /** The message text; none when omitted. */
  readonly text?: Item | string;
}

/** A reply the IUT sent, with its decoded text (null for a header-only reply). */
export interface ReplyMessage {
  readonly frame: Frame;
  readonly item: Item | null;
}

/** The item a text stands for: parsed if it is text, as is otherwise. A bad text is the step writer's error. */
export function toItem(text: Item | string): Item {
  if (typeof text !== 'string') return text;
  try {
    return parseItem(text);
  } catch (err) {
    if (err instanceof Secs2TextError) throw new HarnessError(`the message text ${JSON.stringify(text)} is not a SECS-II item: ${err.message}`);
    throw err;
  }
}

/**
 * Sends a data primary on the scenario's connection (the profile's session id, fresh system
 * bytes) and returns it, so the reply can be matched to it. Recorded as the message "it" refers to.
 */
export function sendPrimary(ctx: ScenarioContext, message: PrimaryMessage, name: ConnName = 'main'): Frame {
  const text = message.text === undefined ? undefined : encodeItem(toItem(message.text));
  const frame = msg.dataMessage({
    sessionId: ctx.iut.config.sessionId,
    stream: message.stream,
    function: message.function,
    wBit: message.wBit ?? true,
    systemBytes: ctx.conn(name).allocateSystemBytes(),
    ...(text ? { text } : {}),
  });
  ctx.send(frame, name);
  return frame;
}

/**
 * Waits for the IUT's reply to `primary` (at most T3 + tolerance, the reply timeout of
 * E37-9.4.1.1) and decodes its text. Fails when the IUT rejects the primary, closes, stays
 * silent, or sends a text that is not one SECS-II item; E37-9.4.1's matching rules apply
 * (wrong system bytes, session id or stream fail; a function other than + 1 or 0 is WARN).
 * With `expected`, a reply of another stream or function fails.
 */
export async function expectReplyTo(ctx: ScenarioContext, primary: Frame, expected?: { readonly stream: number; readonly function: number }, name: ConnName = 'main'): Promise<ReplyMessage> {
  const sys = primary.header.systemBytes;
  const what = expected ? `S${expected.stream}F${expected.function}` : 'the reply';
  const r = await ctx.conn(name).expect((f) => (f.header.systemBytes === sys && (f.header.sType === SType.RejectReq || (f.header.sType === SType.Data && !isPrimary(f.header))) ? f : undefined), ctx.timerMs(3) + ctx.ms.tolerance);
  if (r.kind !== 'frame') throw new Failure(`no reply to the primary: ${ctx.describeNoFrame(r, what)}`);
  const frame = r.value;
  ctx.lastReceived = frame;
  if (frame.header.sType === SType.RejectReq) throw new Failure(`the IUT rejected the primary instead of replying with ${what}: ${describeFrame(frame)}`);
  ctx.checkReplyMatching(primary.header, frame.header);
  if (expected && (stream(frame.header) !== expected.stream || frame.header.byte3 !== expected.function)) {
    throw new Failure(`expected ${what}, the IUT replied with ${describeFrame(frame)}`);
  }
  if (frame.text.length === 0) return { frame, item: null };
  const decoded = tryDecodeItem(frame.text);
  if (!decoded.ok) throw new Failure(`the reply's text is not one SECS-II item: ${decoded.error.message}`);
  return { frame, item: decoded.item };
}

/**
 * The item at `path` inside `item` (list indexes, 0-based): `itemAt(reply, 0)` is the first
 * element of a list. Fails, naming the path, when an index leads nowhere.
 */
export function itemAt(item: Item | null, ...path: number[]): Item {
  let at: Item | null = item;
  for (const [depth, i] of path.entries()) {
    const where = path.slice(0, depth).map((p) => `[${p}]`).join('') || 'the text';
    if (!at || at.type !== 'L') throw new Failure(`expected a list at ${where}, found ${at ? formatItem(at, { maxChars: 80 }) : 'no text'}`);
    const next: Item | undefined = at.items[i];
    if (!next) throw new Failure(`${where} holds ${at.items.length} items, no item [${i}]`);
    at = next;
  }
  if (!at) throw new Failure('the message has no text');
  return at;
}

/** Fails unless `actual` is the same item as `expected` (an item or its text form), compared by encoding. */
export function expectItem(actual: Item | null, expected: Item | string, what = 'the text'): void {
  const want = toItem(expected);
  if (!actual || !encodeItem(actual).equals(encodeItem(want))) {
    throw new Failure(`${what} is ${actual ? formatItem(actual, { maxChars: 200 }) : 'empty'}, expected ${formatItem(want, { maxChars: 200 })}`);
  }
}
