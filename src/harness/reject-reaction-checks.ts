import { LINKTEST_SESSION_ID, SType } from '../protocol/constants';
import { isPrimary, type Frame, type Header } from '../protocol/header';
import * as msg from '../protocol/messages';
import { describeFrame } from '../peer/event-format';
import { answersProbe } from './state-checks';
import type { ScenarioContext } from './scenario-context';
import type { CloseInfo } from './tester-connection';
import { Failure, HarnessError } from './verdict';

/**
 * E37-7.7.1: how the IUT takes a Reject.req of a message it sent itself. The reaction is local
 * entity-specific, but it stays within the rest of the standard: a Reject.req has no response
 * (E37-8.2.8), and it is no communication failure (those are T6, T7 and T8 expiries and broken
 * framing, E37-9), so the SELECTED session carries on. The IUT may end the session itself with
 * Separate.req (or Deselect.req); once NOT SELECTED it may close (E37-6.4). Closing the SELECTED
 * connection without that fails, as does any message that answers the Reject.
 */

/** What the reaction check saw, for the check that the session still serves. */
const endedByIut = new WeakSet<ScenarioContext>();

/**
 * The tester answers the IUT's last primary with a Reject.req of `reason` instead of a reply:
 * its system bytes, byte 2 its SType (E37-8.2.8), the session id the tester's control messages
 * carry (the primary's, 0xFFFF under HSMS-SS).
 */
export function rejectIutPrimary(ctx: ScenarioContext, reason: number): void {
  const primary = ctx.lastResponse().header;
  if (primary.sType !== SType.Data || !isPrimary(primary)) throw new HarnessError(`the last IUT message is ${describeFrame(ctx.lastResponse())}, not a data primary`);
  const sessionId = ctx.iut.config.standard === 'hsms-ss' ? LINKTEST_SESSION_ID : primary.sessionId;
  ctx.send(msg.rejectReq({ ...primary, sessionId }, reason), 'main', `tester rejects the IUT's primary, reason ${reason}`);
}

/** A message that answers the Reject `rejected`: same system bytes, and a response, a Reject.req or a data reply. */
function answersReject(f: Frame, rejected: Header): boolean {
  const h = f.header;
  if (h.systemBytes !== rejected.systemBytes) return false;
  const response = h.sType === SType.SelectRsp || h.sType === SType.DeselectRsp || h.sType === SType.LinktestRsp;
  return response || h.sType === SType.RejectReq || (h.sType === SType.Data && !isPrimary(h));
}

function closedInSelected(close: CloseInfo, when: string): Failure {
  return new Failure(
    `the IUT closed the SELECTED connection (${close.how}) ${when}: its reaction to a Reject.req is local (E37-7.7.1), but a Reject is no communication failure and E37-6.4 permits a close only in NOT SELECTED (it may end the session with Separate.req first)`,
  );
}

/**
 * Watches the connection for T6 + tolerance after the tester's Reject.req. A message answering it
 * fails, as does a close before the IUT ended the session itself. Separate.req or Deselect.req
 * from the IUT end the session, a local reaction 7.7.1 allows (its Deselect.req is accepted);
 * the IUT's own Linktest.req is answered on the side; anything else is noted as unrelated.
 * Keep-alives keep the IUT's idle handling out of it (ScenarioContext.nextKeptAlive).
 */
export async function expectRejectTaken(ctx: ScenarioContext): Promise<void> {
  const reject = ctx.lastSentFrame().header;
  if (reject.sType !== SType.RejectReq) throw new HarnessError('the tester has not sent a Reject.req');
  const c = ctx.conn();
  const until = ctx.trace.elapsed() + ctx.responseWait;
  for (;;) {
    const r = await ctx.nextKeptAlive(c, until);
    if (r.kind === 'timeout') return;
    if (r.kind === 'closed') {
      if (endedByIut.has(ctx)) {
        ctx.recorder.measure(`the IUT then closed the connection (${r.close.how}), NOT SELECTED by its own request (E37-6.4)`);
        return;
      }
      throw closedInSelected(r.close, 'on receiving the Reject.req of its own primary');
    }
    const f = r.frame.frame;
    ctx.lastReceived = f;
    if (answersReject(f, reject)) throw new Failure(`the IUT answered the Reject.req of its own primary with ${describeFrame(f)}; a Reject.req has no response (E37-7.7.1, 8.2.8)`);
    if (f.header.sType === SType.SeparateReq || f.header.sType === SType.DeselectReq) {
      if (f.header.sType === SType.DeselectReq) c.send(msg.deselectRsp(f.header, 0), 'tester accepts the IUT\'s Deselect');
      endedByIut.add(ctx);
      ctx.recorder.measure(`the IUT ended the session with ${describeFrame(f)}: a local reaction E37-7.7.1 allows`);
      continue;
    }
    ctx.recorder.measure(`unrelated message from the IUT meanwhile: ${describeFrame(f)}`);
  }
}

/**
 * The session carries on after the Reject: a Linktest.req is answered within T6 and a data
 * primary within T3 (the probe's reply details are E37-9.4.1's business). Not judged when the
 * IUT ended the session itself (expectRejectTaken noted that).
 */
export async function expectStillServing(ctx: ScenarioContext): Promise<void> {
  if (endedByIut.has(ctx)) return;
  const c = ctx.conn();
  const linktest = ctx.build('Linktest.req');
  c.send(linktest, 'is the connection still serving?');
  const l = await c.expect((f) => (f.header.sType === SType.LinktestRsp && f.header.systemBytes === linktest.header.systemBytes ? f : undefined), ctx.responseWait);
  if (l.kind === 'closed') throw closedInSelected(l.close, 'after the Reject.req of its own primary');
  if (l.kind === 'timeout') throw new Failure('after the Reject.req of its own primary the IUT no longer answers Linktest.req');
  const probe = ctx.build('S1F1 W');
  c.send(probe, 'is the session still SELECTED?');
  // A reply may come at any time within T3 (E37-9.4.1.1): the wait is T3's, not T6's.
  const d = await c.expect((f) => (answersProbe(probe, f) ? f : undefined), ctx.replyWait);
  if (d.kind === 'closed') throw closedInSelected(d.close, 'after the Reject.req of its own primary');
  if (d.kind === 'timeout') throw new Failure('after the Reject.req of its own primary the IUT no longer answers a data message');
  if (d.value.header.sType !== SType.Data) {
    throw new Failure(`after the Reject.req of its own primary the IUT left SELECTED without a Separate.req or Deselect.req (E37-5.3 has no such transition): S1F1 W drew ${describeFrame(d.value)}`);
  }
}
