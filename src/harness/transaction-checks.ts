import { LINKTEST_SESSION_ID, RejectReason, SType, sTypeName } from '../protocol/constants';
import { encodeFrame, hex16, isPrimary, stream, type Frame } from '../protocol/header';
import * as msg from '../protocol/messages';
import { tryDecodeItem } from '../protocol/secs2';
import { describeFrame } from '../peer/event-format';
import { servedOnNewConnection } from './connection-checks';
import { describeAnswer, probeWithData } from './state-checks';
import type { ScenarioContext } from './scenario-context';
import type { TesterConnection } from './tester-connection';
import { Failure, Inconclusive, JudgedElsewhere, NotApplicable, VerdictSignal } from './verdict';
import { E37_MINIMUM_RANGES, type TimerName } from '../peer/parameters';

/**
 * Harness functions for E37 sections 9.3 (control transactions), 9.4 (SECS-II), 10
 * (documentation) and the HSMS-SS (E37.1) rules of NOTES.md. Each judges one clause, states what
 * it measured, and accepts every outcome the text allows.
 */

/** A request the IUT initiated and the tester has not answered yet. */
interface HeldRequest {
  readonly frame: Frame;
  /** Trace clock, ms. */
  readonly at: number;
}

interface TransactionState {
  held: HeldRequest | null;
  /** The response or reply the tester sent late (after T6 or T3); null when the IUT had closed first. */
  late: Frame | null;
  /** The IUT's request `late` answers. */
  lateFor: HeldRequest | null;
  /** When the IUT closed before the late answer could be sent (trace clock, ms). */
  closedBeforeLate: number | null;
  /** Frames the IUT sent in answer to the stream 9 provocations, with what was sent. */
  provoked: { readonly sent: readonly Frame[]; readonly received: readonly Frame[] } | null;
  /** Outcome of a Select.req on a second connection (E37.1 single session). */
  second: string | null;
  /** The tester answered the held request before the scenario's own step did, to keep it within the IUT's T6. */
  answeredEarly: boolean;
}

const states = new WeakMap<ScenarioContext, TransactionState>();

function state(ctx: ScenarioContext): TransactionState {
  let s = states.get(ctx);
  if (!s) {
    s = { held: null, late: null, lateFor: null, closedBeforeLate: null, provoked: null, second: null, answeredEarly: false };
    states.set(ctx, s);
  }
  return s;
}

function held(ctx: ScenarioContext): HeldRequest {
  const h = state(ctx).held;
  if (!h) throw new Inconclusive('the IUT has no request the tester holds');
  return h;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;

/** A frame header as the 10 bytes on the wire (E37-8.1.2). */
function headerBytes(f: Frame): Buffer {
  return encodeFrame(f).subarray(4, 14);
}

function isControl(f: Frame): boolean {
  return f.header.sType !== SType.Data;
}

function isStream9(f: Frame): boolean {
  return f.header.sType === SType.Data && stream(f.header) === 9;
}

// ---- the IUT's own requests, held by the tester -----------------------------------------------

type HeldKind = 'Linktest.req' | 'S1F1 W' | 'Separate.req' | 'Deselect.req';

/** Makes the IUT initiate `kind` (control required) and holds it unanswered (ScenarioContext.commandIut). */
export async function makeIutSend(ctx: ScenarioContext, kind: HeldKind): Promise<void> {
  const r = await ctx.commandIut(kind);
  state(ctx).held = { frame: r.frame, at: r.at };
}

/** An active IUT's connection whose Select.req the tester holds unanswered. */
export async function holdIutSelect(ctx: ScenarioContext): Promise<void> {
  const c = await ctx.openConnection();
  const r = await c.expect((f) => (f.header.sType === SType.SelectReq ? f : undefined), ctx.ms.t5 + ctx.responseWait);
  if (r.kind !== 'frame') throw new Inconclusive(`the active IUT did not send Select.req: ${ctx.describeNoFrame(r, 'Select.req')}`);
  ctx.lastReceived = r.value;
  state(ctx).held = { frame: r.value, at: r.frame.at };
}

/** The response (status 0) or reply to the held request, as the tester sends it. */
function answerTo(req: Frame): Frame {
  const h = req.header;
  switch (h.sType) {
    case SType.LinktestReq:
      return msg.linktestRsp(h);
    case SType.SelectReq:
      return msg.selectRsp(h, 0);
    case SType.DeselectReq:
      return msg.deselectRsp(h, 0);
    default:
      return msg.replyTo(h);
  }
}

/** Answers the held request now (unless the tester already had to, to keep it within the IUT's T6). */
export function answerHeld(ctx: ScenarioContext): void {
  if (state(ctx).answeredEarly && !state(ctx).held) return;
  const h = held(ctx);
  const c = ctx.conn();
  ctx.send(answerTo(h.frame), 'main', 'tester answers the held request');
  if (h.frame.header.sType === SType.SelectReq) c.autoAnswer.primaries = true;
  state(ctx).held = null;
}

/**
 * E37-9.3.1: T6 expiry on the IUT's own control transaction is a communication failure; the IUT
 * should close (WARN if it keeps the connection), never before T6 - tolerance (fail).
 */
export async function expectCloseAfterT6(ctx: ScenarioContext): Promise<void> {
  const h = held(ctx);
  const { t6, tolerance } = ctx.ms;
  const window = `[${secs(t6 - tolerance)}, ${secs(t6 + tolerance)}]`;
  // A close the IUT's T6 must bring: on a loaded host the wait stretches by the tester's stalls.
  const closedAt = await ctx.waitClose(h.at + t6 + tolerance - ctx.trace.elapsed(), 'main', true);
  const name = sTypeName(h.frame.header.sType);
  if (closedAt === null) {
    ctx.recorder.measure(`T6: no close ${secs(t6 + tolerance)} after the IUT's ${name} (allowed window ${window})`);
    ctx.recorder.add('warn', `the IUT kept the connection after its ${name} went unanswered for T6; E37-9.3.1 makes that a communication failure and 9.1.1 says close`);
    return;
  }
  const measured = closedAt - h.at;
  const late = measured > t6 + tolerance ? ' (seen after the window: the tester itself was held up by the host meanwhile)' : '';
  ctx.recorder.measure(`T6 measured ${secs(measured)} from the IUT's ${name} to its close, allowed ${window}${late}`);
  if (measured < t6 - tolerance) throw new Failure(`T6: the IUT closed ${secs(measured)} after its ${name}, before the allowed window ${window}`);
}

/** Sends the held request's response (or reply) once `timer` + tolerance has passed, if the IUT kept the connection. */
export async function answerHeldLate(ctx: ScenarioContext, timer: 3 | 6): Promise<void> {
  const h = held(ctx);
  const s = state(ctx);
  const limit = ctx.timerMs(timer) + ctx.ms.tolerance;
  // Waiting out T3 happens in SELECTED: keep-alive traffic keeps idle handling (E37-9.2.3) out of it.
  const wait = h.at + limit - ctx.trace.elapsed();
  const closedAt = timer === 3 ? await ctx.waitWithTraffic(wait) : await ctx.waitClose(wait);
  if (closedAt !== null) {
    s.closedBeforeLate = closedAt;
    ctx.recorder.measure(`the IUT closed the connection ${secs(closedAt - h.at)} after its ${describeFrame(h.frame)}; no late answer could be sent`);
    return;
  }
  const late = answerTo(h.frame);
  ctx.send(late, 'main', `late: T${timer} + tolerance after the IUT's request`);
  ctx.recorder.measure(`late answer sent ${secs(ctx.trace.elapsed() - h.at)} after the IUT's request (T${timer} = ${secs(ctx.timerMs(timer))}, tolerance ${secs(ctx.ms.tolerance)})`);
  s.late = late;
  s.lateFor = h;
  s.held = null;
}

/** E37-9.3.1 with 8.2.8: a response after T6 on a connection the IUT kept draws Reject reason 3. */
export async function expectLateResponseRejected(ctx: ScenarioContext): Promise<void> {
  const s = state(ctx);
  if (!s.late) {
    ctx.recorder.measure('the IUT closed at T6 as E37-9.3.1 advises, so no transaction could be answered late');
    return;
  }
  // A close that crosses the late answer, within the tolerance of the IUT's T6, is that T6 close
  // running a little late (its timing is judged by the T6 scenario), not a refusal to reject.
  const r = await ctx.conn().next(ctx.responseWait);
  const t6Close = s.lateFor!.at + ctx.ms.t6 + 2 * ctx.ms.tolerance;
  if (r.kind === 'closed' && r.close.at <= t6Close) {
    ctx.recorder.measure(`the IUT closed ${secs(r.close.at - s.lateFor!.at)} after its request, crossing the late answer: its T6 close (E37-9.3.1), so nothing was left to reject`);
    return;
  }
  if (r.kind !== 'frame') throw new Failure(ctx.describeNoFrame(r, 'Reject.req reason 3 for the late response'));
  const f = r.frame.frame;
  ctx.lastReceived = f;
  if (f.header.sType !== SType.RejectReq) throw new Failure(`the late ${describeFrame(s.late)} drew ${describeFrame(f)}; Reject.req reason 3 expected`);
  ctx.checkRejectDetails(s.late.header, f);
  if (f.header.byte3 !== RejectReason.TransactionNotOpen) throw new Failure(`the late ${describeFrame(s.late)} drew Reject.req reason ${f.header.byte3}; reason 3 (Transaction Not Open) expected`);
}

// ---- 9.3.2 stateless transactions -------------------------------------------------------------

/** E37-9.3.2: the tester's message, sent while the IUT's own request is open, is handled as usual. */
export async function expectHandledAsUsual(ctx: ScenarioContext): Promise<void> {
  const sent = ctx.lastSentFrame();
  const h = sent.header;
  const what = h.sType === SType.LinktestReq ? 'Linktest.rsp' : 'the reply';
  const c = ctx.conn();
  const open = state(ctx).held;
  const pending = open ? ` while its own ${sTypeName(open.frame.header.sType)} was open` : '';
  const until = ctx.trace.elapsed() + (h.sType === SType.Data ? ctx.replyWait : ctx.responseWait);
  let r: Awaited<ReturnType<typeof c.next>>;
  if (open && isControl(open.frame)) {
    // A reply may take up to T3, longer than the IUT's T6 on its own request: the tester answers
    // that request in time (the message arrived while it was open) and waits on for the reply.
    const inTime = open.at + ctx.ms.t6 - ctx.ms.tolerance;
    r = await c.next(Math.max(0, Math.min(inTime, until) - ctx.trace.elapsed()));
    if (r.kind === 'timeout' && ctx.trace.elapsed() < until) {
      answerHeld(ctx);
      state(ctx).answeredEarly = true;
      ctx.recorder.measure(`the tester answered the IUT's open ${sTypeName(open.frame.header.sType)} ${secs(ctx.trace.elapsed() - open.at)} after it, within its T6, while waiting for ${what}`);
      r = await c.next(until - ctx.trace.elapsed());
    }
  } else {
    r = await c.next(until - ctx.trace.elapsed());
  }
  if (r.kind === 'timeout' && h.sType === SType.LinktestReq && open?.frame.header.sType === SType.SelectReq && ctx.iut.config.standard === 'hsms-ss') {
    throw new NotApplicable(`no Linktest.rsp${pending}: the IUT is NOT SELECTED, and HSMS-SS uses Linktest only in SELECTED (NOTES.md), so it need not answer`);
  }
  if (r.kind === 'timeout' && h.sType === SType.LinktestReq && open?.frame.header.sType === SType.SelectReq) {
    // With its Select.req open the IUT is NOT SELECTED: an IUT that never answers Linktest there
    // breaks E37-7.5, which is judged on its own; the open transaction may not be the cause.
    throw new JudgedElsewhere(['E37-7.5'], `no Linktest.rsp${pending}; the IUT is NOT SELECTED, and whether it answers Linktest there at all is not this clause's business`);
  }
  if (r.kind !== 'frame') throw new Failure(`${ctx.describeNoFrame(r, what)}${pending} (E37-9.3.2)`);
  const f = r.frame.frame;
  ctx.lastReceived = f;
  if (h.sType === SType.LinktestReq) {
    if (f.header.sType !== SType.LinktestRsp || f.header.systemBytes !== h.systemBytes) throw new Failure(`Linktest.req${pending} drew ${describeFrame(f)}; Linktest.rsp expected (E37-9.3.2)`);
    return;
  }
  // Any data answer shows the message was handled; whether the reply matches is E37-9.4.1's business.
  if (f.header.sType !== SType.Data) throw new Failure(`${describeFrame(sent)}${pending} drew ${describeFrame(f)}; its reply expected (E37-9.3.2)`);
}

// ---- 9.3.3 control message format -------------------------------------------------------------

/** Elicits control messages: Linktest.rsp, Select.rsp (status 1 when selected) and a Reject.req for SType 11. */
export async function provokeControlMessages(ctx: ScenarioContext): Promise<void> {
  const c = ctx.conn();
  const unknown = ctx.build('Linktest.req');
  const probes: Frame[] = [ctx.build('Linktest.req'), ctx.build('Select.req'), { header: { ...unknown.header, sessionId: ctx.controlSessionId, sType: 11 }, text: unknown.text }];
  for (const p of probes) {
    ctx.send(p);
    const r = await c.expect((f) => (isControl(f) ? f : undefined), ctx.responseWait);
    if (r.kind === 'frame' && r.value.header.sType === SType.RejectReq) ctx.checkRejectDetails(p.header, r.value);
    if (!c.isOpen) break;
  }
}

/** E37-9.3.3: every control message the IUT sent on the connection has PType 0 and no text. */
export function checkControlMessagesFormat(ctx: ScenarioContext): void {
  const control = ctx.conn().received.map((r) => r.frame).filter(isControl);
  if (control.length === 0) throw new Inconclusive('the IUT sent no control message to check');
  for (const f of control) {
    if (f.header.pType !== 0) throw new Failure(`${describeFrame(f)}: PType ${f.header.pType}; E37-9.3.3 requires PType 0 for the STypes E37 defines`);
    if (f.text.length > 0) throw new Failure(`${describeFrame(f)} carries ${f.text.length} bytes of text; E37-9.3.3 allows none`);
  }
  ctx.recorder.measure(`${control.length} control messages checked: ${[...new Set(control.map((f) => sTypeName(f.header.sType)))].join(', ')}`);
}

/** Sends `kind` with two bytes of message text (a SECS-II empty list). */
export function sendControlWithText(ctx: ScenarioContext, kind: string): void {
  const f = ctx.build(kind);
  ctx.send({ header: f.header, text: Buffer.from([0x01, 0x00]) }, 'main');
}

const RESPONSE_OF: Readonly<Record<number, number>> = { [SType.SelectReq]: SType.SelectRsp, [SType.DeselectReq]: SType.DeselectRsp, [SType.LinktestReq]: SType.LinktestRsp };

/**
 * E37-9.3.3 with NOTES.md: a control message with text is never answered as valid (fail); the
 * IUT should close the connection (WARN otherwise; a Reject keeps it open, so it is WARN too).
 */
export async function expectControlTextRefused(ctx: ScenarioContext): Promise<void> {
  const sent = ctx.lastSentFrame();
  const c = ctx.conn();
  const start = ctx.trace.elapsed();
  const deadline = start + ctx.responseWait;
  const seen: string[] = [];
  for (;;) {
    const r = await c.next(deadline - ctx.trace.elapsed());
    if (r.kind === 'closed') {
      ctx.recorder.measure(`the IUT closed the connection (${r.close.how}) ${secs(r.close.at - start)} after it${seen.length ? `, having sent ${seen.join(', ')}` : ''}`);
      return;
    }
    if (r.kind === 'timeout') break;
    const f = r.frame.frame;
    if (f.header.sType === SType.RejectReq) ctx.checkRejectDetails(sent.header, f);
    if (f.header.sType === RESPONSE_OF[sent.header.sType] && f.header.systemBytes === sent.header.systemBytes) {
      throw new Failure(`the IUT answered ${sTypeName(sent.header.sType)} carrying ${sent.text.length} bytes of text as valid: ${describeFrame(f)} (E37-9.3.3)`);
    }
    seen.push(describeFrame(f));
  }
  ctx.recorder.add('warn', `the IUT kept the connection open ${secs(ctx.responseWait)} after ${sTypeName(sent.header.sType)} with message text${seen.length ? ` (it sent ${seen.join(', ')})` : ''}; NOTES.md: it should close it`);
}

/** After a malformed message the IUT must keep serving new connections (NOTES.md): servedOnNewConnection. */
export async function expectNewSession(ctx: ScenarioContext): Promise<void> {
  const c = ctx.conn();
  if (c.isOpen) c.close();
  ctx.recorder.measure(await servedOnNewConnection(ctx, 'again', 'after the malformed message'));
}

// ---- 9.4.1 reply matching ---------------------------------------------------------------------

/** E37-9.4.1: the next message is the reply to the tester's last primary and matches it. */
export async function expectMatchingReply(ctx: ScenarioContext): Promise<void> {
  const primary = ctx.lastSentFrame();
  const f = await ctx.nextFrame(`the reply to ${describeFrame(primary)}`, 'main', ctx.replyWait);
  if (f.header.sType === SType.RejectReq) throw new Failure(`the IUT rejected the primary instead of replying: ${describeFrame(f)}`);
  if (f.header.sType !== SType.Data) throw new Failure(`expected the reply to ${describeFrame(primary)}, got ${describeFrame(f)}`);
  ctx.checkReplyMatching(primary.header, f.header);
}

/** Sends S1F1 W with the given session id (E37-8.1.4.1: 16 bits, unsigned). */
export function sendPrimaryWithSessionId(ctx: ScenarioContext, id: number): void {
  const f = ctx.build('S1F1 W');
  ctx.send({ header: { ...f.header, sessionId: id }, text: f.text });
}

/**
 * E37-9.4.1 for session ids with bit 15 set: a reply carries the whole 16-bit session id (fail
 * otherwise). An IUT that knows no such device may answer S9F1 instead (E5), which passes.
 */
export async function expectReplyOrUnknownDevice(ctx: ScenarioContext): Promise<void> {
  const primary = ctx.lastSentFrame();
  const r = await ctx.conn().next(ctx.replyWait);
  if (r.kind === 'timeout') throw new JudgedElsewhere(['E37-7.3'], `the IUT neither replied to ${describeFrame(primary)} nor sent S9F1, so there is no reply to match`);
  if (r.kind === 'closed') throw new Failure(`the IUT closed the connection on a well-formed data message with session id ${hex16(primary.header.sessionId)}`);
  const f = r.frame.frame;
  ctx.lastReceived = f;
  if (isStream9(f) && f.header.byte3 === 1) {
    ctx.recorder.measure(`the IUT reported session id ${hex16(primary.header.sessionId)} as an unrecognized device with S9F1`);
    return;
  }
  if (f.header.sType === SType.RejectReq) {
    ctx.checkRejectDetails(primary.header, f);
    ctx.recorder.add('warn', `the IUT rejected a data message with session id ${hex16(primary.header.sessionId)} (${describeFrame(f)}); E37 has no Reject reason for an unknown session id, SECS-II answers S9F1`);
    return;
  }
  if (f.header.sType !== SType.Data) throw new Failure(`expected the reply to ${describeFrame(primary)} or S9F1, got ${describeFrame(f)}`);
  ctx.checkReplyMatching(primary.header, f.header);
}

/** NOTES.md / catalogue: a primary without the W-bit gets no reply (WARN otherwise). */
export async function expectNoReplyWithoutWBit(ctx: ScenarioContext): Promise<void> {
  const primary = ctx.lastSentFrame();
  const r = await ctx.conn().expect((f) => (f.header.sType === SType.Data && !isPrimary(f.header) && f.header.systemBytes === primary.header.systemBytes ? f : undefined), ctx.replyWait);
  if (r.kind === 'frame') ctx.recorder.add('warn', `the IUT replied to ${describeFrame(primary)} although its W-bit is 0: ${describeFrame(r.value)}`);
}

// ---- 9.4.1.1 T3 -------------------------------------------------------------------------------

/**
 * E37-9.4.1.1: after T3 the IUT no longer expects the reply. A late reply may be ignored, draw an
 * S9 message (S9F9, S9F3-type) or a Reject.req (not required); it must not be answered as part
 * of a live transaction. Closing is WARN under E37 (HSMS-SS judges it under E37.1-t3-no-close).
 */
export async function expectLateReplyNotMatched(ctx: ScenarioContext): Promise<void> {
  const s = state(ctx);
  if (!s.late) {
    ctx.recorder.add('warn', 'the IUT closed the connection when T3 expired; E37-9.4.1.1 only closes the transaction');
    return;
  }
  const c = ctx.conn();
  const late = s.late;
  const deadline = ctx.trace.elapsed() + ctx.responseWait;
  const notes: string[] = [];
  // Keep-alives keep idle handling (E37-9.2.3) out of this observation.
  for (;;) {
    const r = await ctx.nextKeptAlive(c, deadline);
    if (r.kind === 'timeout') break;
    if (r.kind === 'closed') {
      ctx.recorder.add('warn', `the IUT closed the connection after the late reply${notes.length ? ` (having sent ${notes.join(', ')})` : ''}; E37-9.4.1.1 only closes the transaction`);
      return;
    }
    const f = r.frame.frame;
    if (f.header.sType === SType.RejectReq && f.header.systemBytes === late.header.systemBytes) ctx.checkRejectDetails(late.header, f);
    if (f.header.sType === SType.Data && !isPrimary(f.header) && f.header.systemBytes === late.header.systemBytes) {
      throw new Failure(`the IUT answered the late reply as part of a live transaction: ${describeFrame(f)} (E37-9.4.1.1)`);
    }
    notes.push(describeFrame(f));
  }
  ctx.recorder.measure(notes.length ? `after the late reply the IUT sent ${notes.join(', ')} (S9 and Reject.req are acceptable)` : 'the IUT ignored the late reply');
  if (c.isOpen) {
    const a = await probeWithData(ctx);
    if (a.kind === 'rejected' && a.frame.header.byte3 === RejectReason.EntityNotSelected) ctx.recorder.add('warn', `the IUT left SELECTED after T3 expired (${describeAnswer(a)}); E37-9.4.1.1 only closes the transaction`);
  }
}

/** E37.1-t3-no-close: the connection survives the T3 timeout and the late reply. */
export async function expectKeptThroughT3(ctx: ScenarioContext): Promise<void> {
  const s = state(ctx);
  if (s.closedBeforeLate !== null || !ctx.conn().isOpen) throw new Failure('the IUT closed the connection when T3 expired; HSMS-SS (E37.1) cancels only the transaction');
  const closedAt = await ctx.waitClose(ctx.responseWait);
  if (closedAt !== null) throw new Failure('the IUT closed the connection after the late reply; HSMS-SS (E37.1) cancels only the transaction');
}

// ---- 9.4.2 stream 9 ---------------------------------------------------------------------------

/** Sends data messages an equipment commonly reports in stream 9: unknown stream, unknown function, unknown device id. */
export async function provokeStream9(ctx: ScenarioContext): Promise<void> {
  const c = ctx.conn();
  const sid = ctx.iut.config.sessionId;
  const make = (s: number, fn: number, sessionId: number): Frame => {
    const f = ctx.build(`S${s}F${fn} W`);
    return { header: { ...f.header, sessionId }, text: f.text };
  };
  const sent = [make(127, 1, sid), make(1, 255, sid), make(1, 1, (sid ^ 0x0001) & 0x7fff)];
  const received: Frame[] = [];
  for (const f of sent) {
    ctx.send(f);
    const deadline = ctx.trace.elapsed() + ctx.responseWait;
    for (;;) {
      const r = await c.next(deadline - ctx.trace.elapsed());
      if (r.kind !== 'frame') break;
      received.push(r.frame.frame);
      if (r.frame.frame.header.systemBytes === f.header.systemBytes || isStream9(r.frame.frame)) break;
    }
    if (!c.isOpen) break;
  }
  state(ctx).provoked = { sent, received };
}

/**
 * E37-9.4.2: MHEAD (SHEAD for S9F9) holds the 10 HSMS header bytes; WARN otherwise. The rule
 * binds only IUTs that send stream 9 messages: one that sends none, even when provoked, is not
 * applicable (E5 leaves S9 to the equipment's application).
 */
export function checkStream9Headers(ctx: ScenarioContext): void {
  const p = state(ctx).provoked;
  const s9 = [...(p?.received ?? []), ...ctx.conn().received.map((r) => r.frame)].filter(isStream9);
  const unique = [...new Map(s9.map((f) => [f.header.systemBytes, f])).values()];
  if (unique.length === 0) {
    const sent = (p?.sent ?? []).map(describeFrame).join(', ');
    throw new NotApplicable(`the IUT sent no stream 9 message (provoked with ${sent || 'the messages sent'}); the MHEAD / SHEAD rule applies only to IUTs that send them`);
  }
  const sentHeaders = (p?.sent ?? []).map(headerBytes);
  for (const f of unique) {
    const name = `S9F${f.header.byte3}`;
    const d = tryDecodeItem(f.text);
    if (!d.ok || d.item.type !== 'B' || d.item.value.length !== 10) {
      ctx.recorder.add('warn', `${name} text is ${d.ok ? d.item.type : 'not a SECS-II item'}${d.ok && d.item.type === 'B' ? ` of ${d.item.value.length} bytes` : ''}; E37-9.4.2: MHEAD/SHEAD should hold the 10-byte HSMS header`);
      continue;
    }
    const value = d.item.value;
    if (f.header.byte3 === 9) {
      ctx.recorder.measure(`${name} SHEAD ${value.toString('hex')} (10 bytes)`);
      continue;
    }
    if (!sentHeaders.some((h) => h.equals(value))) {
      ctx.recorder.add('warn', `${name} MHEAD ${value.toString('hex')} is not the header of any message the tester sent (${sentHeaders.map((h) => h.toString('hex')).join(', ')})`);
      continue;
    }
    ctx.recorder.measure(`${name} MHEAD ${value.toString('hex')} is the offending message's header`);
  }
}

// ---- 10 documentation -------------------------------------------------------------------------

/** E37-10 item 3 (with 9.2.4.1): a single-connection passive IUT documents its refusal option. */
export function checkRefusalDocumented(ctx: ScenarioContext): void {
  const r = ctx.iut.config.capabilities.refusal;
  if (r === null) throw new Failure('the profile does not declare capabilities.refusal; E37-10 item 3 and 9.2.4.1 require the refusal option documented');
  ctx.recorder.measure(`refusal option ${r} declared`);
}

/** E37-10 item 4: the largest message the IUT can receive. */
export function checkMaxLengthDocumented(ctx: ScenarioContext): void {
  const n = ctx.iut.config.capabilities.maxMessageLength;
  if (!Number.isInteger(n) || n < 10) throw new Failure(`capabilities.maxMessageLength is ${n}; E37-10 item 4 needs the largest receivable message length (at least the 10 header bytes)`);
  ctx.recorder.measure(`maximum received message length ${n} bytes`);
}

/** E37-10.1: a declared timer outside the minimum range is reported (info); a wider range passes. */
export function checkTimerRange(ctx: ScenarioContext, timer: number): void {
  const range = E37_MINIMUM_RANGES[`t${timer}` as TimerName] as readonly [number, number] | undefined;
  if (range === undefined) throw new Inconclusive(`E37-10.1 sets no range for T${timer}`);
  const [min, max] = range;
  const v = ctx.timerMs(timer) / 1000;
  if (!Number.isFinite(v) || v <= 0) throw new Failure(`T${timer} declared ${v} s: not a usable setting`);
  const where = v < min || v > max ? `outside the E37-10.1 minimum range ${min}-${max} s (reported; a wider range passes)` : `inside the E37-10.1 minimum range ${min}-${max} s`;
  ctx.recorder.measure(`T${timer} declared ${v} s, ${where}`);
}

// ---- HSMS-SS (E37.1) --------------------------------------------------------------------------

/** Waits for the IUT's control answer to the last message sent. */
export async function expectControlAnswer(ctx: ScenarioContext): Promise<void> {
  const r = await ctx.conn().expect((f) => (isControl(f) ? f : undefined), ctx.responseWait);
  if (r.kind !== 'frame') throw new Inconclusive(`no control message to check: ${ctx.describeNoFrame(r, 'a control message')}`);
  ctx.lastReceived = r.value;
}

/** E37.1-control-session-id: every control message the IUT sent on the connection carries 0xFFFF. */
export function checkControlSessionIds(ctx: ScenarioContext): void {
  const control = ctx.conn().received.map((r) => r.frame).filter(isControl);
  if (control.length === 0) throw new Inconclusive('the IUT sent no control message to check');
  for (const f of control) {
    if (f.header.sessionId !== LINKTEST_SESSION_ID) throw new Failure(`${describeFrame(f)} carries session id ${hex16(f.header.sessionId)}; HSMS-SS (E37.1) control messages carry 0xFFFF`);
  }
  ctx.recorder.measure(`${control.length} control messages with session id 0xFFFF: ${[...new Set(control.map((f) => sTypeName(f.header.sType)))].join(', ')}`);
}

/** E37.1-deselect-not-used: a Deselect.req is answered with Deselect.rsp or rejected with reason 1. */
export async function expectDeselectAnsweredOrRejected(ctx: ScenarioContext): Promise<void> {
  const req = ctx.lastSentFrame();
  const f = await ctx.nextFrame('Deselect.rsp or Reject.req reason 1');
  const h = f.header;
  if (h.sType === SType.DeselectRsp) {
    ctx.checkEcho(req.header, h, 'systemBytes');
    return;
  }
  if (h.sType === SType.RejectReq && h.byte3 === RejectReason.STypeNotSupported) {
    ctx.checkRejectDetails(req.header, f);
    return;
  }
  throw new Failure(`Deselect.req drew ${describeFrame(f)}; HSMS-SS allows Deselect.rsp or Reject.req reason 1`);
}

/** E37.1-linktest-selected-only: the IUT's Linktest.req came while SELECTED (the session is still up after it). */
export async function expectLinktestWhileSelected(ctx: ScenarioContext): Promise<void> {
  answerHeld(ctx);
  const a = await probeWithData(ctx);
  ctx.recorder.measure(`after its Linktest.req: ${describeAnswer(a)}`);
  if (a.kind === 'rejected' && a.frame.header.byte3 === RejectReason.EntityNotSelected) throw new Failure('the IUT sent Linktest.req on a connection that is not SELECTED');
  if (a.kind !== 'served') throw new JudgedElsewhere(['E37-7.3'], `the IUT did not serve a data message after its Linktest.req (${describeAnswer(a)}), so its state does not show`);
}

/** E37.1-linktest-selected-only: no Linktest.req from the IUT while NOT SELECTED (until T7 closes it). */
export async function expectNoLinktestNotSelected(ctx: ScenarioContext): Promise<void> {
  const c: TesterConnection = ctx.conn();
  await ctx.waitClose(c.openedAt + ctx.ms.t7 + ctx.ms.tolerance - ctx.trace.elapsed());
  const lt = c.received.filter((r) => r.frame.header.sType === SType.LinktestReq);
  if (lt.length > 0) throw new Failure(`the IUT sent Linktest.req at ${secs(lt[0]!.at - c.openedAt)} after connect while NOT SELECTED; HSMS-SS uses Linktest only in SELECTED`);
  ctx.recorder.measure(`no Linktest.req from the IUT in ${secs(Math.min(ctx.trace.elapsed(), c.closed?.at ?? Infinity) - c.openedAt)} NOT SELECTED`);
}

/** Opens a second connection and sends Select.req there; records what happened. */
export async function selectOnSecondConnection(ctx: ScenarioContext): Promise<void> {
  const s = state(ctx);
  let c: TesterConnection;
  try {
    c = await ctx.openConnection('second');
  } catch (err) {
    if (err instanceof VerdictSignal) {
      s.second = `refused at TCP level: ${err.reason}`;
      return;
    }
    throw err;
  }
  const req = ctx.build('Select.req', 'second');
  ctx.send(req, 'second');
  const r = await c.expect((f) => (f.header.sType === SType.SelectRsp || f.header.sType === SType.RejectReq ? f : undefined), ctx.responseWait);
  if (r.kind === 'timeout') s.second = 'no answer to Select.req (connection not serviced)';
  else if (r.kind === 'closed') s.second = `connection closed (${r.close.how})`;
  else if (r.value.header.sType === SType.RejectReq) s.second = `Select.req rejected: ${describeFrame(r.value)}`;
  else s.second = `Select.rsp status ${r.value.header.byte3}`;
}

/** E37.1-single-session: the second connection gets no session (Select.rsp status 0 fails). */
export function expectNoSecondSession(ctx: ScenarioContext): void {
  const s = state(ctx).second;
  if (s === null) throw new Inconclusive('no second connection was attempted');
  if (s === 'Select.rsp status 0') throw new Failure('the IUT selected a second connection while a session was active (Select.rsp status 0)');
  ctx.recorder.measure(`second connection: ${s}`);
}

/**
 * E37.1-not-selected-failure: in NOT SELECTED a message other than Select.req may be treated as a
 * communication failure (close), or answered as E37 prescribes (Linktest.rsp, a Reject.req for
 * data: its reason is judged under E37-7.7.2). A Linktest.req need not be answered (HSMS-SS uses
 * Linktest only in SELECTED); a reply to data fails; silence to data is WARN.
 */
export async function expectNotSelectedHandling(ctx: ScenarioContext): Promise<void> {
  const sent = ctx.lastSentFrame();
  const r = await ctx.conn().next(ctx.responseWait);
  if (r.kind === 'closed') {
    ctx.recorder.measure(`the IUT closed the connection (${r.close.how}) after ${describeFrame(sent)} in NOT SELECTED`);
    return;
  }
  if (r.kind === 'timeout' && sent.header.sType === SType.LinktestReq) {
    ctx.recorder.measure('the IUT did not answer Linktest.req in NOT SELECTED, where HSMS-SS does not use Linktest');
    return;
  }
  if (r.kind === 'timeout') {
    ctx.recorder.add('warn', `the IUT neither answered nor closed after ${describeFrame(sent)} in NOT SELECTED`);
    return;
  }
  const f = r.frame.frame;
  ctx.lastReceived = f;
  if (sent.header.sType === SType.LinktestReq && f.header.sType === SType.LinktestRsp) return;
  if (sent.header.sType === SType.Data && f.header.sType === SType.RejectReq) {
    ctx.checkRejectDetails(sent.header, f);
    return;
  }
  throw new Failure(`${describeFrame(sent)} in NOT SELECTED drew ${describeFrame(f)}; HSMS-SS allows a close, or the E37 answer`);
}
