import { DEFINED_STYPES, RESPONSE_TO_REQUEST, SType, sTypeName } from '../protocol/constants';
import { describeHeader, hex16, hex32, type Frame, type Header } from '../protocol/header';
import type { ModelState } from '../fuzz/oracle';
import { answerExpectation, type Expectation } from './expectations';
import { RejectReactions, rejectOfOwnMessage } from './reject-reaction';
import { checkFormat, checkStream9, exerciseAnswerFormat } from './format-checks';
import { isAnswer, isControl, other, secs, startsTransaction, type Find, type JudgeContext, type JudgeSink, type Side, type StateView } from './judge-types';
import type { ObservedMessage } from './message-stream';
import type { SideRules } from './side-rules';

/**
 * Judges one HSMS connection from its traffic, both entities at once. Every message one side
 * sends is either an answer to something the other side sent (judged by the oracle's model of
 * E37, `answerExpectation`) or something it starts itself (judged for its format, for the state
 * it is sent in, and for the uniqueness of its system bytes). Closes, timers (T6, T7, T8, T3)
 * and what a side did after the other broke the framing complete the picture.
 *
 * A finding needs evidence on the wire: where the capture has a hole, starts mid-way or the
 * framing broke, what depends on the missing part is not judged. Timer limits come only from a
 * side's declared values (SideRules); without them the measured values are reported.
 */

/** A message of `requester` waiting for the other side's answer. */
interface Outstanding {
  readonly requester: Side;
  readonly m: ObservedMessage;
  readonly exp: Expectation;
  /** A transaction in the sense of E37-8.1.4.6: a control request or a primary with the W-bit. */
  readonly transaction: boolean;
  /** A Reject.req of the other side's message, which nothing may answer (E37-7.7.1): matched only after every request. */
  readonly ofReject: boolean;
  readonly control: boolean;
  /** Past the T6 of its transaction: the requester has given up (E37-9.3.1). */
  expired: boolean;
  /** A required answer did not come within T6: already reported. */
  overdue: boolean;
}

interface SideState {
  rules: SideRules;
  closedAt: number | null;
  /** The capture misses part of what this side sent: the first and the latest such place (hole, mid-stream start, resync). */
  firstGapMs: number | null;
  lastGapMs: number | null;
  /** This side's output broke the framing, or exceeded what the other side accepts. */
  broken: { readonly why: string; readonly frame: number; readonly timeMs: number } | null;
  lastCompletedSys: number | null;
  lastMessageMs: number | null;
  lastLinktestReqMs: number | null;
  /** One of its control transactions expired at this time: it should close (E37-9.3.1). */
  t6ExpiredAt: number | null;
  keptOpenAfterT6: boolean;
  /** Clause of the procedure that took it out of SELECTED (E37-7.4, 7.6), for data sent after. */
  leftBy: string | null;
  /** Its own Select.req was refused: it must stay NOT SELECTED (E37-7.2.1). */
  selectRefused: boolean;
  /** Headers it sent recently, for the stream 9 MHEAD check (E37-9.4.2). */
  recent: Header[];
  /** Last message of the other side received in NOT SELECTED that was a Separate.req (E37-7.6.2, NOTES.md). */
  separateInNotSelectedAt: number | null;
  /** Linktest.req received while NOT SELECTED and never selected: a T7 restart shows against it. */
  lastLinktestInNotSelectedMs: number | null;
}

/**
 * Open messages kept per side: transactions awaiting their answer (a side that never replies
 * cannot grow this without bound), and a few recent messages that need no answer (for a Reject
 * of them, or a reply sent to a primary without the W-bit).
 */
const MAX_OUTSTANDING = 256;
const MAX_UNANSWERED_KEPT = 16;
/** E37-10.1's typical T6, the patience assumed of an entity that declares none. */
const TYPICAL_T6_MS = 5000;
const RECENT_HEADERS = 16;
/** A message sent this soon after the other side changed the state may have crossed that change on the wire. */
const CROSSING_MS = 20;

export class ConnectionJudge {
  private state: StateView;
  private readonly sides: Record<Side, SideState>;
  private readonly outstanding: Record<Side, Outstanding[]> = { client: [], server: [] };
  /** Messages waiting for the answer to their sender's own Select.req or Deselect.req. */
  private deferred: Record<Side, Array<{ readonly m: ObservedMessage; readonly f: Frame }>> = { client: [], server: [] };
  private readonly openedMs: number;
  private selectedMs: number | null = null;
  private everSelected = false;
  /** Time and cause of the last state change made by each side's message. */
  private lastChange: { by: Side; timeMs: number } | null = null;
  private ended = false;
  /** The side that closed first: the other one only followed. */
  private closer: Side | null = null;
  /** A close each side should make, with the finding if it never does (the oracle's shouldClose, NOTES.md). */
  /** What each side did after a Reject.req of its own data primary (E37-7.7.1). */
  private readonly rejections = new RejectReactions();
  private readonly shouldClose: Record<Side, { readonly clause: string; readonly message: string; readonly frame: number; readonly timeMs: number } | null> = { client: null, server: null };

  constructor(
    private readonly fromSyn: boolean,
    openedMs: number,
    rules: Readonly<Record<Side, SideRules>>,
    private readonly sink: JudgeSink,
    private readonly ctx: JudgeContext,
  ) {
    this.openedMs = openedMs;
    this.state = fromSyn ? 'NOT_SELECTED' : 'UNKNOWN';
    const side = (r: SideRules): SideState => ({
      rules: r,
      closedAt: null,
      firstGapMs: fromSyn ? null : openedMs,
      lastGapMs: fromSyn ? null : openedMs,
      broken: null,
      lastCompletedSys: null,
      lastMessageMs: null,
      lastLinktestReqMs: null,
      t6ExpiredAt: null,
      keptOpenAfterT6: false,
      leftBy: null,
      selectRefused: false,
      recent: [],
      separateInNotSelectedAt: null,
      lastLinktestInNotSelectedMs: null,
    });
    this.sides = { client: side(rules.client), server: side(rules.server) };
  }

  /** The server accepted (SYN-ACK): the connect procedures of both sides are on the wire. */
  accepted(): void {
    this.sink.exercised('server', 'E37-6.3.2');
    this.sink.exercised('client', 'E37-6.3.3');
    this.sink.exercised('server', 'E37-6.3.1');
    this.sink.exercised('client', 'E37-6.3.1');
  }

  /** Part of what `from` sent is missing from the capture from `timeMs` on. */
  incomplete(from: Side, timeMs: number): void {
    const s = this.sides[from];
    s.firstGapMs ??= timeMs;
    s.lastGapMs = timeMs;
  }

  /** A message of `length` announced by `from`: beyond what the receiver declares it accepts, the stream is out of step for it. */
  announced(from: Side, length: number, frame: number, timeMs: number): void {
    const me = this.sides[from];
    const to = other(from);
    const max = this.sides[to].rules.maxLength;
    if (me.broken || max === null || length <= max) return;
    me.broken = { why: `a message length of ${length}, above the ${max} bytes the ${to} declares it accepts`, frame, timeMs };
    this.sink.note(`a message length above what the ${to} accepts (E37-8.1.3): it should close the connection and answer nothing more`, frame, timeMs);
  }

  framingError(from: Side, length: number, frame: number, timeMs: number): void {
    this.tick(timeMs, frame);
    const s = this.sides[from];
    this.find(from, 'E37-8.1.3', 'fail', `sent a message length of ${length}, below the minimum of 10`, frame, timeMs);
    if (!s.broken) s.broken = { why: `a message length of ${length}`, frame, timeMs };
  }

  message(from: Side, m: ObservedMessage): void {
    const t = m.lastTimeMs;
    this.tick(t, m.lastFrame);
    const to = other(from);
    const me = this.sides[from];
    const peer = this.sides[to];
    const f: Frame = { header: m.header, text: m.text };
    const h = m.header;
    me.lastMessageMs = t;
    me.recent.push(h);
    if (me.recent.length > RECENT_HEADERS) me.recent.shift();
    if (m.maxGapMs > 0) this.sink.measured(to, 'T8 largest gap inside a message', m.maxGapMs);
    if (me.broken) {
      this.sink.note(`not judged: ${from} sent it after ${me.broken.why} (frame ${me.broken.frame})`, m.lastFrame, t);
      return;
    }
    this.checkT8(to, m);
    checkFormat(this.report, this.sink, from, m, me.rules);
    if (peer.broken) {
      // The other side's output is out of step: an answer now can only answer garbage (E37-8.1.3, NOTES.md).
      if (isAnswer(h) && !this.findMatch(to, f)) {
        this.find(from, 'E37-8.1.3', 'fail', `answered after the other side sent ${peer.broken.why} (frame ${peer.broken.frame}): ${describeHeader(h)}`, m.lastFrame, t, peer.broken.frame);
        return;
      }
    }
    const match = this.findMatch(to, f);
    if (match) {
      this.judgeAnswer(from, match, m, f);
      return;
    }
    if (isAnswer(h)) this.unmatchedAnswer(from, m, f);
    else this.initiated(from, m, f);
    // Behind its own open Select.req or Deselect.req, a message is handled in the state that
    // request leads to (the receiver reads in order): its expectation waits for that answer.
    if (this.outstanding[from].some((o) => !o.expired && (o.m.header.sType === SType.SelectReq || o.m.header.sType === SType.DeselectReq) && o.m.header.pType === 0)) {
      this.deferred[from].push({ m, f });
      return;
    }
    this.expectAnswer(to, from, m, f);
  }

  /** Registers the expectations that waited for a state-changing answer. */
  private releaseDeferred(requester: Side): void {
    const waiting = this.deferred[requester];
    this.deferred[requester] = [];
    for (const d of waiting) this.expectAnswer(other(requester), requester, d.m, d.f);
  }

  closed(by: Side, how: 'fin' | 'rst', frame: number, timeMs: number): void {
    this.tick(timeMs, frame);
    const s = this.sides[by];
    if (s.closedAt !== null) return;
    s.closedAt = timeMs;
    const peer = other(by);
    this.sink.note(`${by} closes the connection (${how === 'fin' ? 'FIN' : 'RST'}) in ${this.state}`, frame, timeMs);
    // Closing in answer to the other side's close is no decision of its own.
    if (this.sides[peer].closedAt !== null) return;
    this.closer = by;
    // Answers the closing side still owed. A close is legal instead of them when T7 ran out in NOT
    // SELECTED, or when something later lets it close (NOTES.md; the oracle's closeOk). A close at
    // a T7 shorter than declared is that one defect, judged under E37-9.2.2 alone (checkT7Close):
    // what it cut short was not refused.
    const t7 = s.rules.timers?.t7 ?? null;
    const t7Ran = this.state === 'NOT_SELECTED' && !this.everSelected && t7 !== null && timeMs - this.openedMs >= t7 - s.rules.toleranceMs;
    const t7Close = t7Ran || this.shortT7Close(by, timeMs);
    for (const o of [...this.outstanding[peer]]) {
      if (!o.exp.required || o.expired) continue;
      const later = this.outstanding[peer].some((x) => x.m.offset > o.m.offset && x.exp.closeOk);
      if (o.exp.closeOk || t7Close || this.sides[peer].broken || later || this.gapAfter(by, o.m.lastTimeMs)) continue;
      this.find(by, o.exp.clause, 'fail', `no answer to ${o.exp.what} (frame ${o.m.lastFrame}) before it closed the connection`, frame, timeMs, o.m.lastFrame);
      this.drop(peer, o);
    }
    this.judgeClose(by, frame, timeMs);
  }

  /** The connection is over: what the end shows about timers, required closes and unanswered requests. */
  end(frame: number, timeMs: number): void {
    if (this.ended) return;
    this.tick(timeMs, frame);
    this.ended = true;
    const endMs = this.closer ? this.sides[this.closer].closedAt! : timeMs;
    for (const side of ['client', 'server'] as const) {
      if (side === this.closer) continue;
      const s = this.sides[side];
      const peer = this.sides[other(side)];
      this.checkT7Kept(side, endMs, frame);
      this.checkT8Kept(side, endMs, frame);
      // How long a side may take to close before keeping the connection counts: its T6, or E37's typical 5 s.
      const grace = (s.rules.timers?.t6 ?? TYPICAL_T6_MS) + s.rules.toleranceMs;
      if (peer.broken && endMs - peer.broken.timeMs >= grace) {
        this.find(side, 'E37-8.1.3', 'warn', `kept the connection open ${secs(endMs - peer.broken.timeMs)} after the other side sent ${peer.broken.why} (frame ${peer.broken.frame}); it should close it`, frame, endMs, peer.broken.frame);
      } else if (this.shouldClose[side] && endMs - this.shouldClose[side]!.timeMs >= grace) {
        const c = this.shouldClose[side]!;
        this.find(side, c.clause, 'warn', c.message, frame, endMs, c.frame);
      }
      if (s.t6ExpiredAt !== null && !s.keptOpenAfterT6 && s.rules.timers && endMs - s.t6ExpiredAt >= grace) {
        this.find(side, 'E37-9.3.1', 'warn', `kept the connection open for ${secs(endMs - s.t6ExpiredAt)} after its T6 expired (a communication failure: it should close)`, frame, endMs);
      }
    }
    for (const side of ['client', 'server'] as const) {
      this.releaseDeferred(side);
      for (const o of this.outstanding[side]) this.unansweredAtEnd(o, frame, endMs);
      this.outstanding[side] = [];
    }
  }

  // ---- answers ------------------------------------------------------------------------------

  /** The outstanding message of `requester` that `f` answers: same system bytes, or the one it plainly answers with wrong ones. */
  private findMatch(requester: Side, f: Frame): Outstanding | null {
    const list = this.outstanding[requester];
    const h = f.header;
    for (const o of list) if (!o.ofReject && o.m.header.systemBytes === h.systemBytes && o.exp.answers.has(h.sType)) return o;
    // A required answer is whatever comes back with the request's system bytes (the oracle: the next frame, whatever it is).
    for (const o of list) if (o.m.header.systemBytes === h.systemBytes && o.exp.required && !o.expired) return o;
    if (isAnswer(h)) for (const o of list) if (o.ofReject && o.m.header.systemBytes === h.systemBytes) return o;
    if (this.sides[requester].firstGapMs !== null) return null;
    // Wrong system bytes: the oldest open request of the kind this message answers (E37-8.1.4.6 is then judged on it).
    const request = RESPONSE_TO_REQUEST.get(h.sType);
    if (request !== undefined) return list.find((o) => !o.expired && o.m.header.sType === request && o.m.header.pType === 0) ?? null;
    if (h.sType === SType.Data && (h.byte3 & 1) === 0 && h.pType === 0) {
      return list.find((o) => o.transaction && o.m.header.sType === SType.Data && (o.m.header.byte2 & 0x7f) === (h.byte2 & 0x7f) && ((o.m.header.byte3 + 1) & 0xff) === h.byte3) ?? null;
    }
    if (h.sType === SType.RejectReq) {
      for (let i = list.length - 1; i >= 0; i--) {
        const o = list[i]!;
        if (o.exp.required && o.exp.answers.has(SType.RejectReq) && !o.exp.answers.has(SType.LinktestRsp) && !o.exp.answers.has(SType.SelectRsp) && !o.exp.answers.has(SType.DeselectRsp)) return o;
      }
    }
    return null;
  }

  private judgeAnswer(from: Side, o: Outstanding, m: ObservedMessage, f: Frame): void {
    const waited = m.firstTimeMs - o.m.lastTimeMs;
    this.drop(o.requester, o);
    this.missedBefore(from, o, m);
    this.judgeMatched(from, o, m, f, waited);
    if (this.deferred[o.requester].length > 0) this.releaseDeferred(o.requester);
  }

  private judgeMatched(from: Side, o: Outstanding, m: ObservedMessage, f: Frame, waited: number): void {
    const requester = o.requester;
    const t = m.lastTimeMs;
    const h = f.header;
    if (o.expired) {
      // The requester's T6 ran out: the transaction is closed and this answer is one to no open request.
      this.sink.note(`answers frame ${o.m.lastFrame} after the requester's T6`, m.lastFrame, t);
      this.expectAnswer(requester, from, m, f);
      return;
    }
    if (o.control) this.sink.measured(requester, 'T6 response time', waited);
    else if (o.transaction) this.sink.measured(requester, 'T3 reply time', waited);
    const before = this.state;
    const r = o.exp.judge(f);
    this.sink.exercised(from, o.exp.clause);
    exerciseAnswerFormat(this.sink, from, h);
    if (h.sType === SType.RejectReq && !o.ofReject) this.rejected(requester, o, m, f);
    if (this.outstanding[from].some((x) => x.transaction)) this.sink.exercised(from, 'E37-9.3.2');
    for (const x of r.findings) {
      let clause = x.clause;
      let message = x.message;
      if (clause === 'E37-7.3' && this.sides[from].leftBy) {
        clause = this.sides[from].leftBy!;
        message = `it answered data as if still SELECTED after the procedure that ended the session: ${message}`;
      }
      this.find(from, clause, x.severity, message, m.lastFrame, t, o.m.lastFrame);
    }
    const ended = before === 'SELECTED' && !this.crossing(from, m) ? this.rejections.notSelectedAfterReject(from, h, o.m.header) : null;
    if (ended) {
      this.find(from, 'E37-7.7.1', 'fail', `rejected ${o.exp.what} with reason 4 (Entity Not Selected) in SELECTED, with no Deselect or Separate since the Reject.req of its own primary (frame ${ended.frame}): it took the Reject for the end of the session, a transition E37-5.3 does not have`, m.lastFrame, t, ended.frame);
    }
    const limit = this.t6Of(requester, from);
    if (o.control && limit && waited > limit.ms + limit.tolerance) {
      this.find(from, o.exp.clause, 'fail', `answered ${o.exp.what} after ${secs(waited)}; T6 is ${secs(limit.ms)}`, m.lastFrame, t, o.m.lastFrame);
    }
    if (r.findings.some((x) => x.severity === 'fail')) return;
    if (this.state === 'UNKNOWN' && o.m.header.sType === SType.Data) {
      this.setState(h.sType === SType.RejectReq && h.byte3 === 4 ? 'NOT_SELECTED' : 'SELECTED', from, m);
      return;
    }
    if (o.m.header.sType === SType.SelectReq && h.sType === SType.SelectRsp) {
      if (h.byte3 !== 0) this.sides[requester].selectRefused = true;
      else if (before !== 'SELECTED' && this.sides[from].rules.multipleConnections === false && this.ctx.otherConnectionSelected() && from === 'server') {
        this.find(from, 'E37-9.2.4.1', 'fail', 'accepted a Select.req (status 0) on a further connection while another connection was SELECTED, with a single connection declared', m.lastFrame, t, o.m.lastFrame);
      }
    }
    if (r.next !== before && before !== 'UNKNOWN') {
      if (r.next === 'NOT_SELECTED' && o.m.header.sType === SType.DeselectReq) {
        this.sides[from].leftBy = 'E37-7.4.2';
        this.sides[requester].leftBy = 'E37-7.4.1';
      }
      this.setState(r.next, from, m);
      this.sink.exercised(from, 'E37-5.3');
    }
  }

  /** Required answers to messages sent before `answered` that the responder skipped (it answered a later one). */
  private missedBefore(from: Side, answered: Outstanding, m: ObservedMessage): void {
    for (const o of [...this.outstanding[answered.requester]]) {
      if (o.m.offset >= answered.m.offset || (o.transaction && !o.control) || o.ofReject) continue;
      this.drop(answered.requester, o);
      if (!o.exp.required || o.expired || this.gapAfter(from, o.m.lastTimeMs)) continue;
      const clause = o.m.behindAnother ? 'E37-8.1.2' : o.exp.clause;
      const why = o.m.behindAnother ? `the bytes of ${o.exp.what} arrived in one segment behind another message and were never answered, while a later message was` : `no answer to ${o.exp.what}, while a later message was answered`;
      this.find(from, clause, 'fail', why, m.lastFrame, m.lastTimeMs, o.m.lastFrame);
    }
  }

  private unmatchedAnswer(from: Side, m: ObservedMessage, f: Frame): void {
    const h = f.header;
    const requester = other(from);
    if (this.sides[requester].firstGapMs !== null) return;
    if (h.sType === SType.RejectReq) {
      this.find(from, 'E37-8.2.8', 'fail', `Reject.req with system bytes ${hex32(h.systemBytes)}, which match no message the other side sent`, m.lastFrame, m.lastTimeMs);
    } else if (h.sType === SType.Data) {
      if (h.pType === 0) this.find(from, 'E37-9.4.1', 'fail', `reply ${describeHeader(h)} matches no open primary (system bytes, stream and function)`, m.lastFrame, m.lastTimeMs);
      this.checkState(from, m);
    } else {
      this.find(from, 'E37-8.1.4.6', 'fail', `${sTypeName(h.sType)} with system bytes ${hex32(h.systemBytes)}, which match no open request of the other side`, m.lastFrame, m.lastTimeMs);
    }
  }

  // ---- what a side starts ----------------------------------------------------------------------

  private initiated(from: Side, m: ObservedMessage, f: Frame): void {
    const h = f.header;
    const me = this.sides[from];
    this.rejections.started(from);
    this.checkState(from, m);
    if (startsTransaction(h)) {
      const clash = this.outstanding[from].find((o) => o.transaction && !o.expired && o.m.header.systemBytes === h.systemBytes);
      if (clash) this.find(from, 'E37-8.1.4.6', 'fail', `${describeHeader(h)} reuses the system bytes of its open transaction of frame ${clash.m.lastFrame}`, m.lastFrame, m.lastTimeMs, clash.m.lastFrame);
      else if (me.lastCompletedSys === h.systemBytes) this.find(from, 'E37-8.1.4.6', 'fail', `${describeHeader(h)} reuses the system bytes of its most recently completed transaction`, m.lastFrame, m.lastTimeMs);
      else this.sink.exercised(from, 'E37-8.1.4.6');
    }
    if (h.pType !== 0) return;
    if (h.sType === SType.LinktestReq) {
      if (me.lastLinktestReqMs !== null) this.sink.measured(from, 'Linktest interval', m.lastTimeMs - me.lastLinktestReqMs);
      me.lastLinktestReqMs = m.lastTimeMs;
      if (this.state === 'NOT_SELECTED' && !this.everSelected) this.sides[other(from)].lastLinktestInNotSelectedMs = m.lastTimeMs;
    }
    if (h.sType === SType.SeparateReq) {
      if (this.state === 'NOT_SELECTED') this.sides[other(from)].separateInNotSelectedAt = m.lastTimeMs;
      if (this.state === 'SELECTED') {
        me.leftBy = 'E37-7.6.1';
        this.sides[other(from)].leftBy = 'E37-7.6.2';
        this.sink.exercised(from, 'E37-7.6.1');
      }
      if (this.state !== 'NOT_SELECTED') this.setState('NOT_SELECTED', from, m);
    }
    if (h.sType === SType.Data && this.state === 'SELECTED') this.sink.exercised(from, 'E37-7.3');
    if (h.sType === SType.Data && (h.byte3 & 1) === 1 && me.rules.sessionId !== null && h.sessionId !== me.rules.sessionId) {
      this.find(from, 'E37-8.1.4.1', 'fail', `${describeHeader(h)} carries session id ${hex16(h.sessionId)}; the declared session (device) id is ${hex16(me.rules.sessionId)}`, m.lastFrame, m.lastTimeMs);
    }
    if (h.sType === SType.Data && (h.byte2 & 0x7f) === 9 && (h.byte3 & 1) === 1) checkStream9(this.report, this.sink, from, m, this.sides[other(from)].recent);
  }

  /** E37-7.3, 7.4, 7.6 and the HSMS-SS rules: what may be sent in the current state. */
  private checkState(from: Side, m: ObservedMessage): void {
    const h = m.header;
    const me = this.sides[from];
    if (h.pType !== 0 || this.state === 'UNKNOWN') return;
    const ss = me.rules.standard === 'hsms-ss';
    if (ss && h.sType === SType.DeselectReq) this.find(from, 'E37.1-deselect-not-used', 'fail', 'sent Deselect.req; HSMS-SS ends a session with Separate', m.lastFrame, m.lastTimeMs);
    if (this.state !== 'NOT_SELECTED' || this.crossing(from, m)) return;
    if (h.sType === SType.Data) {
      const clause = me.leftBy ?? (me.selectRefused ? 'E37-7.2.1' : 'E37-7.3');
      const why = me.leftBy ? ' (the session had ended by the procedure of that clause)' : me.selectRefused ? ' (its own Select.req was refused)' : '';
      this.find(from, clause, 'fail', `sent ${describeHeader(h)} in NOT SELECTED${why}`, m.lastFrame, m.lastTimeMs);
    } else if (h.sType === SType.DeselectReq) {
      this.find(from, 'E37-7.4', 'fail', 'sent Deselect.req in NOT SELECTED', m.lastFrame, m.lastTimeMs);
    } else if (h.sType === SType.SeparateReq) {
      this.find(from, 'E37-7.6', 'fail', 'sent Separate.req in NOT SELECTED', m.lastFrame, m.lastTimeMs);
    } else if (h.sType === SType.LinktestReq && ss) {
      this.find(from, 'E37.1-linktest-selected-only', 'fail', 'sent Linktest.req in NOT SELECTED', m.lastFrame, m.lastTimeMs);
    }
  }

  /** The other side changed the state moments before: the message may have crossed that change on the wire. */
  private crossing(from: Side, m: ObservedMessage): boolean {
    return this.lastChange !== null && this.lastChange.by !== from && m.firstTimeMs - this.lastChange.timeMs < CROSSING_MS;
  }

  /** Registers what `responder` owes in answer to `m`. */
  private expectAnswer(responder: Side, requester: Side, m: ObservedMessage, f: Frame): void {
    const h = f.header;
    if (this.sides[requester].broken) return;
    let state: ModelState;
    if (this.state === 'UNKNOWN') {
      // Mid-stream: only what does not depend on the state, a Select.req (its answer tells the state), and data (likewise).
      if (h.pType === 0 && DEFINED_STYPES.has(h.sType) && (h.sType === SType.DeselectReq || h.sType === SType.SeparateReq || RESPONSE_TO_REQUEST.has(h.sType))) return;
      state = h.sType === SType.Data ? 'SELECTED' : 'NOT_SELECTED';
    } else {
      state = this.state;
    }
    if (h.sType === SType.Data && h.pType === 0 && (h.byte3 & 1) === 0 && state === 'SELECTED') return;
    const exp = answerExpectation({ env: { standard: this.sides[responder].rules.standard, maxLength: this.sides[responder].rules.maxLength ?? 0xffffffff }, active: responder === 'client' }, state, f);
    if (exp.shouldClose) this.shouldClose[responder] ??= { clause: exp.shouldClose.clause, message: exp.shouldClose.message, frame: m.lastFrame, timeMs: m.lastTimeMs };
    this.keep({ requester, m, exp, transaction: startsTransaction(h), control: isControl(h) && h.pType === 0 && startsTransaction(h), ofReject: false, expired: false, overdue: false });
  }

  /** A Reject.req `m` of `rejected`'s message `o`: nothing may answer it, and what that side does next is E37-7.7.1's business. */
  private rejected(rejected: Side, o: Outstanding, m: ObservedMessage, f: Frame): void {
    this.sink.exercised(rejected, 'E37-7.7.1');
    this.rejections.rejected(rejected, o.m.header, f.header, m.lastFrame, m.lastTimeMs);
    const exp = rejectOfOwnMessage(this.state === 'UNKNOWN' ? 'SELECTED' : this.state, f, o.m.header);
    this.keep({ requester: other(rejected), m, exp, transaction: false, control: false, ofReject: true, expired: false, overdue: false });
  }

  /** Adds an open message, within the bounds of what is kept per side. */
  private keep(o: Outstanding): void {
    const list = this.outstanding[o.requester];
    list.push(o);
    if (!o.exp.required && !o.transaction) {
      let optional = 0;
      for (let i = list.length - 1; i >= 0; i--) {
        const o = list[i]!;
        if (o.exp.required || o.transaction) continue;
        if (++optional > MAX_UNANSWERED_KEPT) {
          list.splice(i, 1);
          break;
        }
      }
    }
    if (list.length > MAX_OUTSTANDING) {
      const i = list.findIndex((o) => !o.exp.required);
      list.splice(i >= 0 ? i : 0, 1);
    }
  }

  private drop(requester: Side, o: Outstanding): void {
    const list = this.outstanding[requester];
    const i = list.indexOf(o);
    if (i >= 0) list.splice(i, 1);
    if (o.transaction) this.sides[requester].lastCompletedSys = o.m.header.systemBytes;
  }

  private unansweredAtEnd(o: Outstanding, frame: number, timeMs: number): void {
    const responder = other(o.requester);
    if (o.overdue || this.sides[o.requester].broken || this.gapAfter(responder, o.m.lastTimeMs)) return;
    if (!o.exp.required) {
      // A primary with the W-bit that came in one segment behind another message and was never
      // replied to, while the receiver went on answering: its bytes were dropped (E37-8.1.2).
      if (o.transaction && !o.control && o.m.behindAnother && this.answeredAfter(responder, o) && this.closer !== null) {
        this.find(responder, 'E37-8.1.2', 'fail', `${o.exp.what} arrived in one segment behind another message and was never replied to, while the messages before it were answered`, frame, timeMs, o.m.lastFrame);
      }
      return;
    }
    const limit = this.t6Of(o.requester, responder);
    const waited = Math.min(timeMs, this.sides[responder].closedAt ?? timeMs) - o.m.lastTimeMs;
    if (this.closer === responder) return; // judged when it closed
    if (limit && waited > limit.ms + limit.tolerance) {
      this.find(responder, o.exp.clause, 'fail', `no answer to ${o.exp.what} (frame ${o.m.lastFrame}) within T6 (${secs(limit.ms)}); the connection ended ${secs(waited)} after it`, frame, timeMs, o.m.lastFrame);
    } else if (o.m.behindAnother && this.answeredAfter(responder, o)) {
      this.find(responder, 'E37-8.1.2', 'fail', `the bytes of ${o.exp.what} arrived in one segment behind another message and were never answered`, frame, timeMs, o.m.lastFrame);
    } else {
      this.sink.note(`no answer to ${o.exp.what} (frame ${o.m.lastFrame}) before the connection ended ${secs(waited)} later; not judged without a T6 to measure it against`, frame, timeMs);
    }
  }

  private answeredAfter(responder: Side, o: Outstanding): boolean {
    const last = this.sides[responder].lastMessageMs;
    return last !== null && last > o.m.lastTimeMs;
  }

  // ---- closes and timers ---------------------------------------------------------------------

  /** Whether closing now is a legal reaction, and on which clause it is judged otherwise. */
  private judgeClose(by: Side, frame: number, timeMs: number): void {
    const s = this.sides[by];
    const peer = this.sides[other(by)];
    const rules = s.rules;
    const tol = rules.toleranceMs;
    if (this.state === 'NOT_SELECTED') {
      this.sink.exercised(by, 'E37-6.4');
      if (!this.everSelected) this.checkT7Close(by, frame, timeMs);
      if (rules.standard === 'e37' && peer.lastMessageMs !== null && s.separateInNotSelectedAt !== null && s.separateInNotSelectedAt === peer.lastMessageMs) {
        this.find(by, 'E37-7.6.2', 'warn', 'closed the connection after a Separate.req received in NOT SELECTED (standard e37: it may stay connected)', frame, timeMs);
      }
      if (s.t6ExpiredAt !== null) this.sink.exercised(by, 'E37-9.3.1');
      return;
    }
    if (this.state === 'UNKNOWN') return;
    const partial = this.ctx.partialSince(other(by));
    const t8 = rules.timers?.t8 ?? null;
    const reasons: string[] = [];
    if (s.t6ExpiredAt !== null || this.outstanding[by].some((o) => o.control)) reasons.push('a control transaction it started was unanswered (T6)');
    if (peer.broken) reasons.push(`the other side sent ${peer.broken.why}`);
    if (this.outstanding[other(by)].some((o) => o.exp.closeOk)) reasons.push('it received a message it may close on');
    if (partial !== null) {
      this.sink.exercised(by, 'E37-9.2.3');
      // NOTES.md: closing while the bytes of a message keep arriving within T8 is a warning.
      if (t8 !== null && timeMs - partial < t8 - tol && reasons.length === 0) {
        this.find(by, 'E37-9.2.3', 'warn', `closed ${secs(timeMs - partial)} after the last byte of an incomplete message; T8 is ${secs(t8)}`, frame, timeMs);
      }
      reasons.push('a message was incomplete (T8)');
    }
    if (reasons.length > 0) {
      this.sink.exercised(by, 'E37-6.4');
      if (s.t6ExpiredAt !== null || this.outstanding[by].some((o) => o.control)) this.sink.exercised(by, 'E37-9.3.1');
      this.sink.note(`the close follows: ${reasons.join('; ')}`, frame, timeMs);
      return;
    }
    // A state change may be in what the capture missed: the close is not judged.
    const since = this.selectedMs ?? this.openedMs;
    if (this.gapAfter('client', since) || this.gapAfter('server', since)) {
      this.sink.note('the close is not judged: the capture misses part of the traffic since the session was selected', frame, timeMs);
      return;
    }
    const t3Open = this.outstanding[by].find((o) => o.transaction && !o.control);
    const t3 = rules.timers?.t3 ?? null;
    if (rules.standard === 'hsms-ss' && t3Open && t3 !== null && timeMs - t3Open.m.lastTimeMs >= t3 - tol) {
      this.find(by, 'E37.1-t3-no-close', 'fail', `closed the connection ${secs(timeMs - t3Open.m.lastTimeMs)} after its primary of frame ${t3Open.m.lastFrame} went unanswered (T3 ${secs(t3)}): a T3 timeout cancels only the transaction`, frame, timeMs, t3Open.m.lastFrame);
      return;
    }
    const lastTraffic = Math.max(s.lastMessageMs ?? this.openedMs, peer.lastMessageMs ?? this.openedMs);
    const idle = timeMs - lastTraffic;
    const rejection = this.rejections.closeAfterReject(by);
    if (rejection) {
      this.find(by, 'E37-7.7.1', 'fail', `closed the SELECTED connection ${secs(timeMs - rejection.timeMs)} after the Reject.req of its own primary (frame ${rejection.frame}), without Separate.req: its reaction is local, but a Reject is no communication failure and E37-6.4 permits a close only in NOT SELECTED`, frame, timeMs, rejection.frame);
    } else if (by === 'server' && this.selectedMs !== null && this.ctx.siblingAcceptedAfter(Math.max(this.selectedMs, s.lastMessageMs ?? 0))) {
      this.find(by, 'E37-9.2.4.1', 'fail', 'closed its SELECTED session when a further connection arrived', frame, timeMs);
    } else if (t8 !== null && Math.abs(idle - t8) <= tol) {
      this.find(by, 'E37-9.2.3', 'fail', `closed a SELECTED connection after ${secs(idle)} without traffic between whole messages (about T8 = ${secs(t8)}; idle time is not T8)`, frame, timeMs);
    } else {
      this.find(by, 'E37-6.4', 'fail', `closed a SELECTED connection ${secs(idle)} after the last message, with no communication failure in sight`, frame, timeMs);
    }
  }

  private checkT7Close(by: Side, frame: number, timeMs: number): void {
    const d = timeMs - this.openedMs;
    this.sink.measured(by, 'T7 connect to select', d);
    const t7 = this.sides[by].rules.timers?.t7 ?? null;
    if (t7 === null) return;
    const tol = this.sides[by].rules.toleranceMs;
    if (d < t7 - tol) {
      if (!this.shortT7Close(by, timeMs)) return;
      const cut = this.outstanding[other(by)].filter((o) => o.exp.required && !o.expired).map((o) => `${o.exp.what} (frame ${o.m.lastFrame})`);
      const left = cut.length > 0 ? `, leaving ${cut.join(', ')} unanswered` : '';
      this.find(by, 'E37-9.2.2', 'warn', `closed the NOT SELECTED connection ${secs(d)} after connect, before T7 - tolerance (T7 ${secs(t7)})${left}: E37-6.4 allows closing in NOT SELECTED, but its T7 is shorter than declared`, frame, timeMs);
      return;
    }
    if (d <= t7 + tol) {
      this.sink.exercised(by, 'E37-9.2.2');
      return;
    }
    const lt = this.sides[by].lastLinktestInNotSelectedMs;
    if (lt !== null && Math.abs(timeMs - lt - t7) <= tol) {
      this.find(by, 'E37-9.2.2', 'warn', `closed the NOT SELECTED connection ${secs(d)} after connect, T7 (${secs(t7)}) after the last Linktest.req: a Linktest restarted T7`, frame, timeMs);
    } else {
      this.find(by, 'E37-9.2.2', 'fail', `closed the NOT SELECTED connection ${secs(d)} after connect, later than T7 (${secs(t7)}) + tolerance`, frame, timeMs);
    }
  }

  /**
   * A close of the accepting side in a connection never selected, before its declared T7 -
   * tolerance, with nothing in sight that lets it close: its T7 is shorter than declared (the
   * suite's reading, E37-9.2.2). The connecting side is not judged so (its Select refused or
   * unanswered, it may close and try again, E37-6.4: a short T7 cannot be told from that), nor a
   * server refusing a further connection (E37-9.2.4.1), nor a close the capture cannot explain.
   */
  private shortT7Close(by: Side, timeMs: number): boolean {
    const s = this.sides[by];
    const peer = this.sides[other(by)];
    const t7 = s.rules.timers?.t7 ?? null;
    if (by !== 'server' || this.state !== 'NOT_SELECTED' || this.everSelected || t7 === null || timeMs - this.openedMs >= t7 - s.rules.toleranceMs) return false;
    if (this.gapAfter('client', this.openedMs) || this.gapAfter('server', this.openedMs) || this.ctx.otherConnectionOpen()) return false;
    if (s.selectRefused || s.t6ExpiredAt !== null || this.outstanding[by].some((o) => o.control) || peer.broken || this.ctx.partialSince(other(by)) !== null) return false;
    if (s.separateInNotSelectedAt !== null && s.separateInNotSelectedAt === peer.lastMessageMs) return false;
    return !this.outstanding[other(by)].some((o) => o.exp.closeOk);
  }

  /** A side that never closed a connection left NOT SELECTED beyond its T7. */
  private checkT7Kept(side: Side, endMs: number, frame: number): void {
    const t7 = this.sides[side].rules.timers?.t7 ?? null;
    if (t7 === null || this.everSelected || this.state === 'UNKNOWN') return;
    const d = endMs - this.openedMs;
    if (d <= t7 + this.sides[side].rules.toleranceMs) return;
    const multi = this.sides[side].rules.multipleConnections === true;
    this.find(side, 'E37-9.2.2', multi ? 'warn' : 'fail', `kept a connection NOT SELECTED for ${secs(d)} without closing it; T7 is ${secs(t7)}${multi ? ' (it accepts several connections)' : ''}`, frame, endMs);
  }

  /** A side that never closed a connection whose incoming message stalled beyond its T8. */
  private checkT8Kept(side: Side, endMs: number, frame: number): void {
    const t8 = this.sides[side].rules.timers?.t8 ?? null;
    const since = this.ctx.partialSince(other(side));
    if (t8 === null || since === null || this.sides[other(side)].broken) return;
    if (endMs - since > t8 + this.sides[side].rules.toleranceMs) {
      this.find(side, 'E37-9.2.3', 'fail', `an incoming message stalled for ${secs(endMs - since)} (T8 ${secs(t8)}) and the connection was not closed`, frame, endMs);
    }
  }

  /** A gap inside a complete message beyond the receiver's T8: the receiver should have closed (E37-9.2.3). */
  private checkT8(receiver: Side, m: ObservedMessage): void {
    const t8 = this.sides[receiver].rules.timers?.t8 ?? null;
    if (t8 === null || m.maxGapMs === 0) return;
    const tol = this.sides[receiver].rules.toleranceMs;
    if (m.maxGapMs > t8 + tol && this.sides[receiver].closedAt === null) {
      this.find(receiver, 'E37-9.2.3', 'fail', `a gap of ${secs(m.maxGapMs)} inside ${describeHeader(m.header)} (T8 ${secs(t8)}), and the connection stayed open`, m.lastFrame, m.lastTimeMs);
    } else if (m.maxGapMs <= t8 - tol) {
      this.sink.exercised(receiver, 'E37-9.2.3');
    }
  }

  /** T6 of a transaction: the requester's declared value, or the responder's when only it is declared. */
  private t6Of(requester: Side, responder: Side): { ms: number; tolerance: number } | null {
    const r = this.sides[requester].rules;
    if (r.timers) return { ms: r.timers.t6, tolerance: r.toleranceMs };
    const p = this.sides[responder].rules;
    return p.timers ? { ms: p.timers.t6, tolerance: p.toleranceMs } : null;
  }

  /** Timers that run out between events: T6 of open control transactions. */
  private tick(nowMs: number, frame: number): void {
    for (const requester of ['client', 'server'] as const) {
      let expiredProcedure = false;
      for (const o of this.outstanding[requester]) {
        if (o.overdue || (!o.control && !o.exp.required)) continue;
        const responder = other(requester);
        const limit = this.t6Of(requester, responder);
        if (!limit || nowMs - o.m.lastTimeMs <= limit.ms + limit.tolerance) continue;
        o.overdue = true;
        const at = o.m.lastTimeMs + limit.ms;
        if (o.control) {
          o.expired = true;
          if (this.sides[requester].rules.timers) this.sides[requester].t6ExpiredAt ??= at;
          if (o.m.header.sType === SType.SelectReq || o.m.header.sType === SType.DeselectReq) expiredProcedure = true;
        }
        if (o.exp.required && this.sides[responder].closedAt === null && !this.gapAfter(responder, o.m.lastTimeMs) && !this.sides[requester].broken) {
          this.find(responder, o.exp.clause, 'fail', `no answer to ${o.exp.what} (frame ${o.m.lastFrame}) within T6 (${secs(limit.ms)})`, o.m.lastFrame, at, o.m.lastFrame);
        }
      }
      if (expiredProcedure) this.releaseDeferred(requester);
      const s = this.sides[requester];
      if (s.t6ExpiredAt !== null && s.closedAt === null && !s.keptOpenAfterT6 && s.rules.timers && s.lastMessageMs !== null && s.lastMessageMs > s.t6ExpiredAt + s.rules.toleranceMs && nowMs > s.t6ExpiredAt + s.rules.toleranceMs) {
        s.keptOpenAfterT6 = true;
        this.find(requester, 'E37-9.3.1', 'warn', `kept the connection open and went on sending after its T6 expired (a communication failure: it should close)`, frame, nowMs);
      }
    }
  }

  /** Part of what `side` sent after `sinceMs` is missing from the capture: its answer may be there. */
  private gapAfter(side: Side, sinceMs: number): boolean {
    const g = this.sides[side].lastGapMs;
    return g !== null && g >= sinceMs;
  }

  private setState(next: StateView, by: Side, m: ObservedMessage): void {
    if (next === this.state) return;
    this.state = next;
    this.lastChange = { by, timeMs: m.lastTimeMs };
    this.rejections.sessionChanged();
    if (next === 'SELECTED') {
      if (!this.everSelected && this.fromSyn) {
        this.sink.measured('client', 'T7 connect to select', m.lastTimeMs - this.openedMs);
        this.sink.measured('server', 'T7 connect to select', m.lastTimeMs - this.openedMs);
      }
      this.everSelected = true;
      this.selectedMs = m.lastTimeMs;
      for (const s of Object.values(this.sides)) {
        s.leftBy = null;
        s.selectRefused = false;
      }
    }
    this.sink.stateChanged(next, m.lastFrame, m.lastTimeMs);
  }

  private find(side: Side, clause: string, severity: 'fail' | 'warn', message: string, frame: number, timeMs: number, relatedFrame?: number): void {
    this.sink.finding({ side, clause, severity, message, frame, timeMs, ...(relatedFrame !== undefined ? { relatedFrame } : {}) });
  }

  /** `find` for the helpers of other modules. */
  private readonly report: Find = (side, clause, severity, message, frame, timeMs, relatedFrame) => this.find(side, clause, severity, message, frame, timeMs, relatedFrame);
}
