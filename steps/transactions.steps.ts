import { Given, Then, When } from '@cucumber/cucumber';
import * as tx from '../src/harness/transaction-checks';
import { step } from './step';

// ---- the IUT's own requests (9.3, 9.4.1.1, E37.1) -----------------------------------------------

When('the IUT is made to send Linktest.req and the tester holds the response', step(async (ctx) => {
  await tx.makeIutSend(ctx, 'Linktest.req');
}));

When('the IUT is made to send S1F1 W and the tester holds the reply', step(async (ctx) => {
  await tx.makeIutSend(ctx, 'S1F1 W');
}));

When('the IUT is made to send Deselect.req and the tester holds the response', step(async (ctx) => {
  await tx.makeIutSend(ctx, 'Deselect.req');
}));

When('the IUT is made to send Separate.req', step(async (ctx) => {
  await tx.makeIutSend(ctx, 'Separate.req');
}));

Given('a connection from the IUT whose Select.req the tester holds', step(async (ctx) => {
  await tx.holdIutSelect(ctx);
}));

When("the tester now answers the IUT's open request", step((ctx) => {
  tx.answerHeld(ctx);
}));

When("the tester answers the IUT's request after T6", step(async (ctx) => {
  await tx.answerHeldLate(ctx, 6);
}));

When("the tester sends the reply to the IUT's primary after T3", step(async (ctx) => {
  await tx.answerHeldLate(ctx, 3);
}));

// ---- 9.3 control transactions -----------------------------------------------------------------

Then('the IUT closes the connection T6 after its unanswered request', step(async (ctx) => {
  await tx.expectCloseAfterT6(ctx);
}));

Then('the IUT rejects the late response with reason 3 if it kept the connection', step(async (ctx) => {
  await tx.expectLateResponseRejected(ctx);
}));

Then("the IUT handles the tester's message as usual", step(async (ctx) => {
  await tx.expectHandledAsUsual(ctx);
}));

When('the tester provokes control messages from the IUT', step(async (ctx) => {
  await tx.provokeControlMessages(ctx);
}));

Then('every control message the IUT sent has PType 0 and no text', step((ctx) => {
  tx.checkControlMessagesFormat(ctx);
}));

When('the tester sends {word} carrying message text', step((ctx, kind: string) => {
  tx.sendControlWithText(ctx, kind);
}));

Then('the IUT does not answer it as valid and closes the connection', step(async (ctx) => {
  await tx.expectControlTextRefused(ctx);
}));

Then('the IUT still accepts and answers a new connection', step(async (ctx) => {
  await tx.expectNewSession(ctx);
}));

// ---- 9.4 SECS-II ------------------------------------------------------------------------------

Then('the IUT replies with a reply that matches the primary', step(async (ctx) => {
  await tx.expectMatchingReply(ctx);
}));

When('the tester sends S1F1 W with session id {word}', step((ctx, id: string) => {
  tx.sendPrimaryWithSessionId(ctx, Number(id));
}));

Then('the IUT replies with the whole session id or reports an unknown device with S9F1', step(async (ctx) => {
  await tx.expectReplyOrUnknownDevice(ctx);
}));

Then('the IUT sends no reply to the primary without the W-bit', step(async (ctx) => {
  await tx.expectNoReplyWithoutWBit(ctx);
}));

Then('the IUT does not take the late reply for the reply to its primary', step(async (ctx) => {
  await tx.expectLateReplyNotMatched(ctx);
}));

Then('the IUT kept the connection through the T3 timeout', step(async (ctx) => {
  await tx.expectKeptThroughT3(ctx);
}));

When('the tester sends data messages equipment reports in stream 9', step(async (ctx) => {
  await tx.provokeStream9(ctx);
}));

Then('every S9 message the IUT sent carries the HSMS header of the offending message', step((ctx) => {
  tx.checkStream9Headers(ctx);
}));

// ---- 10 documentation -------------------------------------------------------------------------

Given('the profile of the IUT', step(() => undefined));

Then('the profile declares the refusal option for further connections', step((ctx) => {
  tx.checkRefusalDocumented(ctx);
}));

Then('the profile declares the largest message the IUT can receive', step((ctx) => {
  tx.checkMaxLengthDocumented(ctx);
}));

Then('the declared T{int} covers the E37-10.1 minimum range', step((ctx, timer: number) => {
  tx.checkTimerRange(ctx, timer);
}));

// ---- HSMS-SS (E37.1) --------------------------------------------------------------------------

Then('the IUT answers with a control message', step(async (ctx) => {
  await tx.expectControlAnswer(ctx);
}));

Then('every control message the IUT sent carries session id 0xFFFF', step((ctx) => {
  tx.checkControlSessionIds(ctx);
}));

Then('the IUT answers the Deselect.req with Deselect.rsp or rejects it with reason 1', step(async (ctx) => {
  await tx.expectDeselectAnsweredOrRejected(ctx);
}));

Then("the IUT's Linktest.req came while the connection was SELECTED", step(async (ctx) => {
  await tx.expectLinktestWhileSelected(ctx);
}));

Then('the IUT sends no Linktest.req while the connection is NOT SELECTED', step(async (ctx) => {
  await tx.expectNoLinktestNotSelected(ctx);
}));

When('the tester sends Select.req on a second connection', step(async (ctx) => {
  await tx.selectOnSecondConnection(ctx);
}));

Then('the second connection gets no HSMS session', step((ctx) => {
  tx.expectNoSecondSession(ctx);
}));

Then('the IUT closes the connection or answers the message as E37 prescribes', step(async (ctx) => {
  await tx.expectNotSelectedHandling(ctx);
}));
