import { Given, Then, When } from '@cucumber/cucumber';
import { SType } from '../src/protocol/constants';
import * as cc from '../src/harness/connection-checks';
import * as st from '../src/harness/state-checks';
import { step } from './step';

// ---- connections -------------------------------------------------------------------------------

Given('a new TCP connection to the IUT', step({
  does: 'Forms a new connection kept NOT SELECTED as far as the tester can make it (an active IUT\'s Select.req is refused with status 2).',
  checks: 'A precondition: the connection forms.',
}, async (ctx) => {
  await cc.newConnection(ctx);
}));

When('the tester opens a new TCP connection to the IUT', step({
  does: 'Opens a new connection after the tester closed the previous one, giving a passive IUT a moment to see the close first.',
}, async (ctx) => {
  await cc.reconnect(ctx);
}));

Given('a second selected connection to the IUT', step({
  does: 'As "a selected connection to the IUT", as a second connection named "second".',
  checks: 'A precondition: the select succeeds; inconclusive otherwise.',
}, async (ctx) => {
  await ctx.selectedConnection('second');
}));

When('the tester opens a further TCP connection to the IUT', step({
  does: 'Opens a further connection to the IUT\'s published port and notes whether it was accepted, reset, or left unanswered.',
}, async (ctx) => {
  await cc.openFurtherConnection(ctx);
}));

When('the tester selects the IUT', step({
  does: 'Sends Select.req to a passive IUT on the connection.',
  checks: 'Status 0; a refusal means the transition never happened (inconclusive).',
}, async (ctx) => {
  await cc.selectNow(ctx);
}));

When('the tester closes the connection', step({
  does: 'Closes the connection (TCP FIN) and notes when.',
}, (ctx) => {
  cc.closeByTester(ctx);
}));

When('the tester sends Separate.req on the second connection', step({
  does: 'Sends Separate.req on the connection named "second".',
}, (ctx) => {
  ctx.send(ctx.build('Separate.req', 'second'), 'second');
}));

When('the tester does not accept connections', step({
  does: 'Stops the tester\'s listener for the rest of the scenario, so an alternating IUT\'s active attempts fail (A1-3).',
}, async (ctx) => {
  await cc.stopListening(ctx);
}));

// ---- state machine ----------------------------------------------------------------------------

Then('the IUT treats the connection as NOT SELECTED', step({
  does: 'Probes the new connection with a data message (and Select.req if the IUT answers data).',
  checks: 'E37-5.3: a Reject (NOT SELECTED) passes, under HSMS-SS a close too; served data with Select status 1 (it believed itself SELECTED) fails; served data otherwise is left to E37-7.3.',
}, async (ctx) => {
  await st.expectNewConnectionNotSelected(ctx);
}));

Then('the IUT treats the connection as NOT SELECTED or closes it', step({
  does: 'As "the IUT treats the connection as NOT SELECTED", after a procedure that ends the session (Deselect, Separate); a served message is compared with a new connection.',
  checks: 'E37-5.3, 6.4: NOT SELECTED or closed passes; a message served here but not on a new connection fails.',
}, async (ctx) => {
  await st.expectLeftSelected(ctx);
}));

Then('the IUT treats the second connection as NOT SELECTED or closes it', step({
  does: 'As above, on the connection named "second".',
  checks: 'E37-5.3: NOT SELECTED or closed passes; a message served here but not on a new connection fails.',
}, async (ctx) => {
  await st.expectLeftSelected(ctx, 'second');
}));

Then('the IUT treats the connection as SELECTED', step({
  does: 'Probes with a data message.',
  checks: 'E37-5.3: the IUT answers it; a Reject or silence fails.',
}, async (ctx) => {
  await cc.expectSelectedState(ctx);
}));

// ---- staying open, closing, reconnecting ------------------------------------------------------

Then('the connection stays open for {float} x T{int}, with a Linktest.req every half T8', step({
  does: 'Waits that multiple of the timer, sending a Linktest.req every half T8 so the connection is never idle.',
  checks: 'E37-6.4, 9.2.2: the IUT keeps the connection open; a close fails.',
}, async (ctx, factor: number, timer: number) => {
  await cc.stayOpenFor(ctx, factor, timer);
}));

Then('the connection stays open until {float} x T{int} after the connect, with a Linktest.req every half T8', step({
  does: 'As above, until that multiple of the timer counted from the TCP connect.',
  checks: 'The IUT keeps the connection open; a close fails.',
}, async (ctx, factor: number, timer: number) => {
  await cc.stayOpenAfterConnect(ctx, factor, timer);
}));

Then('the IUT connects again no sooner than T5 after the connection ended', step({
  does: 'Waits for the active IUT\'s next connect and measures the time since the previous connection ended.',
  checks: 'E37-9.2.1: at least T5 - tolerance (shorter is WARN); never reconnecting is its choice (inconclusive).',
}, async (ctx) => {
  await cc.expectReconnectAfterT5(ctx);
}));

When('the tester stalls a message until the IUT closes the connection', step({
  does: 'Sends part of a message and stops, so the IUT detects a communication failure (T8) and closes.',
  checks: 'The IUT closes; if it never does, E37-9.2.3 judges that and this scenario is inconclusive.',
}, async (ctx) => {
  await cc.provokeCommunicationFailure(ctx);
}));

Then('the IUT serves a new connection', step({
  does: 'Opens (passive IUT) or waits for (active IUT) a new connection.',
  checks: 'E37-9.1.1: a passive IUT accepts and keeps it; fail otherwise.',
}, async (ctx) => {
  await cc.expectServesAgain(ctx);
}));

Then('the IUT connects to the tester', step({
  does: 'Waits for the IUT to connect to the tester\'s listener.',
  checks: 'E37-6.3.3 / A1-3.2: the IUT connects; fail otherwise.',
}, async (ctx) => {
  await cc.expectIutConnects(ctx);
}));

Then('the IUT sends Select.req on the new connection', step({
  does: 'Waits (T5 + T6 + tolerance) for the IUT\'s Select.req.',
  checks: 'The IUT sends it; fail otherwise.',
}, async (ctx) => {
  await ctx.expectIutRequest(SType.SelectReq);
}));

Then('a session can be selected on the connection', step({
  does: 'Selects the connection, whoever initiates (the IUT\'s own Select.req is accepted, else the tester sends one), then sends a data message.',
  checks: 'The select succeeds and the data message is answered; fail otherwise.',
}, async (ctx) => {
  await cc.expectSelectable(ctx);
}));

Then('the IUT accepts a connection on its published port during its passive phase', step({
  does: 'With the tester not listening, tries to connect to the IUT\'s published port every T5/4 for 3 x T5 + T6.',
  checks: 'A1-3 step 3: one attempt is accepted; fail otherwise.',
}, async (ctx) => {
  await cc.connectDuringPassivePhase(ctx);
}));

// ---- T7 ---------------------------------------------------------------------------------------

When('the tester sends Linktest.req at {float} x T7 after the connect', step({
  does: 'Waits until that multiple of T7 after the connect and sends Linktest.req.',
}, async (ctx, factor: number) => {
  await cc.linktestAfterConnect(ctx, factor);
}));

Then('the IUT closes the NOT SELECTED connection T7 after the connect', step({
  does: 'Waits for the IUT to close the NOT SELECTED connection and measures when.',
  checks: 'E37-9.2.2 with NOTES.md: a close within T7 +/- tolerance of the connect passes; never closing fails a single-connection IUT (WARN otherwise); a T7 restarted by the Linktest or an early close is WARN.',
}, async (ctx) => {
  await cc.expectT7Close(ctx);
}));

// ---- T8 ---------------------------------------------------------------------------------------

When('the tester sends the first {int} bytes of S1F1 W and then nothing', step({
  does: 'Sends only the first bytes of S1F1 W (inside the length prefix when fewer than 4) and stops.',
}, (ctx, bytes: number) => {
  cc.stallInsideMessage(ctx, bytes);
}));

Then('the IUT closes the connection T8 after the last byte', step({
  does: 'Waits for the IUT to close and measures the time since the last byte.',
  checks: 'E37-9.2.3: a close passes; never closing fails; closing before T8 - tolerance is WARN.',
}, async (ctx) => {
  await cc.expectT8Close(ctx);
}));

When('the tester sends S1F1 W in pieces of {int} bytes, {float} x T8 apart', step({
  does: 'Sends S1F1 W in pieces of that size with gaps of that multiple of T8 (the length prefix is split too).',
}, async (ctx, size: number, factor: number) => {
  await cc.sendWithGaps(ctx, size, factor);
}));

Then('the IUT answers the slowly sent message', step({
  does: 'Waits for the answer to the slowly sent message.',
  checks: 'E37-9.2.3: no gap exceeded T8, so the IUT answers it; closing while bytes kept coming is WARN; neither answering nor closing fails.',
}, async (ctx) => {
  await cc.expectSlowMessageAnswered(ctx);
}));

// ---- several connections ----------------------------------------------------------------------

Then('the IUT answers every Select.req on the further connection with status 1 or 3', step({
  does: 'Sends Select.req on the further connection (refusal option a).',
  checks: 'E37-9.2.4.1 option a: every Select.req draws status 1 or 3; status 0 or other behaviour fails.',
}, async (ctx) => {
  await cc.expectRefusal(ctx);
}));

Then('the IUT actively refuses the further connection', step({
  does: 'Looks at how the further connection ended (refusal option b).',
  checks: 'E37-9.2.4.1 option b: reset at connect or just after the accept; an orderly close is WARN; anything else fails.',
}, async (ctx) => {
  await cc.expectRefusal(ctx);
}));

Then('the IUT never accepts or answers the further connection', step({
  does: 'Watches the further connection (refusal option c).',
  checks: 'E37-9.2.4.1 option c: it is never accepted or answered; fail otherwise.',
}, async (ctx) => {
  await cc.expectRefusal(ctx);
}));

Then('the first session still answers Linktest.req and data', step({
  does: 'Sends Linktest.req and a data primary on the first connection.',
  checks: 'E37-9.2.4: both are answered and the connection is open; fail otherwise.',
}, async (ctx) => {
  await cc.expectSessionIntact(ctx);
}));

Then('the first session stays SELECTED while the second connection outlives T7', step({
  does: 'Keeps the first connection busy with Linktests while the second sits NOT SELECTED past its T7.',
  checks: 'E37-9.2.4: the first stays open and SELECTED; fail otherwise (the second\'s close is reported, judged under E37-9.2.2).',
}, async (ctx) => {
  await cc.expectSecondTimesOutAlone(ctx);
}));
