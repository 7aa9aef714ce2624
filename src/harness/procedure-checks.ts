import { LINKTEST_SESSION_ID, RejectReason, SType, sTypeName } from '../protocol/constants';
import { describeHeader, encodeFrame, hex16, hex32, isPrimary, stream, wBit, type Frame, type Header } from '../protocol/header';
import * as msg from '../protocol/messages';
import { describeFrame } from '../peer/event-format';
import type { ScenarioContext } from './scenario-context';
import { Failure, HarnessError, Inconclusive, IutUnreachable, NotApplicable, VerdictSignal } from './verdict';
import { delay } from './tester-connection';

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

/** How long to wait for a request the IUT is told to send: an operator needs longer than an adapter. */
function commandWait(ctx: ScenarioContext): number {
  return ctx.iut.config.control === 'manual' ? 60_000 : ctx.responseWait + ctx.ms.tolerance;
}

/** The session id the session on `name` was selected with (the IUT's own Select.req if it sent one). */
function selectedSessionId(ctx: ScenarioContext, name = MAIN): number {
  const own = ctx.conn(name).received.find((r) => r.frame.header.sType === SType.SelectReq);
  return own ? own.frame.header.sessionId : ctx.controlSessionId;
}

/** E37-8.2: control messages are header-only with PType 0 (length 10). */
function checkHeaderOnly(f: Frame): void {
  if (f.header.pType !== 0) throw new Failure(`${sTypeName(f.header.sType)} with PType ${f.header.pType}; E37-8.2 requires 0`);
  if (f.text.length > 0) throw new Failure(`${sTypeName(f.header.sType)} carries ${f.text.length} bytes of text; its message length must be 10 (E37-8.2)`);
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

/** E37-8.1.2: sends `kind` one byte per TCP write, well within T8, so the length prefix arrives split. */
export async function sendByteByByte(ctx: ScenarioContext, kind: string): Promise<void> {
  const f = ctx.build(kind);
  const gap = Math.max(1, Math.min(20, Math.floor(ctx.ms.t8 / 10)));
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
  const r = await ctx.conn().next(ctx.responseWait);
  if (r.kind === 'closed') {
    if (isHsmsSs(ctx)) return;
    throw new Failure(`the IUT closed the connection (${r.close.how}) instead of rejecting a data message received in NOT SELECTED`);
  }
  if (r.kind === 'timeout') throw new Failure('no answer to a data message in NOT SELECTED: E37-7.3 requires the Reject procedure');
  const f = r.frame.frame;
  ctx.lastReceived = f;
  if (f.header.sType === SType.RejectReq) return;
  if (f.header.sType === SType.Data) throw new Failure(`the IUT processed a data message in NOT SELECTED and answered ${describeFrame(f)}; E37-7.3 requires a Reject`);
  throw new Failure(`a data message in NOT SELECTED drew ${describeFrame(f)}; E37-7.3 requires a Reject`);
}

/**
 * E37-7.7.2: the reason of the Reject the IUT sent for the last message. No Reject at all is judged
 * by `owner` (inconclusive here); under HSMS-SS a close in NOT SELECTED is a legal outcome.
 */
export async function expectRejectReasonOnly(ctx: ScenarioContext, reasons: readonly number[], owner: string): Promise<void> {
  const r = await ctx.conn().next(ctx.responseWait);
  if (r.kind === 'closed' && isHsmsSs(ctx)) return;
  if (r.kind !== 'frame') throw new Inconclusive(`${ctx.describeNoFrame(r, 'Reject.req')}; whether a Reject is due at all is judged under ${owner}`);
  const f = r.frame.frame;
  ctx.lastReceived = f;
  if (f.header.sType !== SType.RejectReq) throw new Inconclusive(`no Reject.req to examine (got ${describeFrame(f)}); whether a Reject is due is judged under ${owner}`);
  if (!reasons.includes(f.header.byte3)) throw new Failure(`Reject.req reason ${f.header.byte3}, E37-7.7.2 requires ${reasons.join(' or ')}`);
}

/** E37-7.3: a primary with the W-bit in SELECTED is answered with a data message, not a Reject (matching is 9.4.1's business). */
export async function expectDataAnswered(ctx: ScenarioContext): Promise<void> {
  const f = await ctx.nextFrame('a reply data message');
  if (f.header.sType === SType.RejectReq) throw new Failure(`the IUT rejected a data message in SELECTED: ${describeHeader(f.header)}`);
  if (f.header.sType !== SType.Data) throw new Failure(`expected a reply data message, got ${describeFrame(f)}`);
}

/**
 * The session state, probed without leaning on one clause alone: S1F1 W draws a Reject (any
 * reason: NOT SELECTED; the reason is 7.7.2's business) or a reply. A reply is confirmed with
 * Select.req: status 1 means SELECTED; status 0 means the IUT was NOT SELECTED yet answered data,
 * which is 7.3's business, so the state is unknown here (inconclusive).
 */
export async function probeSessionState(ctx: ScenarioContext): Promise<'selected' | 'not-selected' | 'closed'> {
  const c = ctx.conn();
  if (!c.isOpen) return 'closed';
  c.send(ctx.build('S1F1 W'), 'state probe');
  const r = await c.next(ctx.responseWait);
  if (r.kind === 'closed') return 'closed';
  if (r.kind === 'timeout') throw new Failure('state probe S1F1 W: neither a reply nor a Reject.req within the bounded wait');
  const h = r.frame.frame.header;
  if (h.sType === SType.RejectReq) return 'not-selected';
  if (h.sType !== SType.Data) throw new Failure(`state probe S1F1 W drew ${describeFrame(r.frame.frame)}`);
  c.send(ctx.build('Select.req'), 'state probe: confirms SELECTED');
  const s = await c.next(ctx.responseWait);
  if (s.kind === 'closed') return 'closed';
  if (s.kind === 'frame' && s.frame.frame.header.sType === SType.SelectRsp && s.frame.frame.header.byte3 === 1) return 'selected';
  const what = s.kind === 'frame' ? describeFrame(s.frame.frame) : 'no Select.rsp';
  throw new Inconclusive(`the IUT answered the data probe, but a Select.req then drew ${what}: the session state cannot be told (data outside SELECTED is judged under E37-7.3)`);
}

/**
 * The IUT is NOT SELECTED: data draws a Reject. A close also ends any session. A data reply is
 * confirmed with Select.req before it counts as SELECTED (status 1), since an IUT that answers
 * data outside SELECTED breaks E37-7.3, not the clause under test.
 */
export async function expectNotSelected(ctx: ScenarioContext): Promise<void> {
  const state = await probeSessionState(ctx);
  if (state === 'selected') throw new Failure('the IUT is still SELECTED: it answered a data message and Select.req with status 1 (Communication Already Active)');
  if (state === 'closed') ctx.recorder.measure('the IUT closed the connection, which ends any session');
}

/** The IUT has left SELECTED: data draws Reject reason 4, or it has closed the connection. */
export async function expectSessionEnded(ctx: ScenarioContext, clause: string): Promise<void> {
  const state = await probeSessionState(ctx);
  if (state === 'selected') throw new Failure(`the IUT answered a data message: it is still SELECTED, which ${clause} forbids here`);
}

/**
 * E37-7.4.2 in SELECTED: Deselect.rsp status 0 and NOT SELECTED, or a refusal (status 2 or
 * higher: local conditions) with no state change. Status 1 claims no session exists: fail.
 */
export async function expectDeselectInSelected(ctx: ScenarioContext): Promise<void> {
  const rsp = await ctx.expectResponse(SType.DeselectRsp);
  const status = rsp.header.byte3;
  if (status === 1) throw new Failure('Deselect.req in SELECTED answered with status 1 (Communication Not Established)');
  const state = await probeSessionState(ctx);
  if (status === 0 && state === 'selected') throw new Failure('Deselect.rsp status 0, but the IUT still answers data: it stayed SELECTED');
  if (status !== 0 && state !== 'selected') throw new Failure(`Deselect.rsp status ${status} (refused), but the IUT left SELECTED`);
  if (status !== 0) ctx.recorder.measure(`the IUT refused the Deselect with status ${status} and stayed SELECTED (E37-7.4.2 step 3)`);
}

/** E37-7.4.2 step 3 in NOT SELECTED: a Deselect.rsp with a non-zero status; 1 is the defined one (others WARN); a Reject fails. */
export async function expectDeselectNotSelected(ctx: ScenarioContext): Promise<void> {
  const rsp = await ctx.expectResponse(SType.DeselectRsp);
  const status = rsp.header.byte3;
  if (status === 0) throw new Failure('Deselect.req in NOT SELECTED answered with status 0; E37-7.4.2 requires a non-zero status (1, Communication Not Established)');
  if (status !== 1) ctx.recorder.add('warn', `Deselect.req in NOT SELECTED answered with status ${status}; status 1 (Communication Not Established) is the defined code`);
}

/**
 * No answer to the last message within T6. A close is allowed (`closeVerdict` 'pass'), graded
 * WARN, or failed.
 */
export async function expectNoAnswer(ctx: ScenarioContext, what: string, closeVerdict: 'pass' | 'warn' | 'fail'): Promise<void> {
  const r = await ctx.conn().next(ctx.ms.t6);
  if (r.kind === 'frame') {
    const f = r.frame.frame;
    ctx.lastReceived = f;
    throw new Failure(`the IUT answered ${what} with ${describeFrame(f)}; no response is defined`);
  }
  if (r.kind === 'closed') {
    if (closeVerdict === 'fail') throw new Failure(`the IUT closed the connection (${r.close.how}) after ${what}`);
    if (closeVerdict === 'warn') ctx.recorder.add('warn', `the IUT closed the connection after ${what}; it should ignore it and stay connected`);
  }
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
    throw new Failure(`SType 11 did not draw a Reject.req: ${r.kind === 'frame' ? describeFrame(r.frame.frame) : ctx.describeNoFrame(r, 'Reject.req')}`);
  }
  ctx.lastReceived = r.frame.frame;
}

// ---- the IUT initiates -------------------------------------------------------------------------

const COMMANDS: Record<string, { readonly cmd: 'linktest' | 'deselect' | 'separate'; readonly sType: SType }> = {
  'Linktest.req': { cmd: 'linktest', sType: SType.LinktestReq },
  'Deselect.req': { cmd: 'deselect', sType: SType.DeselectReq },
  'Separate.req': { cmd: 'separate', sType: SType.SeparateReq },
};

/** Makes the IUT send `kind` (Linktest.req, Deselect.req, Separate.req, or S<s>F<f> W) and waits for it; the tester does not auto-answer it. */
export async function makeIutSend(ctx: ScenarioContext, kind: string): Promise<void> {
  const c = ctx.conn();
  await syncWithIut(ctx);
  const data = /^S(\d+)F(\d+) W$/.exec(kind);
  if (data) {
    c.autoAnswer.primaries = false;
    await ctx.iut.command({ kind: 'send', stream: Number(data[1]), function: Number(data[2]), wBit: true, text: Buffer.alloc(0) }, `make the IUT send ${kind}`);
    const r = await c.expect((f) => (f.header.sType === SType.Data && isPrimary(f.header) ? f : undefined), commandWait(ctx));
    if (r.kind !== 'frame') throw new Failure(`told to send ${kind}, the IUT did not: ${ctx.describeNoFrame(r, kind)}`);
    ctx.lastReceived = r.value;
    return;
  }
  const entry = COMMANDS[kind];
  if (!entry) throw new HarnessError(`the tester cannot make the IUT send '${kind}'`);
  if (entry.sType === SType.LinktestReq) c.autoAnswer.linktest = false;
  await ctx.iut.command({ kind: entry.cmd }, `make the IUT send ${kind}`);
  await ctx.expectIutRequest(entry.sType, MAIN, commandWait(ctx));
}

/**
 * An active IUT learns it is SELECTED only when it has read the tester's Select.rsp: a Linktest
 * round trip guarantees that (TCP keeps order) before the IUT is told to do something that
 * needs SELECTED. A passive IUT was SELECTED when it sent its Select.rsp.
 */
async function syncWithIut(ctx: ScenarioContext): Promise<void> {
  if (ctx.iut.config.role === 'passive') return;
  const c = ctx.conn();
  const req = ctx.build('Linktest.req');
  c.send(req, 'sync: the IUT has read everything sent before');
  const r = await c.expect((f) => (f.header.sType === SType.LinktestRsp && f.header.systemBytes === req.header.systemBytes ? f : undefined), ctx.responseWait);
  if (r.kind !== 'frame') throw new Inconclusive(`the IUT did not answer a synchronising Linktest.req: ${ctx.describeNoFrame(r, 'Linktest.rsp')}`);
}

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
  const entry = COMMANDS[kind];
  if (!entry) throw new HarnessError(`no format check for '${kind}'`);
  if (h.sType !== entry.sType) throw new Failure(`expected ${kind}, got ${describeFrame(f)}`);
  ctx.checkControlFormat(f);
  if (entry.sType === SType.LinktestReq) {
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
  const entry = COMMANDS[kind];
  if (!entry) throw new HarnessError(`unknown request '${kind}'`);
  const sent = ctx.conn().received.filter((r) => r.frame.header.sType === entry.sType);
  const a = sent[sent.length - 2];
  const b = sent[sent.length - 1];
  if (!a || !b) throw new HarnessError(`the IUT has not sent two ${kind} messages`);
  if (a.frame.header.systemBytes === b.frame.header.systemBytes) {
    throw new Failure(`two successive ${kind} messages carry the same system bytes ${hex32(a.frame.header.systemBytes)}; each must differ from the most recently completed transaction`);
  }
}

// ---- section 8 -------------------------------------------------------------------------------

/** E37-8.1.2: the frames sent in one segment were all taken: Select.rsp status 0, then the reply to the primary (not Reject 4, not silence). */
export async function expectSelectThenReply(ctx: ScenarioContext): Promise<void> {
  const frames = coalesced.get(ctx) ?? [];
  const primary = frames.find((f) => f.header.sType === SType.Data);
  if (!primary) throw new HarnessError('no data message was sent in the segment');
  const rsp = await ctx.expectResponseToCheck(SType.SelectRsp, 'E37-7.2.2');
  if (rsp.header.byte3 !== 0) throw new Inconclusive(`the IUT refused the Select.req with status ${rsp.header.byte3}; the data message behind it proves nothing`);
  const r = await ctx.conn().next(ctx.responseWait);
  if (r.kind !== 'frame') throw new Failure(`${ctx.describeNoFrame(r, `the reply to ${describeHeader(primary.header)}`)}: the bytes behind the Select.req in the same segment were lost`);
  const f = r.frame.frame;
  ctx.lastReceived = f;
  if (f.header.sType === SType.RejectReq) throw new Failure(`the data message behind the Select.req drew ${describeFrame(f)}: it was processed before the Select.req or as if NOT SELECTED`);
  // A data answer with the primary's system bytes is its reply even with a wrong function (E37-9.4.1 judges that).
  if (f.header.sType !== SType.Data || (isPrimary(f.header) && f.header.systemBytes !== primary.header.systemBytes)) {
    throw new Failure(`expected the reply to the data message, got ${describeFrame(f)}`);
  }
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
  // When the tester closed the first connection itself, a single-connection IUT may not have seen
  // the close yet and refuse the new Select.req (status 1 or 3): that refusal is retried too.
  const testerClosed = r.kind === 'timeout';
  // "Keeps serving new connections" is not "listens at every instant": a passive IUT may re-open
  // its listening socket after a connection ends (secs4js closes its server when the connection
  // ends and creates a new one, so a connect in between is refused, or reset from the closing
  // server's backlog). No conforming active entity reconnects sooner than T5 after a connection
  // ends (E37-9.2.1), so a new connection that fails is retried for T5 plus the tolerance.
  const deadline = performance.now() + ctx.ms.t5 + ctx.ms.tolerance;
  for (;;) {
    try {
      await ctx.selectedConnection('after');
      return;
    } catch (err) {
      const retry = err instanceof IutUnreachable || (err instanceof Inconclusive && (afterClosed(ctx) || testerClosed));
      if (retry && testerClosed) destroyAfter(ctx);
      if (retry && ctx.iut.config.role === 'passive' && performance.now() < deadline) {
        await delay(50);
        continue;
      }
      if (err instanceof VerdictSignal && err.verdict !== 'error') throw new Failure(`after the malformed message the IUT no longer serves a new connection: ${err.reason}`);
      throw err;
    }
  }
}

/** Drops the tester's 'after' connection, if one was opened, before another attempt. */
function destroyAfter(ctx: ScenarioContext): void {
  try {
    ctx.conn('after').destroy();
  } catch {
    // none was opened
  }
}

/** True when the tester's 'after' connection exists and the IUT has closed it. */
function afterClosed(ctx: ScenarioContext): boolean {
  try {
    return !ctx.conn('after').isOpen;
  } catch {
    return false;
  }
}

/** E37-8.1.4.1 and 8.1.4.6: the IUT's answer echoes a header field of the request (when it rejects, whether it should is 7.7.2's business). */
export async function expectRejectEchoes(ctx: ScenarioContext, field: 'sessionId' | 'systemBytes'): Promise<void> {
  const r = await ctx.conn().next(ctx.responseWait);
  if (r.kind !== 'frame') throw new Inconclusive(`${ctx.describeNoFrame(r, 'Reject.req')}; whether one is due is judged under E37-7.7.2`);
  const f = r.frame.frame;
  ctx.lastReceived = f;
  if (f.header.sType !== SType.RejectReq) throw new Inconclusive(`no Reject.req to examine (got ${describeFrame(f)}); whether one is due is judged under E37-7.7.2`);
  ctx.checkEcho(ctx.lastSentFrame().header, f.header, field);
}

/** E37-8.2.8: the Reject.req the IUT sent for the last message (its presence is judged elsewhere: inconclusive if absent). */
export async function expectRejectFormat(ctx: ScenarioContext): Promise<void> {
  const r = await ctx.conn().next(ctx.responseWait);
  if (r.kind !== 'frame') throw new Inconclusive(`${ctx.describeNoFrame(r, 'Reject.req')}; whether one is due is judged under E37-7.3 and 7.7.2`);
  const f = r.frame.frame;
  ctx.lastReceived = f;
  if (f.header.sType !== SType.RejectReq) throw new Inconclusive(`no Reject.req to examine (got ${describeFrame(f)}); whether one is due is judged under E37-7.3 and 7.7.2`);
  checkHeaderOnly(f);
  if (f.header.byte3 === 0) throw new Failure('Reject.req with reason code 0; E37-8.2.8 requires a non-zero reason');
  const sent = ctx.lastSentFrame().header;
  if (isHsmsSs(ctx) && sent.sType === SType.Data) {
    // E37.1: control messages carry 0xFFFF; the rejected data message carried the device id.
    const withSid: Header = { ...sent, sessionId: f.header.sessionId === LINKTEST_SESSION_ID ? LINKTEST_SESSION_ID : sent.sessionId };
    ctx.checkRejectHeader(withSid, f.header);
    return;
  }
  ctx.checkRejectHeader(sent, f.header);
}

/** E37-8.2.1: the IUT's reply: SType 0, PType 0, the W-bit clear (WARN otherwise). Matching it to the primary is 9.4.1's business. */
export async function expectReplyFormat(ctx: ScenarioContext): Promise<void> {
  const f = await ctx.nextFrame('a reply data message');
  const h = f.header;
  if (h.sType !== SType.Data) throw new Inconclusive(`no reply to examine (got ${describeFrame(f)}); whether one is due is judged under E37-7.3`);
  if (h.pType !== 0) throw new Failure(`the reply has PType ${h.pType}; E37-8.2.1 requires 0 for SECS-II`);
  if (wBit(h)) ctx.recorder.add('warn', 'the reply has the W-bit set (E37-8.2.1: a reply should clear it)');
}
