import { Given, Then, When } from '@cucumber/cucumber';
import * as tx from '../src/harness/transaction-checks';
import { step } from './step';

// ---- the IUT's own requests (9.3, 9.4.1.1, E37.1) -----------------------------------------------

When('the IUT is made to send Linktest.req and the tester holds the response', step({
  does: 'Makes the IUT send Linktest.req (through control) and leaves it unanswered.',
  checks: 'The IUT sends it; inconclusive otherwise.',
}, async (ctx) => {
  await tx.makeIutSend(ctx, 'Linktest.req');
}));

When('the IUT is made to send S1F1 W and the tester holds the reply', step({
  does: 'Makes the IUT send S1F1 W (through control) and leaves it unanswered.',
  checks: 'The IUT sends it; inconclusive otherwise.',
}, async (ctx) => {
  await tx.makeIutSend(ctx, 'S1F1 W');
}));

When('the IUT is made to send Deselect.req and the tester holds the response', step({
  does: 'Makes the IUT send Deselect.req (through control) and leaves it unanswered.',
  checks: 'The IUT sends it; inconclusive otherwise.',
}, async (ctx) => {
  await tx.makeIutSend(ctx, 'Deselect.req');
}));

When('the IUT is made to send Separate.req', step({
  does: 'Makes the IUT send Separate.req (through control).',
  checks: 'The IUT sends it; inconclusive otherwise.',
}, async (ctx) => {
  await tx.makeIutSend(ctx, 'Separate.req');
}));

Given('a connection from the IUT whose Select.req the tester holds', step({
  does: 'Accepts an active IUT\'s connection and leaves its Select.req unanswered.',
  checks: 'A precondition: the IUT connects and sends Select.req.',
}, async (ctx) => {
  await tx.holdIutSelect(ctx);
}));

When("the tester now answers the IUT's open request", step({
  does: 'Sends the response to the held request and turns the tester\'s automatic answers back on.',
}, (ctx) => {
  tx.answerHeld(ctx);
}));

When("the tester answers the IUT's request after T6", step({
  does: 'Sends the held request\'s response once T6 + tolerance has passed, if the IUT kept the connection.',
}, async (ctx) => {
  await tx.answerHeldLate(ctx, 6);
}));

When("the tester sends the reply to the IUT's primary after T3", step({
  does: 'Sends the reply to the held primary once T3 + tolerance has passed, if the IUT kept the connection.',
}, async (ctx) => {
  await tx.answerHeldLate(ctx, 3);
}));

// ---- 9.3 control transactions -----------------------------------------------------------------

Then('the IUT closes the connection T6 after its unanswered request', step({
  does: 'Waits for the IUT to give up its unanswered control transaction.',
  checks: 'E37-9.3.1: a close after T6 passes; keeping the connection is WARN; closing before T6 - tolerance fails.',
}, async (ctx) => {
  await tx.expectCloseAfterT6(ctx);
}));

Then('the IUT rejects the late response with reason 3 if it kept the connection', step({
  does: 'Waits for the IUT\'s answer to the late response.',
  checks: 'E37-9.3.1 with 8.2.8: Reject.req reason 3 (Transaction Not Open); fail otherwise.',
}, async (ctx) => {
  await tx.expectLateResponseRejected(ctx);
}));

Then("the IUT handles the tester's message as usual", step({
  does: 'Waits for the answer to the tester\'s message sent while the IUT\'s own request is open.',
  checks: 'E37-9.3.2: answered as usual; fail otherwise.',
}, async (ctx) => {
  await tx.expectHandledAsUsual(ctx);
}));

When('the tester provokes control messages from the IUT', step({
  does: 'Elicits Linktest.rsp, Select.rsp and a Reject.req (for SType 11) from the IUT.',
}, async (ctx) => {
  await tx.provokeControlMessages(ctx);
}));

Then('every control message the IUT sent has PType 0 and no text', step({
  does: 'Reads every control message the IUT sent on the connection.',
  checks: 'E37-9.3.3: PType 0 and no text; fail otherwise.',
}, (ctx) => {
  tx.checkControlMessagesFormat(ctx);
}));

When('the tester sends {word} carrying message text', step({
  does: 'Sends the control message with two bytes of text (a SECS-II empty list).',
}, (ctx, kind: string) => {
  tx.sendControlWithText(ctx, kind);
}));

Then('the IUT does not answer it as valid and closes the connection', step({
  does: 'Watches the connection after a control message with text.',
  checks: 'E37-9.3.3 with NOTES.md: answering it as valid fails; not closing (or a Reject) is WARN.',
}, async (ctx) => {
  await tx.expectControlTextRefused(ctx);
}));

Then('the IUT still accepts and answers a new connection', step({
  does: 'Opens (passive) or waits for (active) a new connection and a Select.req on it.',
  checks: 'The IUT keeps serving: a passive IUT answers Select.req (any status), an active one connects and sends Select.req; fail otherwise.',
}, async (ctx) => {
  await tx.expectNewSession(ctx);
}));

// ---- 9.4 SECS-II ------------------------------------------------------------------------------

Then('the IUT replies with a reply that matches the primary', step({
  does: 'Waits for the reply to the tester\'s last primary.',
  checks: 'E37-9.4.1: same session id, stream and system bytes (fail otherwise); function + 1 or 0 and the W-bit clear (WARN otherwise).',
}, async (ctx) => {
  await tx.expectMatchingReply(ctx);
}));

When('the tester sends S1F1 W with session id {word}', step({
  does: 'Sends S1F1 W carrying the given 16-bit session id (decimal or 0x hex).',
}, (ctx, id: string) => {
  tx.sendPrimaryWithSessionId(ctx, Number(id));
}));

Then('the IUT replies with the whole session id or reports an unknown device with S9F1', step({
  does: 'Waits for the answer to the primary with the unusual session id.',
  checks: 'E37-9.4.1: a reply carrying the whole 16-bit session id, or S9F1 (unknown device); fail otherwise.',
}, async (ctx) => {
  await tx.expectReplyOrUnknownDevice(ctx);
}));

Then('the IUT sends no reply to the primary without the W-bit', step({
  does: 'Waits T6 after a primary without the W-bit.',
  checks: 'No reply; a reply is WARN.',
}, async (ctx) => {
  await tx.expectNoReplyWithoutWBit(ctx);
}));

Then('the IUT does not take the late reply for the reply to its primary', step({
  does: 'Watches the IUT after the reply sent past T3.',
  checks: 'E37-9.4.1.1: it is ignored, or draws S9F9 or a Reject; treating it as a live reply fails; closing is WARN under e37.',
}, async (ctx) => {
  await tx.expectLateReplyNotMatched(ctx);
}));

Then('the IUT kept the connection through the T3 timeout', step({
  does: 'Checks the connection after the T3 timeout and the late reply.',
  checks: 'E37.1-t3-no-close: still open; a close fails.',
}, async (ctx) => {
  await tx.expectKeptThroughT3(ctx);
}));

When('the tester sends data messages equipment reports in stream 9', step({
  does: 'Sends primaries with an unknown stream, an unknown function and an unknown device id.',
}, async (ctx) => {
  await tx.provokeStream9(ctx);
}));

Then('every S9 message the IUT sent carries the HSMS header of the offending message', step({
  does: 'Reads every stream 9 message the IUT sent.',
  checks: 'E37-9.4.2: MHEAD (SHEAD for S9F9) holds the 10 header bytes (WARN otherwise); no S9 at all is not applicable.',
}, (ctx) => {
  tx.checkStream9Headers(ctx);
}));

// ---- 10 documentation -------------------------------------------------------------------------

Given('the profile of the IUT', step({
  does: 'Nothing: the scenario reads the profile, the IUT\'s documentation (E37-10).',
}, () => undefined));

Then('the profile declares the refusal option for further connections', step({
  does: 'Reads capabilities.refusal.',
  checks: 'E37-10 item 3: a single-connection passive IUT declares it; fail otherwise.',
}, (ctx) => {
  tx.checkRefusalDocumented(ctx);
}));

Then('the profile declares the largest message the IUT can receive', step({
  does: 'Reads capabilities.maxMessageLength.',
  checks: 'E37-10 item 4: declared; fail otherwise.',
}, (ctx) => {
  tx.checkMaxLengthDocumented(ctx);
}));

Then('the declared T{int} covers the E37-10.1 minimum range', step({
  does: 'Reads the declared timer.',
  checks: 'E37-10.1: a value outside the minimum range is reported; a wider range passes.',
}, (ctx, timer: number) => {
  tx.checkTimerRange(ctx, timer);
}));

// ---- HSMS-SS (E37.1) --------------------------------------------------------------------------

Then('the IUT answers with a control message', step({
  does: 'Waits for the IUT\'s control answer to the last message.',
  checks: 'A control message arrives; fail otherwise.',
}, async (ctx) => {
  await tx.expectControlAnswer(ctx);
}));

Then('every control message the IUT sent carries session id 0xFFFF', step({
  does: 'Reads every control message the IUT sent on the connection.',
  checks: 'E37.1-control-session-id: session id 0xFFFF; fail otherwise.',
}, (ctx) => {
  tx.checkControlSessionIds(ctx);
}));

Then('the IUT answers the Deselect.req with Deselect.rsp or rejects it with reason 1', step({
  does: 'Waits for the answer to Deselect.req.',
  checks: 'E37.1-deselect-not-used: Deselect.rsp or Reject.req reason 1; fail otherwise.',
}, async (ctx) => {
  await tx.expectDeselectAnsweredOrRejected(ctx);
}));

Then("the IUT's Linktest.req came while the connection was SELECTED", step({
  does: 'Checks the session is still up after the IUT\'s Linktest.req.',
  checks: 'E37.1-linktest-selected-only: it came in SELECTED; fail otherwise.',
}, async (ctx) => {
  await tx.expectLinktestWhileSelected(ctx);
}));

Then('the IUT sends no Linktest.req while the connection is NOT SELECTED', step({
  does: 'Watches a NOT SELECTED connection until T7 closes it.',
  checks: 'E37.1-linktest-selected-only: no Linktest.req from the IUT; fail otherwise.',
}, async (ctx) => {
  await tx.expectNoLinktestNotSelected(ctx);
}));

When('the tester sends Select.req on a second connection', step({
  does: 'Opens a second connection, sends Select.req there and records what happens.',
}, async (ctx) => {
  await tx.selectOnSecondConnection(ctx);
}));

Then('the second connection gets no HSMS session', step({
  does: 'Reads what the second connection\'s Select.req drew.',
  checks: 'E37.1-single-session: no session (Select.rsp status 0 fails).',
}, (ctx) => {
  tx.expectNoSecondSession(ctx);
}));

Then('the IUT closes the connection or answers the message as E37 prescribes', step({
  does: 'Watches the IUT\'s reaction to a non-Select message in NOT SELECTED.',
  checks: 'E37.1-not-selected-failure: a close, or the E37 answer (Linktest.rsp, a Reject for data) passes; a reply to data fails; silence is WARN.',
}, async (ctx) => {
  await tx.expectNotSelectedHandling(ctx);
}));
