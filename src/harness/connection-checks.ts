import { SType } from '../protocol/constants';
import { encodeFrame, type Frame } from '../protocol/header';
import * as msg from '../protocol/messages';
import { describeFrame } from '../peer/event-format';
import { withJitter, type ConnName, type ScenarioContext } from './scenario-context';
import { TesterConnection } from './tester-connection';
import { answersProbe, expectSelected } from './state-checks';
import { Failure, Inconclusive, IutUnreachable, JudgedElsewhere, NotApplicable } from './verdict';

/**
 * Checks of connection handling and the TCP-level timers: the state machine (E37-5.3), connect
 * and close rules (E37-6.3.3, 6.4), communication failures (9.1.1), T5, T7, T8 (9.2.1-9.2.3),
 * several connections on one port (9.2.4, 9.2.4.1) and the alternating mode (A1-3).
 *
 * Every function states what it measured; SHOULD-level findings are warnings (NOTES.md).
 */

/** What a scenario remembers between its steps (times are ms on the trace clock). */
interface ConnectionNotes {
  linktestAt?: number;
  stallAt?: number;
  /** How many bytes of the stalled message were sent (stallInsideMessage). */
  stallBytes?: number;
  closedAt?: number;
  slowPrimary?: Frame;
  /** The longest gap that actually passed between the pieces of slowPrimary. */
  slowestGapMs?: number;
  /** How slowPrimary was sent: piece size and gap as a multiple of T8 (sendWithGaps). */
  slowSend?: { readonly pieceSize: number; readonly factor: number };
  second?: SecondOutcome;
  /** When the tester's select completed (selectNow). */
  selectedAt?: number;
}

type SecondOutcome = { readonly kind: 'accepted' } | { readonly kind: 'refused'; readonly code: string } | { readonly kind: 'no-answer'; readonly waitedMs: number };

const notes = new WeakMap<ScenarioContext, ConnectionNotes>();

function notesOf(ctx: ScenarioContext): ConnectionNotes {
  let n = notes.get(ctx);
  if (!n) {
    n = {};
    notes.set(ctx, n);
  }
  return n;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;

/**
 * A deadline wait that returned much later than asked means the tester's own event loop was
 * stalled (a loaded host): what it did or did not see in that time proves nothing about the IUT.
 */
function checkTesterOnTime(ctx: ScenarioContext, deadline: number, what: string): void {
  const late = ctx.trace.elapsed() - deadline;
  if (late > ctx.ms.tolerance / 2) throw new Inconclusive(`the tester itself was ${s(late)} late while ${what} (host overloaded?); the timer cannot be judged`);
}

// ---- state machine (E37-5.3) -----------------------------------------------------------------

/**
 * A new TCP connection in the IUT's NOT SELECTED state as far as the tester can make it: the
 * tester connects to a passive IUT, or takes an active IUT's connection and answers its
 * Select.req with status 2 (E37-7.2.1 step 3) so that it stays NOT SELECTED.
 */
export async function newConnection(ctx: ScenarioContext, name: ConnName = 'main'): Promise<void> {
  await ctx.notSelectedConnection(name);
}

/**
 * A new connection after the tester closed the previous one. A passive single-connection IUT is
 * given a moment (a quarter of T6, at most 100 ms) to see the close, so the new connection is
 * not taken for a further one (E37-9.2.4.1).
 */
export async function reconnect(ctx: ScenarioContext): Promise<void> {
  if (ctx.iut.config.role === 'passive') await ctx.delay(Math.min(100, ctx.ms.t6 / 4));
  await newConnection(ctx);
}

/** The tester selects a passive IUT. A refused select means the transition was never triggered: E37-7.2.2 judges that. */
export async function selectNow(ctx: ScenarioContext, name: ConnName = 'main'): Promise<void> {
  const req = ctx.build('Select.req', name);
  ctx.send(req, name);
  const r = await ctx.conn(name).expect((f) => (f.header.sType === SType.SelectRsp || f.header.sType === SType.RejectReq ? f : undefined), ctx.responseWait);
  if (r.kind !== 'frame') throw new JudgedElsewhere(['E37-7.2.2'], `the select procedure did not complete: ${ctx.describeNoFrame(r, 'Select.rsp')}`);
  if (r.value.header.sType !== SType.SelectRsp || r.value.header.byte3 !== 0) throw new JudgedElsewhere(['E37-7.2.2'], `the select procedure did not complete: ${describeFrame(r.value)}`);
  ctx.conn(name).autoAnswer.primaries = true;
  notesOf(ctx).selectedAt = r.frame.at;
}

/** E37-5.3: the IUT behaves as SELECTED after the select (a data message is served; reply details are E37-9.4.1's business). */
export async function expectSelectedState(ctx: ScenarioContext, name: ConnName = 'main'): Promise<void> {
  await expectSelected(ctx, 'after a successful select', name);
}

// ---- closing the connection (E37-6.4, 9.2.1, 9.1.1) -----------------------------------------

/** The tester closes the connection (FIN) and notes when. */
export function closeByTester(ctx: ScenarioContext, name: ConnName = 'main'): void {
  ctx.conn(name).close();
  notesOf(ctx).closedAt = ctx.trace.elapsed();
}

/**
 * Waits `factor` x T`timer` while the connection must stay open, the tester sending a Linktest.req
 * every half T8 so that only the rule under test (no close in SELECTED, E37-6.4 / 9.2.2) is
 * exercised, not idle handling (E37-9.2.3 judges that). Answers to the Linktests are E37-7.5's business.
 */
export async function expectOpenWithTraffic(ctx: ScenarioContext, until: number, name: ConnName = 'main'): Promise<void> {
  const c = ctx.conn(name);
  const step = Math.max(10, ctx.ms.t8 / 2);
  for (;;) {
    const left = until - ctx.trace.elapsed();
    if (left <= 0) break;
    const closed = await c.waitClosed(Math.min(step, left));
    if (closed) throw new Failure(`the IUT closed the SELECTED connection (${closed.how}) at ${s(closed.at - c.openedAt)} after connect, although it had to stay open until ${s(until - c.openedAt)}`);
    if (until - ctx.trace.elapsed() > 0) c.send(ctx.build('Linktest.req', name), 'keeps traffic flowing');
  }
  c.drain();
  ctx.recorder.measure(`the connection stayed open ${s(until - c.openedAt)} after connect`);
}

export function stayOpenFor(ctx: ScenarioContext, factor: number, timer: number, name: ConnName = 'main'): Promise<void> {
  return expectOpenWithTraffic(ctx, ctx.trace.elapsed() + factor * ctx.timerMs(timer), name);
}

/**
 * Stays open until `factor` x T`timer` after the connect and, after a select, also T7 plus twice
 * the tolerance after it: a T7 that kept running from the select would otherwise close right at
 * the end of the wait, where it cannot be told from a T7 that stopped.
 */
export function stayOpenAfterConnect(ctx: ScenarioContext, factor: number, timer: number, name: ConnName = 'main'): Promise<void> {
  const selectedAt = notesOf(ctx).selectedAt;
  const afterSelect = selectedAt === undefined ? 0 : selectedAt + ctx.ms.t7 + 2 * ctx.ms.tolerance;
  return expectOpenWithTraffic(ctx, Math.max(ctx.conn(name).openedAt + factor * ctx.timerMs(timer), afterSelect), name);
}

/**
 * E37-9.2.1 (NOTES.md): the next connect of an active IUT comes no sooner than T5 after the end
 * of the previous connection; shorter is WARN. Not reconnecting at all is the IUT's choice
 * (E37-6.3.3, 9.1.1 "may"): then there is nothing to measure.
 */
export async function expectReconnectAfterT5(ctx: ScenarioContext): Promise<void> {
  const endedAt = notesOf(ctx).closedAt ?? ctx.conn().closed?.at;
  if (endedAt === undefined) throw new Inconclusive('the previous connection has not ended');
  let again: TesterConnection;
  try {
    again = await ctx.openConnection('again');
  } catch (err) {
    if (err instanceof IutUnreachable) throw new NotApplicable(`the IUT did not connect again (${err.reason}); retrying is the entity's choice (E37-6.3.3), so there is no T5 to measure`);
    throw err;
  }
  const gap = again.openedAt - endedAt;
  const t5 = ctx.ms.t5;
  const tol = ctx.ms.tolerance;
  ctx.recorder.measure(`T5: next connect ${s(gap)} after the previous connection ended (T5 ${s(t5)}, tolerance ${s(tol)})`);
  if (gap < t5 - tol) ctx.recorder.add('warn', `the IUT connected again ${s(gap)} after the previous connection ended, sooner than T5 = ${s(t5)} minus tolerance (E37-9.2.1 "should not")`);
}

/**
 * E37-9.1.1: a communication failure the IUT detects (a message stalled for longer than T8)
 * ends in a close. Used as a trigger: if the IUT never closes, E37-9.2.3 judges that and this
 * scenario cannot go on.
 */
export async function provokeCommunicationFailure(ctx: ScenarioContext, name: ConnName = 'main'): Promise<void> {
  stallInsideMessage(ctx, 5, name);
  const c = ctx.conn(name);
  const closed = await c.waitClosed(ctx.ms.t8 + 2 * ctx.ms.tolerance, true);
  if (!closed) throw new JudgedElsewhere(['E37-9.2.3'], 'the IUT did not close the connection within T8 + tolerance of a stalled message');
  notesOf(ctx).closedAt = closed.at;
}

/**
 * E37-9.1.1: after closing on a communication failure the IUT keeps serving (a passive IUT a new
 * connection; an active one may reconnect): servedOnNewConnection.
 */
export async function expectServesAgain(ctx: ScenarioContext): Promise<void> {
  ctx.recorder.measure(await servedOnNewConnection(ctx, 'again', 'after closing on a communication failure'));
}

/**
 * The IUT still serves a new connection after `after` (E37-9.1.1; NOTES.md for malformed input).
 * A passive IUT must accept it and answer Select.req: with status 0, or any refusal but "busy"
 * (whether it agrees to select is E37-7.2.2's business). NOTES.md on E37-9.2.4.1: once the
 * previous connection has closed, the next must be served; a passive IUT may need a moment to
 * see the close and to listen again, so a refused or reset connect and the busy answers (status 1
 * or 3) are retried (IutSession.reconnectWindowMs). An active IUT may reconnect (E37-9.1.1
 * "may"); when it does, the tester answers its Select.req, so an IUT that closes at T6 for want
 * of an answer (E37-7.2.1) is never blamed.
 * Whether the new connection is then closed at T7 is E37-9.2.2's business, never this one's.
 * Returns the evidence.
 */
export async function servedOnNewConnection(ctx: ScenarioContext, name: ConnName, after: string): Promise<string> {
  if (ctx.iut.config.role !== 'passive') {
    let c: TesterConnection;
    try {
      c = await ctx.openConnection(name);
    } catch (err) {
      if (err instanceof IutUnreachable) throw new NotApplicable(`${after} the IUT did not connect again (${err.reason}); E37-9.1.1 leaves reconnecting to the entity`);
      throw err;
    }
    const own = await c.expect((f) => (f.header.sType === SType.SelectReq ? f : undefined), ctx.ms.t5 + ctx.responseWait);
    if (own.kind !== 'frame') throw new JudgedElsewhere(['E37-6.3.3'], `${after} the IUT connected again but sent no Select.req: ${ctx.describeNoFrame(own, 'Select.req')}`);
    c.send(msg.selectRsp(own.value.header, 0), 'tester accepts the select');
    c.autoAnswer.primaries = true;
    return `${after} the IUT connected again ${s(c.openedAt)} into the scenario and sent Select.req, which the tester accepted`;
  }
  const window = ctx.iut.reconnectWindowMs;
  const deadline = performance.now() + window;
  for (let attempt = 1; ; attempt++) {
    const retry = async (why: string): Promise<void> => {
      if (performance.now() >= deadline) throw new Failure(`${after} the IUT no longer serves a new connection: ${why} (${attempt} attempts over ${s(window)})`);
      await ctx.delay(50);
    };
    let c: TesterConnection;
    try {
      c = await ctx.openConnection(name);
    } catch (err) {
      if (!(err instanceof IutUnreachable)) throw err;
      await retry(err.reason);
      continue;
    }
    const req = ctx.build('Select.req', name);
    c.send(req, `${after}: is the IUT still serving?`);
    const r = await c.expect((f) => (f.header.sType === SType.SelectRsp || f.header.sType === SType.RejectReq ? f : undefined), ctx.responseWait);
    if (r.kind === 'frame') {
      const status = r.value.header.sType === SType.SelectRsp ? r.value.header.byte3 : null;
      if (status === 0) c.autoAnswer.primaries = true;
      if (status !== 1 && status !== 3) return `${after} a new connection was accepted and Select.req drew ${describeFrame(r.value)}${status === 0 ? '' : ' (whether it selects is judged under E37-7.2.2)'}`;
    }
    c.destroy();
    await retry(r.kind === 'frame' ? `Select.req drew ${describeFrame(r.value)}, as if the closed connection were still open` : ctx.describeNoFrame(r, 'Select.rsp'));
  }
}

// ---- T7 (E37-9.2.2) -----------------------------------------------------------------------------

/**
 * Whether the IUT's close of the NOT SELECTED connection `name` at `closedAt` was its T7 rather
 * than a reaction to what the tester sent. At or after the declared T7 - tolerance it is. Earlier,
 * a new NOT SELECTED connection on which the tester sends nothing is watched as long: if it is
 * closed as soon, the IUT's T7 is shorter than declared (E37-9.2.2's business, never the
 * scenario's). Returns the evidence, or null when the close was a reaction.
 */
export async function closeIsT7(ctx: ScenarioContext, closedAt: number, name: ConnName = 'main'): Promise<{ readonly evidence: string; readonly shortT7: boolean } | null> {
  const after = closedAt - ctx.conn(name).openedAt;
  const { t7, tolerance } = ctx.ms;
  if (after >= t7 - tolerance) return { evidence: `the IUT closed the NOT SELECTED connection ${s(after)} after connect, at its T7 (${s(t7)})`, shortT7: false };
  if (ctx.iut.config.role === 'passive') await ctx.delay(Math.min(100, ctx.ms.t6 / 4));
  const control = await ctx.notSelectedConnection('control');
  const closed = await control.waitClosed(control.openedAt + after + tolerance - ctx.trace.elapsed());
  const lived = (closed ? closed.at : ctx.trace.elapsed()) - control.openedAt;
  const evidence = `a new NOT SELECTED connection on which the tester sent nothing was ${closed ? `closed ${s(lived)}` : `still open ${s(lived)}`} after connect (the first one was closed ${s(after)} after connect)`;
  ctx.recorder.measure(evidence);
  return closed ? { evidence, shortT7: true } : null;
}

/**
 * Sends a Linktest.req about `factor` x T7 after the connect (its answer is E37-7.5's business).
 * The time is chosen so that T7 from connect, T7 from the Linktest (restarted) and T8 of idle time
 * after the Linktest (a timer that must not run there) fall apart by more than the tolerance; when
 * the profile's timers allow no such time, the verdict says which of them a close cannot tell apart.
 */
export async function linktestAfterConnect(ctx: ScenarioContext, factor: number, name: ConnName = 'main'): Promise<void> {
  const c = ctx.conn(name);
  const { t7, t8, tolerance } = ctx.ms;
  const apart = (at: number): boolean => Math.abs(at + t8 - t7) > 2 * tolerance && at > tolerance;
  const candidates = [factor * t7, t7 - t8 - 2 * tolerance - 10, t7 - t8 + 2 * tolerance + 10].filter((at) => at < t7 - 2 * tolerance);
  const at = candidates.find(apart) ?? factor * t7;
  if (!apart(at)) ctx.recorder.measure(`with T7 = ${s(t7)}, T8 = ${s(t8)} and tolerance ${s(tolerance)} no Linktest time separates T7 from connect and T8 of idle time after the Linktest: a close at ${s(at + t8)} would fit both`);
  await ctx.delay(c.openedAt + at - ctx.trace.elapsed());
  const req = ctx.build('Linktest.req', name);
  ctx.send(req, name, 'does it restart T7?');
  notesOf(ctx).linktestAt = ctx.trace.elapsed();
}

/** Times T7 is measured, on a new connection each, while the tester's own lateness at connect spoils the measurement. */
const T7_ATTEMPTS = 3;

/**
 * E37-9.2.2 with NOTES.md: T7 runs from TCP connect; the IUT closes a connection still NOT
 * SELECTED within T7 +/- tolerance. Never closing fails a single-connection IUT and is WARN for
 * one that accepts several. A close clearly after T7 but matching T7 counted from the Linktest
 * is WARN (T7 restarted). A close before the window is WARN: E37-6.4 allows closing in NOT
 * SELECTED, but the IUT's T7 is then shorter than the profile declares. An active IUT whose
 * Select the tester refused may close by choice, and an HSMS-SS IUT on a Linktest.req (NOTES.md):
 * neither shows T7, so neither passes nor fails it. A close that looks early only because the
 * tester saw the connection form late (it could not run) is measured again on a new connection.
 */
export async function expectT7Close(ctx: ScenarioContext, name: ConnName = 'main'): Promise<void> {
  const t7 = ctx.ms.t7;
  const tol = ctx.ms.tolerance;
  const window = `[${s(t7 - tol)}, ${s(t7 + tol)}] after connect`;
  for (let attempt = 1; ; attempt++) {
    const c = ctx.conn(name);
    const from = c.openedAt;
    const linktestAt = notesOf(ctx).linktestAt;
    const lastChance = (linktestAt !== undefined ? Math.max(from, linktestAt) : from) + t7 + tol;
    const { value: closed, jitterMs } = await withJitter(c.waitClosed(lastChance - ctx.trace.elapsed()));
    if (!closed) {
      checkTesterOnTime(ctx, lastChance, 'waiting for the T7 close');
      const reason = `the IUT had not closed the NOT SELECTED connection ${s(ctx.trace.elapsed() - from)} after connect (T7 = ${s(t7)}, window ${window})`;
      if (ctx.iut.config.capabilities.multipleConnections) {
        ctx.recorder.add('warn', `${reason}; E37-9.2.2 "shall" binds entities limited to one connection, this IUT accepts several`);
        return;
      }
      throw new Failure(`${reason}; a single-connection IUT shall close at T7 (E37-9.2.2)`);
    }
    if (closed.how === 'local') throw new Inconclusive('the tester closed the connection first');
    const measured = closed.at - from;
    ctx.recorder.measure(`T7 measured ${s(measured)} from connect, allowed ${window}, tester timer jitter ${jitterMs.toFixed(1)} ms`);
    if (measured < t7 - tol) {
      if (linktestAt !== undefined && ctx.iut.config.standard === 'hsms-ss' && closed.at - linktestAt <= ctx.responseWait) {
        throw new NotApplicable(`the IUT closed the NOT SELECTED connection ${s(closed.at - linktestAt)} after the tester's Linktest.req, ${s(measured)} after connect: HSMS-SS treats any message but Select.req there as a communication failure (NOTES.md), so whether a Linktest restarts T7 does not arise`);
      }
      if (ctx.iut.config.role !== 'passive') {
        // Its Select.req refused, an active IUT may close and try again later (E37-6.4): that close
        // cannot be told from a short T7, and an IUT with no T7 at all must not pass on it.
        throw new NotApplicable(`the active IUT closed the NOT SELECTED connection ${s(measured)} after connect, before T7 - tolerance, after the tester refused its Select.req: closing then is its choice (E37-6.4), so its T7 cannot be observed`);
      }
      if (measured + c.openedLateMs >= t7 - tol) {
        // The tester saw the connection form up to openedLateMs late (it could not run): the close may have come at T7.
        const late = `the IUT closed the NOT SELECTED connection ${s(measured)} after the tester saw it connect, but the tester itself could not run for up to ${s(c.openedLateMs)} as it connected (host overloaded?)`;
        if (linktestAt !== undefined || attempt >= T7_ATTEMPTS) throw new Inconclusive(`${late}; too close to T7 - tolerance to judge in ${attempt} attempt${attempt > 1 ? 's' : ''}`);
        ctx.recorder.measure(`${late}: measured again on a new connection`);
        await ctx.notSelectedConnection(name);
        continue;
      }
      ctx.recorder.add('warn', `the IUT closed the NOT SELECTED connection ${s(measured)} after connect, before T7 - tolerance: allowed by E37-6.4, but its T7 is shorter than the profile's ${s(t7)}`);
      return;
    }
    if (measured > t7 + tol && linktestAt !== undefined) {
      ctx.recorder.measure(`${s(closed.at - linktestAt)} after the Linktest.req`);
      ctx.recorder.add('warn', `the IUT closed ${s(measured)} after connect, ${s(closed.at - linktestAt)} after the Linktest.req: the Linktest restarted T7, which runs from connect (E37-9.2.2)`);
    }
    return;
  }
}

// ---- T8 (E37-9.2.3) ------------------------------------------------------------------------------

/** Sends only the first `bytes` bytes of S1F1 W (inside the length prefix for bytes < 4) and stops. */
export function stallInsideMessage(ctx: ScenarioContext, bytes: number, name: ConnName = 'main'): void {
  const frame = ctx.build('S1F1 W', name);
  const wire = encodeFrame(frame);
  if (bytes <= 0 || bytes >= wire.length) throw new Failure(`cannot stall after ${bytes} bytes of a ${wire.length}-byte message`);
  ctx.sendRaw(wire.subarray(0, bytes), name, `first ${bytes} of ${wire.length} bytes of S1F1 W, then nothing`);
  notesOf(ctx).stallAt = ctx.trace.elapsed();
  notesOf(ctx).stallBytes = bytes;
}

/** Times T8 is measured, on a new connection each, while the tester's own lateness spoils the measurement. */
const T8_ATTEMPTS = 3;

/**
 * E37-9.2.3: a gap longer than T8 inside a message is a communication failure that must end in
 * a close. Never closing fails; closing before T8 - tolerance is WARN (NOTES.md). A close seen
 * so late that it may have come before the window (the tester's own timers ran late) is measured
 * again on a new connection, up to T8_ATTEMPTS times, before the scenario is inconclusive.
 */
export async function expectT8Close(ctx: ScenarioContext, name: ConnName = 'main'): Promise<void> {
  const t8 = ctx.ms.t8;
  const tol = ctx.ms.tolerance;
  const window = `[${s(t8 - tol)}, ${s(t8 + tol)}]`;
  for (let attempt = 1; ; attempt++) {
    const c = ctx.conn(name);
    const from = notesOf(ctx).stallAt;
    if (from === undefined) throw new Inconclusive('no message was stalled');
    const { value: closed, jitterMs } = await withJitter(c.waitClosed(from + t8 + tol - ctx.trace.elapsed()));
    if (!closed) checkTesterOnTime(ctx, from + t8 + tol, 'waiting for the T8 close');
    if (!closed) throw new Failure(`T8: the IUT had not closed the connection ${s(ctx.trace.elapsed() - from)} into a stalled message (T8 = ${s(t8)}, window ${window}); E37-9.2.3 makes it a communication failure`);
    if (closed.how === 'local') throw new Inconclusive('the tester closed the connection first');
    const measured = closed.at - from;
    const other = otherTimerFits(ctx, c, closed.at);
    if (other) throw new NotApplicable(`the IUT closed ${s(measured)} into the stalled message, but ${other}; T8 cannot be told apart from that timer here`);
    ctx.recorder.measure(`T8 measured ${s(measured)} from the last byte, allowed ${window}, tester timer jitter ${jitterMs.toFixed(1)} ms`);
    const frames = c.drain().filter((f) => f.at > from);
    if (frames.length > 0) ctx.recorder.measure(`the IUT sent ${describeFrame(frames[0]!.frame)} before closing`);
    if (measured < t8 - tol) {
      ctx.recorder.add('warn', `T8: the IUT closed ${s(measured)} into the stall, sooner than T8 - tolerance: its T8 is shorter than the profile's ${s(t8)}`);
      return;
    }
    if (jitterMs <= tol / 2 || measured - jitterMs >= t8 - tol) return;
    // The close was seen up to `jitterMs` after it happened: this close to the window, not judged;
    // a host that was loaded for a moment may let the tester measure on a new connection.
    const late = `T8: the close was seen ${s(measured)} into the stall, but the tester's own timers ran ${s(jitterMs)} late (host overloaded?)`;
    const bytes = notesOf(ctx).stallBytes;
    if (attempt >= T8_ATTEMPTS || bytes === undefined) throw new Inconclusive(`${late}; too close to the window to judge in ${attempt} attempt${attempt > 1 ? 's' : ''}`);
    ctx.recorder.measure(`${late}: measured again on a new connection`);
    await ctx.selectedConnection(name);
    stallInsideMessage(ctx, bytes, name);
  }
}

/**
 * A close at `closedAt` that another timer of the IUT explains: the T6 (control) or T3 (data) of a
 * request it sent while the tester was in the middle of its own message, when the tester could
 * not answer (E37-9.3.1 makes an unanswered control transaction a communication failure). Such a
 * close says nothing about T8. Returns what explains it, or null.
 */
function otherTimerFits(ctx: ScenarioContext, c: TesterConnection, closedAt: number): string | null {
  const tol = ctx.ms.tolerance;
  for (const r of c.requestsDuringOwnMessage) {
    const control = r.frame.header.sType !== SType.Data;
    const expires = r.at + (control ? ctx.ms.t6 : ctx.ms.t3);
    if (Math.abs(closedAt - expires) <= tol) {
      return `the close also fits the ${control ? 'T6' : 'T3'} of its ${describeFrame(r.frame)} sent ${s(r.at - c.openedAt)} after connect, which the tester could not answer in the middle of its own message`;
    }
  }
  return null;
}

/** Sends S1F1 W in pieces of `pieceSize` bytes, `factor` x T8 apart (the length prefix is split too). */
export async function sendWithGaps(ctx: ScenarioContext, pieceSize: number, factor: number, name: ConnName = 'main'): Promise<void> {
  const frame = ctx.build('S1F1 W', name);
  notesOf(ctx).slowPrimary = frame;
  notesOf(ctx).slowSend = { pieceSize, factor };
  ctx.trace.frame(name, 'out', frame, `sent slowly, ${pieceSize} bytes every ${factor} x T8`);
  notesOf(ctx).slowestGapMs = await ctx.conn(name).sendSlowly(encodeFrame(frame), pieceSize, factor * ctx.ms.t8, 'S1F1 W');
}

/** Times the slow message is sent, on a new connection each, while the tester's own lateness spoils the measurement. */
const SLOW_SEND_ATTEMPTS = 3;

/**
 * E37-9.2.3: no single gap exceeded T8, so the message is whole: the IUT answers it (reply
 * details are E37-9.4.1's). Closing while bytes kept arriving within T8 is WARN (NOTES.md);
 * neither answering nor closing fails. A close after the tester itself left a gap within the
 * tolerance of T8 (a loaded host) may be a legal T8: the message is sent again on a new
 * connection, and only if the tester is that late every time is the scenario inconclusive.
 */
export async function expectSlowMessageAnswered(ctx: ScenarioContext, name: ConnName = 'main'): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const primary = notesOf(ctx).slowPrimary;
    if (!primary) throw new Inconclusive('no message was sent slowly');
    const c = ctx.conn(name);
    const r = await c.expect((f) => (answersProbe(primary, f) || f.header.systemBytes === primary.header.systemBytes ? f : undefined), ctx.replyWait);
    if (r.kind === 'timeout') throw new Failure(`the IUT neither answered S1F1 W sent with gaps shorter than T8 nor closed: the message was lost`);
    if (r.kind === 'frame') {
      if (r.value.header.sType !== SType.Data) ctx.recorder.measure(`the IUT answered with ${describeFrame(r.value)}`);
      return;
    }
    const other = otherTimerFits(ctx, c, r.close.at);
    if (other) throw new NotApplicable(`the IUT closed the connection while the message was arriving slowly, but ${other}, which E37-9.3.1 allows`);
    const slowest = notesOf(ctx).slowestGapMs ?? 0;
    if (slowest < ctx.ms.t8 - ctx.ms.tolerance) {
      ctx.recorder.add('warn', `the IUT closed the connection (${r.close.how}) at ${s(r.close.at - c.openedAt)} after connect although no gap between bytes reached T8 = ${s(ctx.ms.t8)} (E37-9.2.3 times gaps, not whole messages)`);
      return;
    }
    // The tester itself was late: one of its gaps came within the tolerance of T8, so the close may be a legal T8.
    const late = `the IUT closed the connection while the message was arriving slowly, but the tester's slowest gap was ${s(slowest)}, within the tolerance of T8 = ${s(ctx.ms.t8)} (host overloaded?)`;
    const send = notesOf(ctx).slowSend;
    if (attempt >= SLOW_SEND_ATTEMPTS || !send) throw new Inconclusive(`${late}; too close to judge in ${attempt} attempt${attempt > 1 ? 's' : ''}`);
    ctx.recorder.measure(`${late}: sent again on a new connection`);
    c.destroy();
    await ctx.selectedConnection(name);
    await sendWithGaps(ctx, send.pieceSize, send.factor, name);
  }
}

// ---- several connections (E37-9.2.4, 9.2.4.1) ----------------------------------------------------

/**
 * Opens a further TCP connection to the IUT's published port and notes what happened: accepted,
 * refused (RST at connect), or no answer within T6 + tolerance (the IUT never accepts).
 */
export async function openFurtherConnection(ctx: ScenarioContext, name: ConnName = 'second'): Promise<void> {
  const c = ctx.iut.config;
  const wait = ctx.responseWait;
  try {
    const conn = await TesterConnection.connect(c.host, ctx.iut.iutPort, ctx.trace, name, wait);
    ctx.adoptConnection(conn, name);
    notesOf(ctx).second = { kind: 'accepted' };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET') {
      ctx.trace.event(name, `TCP connect refused (${code})`);
      notesOf(ctx).second = { kind: 'refused', code };
    } else {
      ctx.trace.event(name, `TCP connect not answered within ${wait} ms: ${(err as Error).message}`);
      notesOf(ctx).second = { kind: 'no-answer', waitedMs: wait };
    }
  }
}

/**
 * E37-9.2.4.1 with NOTES.md, by the refusal option the profile declares:
 * (a) the connection is accepted and every Select.req there draws status 1 or 3 (0 fails); once
 *     it has refused one, the IUT may close that NOT SELECTED connection;
 * (b) it is reset (refused at connect, or RST after the accept; an orderly close is WARN);
 * (c) it is never accepted or answered. Other behaviour fails.
 */
export async function expectRefusal(ctx: ScenarioContext, name: ConnName = 'second'): Promise<void> {
  const option = ctx.iut.config.capabilities.refusal;
  const outcome = notesOf(ctx).second;
  if (!outcome) throw new Inconclusive('no further connection was attempted');
  const what = outcome.kind === 'accepted' ? 'accepted' : outcome.kind === 'refused' ? `refused (${outcome.code})` : `not answered within ${s(outcome.waitedMs)}`;
  ctx.recorder.measure(`the further connection was ${what}`);
  if (option === 'a') {
    if (outcome.kind !== 'accepted') throw new Failure(`option a declared: the further connection must be accepted, it was ${what}`);
    for (let i = 1; i <= 2; i++) {
      const req = ctx.build('Select.req', name);
      ctx.send(req, name);
      const r = await ctx.conn(name).next(ctx.responseWait);
      if (r.kind === 'closed' && i > 1) {
        // Refused once, the further connection is NOT SELECTED, which the IUT may close (E37-6.4; NOTES.md).
        ctx.recorder.measure(`after refusing the first Select.req the IUT closed the further connection (${r.close.how})`);
        return;
      }
      if (r.kind !== 'frame') throw new Failure(`option a: Select.req ${i} on the further connection: ${ctx.describeNoFrame(r, 'Select.rsp')}`);
      const f = r.frame.frame;
      const h = f.header;
      if (h.sType !== SType.SelectRsp) throw new Failure(`option a: Select.req ${i} on the further connection drew ${describeFrame(f)}; Select.rsp status 1 or 3 expected`);
      if (h.byte3 === 0) throw new Failure(`option a: Select.req ${i} on the further connection was accepted with status 0; a single-connection IUT must answer 1 or 3`);
      if (h.byte3 !== 1 && h.byte3 !== 3) throw new Failure(`option a: Select.req ${i} on the further connection drew status ${h.byte3}; 1 (Communication Already Active) or 3 (Connect Exhaust) expected`);
    }
    return;
  }
  if (option === 'b') {
    if (outcome.kind === 'refused') return;
    if (outcome.kind === 'no-answer') throw new Failure(`option b declared: the further connection must be actively refused, it was ${what} (option c behaviour)`);
    const c = ctx.conn(name);
    ctx.send(ctx.build('Select.req', name), name, 'is the further connection serviced?');
    const r = await c.next(ctx.responseWait);
    if (r.kind === 'frame') throw new Failure(`option b declared: the further connection must be refused, the IUT sent ${describeFrame(r.frame.frame)} on it`);
    if (r.kind === 'timeout') throw new Failure(`option b declared: the further connection was accepted and kept open for ${s(ctx.responseWait)}`);
    ctx.recorder.measure(`the IUT ended the further connection (${r.close.how}) ${s(r.close.at - c.openedAt)} after the accept`);
    if (r.close.how === 'fin') ctx.recorder.add('warn', 'option b: the IUT closed the further connection in order (FIN) instead of rejecting it (RST)');
    return;
  }
  if (option === 'c') {
    if (outcome.kind !== 'accepted') {
      if (outcome.kind === 'refused' && outcome.code === 'ECONNRESET') throw new Failure(`option c declared: the further connection was reset (option b behaviour)`);
      return;
    }
    // The TCP stack's backlog may complete the handshake although the IUT never accepts.
    const c = ctx.conn(name);
    ctx.send(ctx.build('Select.req', name), name, 'is the further connection serviced?');
    const r = await c.next(ctx.responseWait);
    if (r.kind === 'frame') throw new Failure(`option c declared: the further connection must not be serviced, the IUT sent ${describeFrame(r.frame.frame)} on it`);
    if (r.kind === 'closed') throw new Failure(`option c declared: the IUT ended the further connection (${r.close.how}) instead of ignoring it`);
    return;
  }
  throw new Inconclusive('the profile does not declare capabilities.refusal');
}

/**
 * The first, SELECTED session is untouched (E37-9.2.4, 9.2.4.1): still open, answers
 * Linktest.req and a data message. The answers' header details are other clauses' business.
 */
export async function expectSessionIntact(ctx: ScenarioContext, name: ConnName = 'main'): Promise<void> {
  const c = ctx.conn(name);
  if (c.closed) throw new Failure(`the IUT closed the first, SELECTED connection (${c.closed.how}) at ${s(c.closed.at - c.openedAt)} after its connect`);
  c.drain();
  const lt = ctx.build('Linktest.req', name);
  ctx.send(lt, name, 'is the first session intact?');
  const r = await c.expect((f) => (f.header.systemBytes === lt.header.systemBytes ? f : undefined), ctx.responseWait);
  if (r.kind !== 'frame') throw new Failure(`the first session no longer answers Linktest.req: ${ctx.describeNoFrame(r, 'Linktest.rsp')}`);
  try {
    await expectSelectedState(ctx, name);
  } catch (err) {
    if (err instanceof Failure) throw new Failure(`the first session is no longer SELECTED: ${err.reason}`);
    throw err;
  }
}

/**
 * E37-9.2.4: while the second connection sits NOT SELECTED past its T7, the first stays open and
 * SELECTED (kept busy with Linktests so that only independence is tested). Whether the second
 * is closed at T7 is E37-9.2.2's business; it is only reported here.
 */
export async function expectSecondTimesOutAlone(ctx: ScenarioContext): Promise<void> {
  const second = ctx.conn('second');
  const until = second.openedAt + ctx.ms.t7 + ctx.ms.tolerance;
  await expectOpenWithTraffic(ctx, until, 'main');
  const closed = second.closed;
  ctx.recorder.measure(closed ? `the second connection was closed ${s(closed.at - second.openedAt)} after its connect` : `the second connection was still open ${s(until - second.openedAt)} after its connect`);
  await expectSessionIntact(ctx, 'main');
}

// ---- active and alternating connect (E37-6.3.3, A1-3) --------------------------------------------

/** E37-6.3.3 / A1-3.2: the IUT connects to the tester's listener. Not connecting is the finding. */
export async function expectIutConnects(ctx: ScenarioContext): Promise<void> {
  try {
    const c = await ctx.openConnection('main');
    ctx.recorder.measure(`the IUT connected ${s(c.openedAt)} into the scenario`);
  } catch (err) {
    if (err instanceof IutUnreachable) throw new Failure(err.reason);
    throw err;
  }
}

/**
 * A session can be selected on the connection, whoever initiates: the tester accepts the IUT's
 * own Select.req, or selects it when none comes within T6 + tolerance. Then a data message is answered.
 */
export async function expectSelectable(ctx: ScenarioContext, name: ConnName = 'main'): Promise<void> {
  const c = ctx.conn(name);
  const own = await c.expect((f) => (f.header.sType === SType.SelectReq ? f : undefined), ctx.responseWait);
  if (own.kind === 'frame') {
    c.send(msg.selectRsp(own.value.header, 0), 'tester accepts the select');
  } else if (own.kind === 'closed') {
    throw new Failure(`the IUT closed the connection (${own.close.how}) before a session was selected`);
  } else {
    const req = ctx.build('Select.req', name);
    ctx.send(req, name);
    const rsp = await ctx.expectResponse(SType.SelectRsp, name);
    if (rsp.header.byte3 !== 0) throw new Failure(`the IUT refused Select.req with status ${rsp.header.byte3}`);
  }
  c.autoAnswer.primaries = true;
  await expectSelectedState(ctx, name);
}

/** The tester stops accepting connections for the rest of the scenario (A1-3: the IUT's active attempts fail). */
export async function stopListening(ctx: ScenarioContext): Promise<void> {
  await ctx.iut.stopListening();
  ctx.trace.event('tester', 'the tester stops listening for the IUT');
}

/**
 * A1-3 step 3: with the tester not listening, the IUT's active attempt fails and it listens on its
 * published port for at least T5. The tester tries to connect every T5/4 for 3 x T5 + T6.
 */
export async function connectDuringPassivePhase(ctx: ScenarioContext): Promise<void> {
  const c = ctx.iut.config;
  const t5 = ctx.ms.t5;
  const start = ctx.trace.elapsed();
  const deadline = start + 3 * t5 + ctx.responseWait;
  let attempts = 0;
  while (ctx.trace.elapsed() < deadline) {
    attempts++;
    try {
      const conn = await TesterConnection.connect(c.host, ctx.iut.iutPort, ctx.trace, 'main', Math.max(100, t5 / 4));
      ctx.adoptConnection(conn, 'main');
      ctx.recorder.measure(`connected to the IUT's published port on attempt ${attempts}, ${s(ctx.trace.elapsed() - start)} after the tester stopped listening`);
      return;
    } catch {
      await ctx.delay(t5 / 4);
    }
  }
  throw new Failure(`the alternating IUT never accepted a connection on ${c.host}:${ctx.iut.iutPort} in ${attempts} attempts over ${s(ctx.trace.elapsed() - start)} (3 x T5 + T6); A1-3 step 3 requires a passive phase of at least T5`);
}
