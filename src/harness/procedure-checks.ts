import { LINKTEST_SESSION_ID, RejectReason, SType, sTypeName } from '../protocol/constants';
import { describeHeader, encodeFrame, hex16, hex32, isPrimary, stream, wBit, type Frame } from '../protocol/header';
import * as msg from '../protocol/messages';
import { describeFrame } from '../peer/event-format';
import type { ScenarioContext } from './scenario-context';
import { closeIsT7, servedOnNewConnection } from './connection-checks';
import { expectLeftSelected, expectSelected } from './state-checks';
import { Failure, HarnessError, JudgedElsewhere, NotApplicable } from './verdict';

/**
 * Checks for the message exchange procedures (E37 section 7) and the message format (section 8).
 * Each function is what one step does; it accepts every outcome the standard and NOTES.md allow,
 * and leaves what another clause judges to that clause (inconclusive here, not a failure).
 */

const MAIN = 'main';

/** Frames the tester wrote together in one segment, in order, per scenario. */
const coalesced = new WeakMap<ScenarioContext, readonly Frame[]>();

function isHsmsSs(ctx: ScenarioContext): boolean {
  return ctx.iut.config.standard === 'hsms-ss';
}

/** The session id the session on `name` was selected with (the IUT's own Select.req if it sent one). */
function selectedSessionId(ctx: ScenarioContext, name = MAIN): number {
  const own = ctx.conn(name).received.find((r) => r.frame.header.sType === SType.SelectReq);
  return own ? own.frame.header.sessionId : ctx.controlSessionId;
}

// ---- sending ---------------------------------------------------------------------------------

/** Sends `kind` (as ScenarioContext.build names it) with the given session id. */
export function sendWithSessionId(ctx: ScenarioContext, pType: number, sType: number, sessionId: string): void {
  const f = ctx.build('Linktest.req');
  ctx.send({ header: { ...f.header, sessionId: Number(sessionId), pType, sType }, text: f.text });
}

/** Sends Linktest.req with the given system bytes (E37-8.1.4.6: any 32-bit value). */
export function sendLinktestWithSystemBytes(ctx: ScenarioContext, systemBytes: string): void {
  const f = ctx.build('Linktest.req');
  ctx.send({ header: { ...f.header, systemBytes: Number(systemBytes) >>> 0 }, text: f.text });
}

/**
 * E37-8.1.2: sends `kind` one byte per TCP write, so the length prefix arrives split. The writes
 * are 1 ms apart: far within T8, and short enough that an IUT request the tester must hold
 * until its own message is complete (its Linktest.req, say) is answered well within the IUT's
 * T6 even when a loaded host stretches every pause many times.
 */
export async function sendByteByByte(ctx: ScenarioContext, kind: string): Promise<void> {
  const f = ctx.build(kind);
  const gap = 1;
  ctx.recordSent(f);
  await ctx.conn().sendSlowly(encodeFrame(f), 1, gap, `${kind} one byte at a time`);
}

/** E37-8.1.2: writes several messages in one TCP write (kinds as ScenarioContext.build names them). */
export function sendInOneSegment(ctx: ScenarioContext, kinds: readonly string[]): void {
  const frames = kinds.map((k) => ctx.build(k));
  ctx.sendRaw(Buffer.concat(frames.map(encodeFrame)), MAIN, `${kinds.join(' + ')} in one segment`);
  coalesced.set(ctx, frames);
  const last = frames[frames.length - 1];
  if (last) ctx.recordSent(last);
}

/**
 * E37-8.1.3: a message length below 10 ('below-10:<n>', followed by n bytes) or above the
 * profile's declared maximum ('above-max', followed by a Linktest header only).
 */
export function sendBadLength(ctx: ScenarioContext, length: number | 'above-max'): void {
  let announced: number;
  let body: Buffer;
  if (length === 'above-max') {
    const max = ctx.iut.config.capabilities.maxMessageLength;
    if (max >= 0xffffffff) throw new NotApplicable('the profile declares the largest possible maximum message length; nothing is above it');
    announced = max + 1;
    body = encodeFrame(ctx.build('Linktest.req')).subarray(4);
  } else {
    announced = length;
    body = Buffer.alloc(length);
  }
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(announced >>> 0, 0);
  ctx.sendRaw(Buffer.concat([prefix, body]), MAIN, `message length ${announced}`);
}

// ---- section 7 -------------------------------------------------------------------------------

/**
 * E37-7.3: a data message in NOT SELECTED draws a Reject (any reason: which one is 7.7.2's
 * business), never a reply. Under HSMS-SS a close is allowed too (E37.1-not-selected-failure).
 */
export async function expectDataRejectedNotAnswered(ctx: ScenarioContext): Promise<void> {
  const r = await ctx.conn().next(ctx.replyWait);
  if (r.kind === 'closed') {
    if (isHsmsSs(ctx)) return;
    throw new Failure(`the IUT closed the connection (${r.close.how}) instead of rejecting a data message received in NOT SELECTED`);
  }
  if (r.kind === 'timeout') throw new Failure('no answer to a data message in NOT SELECTED: E37-7.3 requires the Reject procedure');
  const f = r.frame.frame;
  ctx.lastReceived = f;
  if (f.header.sType === SType.RejectReq) {
    ctx.checkRejectDetails(ctx.lastSentFrame().header, f);
    return;
  }
  if (f.header.sType === SType.Data) throw new Failure(`the IUT processed a data message in NOT SELECTED and answered ${describeFrame(f)}; E37-7.3 requires a Reject`);
  throw new Failure(`a data message in NOT SELECTED drew ${describeFrame(f)}; E37-7.3 requires a Reject`);
}

/**
 * E37-7.7.2: the reason of the Reject the IUT sent for the last message. No Reject at all is judged
 * by `owner` (inconclusive here); under HSMS-SS a close in NOT SELECTED is a legal outcome.
 */
export async function expectRejectReasonOnly(ctx: ScenarioContext, reasons: readonly number[], owner: string): Promise<void> {
  const r = await ctx.conn().next(ctx.replyWait);
  if (r.kind === 'closed' && isHsmsSs(ctx)) return;
  if (r.kind !== 'frame') throw new JudgedElsewhere([owner], `${ctx.describeNoFrame(r, 'Reject.req')}, so there is no reason to examine`);
  const f = r.frame.frame;
  ctx.lastReceived = f;
  if (f.header.sType !== SType.RejectReq) throw new JudgedElsewhere([owner], `the IUT did not reject the message (it sent ${describeFrame(f)}), so there is no reason to examine`);
  ctx.checkRejectDetails(ctx.lastSentFrame().header, f);
  if (!reasons.includes(f.header.byte3)) throw new Failure(`Reject.req reason ${f.header.byte3}, E37-7.7.2 requires ${reasons.join(' or ')}`);
}

/** E37-7.3: a primary with the W-bit in SELECTED is answered with a data message, not a Reject (matching is 9.4.1's business). */
export async function expectDataAnswered(ctx: ScenarioContext): Promise<void> {
  const f = await ctx.nextFrame('a reply data message', 'main', ctx.replyWait);
  if (f.header.sType === SType.RejectReq) throw new Failure(`the IUT rejected a data message in SELECTED: ${describeHeader(f.header)}`);
  if (f.header.sType !== SType.Data) throw new Failure(`expected a reply data message, got ${describeFrame(f)}`);
}

/**
 * E37-7.4.2 in SELECTED: Deselect.rsp status 0 and NOT SELECTED, or a refusal (status 2 or
 * higher: local conditions) with no state change. Status 1 claims no session exists: fail.
 */
export async function expectDeselectInSelected(ctx: ScenarioContext): Promise<void> {
  const rsp = await ctx.expectResponse(SType.DeselectRsp);
  const status = rsp.header.byte3;
  if (status === 1) throw new Failure('Deselect.req in SELECTED answered with status 1 (Communication Not Established)');
  if (status === 0) {
    await expectLeftSelected(ctx);
    return;
  }
  await expectSelected(ctx, `after refusing the Deselect with status ${status},`);
  ctx.recorder.measure(`the IUT refused the Deselect with status ${status} and stayed SELECTED (E37-7.4.2 step 3)`);
}

/** E37-7.4.2 step 3 in NOT SELECTED: a Deselect.rsp with a non-zero status; 1 is the defined one (others WARN); a Reject fails. */
export async function expectDeselectNotSelected(ctx: ScenarioContext): Promise<void> {
  const rsp = await ctx.expectResponse(SType.DeselectRsp);
  const status = rsp.header.byte3;
  if (status === 0) throw new Failure('Deselect.req in NOT SELECTED answered with status 0; E37-7.4.2 requires a non-zero status (1, Communication Not Established)');
  if (status !== 1) ctx.recorder.add('warn', `Deselect.req in NOT SELECTED answered with status ${status}; status 1 (Communication Not Established) is the defined code`);
}

/**
 * No answer to the last message within T6. A close is allowed (`closeVerdict` 'pass') or graded
 * WARN; a close of a NOT SELECTED connection that is the IUT's T7 rather than a reaction to the
 * message is never graded here (connection-checks closeIsT7: a T7 shorter than declared is
 * E37-9.2.2's business).
 */
export async function expectNoAnswer(ctx: ScenarioContext, what: string, closeVerdict: 'pass' | 'warn'): Promise<void> {
  const r = await ctx.conn().next(ctx.ms.t6);
  if (r.kind === 'frame') {
    const f = r.frame.frame;
    ctx.lastReceived = f;
    throw new Failure(`the IUT answered ${what} with ${describeFrame(f)}; no response is defined`);
  }
  if (r.kind !== 'closed' || closeVerdict === 'pass') return;
  const t7 = await closeIsT7(ctx, r.close.at);
  if (t7?.shortT7) throw new JudgedElsewhere(['E37-9.2.2'], `the IUT closed the connection after ${what}, but ${t7.evidence}: its T7 is shorter than declared`);
  if (t7) {
    ctx.recorder.measure(t7.evidence);
    return;
  }
  ctx.recorder.add('warn', `the IUT closed the connection after ${what}; it should ignore it and stay connected`);
}

/** E37-7.6.2: Separate.req in NOT SELECTED is ignored; closing is WARN under e37, correct under HSMS-SS (NOTES.md). */
export async function expectSeparateIgnored(ctx: ScenarioContext): Promise<void> {
  await expectNoAnswer(ctx, 'Separate.req in NOT SELECTED', isHsmsSs(ctx) ? 'pass' : 'warn');
}

/** The tester has sent an unknown SType and the IUT rejected it (a precondition: inconclusive otherwise). */
export async function rejectedUnknownSType(ctx: ScenarioContext): Promise<void> {
  const f = ctx.build('Linktest.req');
  ctx.send({ header: { ...f.header, sType: 11 }, text: f.text });
  const r = await ctx.conn().next(ctx.responseWait);
  if (r.kind !== 'frame' || r.frame.frame.header.sType !== SType.RejectReq) {
    throw new JudgedElsewhere(['E37-7.7.2'], `SType 11 did not draw a Reject.req: ${r.kind === 'frame' ? describeFrame(r.frame.frame) : ctx.describeNoFrame(r, 'Reject.req')}`);
  }
  ctx.checkRejectDetails(ctx.lastSentFrame().header, r.frame.frame);
  ctx.lastReceived = r.frame.frame;
}

// ---- the IUT initiates -------------------------------------------------------------------------

/** The control requests an IUT can be made to send, by name. */
const REQUEST_STYPE: Readonly<Record<string, SType>> = { 'Linktest.req': SType.LinktestReq, 'Deselect.req': SType.DeselectReq, 'Separate.req': SType.SeparateReq };

/** Answers the IUT's last Linktest.req with Linktest.rsp (E37-7.5.2). */
export function answerIutLinktest(ctx: ScenarioContext): void {
  const req = ctx.lastResponse();
  if (req.header.sType !== SType.LinktestReq) throw new HarnessError(`the last IUT message is ${sTypeName(req.header.sType)}, not Linktest.req`);
  ctx.send(msg.linktestRsp(req.header));
}

/** Answers the IUT's last request with a Reject.req (reason 1, byte 2 its SType) instead of the response. */
export function rejectIutRequest(ctx: ScenarioContext): void {
  const req = ctx.lastResponse();
  ctx.send(msg.rejectReq(req.header, RejectReason.STypeNotSupported), MAIN, 'tester rejects the IUT request');
}

/** E37-8.2.2 to 8.2.9: the format of a control request the IUT sent. */
export function checkIutControlRequest(ctx: ScenarioContext, kind: string): void {
  const f = ctx.lastResponse();
  const h = f.header;
  const sType = REQUEST_STYPE[kind];
  if (sType === undefined) throw new HarnessError(`no format check for '${kind}'`);
  if (h.sType !== sType) throw new Failure(`expected ${kind}, got ${describeFrame(f)}`);
  ctx.checkControlFormat(f);
  if (sType === SType.LinktestReq) {
    if (h.sessionId !== LINKTEST_SESSION_ID) throw new Failure(`Linktest.req session id ${hex16(h.sessionId)}; E37-8.2.6 requires 0xFFFF`);
  } else {
    const sid = selectedSessionId(ctx);
    if (h.sessionId !== sid) throw new Failure(`${kind} session id ${hex16(h.sessionId)}; the session it ends was selected with ${hex16(sid)}`);
  }
}

/** E37-8.2.1: an IUT primary S<s>F<f> W: SType 0, PType 0, W-bit set, stream in bits 6-0 of byte 2, function in byte 3. */
export function checkIutPrimary(ctx: ScenarioContext, s: number, fn: number): void {
  const f = ctx.lastResponse();
  const h = f.header;
  if (h.sType !== SType.Data || h.pType !== 0) throw new Failure(`expected a data message with SType 0 and PType 0, got ${describeFrame(f)}`);
  if (stream(h) !== s || h.byte3 !== fn) throw new Failure(`header bytes 2 and 3 are ${h.byte2} and ${h.byte3}: expected stream ${s}, function ${fn}`);
  if (!wBit(h)) ctx.recorder.add('warn', `S${s}F${fn} expects a reply but its W-bit is clear (E37-8.2.1: should be set)`);
  ctx.send(msg.replyTo(h), MAIN, 'tester replies');
}

/** E37-8.1.4.1: the IUT's data messages carry the session id its session was selected with (the profile's). */
export function checkIutDataSessionId(ctx: ScenarioContext): void {
  const h = ctx.lastResponse().header;
  const sid = ctx.iut.config.sessionId;
  if (h.sessionId !== sid) throw new Failure(`the IUT's data message carries session id ${hex16(h.sessionId)}; the profile's session (device) id is ${hex16(sid)}`);
}

/** E37-8.1.4.6: the IUT's last two requests of one kind have different system bytes. */
export function checkDistinctSystemBytes(ctx: ScenarioContext, kind: string): void {
  const sType = REQUEST_STYPE[kind];
  if (sType === undefined) throw new HarnessError(`unknown request '${kind}'`);
  const sent = ctx.conn().received.filter((r) => r.frame.header.sType === sType);
  const a = sent[sent.length - 2];
  const b = sent[sent.length - 1];
  if (!a || !b) throw new HarnessError(`the IUT has not sent two ${kind} messages`);
  if (a.frame.header.systemBytes === b.frame.header.systemBytes) {
    throw new Failure(`two successive ${kind} messages carry the same system bytes ${hex32(a.frame.header.systemBytes)}; each must differ from the most recently completed transaction`);
  }
}

// ---- section 8 -------------------------------------------------------------------------------

/**
 * E37-8.1.2: the frames sent in one segment were all taken: Select.rsp status 0 and the reply to
 * the primary behind it (not Reject 4, not silence). The two may come in either order: the IUT
 * processed the Select.req first, but may write its responses as they are ready.
 */
export async function expectSelectThenReply(ctx: ScenarioContext): Promise<void> {
  const frames = coalesced.get(ctx) ?? [];
  const primary = frames.find((f) => f.header.sType === SType.Data);
  if (!primary) throw new HarnessError('no data message was sent in the segment');
  const c = ctx.conn();
  const deadline = ctx.trace.elapsed() + ctx.replyWait;
  let selectRsp: Frame | null = null;
  let answer: Frame | null = null;
  let ended = '';
  while (!selectRsp || !answer) {
    const r = await c.next(deadline - ctx.trace.elapsed());
    if (r.kind !== 'frame') {
      ended = ctx.describeNoFrame(r, selectRsp ? `the reply to ${describeHeader(primary.header)}` : 'Select.rsp');
      break;
    }
    const f = r.frame.frame;
    ctx.lastReceived = f;
    const h = f.header;
    if (h.sType === SType.SelectRsp && !selectRsp) {
      selectRsp = f;
      // SELECTED now: the IUT's own primaries may follow at once and are answered on the side.
      if (h.byte3 === 0) c.autoAnswer.primaries = true;
    }
    // A data answer with the primary's system bytes is its reply even with a wrong function (E37-9.4.1 judges that).
    else if (h.sType === SType.RejectReq || (h.sType === SType.Data && (!isPrimary(h) || h.systemBytes === primary.header.systemBytes))) answer = f;
    else throw new Failure(`expected Select.rsp and the reply to the data message, got ${describeFrame(f)}`);
  }
  if (!selectRsp) throw new JudgedElsewhere(['E37-7.2.2'], `the Select.req in front of the data message was not answered: ${ended}`);
  if (selectRsp.header.byte3 !== 0) {
    const served = answer && answer.header.sType === SType.Data ? ` yet served the data message behind it (${describeFrame(answer)}), which E37-7.3 judges` : '';
    throw new JudgedElsewhere(['E37-7.2.2'], `the IUT refused the Select.req with status ${selectRsp.header.byte3}${served}`);
  }
  if (!answer) throw new Failure(`${ended}: the bytes behind the Select.req in the same segment were lost`);
  if (answer.header.sType === SType.RejectReq) throw new Failure(`the data message behind the Select.req drew ${describeFrame(answer)}: it was processed before the Select.req or as if NOT SELECTED`);
}

/** E37-8.1.2: every Linktest.req sent in one segment drew its own Linktest.rsp. */
export async function expectEachLinktestAnswered(ctx: ScenarioContext): Promise<void> {
  const open = new Set((coalesced.get(ctx) ?? []).map((f) => f.header.systemBytes));
  const total = open.size;
  while (open.size > 0) {
    const f = await ctx.expectResponse(SType.LinktestRsp);
    if (!open.delete(f.header.systemBytes)) throw new Failure(`Linktest.rsp with system bytes ${hex32(f.header.systemBytes)} answers none of the ${total} requests`);
  }
}

/**
 * E37-8.1.3 and NOTES.md: a malformed length must never be answered as a valid message; the IUT
 * should close (WARN otherwise) and must keep serving new connections (fail otherwise).
 */
export async function expectBadLengthHandled(ctx: ScenarioContext): Promise<void> {
  const c = ctx.conn();
  const r = await c.next(ctx.responseWait);
  if (r.kind === 'frame') throw new Failure(`the IUT answered a malformed message as if it were valid: ${describeFrame(r.frame.frame)}`);
  if (r.kind === 'timeout') {
    ctx.recorder.add('warn', 'the IUT kept the connection open after a malformed message length; it should close it (the stream can no longer be trusted)');
    c.destroy();
  }
  ctx.recorder.measure(await servedOnNewConnection(ctx, 'after', 'after the malformed message length'));
}

/** E37-8.1.4.1 and 8.1.4.6: the IUT's answer echoes a header field of the request (when it rejects, whether it should is 7.7.2's business). */
export async function expectRejectEchoes(ctx: ScenarioContext, field: 'sessionId' | 'systemBytes'): Promise<void> {
  const r = await ctx.conn().next(ctx.responseWait);
  if (r.kind !== 'frame') throw new JudgedElsewhere(['E37-7.7.2'], `${ctx.describeNoFrame(r, 'Reject.req')}, so there is no Reject.req to examine`);
  const f = r.frame.frame;
  ctx.lastReceived = f;
  if (f.header.sType !== SType.RejectReq) throw new JudgedElsewhere(['E37-7.7.2'], `no Reject.req to examine (got ${describeFrame(f)})`);
  const sent = ctx.lastSentFrame().header;
  ctx.checkRejectDetails(sent, f);
  ctx.checkEcho(sent, f.header, field);
}

/**
 * E37-8.2.8: the Reject.req the IUT sent for the last message has the header 8.2.8 defines
 * (ScenarioContext.checkRejectDetails). `dueUnder` names the clauses that require a Reject here:
 * without one the scenario defers to them; when no clause requires it (the IUT may close
 * instead, or answer), a missing Reject leaves nothing to check here.
 */
export async function expectRejectFormat(ctx: ScenarioContext, dueUnder: readonly string[]): Promise<void> {
  const closed = ctx.conn().closed;
  if (closed && dueUnder.length === 0) throw new NotApplicable(`the IUT had closed the connection (${closed.how}) at ${(closed.at / 1000).toFixed(3)} s; no Reject.req to examine`);
  const sent = ctx.lastSentFrame();
  const r = await ctx.conn().next(ctx.replyWait);
  const f = r.kind === 'frame' ? r.frame.frame : null;
  if (f) ctx.lastReceived = f;
  if (!f || f.header.sType !== SType.RejectReq) {
    const what = f ? `the IUT answered ${describeFrame(f)}` : ctx.describeNoFrame(r, 'Reject.req');
    // HSMS-SS (NOTES.md): closing on anything but Select.req in NOT SELECTED replaces the Reject.
    if (r.kind === 'closed' && isHsmsSs(ctx)) throw new NotApplicable(`${what}, which HSMS-SS allows; no Reject.req to examine`);
    if (dueUnder.length > 0) throw new JudgedElsewhere(dueUnder, `no Reject.req for ${describeFrame(sent)} to examine: ${what}`);
    throw new NotApplicable(`the IUT did not reject ${describeFrame(sent)} (${what}), which E37 allows here; no Reject.req to examine`);
  }
  ctx.checkRejectDetails(sent.header, f);
  ctx.recorder.measure(`${describeFrame(f)} has the header E37-8.2.8 defines for ${describeFrame(sent)}`);
}

/** E37-8.2.1: the IUT's reply: SType 0, PType 0, the W-bit clear (WARN otherwise). Matching it to the primary is 9.4.1's business. */
export async function expectReplyFormat(ctx: ScenarioContext): Promise<void> {
  const f = await ctx.nextFrame('a reply data message', 'main', ctx.replyWait);
  const h = f.header;
  if (h.sType !== SType.Data) throw new JudgedElsewhere(['E37-7.3'], `no reply to examine (got ${describeFrame(f)})`);
  if (h.pType !== 0) throw new Failure(`the reply has PType ${h.pType}; E37-8.2.1 requires 0 for SECS-II`);
  if (wBit(h)) ctx.recorder.add('warn', 'the reply has the W-bit set (E37-8.2.1: a reply should clear it)');
}
