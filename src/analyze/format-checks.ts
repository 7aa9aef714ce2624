import { DEFINED_STYPES, LINKTEST_SESSION_ID, SType } from '../protocol/constants';
import { describeHeader, hex16, type Header } from '../protocol/header';
import type { ObservedMessage } from './message-stream';
import type { SideRules } from './side-rules';
import type { Find, JudgeSink, Side } from './judge-types';

/**
 * The header rules of each message a side sends, whatever it answers: PType and SType (E37-8.1.4.4,
 * 8.1.4.5), no text on control messages (9.3.3), the fixed header bytes of each control message
 * (8.2.x), HSMS-SS's control session id, and the MHEAD of stream 9 error messages (9.4.2).
 */

/** The control requests a side starts on its own. */
function isRequest(h: Header): boolean {
  return h.sType === SType.SelectReq || h.sType === SType.DeselectReq || h.sType === SType.LinktestReq || h.sType === SType.SeparateReq;
}

/** Header rules of what a side sends (E37-8.1.4.x, 8.2.x, 9.3.3, HSMS-SS control session id). */
export function checkFormat(find: Find, sink: JudgeSink, from: Side, m: ObservedMessage, rules: SideRules): void {
  const h = m.header;
  const at = (clause: string, why: string): void => find(from, clause, 'fail', `${describeHeader(h)}: ${why}`, m.lastFrame, m.lastTimeMs);
  sink.exercised(from, 'E37-8.1.2');
  sink.exercised(from, 'E37-8.1.3');
  if (h.pType !== 0) return at('E37-8.1.4.4', `PType ${h.pType}; E37 defines only 0 (SECS-II)`);
  sink.exercised(from, 'E37-8.1.4.4');
  if (!DEFINED_STYPES.has(h.sType)) return at('E37-8.1.4.5', `SType ${h.sType} is not defined by E37`);
  sink.exercised(from, 'E37-8.1.4.5');
  if (h.sType === SType.Data) {
    sink.exercised(from, 'E37-8.2.1');
    return;
  }
  if (m.textLength > 0) at('E37-9.3.3', `a control message with ${m.textLength} bytes of text`);
  else sink.exercised(from, 'E37-9.3.3');
  // HSMS-SS: the requests a side starts carry 0xFFFF; its responses and Rejects are judged where
  // they are matched (echoing the request's session id, or 0xFFFF, both pass: the oracle's reading).
  if (rules.standard === 'hsms-ss' && isRequest(h)) {
    if (h.sessionId !== LINKTEST_SESSION_ID) at('E37.1-control-session-id', `session id ${hex16(h.sessionId)}; HSMS-SS control messages carry 0xFFFF`);
    else sink.exercised(from, 'E37.1-control-session-id');
  }
  const zeroBytes = (clause: string): void => {
    if (h.byte2 !== 0 || h.byte3 !== 0) at(clause, `header bytes 2 and 3 are ${h.byte2} and ${h.byte3}, not 0`);
    else sink.exercised(from, clause);
  };
  switch (h.sType) {
    case SType.SelectReq:
      return zeroBytes('E37-8.2.2');
    case SType.DeselectReq:
      return zeroBytes('E37-8.2.4');
    case SType.SeparateReq:
      return zeroBytes('E37-8.2.9');
    case SType.LinktestReq:
      if (h.sessionId !== LINKTEST_SESSION_ID) at('E37-8.2.6', `session id ${hex16(h.sessionId)}; Linktest.req carries 0xFFFF`);
      return zeroBytes('E37-8.2.6');
    case SType.RejectReq:
      if (h.byte3 === 0) at('E37-8.2.8', 'reason code 0');
      return;
    default:
      return;
  }
}

export function exerciseAnswerFormat(sink: JudgeSink, from: Side, h: Header): void {
  const clause: Record<number, string> = { [SType.SelectRsp]: 'E37-8.2.3', [SType.DeselectRsp]: 'E37-8.2.5', [SType.LinktestRsp]: 'E37-8.2.7', [SType.RejectReq]: 'E37-8.2.8', [SType.Data]: 'E37-9.4.1' };
  const c = clause[h.sType];
  if (c) sink.exercised(from, c);
  if (h.sType === SType.RejectReq) sink.exercised(from, 'E37-7.7');
}

/** E37-9.4.2: the MHEAD of an S9 error message should hold the header of a message the other side sent. */
export function checkStream9(find: Find, sink: JudgeSink, from: Side, m: ObservedMessage, received: readonly Header[]): void {
  const t = m.text;
  // <B[10] ...> at the top level: format byte 0x21 (binary, one length byte) and length 10.
  const mhead = t.length >= 12 && t[0] === 0x21 && t[1] === 10 ? t.subarray(2, 12) : null;
  const known = received.some((h) => mhead !== null && mhead.readUInt16BE(0) === h.sessionId && mhead[2] === h.byte2 && mhead[3] === h.byte3 && mhead[4] === h.pType && mhead[5] === h.sType && mhead.readUInt32BE(6) === h.systemBytes);
  if (!known && [1, 3, 5, 7, 9, 11].includes(m.header.byte3)) {
    find(from, 'E37-9.4.2', 'warn', `S9F${m.header.byte3}: the MHEAD item is not the 10-byte header of a recent message of the other side`, m.lastFrame, m.lastTimeMs);
  } else if (known) sink.exercised(from, 'E37-9.4.2');
}
