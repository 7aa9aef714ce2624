import { Given, Then, When } from '@cucumber/cucumber';
import { SType } from '../src/protocol/constants';
import * as pc from '../src/harness/procedure-checks';
import { expectLeftSelected } from '../src/harness/state-checks';
import { step } from './step';

// ---- sending (E37 7 and 8) ------------------------------------------------------------------

When('the tester sends a message with PType {int} and SType {int} and session id {word}', step(async (ctx, pType: number, sType: number, id: string) => {
  pc.sendWithSessionId(ctx, pType, sType, id);
}));

When('the tester sends Linktest.req with system bytes {word}', step(async (ctx, sys: string) => {
  pc.sendLinktestWithSystemBytes(ctx, sys);
}));

When('the tester sends Linktest.req one byte at a time', step(async (ctx) => {
  await pc.sendByteByByte(ctx, 'Linktest.req');
}));

When('the tester sends Select.req and S1F1 W in one TCP segment', step(async (ctx) => {
  pc.sendInOneSegment(ctx, ['Select.req', 'S1F1 W']);
}));

When('the tester sends three Linktest.req in one TCP segment', step(async (ctx) => {
  pc.sendInOneSegment(ctx, ['Linktest.req', 'Linktest.req', 'Linktest.req']);
}));

When('the tester sends a message length of {int} followed by that many bytes', step(async (ctx, length: number) => {
  pc.sendBadLength(ctx, length);
}));

When('the tester sends a message length above the IUT\'s declared maximum', step(async (ctx) => {
  pc.sendBadLength(ctx, 'above-max');
}));

// ---- the IUT initiates --------------------------------------------------------------------------

When('the tester makes the IUT send {word}', step(async (ctx, kind: string) => {
  await ctx.commandIut(kind);
}));

When('the tester makes the IUT send S{int}F{int} W', step(async (ctx, s: number, fn: number) => {
  await ctx.commandIut(`S${s}F${fn} W`);
}));

When('the tester answers the Linktest.req with Linktest.rsp', step(async (ctx) => {
  pc.answerIutLinktest(ctx);
}));

When('the tester answers the IUT\'s request with a Reject.req', step(async (ctx) => {
  pc.rejectIutRequest(ctx);
}));

When('the tester answers the Deselect.req with status {int}', step(async (ctx, status: number) => {
  ctx.answerLastRequest(status);
}));

Given('the IUT has rejected a message with an unknown SType', step(async (ctx) => {
  await pc.rejectedUnknownSType(ctx);
}));

// ---- section 7 judgments -------------------------------------------------------------------------

Then('the IUT rejects the data message instead of answering it', step(async (ctx) => {
  await pc.expectDataRejectedNotAnswered(ctx);
}));

Then('the Reject.req it draws gives reason {int}', step(async (ctx, reason: number) => {
  await pc.expectRejectReasonOnly(ctx, [reason], 'E37-7.3');
}));

Then('the IUT answers the primary with a data message', step(async (ctx) => {
  await pc.expectDataAnswered(ctx);
}));

Then('the IUT accepts the Deselect.req with status 0 and leaves SELECTED, or refuses it and stays SELECTED', step(async (ctx) => {
  await pc.expectDeselectInSelected(ctx);
}));

Then('the IUT refuses the Deselect.req with a non-zero status, 1 by definition', step(async (ctx) => {
  await pc.expectDeselectNotSelected(ctx);
}));

Then('the IUT is not selected or has closed the connection', step(async (ctx) => {
  await expectLeftSelected(ctx);
}));

Then('the IUT does not answer the Separate.req', step(async (ctx) => {
  await pc.expectNoAnswer(ctx, 'Separate.req', 'pass');
}));

Then('the IUT takes the Deselect.rsp for its own request without answering it', step(async (ctx) => {
  // NOT SELECTED now: closing the connection is allowed (E37-5.3 transition 5, E37-6.4).
  await pc.expectNoAnswer(ctx, 'the Deselect.rsp to its own Deselect.req', 'pass');
}));

Then('the IUT ignores the Separate.req', step(async (ctx) => {
  await pc.expectSeparateIgnored(ctx);
}));

Then('the IUT does not answer the Reject.req', step(async (ctx) => {
  // E37-7.7.1: what the receiver of a Reject does is local; closing is one such action.
  await pc.expectNoAnswer(ctx, 'Reject.req', 'pass');
}));

// ---- section 8 judgments -------------------------------------------------------------------------

Then('the IUT answers the Select.req and then replies to the data message behind it', step(async (ctx) => {
  await pc.expectSelectThenReply(ctx);
}));

Then('the IUT answers each Linktest.req with its own Linktest.rsp', step(async (ctx) => {
  await pc.expectEachLinktestAnswered(ctx);
}));

Then('the IUT never answers the malformed message, should close the connection and still serves a new one', step(async (ctx) => {
  await pc.expectBadLengthHandled(ctx);
}));

Then('the Reject.req echoes the session id of the rejected message', step(async (ctx) => {
  await pc.expectRejectEchoes(ctx, 'sessionId');
}));

Then('the IUT\'s Reject.req, due under {word}, has the header E37-8.2.8 defines for the rejected message', step(async (ctx, due: string) => {
  await pc.expectRejectFormat(ctx, due === 'none' ? [] : [due]);
}));

Then('the IUT\'s reply has SType 0, PType 0 and the W-bit clear', step(async (ctx) => {
  await pc.expectReplyFormat(ctx);
}));

Then('the IUT answers with a Deselect.rsp', step(async (ctx) => {
  await ctx.expectResponse(SType.DeselectRsp);
}));

Then('the IUT\'s {word} has the header E37-8.2 defines for it', step(async (ctx, kind: string) => {
  pc.checkIutControlRequest(ctx, kind);
}));

Then('the IUT\'s S{int}F{int} W has the header E37-8.2.1 defines', step(async (ctx, s: number, fn: number) => {
  pc.checkIutPrimary(ctx, s, fn);
}));

Then('the IUT\'s data message carries the session id of its session', step(async (ctx) => {
  pc.checkIutDataSessionId(ctx);
}));

Then('the IUT\'s last two {word} carry different system bytes', step(async (ctx, kind: string) => {
  pc.checkDistinctSystemBytes(ctx, kind);
}));
