import { RejectReason, SType } from '../protocol/constants';
import { isPrimary, type Frame } from '../protocol/header';
import { describeFrame } from '../peer/event-format';
import type { ConnName, ScenarioContext } from './scenario-context';
import type { CloseInfo } from './tester-connection';
import { Failure, Inconclusive, IutUnreachable, JudgedElsewhere } from './verdict';

/**
 * The IUT's session state as the wire shows it (E37-5.3). The only evidence that cannot lie is
 * what the IUT does with a data message: a reply means it served the message, a Reject.req
 * (reason 4 by E37-7.7.2) that it did not. An IUT that serves data also outside SELECTED breaks
 * E37-7.3, and then a served message shows nothing about its state: the tester compares with a
 * connection that is NOT SELECTED by E37-5.3 transition 2 (a new one) before it blames the
 * clause under test. Select.req is never taken as proof of NOT SELECTED (an IUT may accept it
 * with status 0 while SELECTED); only its status 1, "Communication Already Active", counts as the
 * IUT's own statement that it is SELECTED. Each verdict prints the evidence it rests on.
 */

export type DataAnswer =
  | { readonly kind: 'served'; readonly frame: Frame }
  | { readonly kind: 'rejected'; readonly frame: Frame }
  | { readonly kind: 'closed'; readonly close: CloseInfo }
  | { readonly kind: 'silent' };

const s = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;

/** Whether `f` answers the data probe: a Reject.req, or its reply (matched liberally: how well a reply matches is E37-9.4.1's business). */
export function answersProbe(probe: Frame, f: Frame): boolean {
  const h = f.header;
  if (h.sType === SType.RejectReq) return true;
  return h.sType === SType.Data && (h.systemBytes === probe.header.systemBytes || !isPrimary(h));
}

/** Sends S1F1 W and returns what the IUT did with it within the reply wait (late replies within T3 are legal). */
export async function probeWithData(ctx: ScenarioContext, name: ConnName = 'main', note = 'state probe'): Promise<DataAnswer> {
  const c = ctx.conn(name);
  if (!c.isOpen) return { kind: 'closed', close: c.closed! };
  const probe = ctx.build('S1F1 W', name);
  c.send(probe, note);
  const r = await c.expect((f) => (answersProbe(probe, f) ? f : undefined), ctx.replyWait);
  if (r.kind === 'closed') return { kind: 'closed', close: r.close };
  if (r.kind === 'timeout') return { kind: 'silent' };
  if (r.value.header.sType === SType.RejectReq) {
    ctx.checkRejectDetails(probe.header, r.value);
    return { kind: 'rejected', frame: r.value };
  }
  return { kind: 'served', frame: r.value };
}

export function describeAnswer(a: DataAnswer): string {
  switch (a.kind) {
    case 'served':
      return `S1F1 W was served: ${describeFrame(a.frame)}`;
    case 'rejected':
      return `S1F1 W drew ${describeFrame(a.frame)}${a.frame.header.byte3 === RejectReason.EntityNotSelected ? '' : ' (its reason is judged under E37-7.7.2)'}`;
    case 'closed':
      return `the IUT closed the connection (${a.close.how}) at ${s(a.close.at)}`;
    case 'silent':
      return 'S1F1 W drew no answer within the reply wait';
  }
}

const isHsmsSs = (ctx: ScenarioContext): boolean => ctx.iut.config.standard === 'hsms-ss';

/** A single-connection passive IUT that declares (or leaves open) refusal option c: it never reads a connection it refuses. */
function ignoresFurtherConnections(ctx: ScenarioContext): boolean {
  const c = ctx.iut.config;
  return c.role === 'passive' && !c.capabilities.multipleConnections && (c.capabilities.refusal ?? 'c') === 'c';
}

/**
 * How the IUT treats data on a connection that is NOT SELECTED for sure: a new one (E37-5.3
 * transition 2; an active IUT's is taken while its own Select.req is still unanswered). The
 * connection `close` is closed first, since a single-connection IUT may refuse a further one
 * (E37-9.2.4.1). Returns the answer, or null when no such connection could be probed.
 */
async function dataOnNewConnection(ctx: ScenarioContext, close: ConnName): Promise<DataAnswer | null> {
  ctx.conn(close).destroy();
  if (ctx.iut.config.role === 'passive') await ctx.delay(Math.min(100, ctx.ms.t6 / 4));
  const name = 'comparison';
  try {
    const c = await ctx.openConnection(name);
    if (ctx.iut.config.role !== 'passive') {
      const own = await c.expect((f) => (f.header.sType === SType.SelectReq ? f : undefined), ctx.ms.t5 + ctx.responseWait);
      if (own.kind !== 'frame') return null;
    }
  } catch {
    return null;
  }
  try {
    return await probeNewConnection(ctx, name, 'comparison: data on a new connection, NOT SELECTED by E37-5.3 transition 2');
  } catch (err) {
    if (err instanceof IutUnreachable) return null;
    throw err;
  }
}

/**
 * Probes a connection the tester has just opened with data. Refusal option c (E37-9.2.4.1) never
 * reads a further connection: one that met the IUT before it had seen the previous connection
 * end stays silent, and another one is tried for as long as a reconnect may take. So is one the
 * IUT closed when its own timer may have run out before the probe arrived (closeMayBeTimer).
 */
async function probeNewConnection(ctx: ScenarioContext, name: ConnName, note?: string): Promise<DataAnswer> {
  let a = await probeWithData(ctx, name, note);
  const deadline = performance.now() + ctx.iut.reconnectWindowMs;
  while (performance.now() < deadline) {
    if (a.kind === 'silent' && ignoresFurtherConnections(ctx)) {
      ctx.recorder.measure('S1F1 W drew no answer on the new connection: under refusal option c the IUT ignores a connection it took for a further one, as if the previous one were still open; the tester tries another');
    } else if (a.kind === 'closed' && closeMayBeTimer(ctx, name, a.close)) {
      ctx.recorder.measure(`the IUT closed the new connection ${s(a.close.at - ctx.conn(name).openedAt)} after connect, when its own timers (T6, T7) may have expired before the probe arrived; the tester tries another`);
    } else break;
    ctx.conn(name).destroy();
    await ctx.delay(50);
    await ctx.notSelectedConnection(name);
    a = await probeWithData(ctx, name, note);
  }
  return a;
}

/**
 * Whether the IUT's close of the new connection `name` may have been its own timer rather than
 * its answer to the data probe: it came when T7 (E37-9.2.2), or for an IUT that connected and
 * sent Select.req T6 (E37-9.3.1), less the tolerance, had passed since connect. A tester held up
 * by the host's load probes that late; an IUT that closes on data closes at once on a prompt probe.
 */
function closeMayBeTimer(ctx: ScenarioContext, name: ConnName, close: CloseInfo): boolean {
  const { t6, t7, tolerance } = ctx.ms;
  const timer = ctx.iut.config.role === 'passive' ? t7 : Math.min(t6, t7);
  return close.at - ctx.conn(name).openedAt >= timer - tolerance;
}

/**
 * After the last procedure (ScenarioContext.lastProcedure) the IUT must have left SELECTED on `name`. A Reject of the data probe
 * shows it has; a close ends any session (allowed from NOT SELECTED, E37-6.4). A served probe is
 * compared with a new connection: if the IUT does not serve data there, it served this one
 * because it is still SELECTED, a deviation of the clause under test; if it serves data there
 * too, data cannot show its state and E37-7.3 judges that.
 */
export async function expectLeftSelected(ctx: ScenarioContext, name: ConnName = 'main'): Promise<void> {
  const what = ctx.lastProcedure(name);
  const a = await probeWithData(ctx, name);
  if (a.kind === 'rejected') {
    ctx.recorder.measure(`after ${what}: ${describeAnswer(a)}`);
    return;
  }
  if (a.kind === 'closed') {
    ctx.recorder.measure(`after ${what}: ${describeAnswer(a)}, which ends any session (allowed from NOT SELECTED, E37-6.4)`);
    return;
  }
  if (a.kind === 'silent') throw new JudgedElsewhere(['E37-7.3'], `after ${what} the IUT neither served nor rejected a data message, so its state does not show`);
  const compare = await dataOnNewConnection(ctx, name);
  if (compare === null) throw new Inconclusive(`after ${what} the IUT served a data message, and no new connection could be probed to tell whether it serves data outside SELECTED`);
  if (compare.kind === 'served') throw new JudgedElsewhere(['E37-7.3'], `the IUT served data after ${what}, but it serves data on a new NOT SELECTED connection too, so data cannot show whether it left SELECTED`);
  throw new Failure(`after ${what} the IUT is still SELECTED: it served a data message (${describeFrame(a.frame)}), while on a new connection, NOT SELECTED by E37-5.3 transition 2, ${describeAnswer(compare)}`);
}

/**
 * A connection that has just been formed is NOT SELECTED (E37-5.3 transition 2). A Reject of the
 * data probe shows it; under HSMS-SS a close on data is the NOT SELECTED handling too (NOTES.md).
 * Served data is SELECTED only if the IUT also says so: Select.req answered with status 1
 * (Communication Already Active). Otherwise the IUT serves data in NOT SELECTED, which E37-7.3 judges.
 */
export async function expectNewConnectionNotSelected(ctx: ScenarioContext, name: ConnName = 'main'): Promise<void> {
  const a = await probeNewConnection(ctx, name);
  if (a.kind === 'rejected' || (a.kind === 'closed' && isHsmsSs(ctx))) {
    ctx.recorder.measure(`on the new connection: ${describeAnswer(a)}`);
    return;
  }
  if (a.kind === 'closed') {
    if (closeMayBeTimer(ctx, name, a.close)) throw new Inconclusive(`${describeAnswer(a)}, ${s(a.close.at - ctx.conn(name).openedAt)} after connect, on every new connection: its T6 or T7 may have expired before the tester's probe arrived, so its state does not show`);
    throw new JudgedElsewhere(['E37-7.3'], 'the IUT closed the connection on a data message instead of rejecting it, so its state does not show');
  }
  if (a.kind === 'silent') throw new JudgedElsewhere(['E37-7.3'], 'the IUT neither served nor rejected a data message, so its state does not show');
  const c = ctx.conn(name);
  const sel = ctx.build('Select.req', name);
  c.send(sel, 'does the IUT say it is SELECTED?');
  const r = await c.expect((f) => (f.header.sType === SType.SelectRsp || f.header.sType === SType.RejectReq ? f : undefined), ctx.responseWait);
  if (r.kind === 'frame' && r.value.header.sType === SType.SelectRsp && r.value.header.byte3 === 1) {
    throw new Failure(`the new connection is SELECTED: the IUT served a data message (${describeFrame(a.frame)}) and answered Select.req with status 1 (Communication Already Active)`);
  }
  const answer = r.kind === 'frame' ? describeFrame(r.value) : ctx.describeNoFrame(r, 'Select.rsp');
  throw new JudgedElsewhere(['E37-7.3'], `the IUT served a data message on the new connection (${describeFrame(a.frame)}) without saying it is SELECTED (Select.req drew ${answer}): it serves data in NOT SELECTED`);
}

/**
 * The IUT is SELECTED on `name`: a data message is served. A Reject reason 4 says it is not; other
 * answers leave the state unknown here (whether SELECTED data must be answered is E37-7.3's).
 */
export async function expectSelected(ctx: ScenarioContext, what: string, name: ConnName = 'main'): Promise<void> {
  const a = await probeWithData(ctx, name);
  if (a.kind === 'served') return;
  if (a.kind === 'rejected' && a.frame.header.byte3 === RejectReason.EntityNotSelected) throw new Failure(`${what} the IUT is not SELECTED: ${describeAnswer(a)}`);
  if (a.kind === 'closed') throw new Failure(`${what} the IUT closed the connection (${a.close.how}), ending the session`);
  throw new JudgedElsewhere(['E37-7.3'], `${what} the IUT did not serve a data message (${describeAnswer(a)}), so its state does not show`);
}
