import { Given, Then, When } from '@cucumber/cucumber';
import { SType } from '../src/protocol/constants';
import * as pc from '../src/harness/procedure-checks';
import { expectLeftSelected } from '../src/harness/state-checks';
import { step } from './step';

// ---- sending (E37 7 and 8) ------------------------------------------------------------------

When('the tester sends a message with PType {int} and SType {int} and session id {word}', step({
  does: 'Sends a header-only message with the given PType, SType and session id (decimal or 0x hex).',
}, async (ctx, pType: number, sType: number, id: string) => {
  pc.sendWithSessionId(ctx, pType, sType, id);
}));

When('the tester sends Linktest.req with system bytes {word}', step({
  does: 'Sends Linktest.req with the given system bytes (E37-8.1.4.6 allows any 32-bit value).',
}, async (ctx, sys: string) => {
  pc.sendLinktestWithSystemBytes(ctx, sys);
}));

When('the tester sends Linktest.req one byte at a time', step({
  does: 'Sends Linktest.req one byte per TCP write, well within T8, so even the length prefix arrives split (E37-8.1.2).',
}, async (ctx) => {
  await pc.sendByteByByte(ctx, 'Linktest.req');
}));

When('the tester sends Select.req and S1F1 W in one TCP segment', step({
  does: 'Writes Select.req and S1F1 W together in one TCP write (E37-8.1.2).',
}, async (ctx) => {
  pc.sendInOneSegment(ctx, ['Select.req', 'S1F1 W']);
}));

When('the tester sends three Linktest.req in one TCP segment', step({
  does: 'Writes three Linktest.req together in one TCP write (E37-8.1.2).',
}, async (ctx) => {
  pc.sendInOneSegment(ctx, ['Linktest.req', 'Linktest.req', 'Linktest.req']);
}));

When('the tester sends a message length of {int} followed by that many bytes', step({
  does: 'Sends a length prefix below 10 (E37-8.1.3: too short for a header) and that many bytes after it.',
}, async (ctx, length: number) => {
  pc.sendBadLength(ctx, length);
}));

When('the tester sends a message length above the IUT\'s declared maximum', step({
  does: 'Sends a length prefix above the profile\'s capabilities.maxMessageLength, then a header only.',
}, async (ctx) => {
  pc.sendBadLength(ctx, 'above-max');
}));

// ---- the IUT initiates --------------------------------------------------------------------------

When('the tester makes the IUT send {word}', step({
  does: 'Makes the IUT initiate Linktest.req, Deselect.req or Separate.req (through the profile\'s control) and waits for it; the tester does not answer it.',
  checks: 'The IUT sends it within a bounded wait; fail otherwise.',
}, async (ctx, kind: string) => {
  await ctx.commandIut(kind);
}));

When('the tester makes the IUT send S{int}F{int} W', step({
  does: 'Makes the IUT send the primary SxFy W (through the profile\'s control) and waits for it; the tester does not answer it.',
  checks: 'The IUT sends it within a bounded wait; fail otherwise.',
}, async (ctx, s: number, fn: number) => {
  await ctx.commandIut(`S${s}F${fn} W`);
}));

When('the tester answers the Linktest.req with Linktest.rsp', step({
  does: 'Answers the IUT\'s last Linktest.req with a Linktest.rsp (E37-7.5.2).',
}, async (ctx) => {
  pc.answerIutLinktest(ctx);
}));

When('the tester answers the IUT\'s request with a Reject.req', step({
  does: 'Answers the IUT\'s last request with Reject.req reason 1 (byte 2 its SType) instead of the response.',
}, async (ctx) => {
  pc.rejectIutRequest(ctx);
}));

When('the tester answers the Deselect.req with status {int}', step({
  does: 'Answers the IUT\'s last Deselect.req with a Deselect.rsp of that status.',
}, async (ctx, status: number) => {
  ctx.answerLastRequest(status);
}));

Given('the IUT has rejected a message with an unknown SType', step({
  does: 'Sends a message with an undefined SType and waits for the IUT\'s Reject.req.',
  checks: 'A precondition: the IUT rejects it; inconclusive otherwise.',
}, async (ctx) => {
  await pc.rejectedUnknownSType(ctx);
}));

// ---- section 7 judgments -------------------------------------------------------------------------

Then('the IUT rejects the data message instead of answering it', step({
  does: 'Waits for the IUT\'s answer to a data primary sent in NOT SELECTED.',
  checks: 'E37-7.3: a Reject.req (any reason) passes; a reply fails; under HSMS-SS a close passes too.',
}, async (ctx) => {
  await pc.expectDataRejectedNotAnswered(ctx);
}));

Then('the Reject.req it draws gives reason {int}', step({
  does: 'Reads the reason of the Reject.req the last message drew.',
  checks: 'E37-7.7.2: that reason code; another reason fails; no Reject at all is judged under E37-7.3 (inconclusive here).',
}, async (ctx, reason: number) => {
  await pc.expectRejectReasonOnly(ctx, [reason], 'E37-7.3');
}));

Then('the IUT answers the primary with a data message', step({
  does: 'Waits for the IUT\'s answer to a primary with the W-bit sent in SELECTED.',
  checks: 'E37-7.3: a data message answers it; a Reject.req or silence fails (matching is E37-9.4.1\'s business).',
}, async (ctx) => {
  await pc.expectDataAnswered(ctx);
}));

Then('the IUT accepts the Deselect.req with status 0 and leaves SELECTED, or refuses it and stays SELECTED', step({
  does: 'Waits for the Deselect.rsp and probes the session state after it.',
  checks: 'E37-7.4.2: status 0 and NOT SELECTED, or a refusal (status 2 or higher) and still SELECTED; status 1 in SELECTED or a mismatched state fails.',
}, async (ctx) => {
  await pc.expectDeselectInSelected(ctx);
}));

Then('the IUT refuses the Deselect.req with a non-zero status, 1 by definition', step({
  does: 'Waits for the answer to a Deselect.req sent in NOT SELECTED.',
  checks: 'E37-7.4.2 step 3: a Deselect.rsp with status 1 passes, another non-zero status is WARN; status 0 or a Reject fails.',
}, async (ctx) => {
  await pc.expectDeselectNotSelected(ctx);
}));

Then('the IUT is not selected or has closed the connection', step({
  does: 'Probes the session state with a data message; a served message is compared with a new connection.',
  checks: 'The session has ended: Reject reason 4, or the connection closed; a message served here but not on a new connection fails.',
}, async (ctx) => {
  await expectLeftSelected(ctx);
}));

Then('the IUT does not answer the Separate.req', step({
  does: 'Waits T6 for any answer to the Separate.req.',
  checks: 'E37-7.6.2: no answer; any message fails; closing the connection passes.',
}, async (ctx) => {
  await pc.expectNoAnswer(ctx, 'Separate.req', 'pass');
}));

Then('the IUT takes the Deselect.rsp for its own request without answering it', step({
  does: 'Waits T6 after the tester\'s Deselect.rsp to the IUT\'s own Deselect.req.',
  checks: 'No answer; any message fails; closing passes (NOT SELECTED now, E37-5.3 transition 5, E37-6.4).',
}, async (ctx) => {
  // NOT SELECTED now: closing the connection is allowed (E37-5.3 transition 5, E37-6.4).
  await pc.expectNoAnswer(ctx, 'the Deselect.rsp to its own Deselect.req', 'pass');
}));

Then('the IUT ignores the Separate.req', step({
  does: 'Waits T6 after a Separate.req sent in NOT SELECTED.',
  checks: 'E37-7.6.2: no answer (any message fails); closing is WARN under e37 and correct under HSMS-SS (NOTES.md).',
}, async (ctx) => {
  await pc.expectSeparateIgnored(ctx);
}));

Then('the IUT does not answer the Reject.req', step({
  does: 'Waits T6 after the tester\'s Reject.req.',
  checks: 'E37-7.7.1: no answer; any message fails; closing passes (the reaction to a Reject is local).',
}, async (ctx) => {
  // E37-7.7.1: what the receiver of a Reject does is local; closing is one such action.
  await pc.expectNoAnswer(ctx, 'Reject.req', 'pass');
}));

// ---- section 8 judgments -------------------------------------------------------------------------

Then('the IUT answers the Select.req and then replies to the data message behind it', step({
  does: 'Waits for the answers to Select.req and S1F1 W sent in one segment.',
  checks: 'E37-8.1.2: Select.rsp status 0, then the reply to S1F1 (not Reject reason 4, not silence); fail otherwise.',
}, async (ctx) => {
  await pc.expectSelectThenReply(ctx);
}));

Then('the IUT answers each Linktest.req with its own Linktest.rsp', step({
  does: 'Waits for the answers to the Linktest.req sent in one segment.',
  checks: 'E37-8.1.2: one Linktest.rsp per request, each with its system bytes; fail otherwise.',
}, async (ctx) => {
  await pc.expectEachLinktestAnswered(ctx);
}));

Then('the IUT never answers the malformed message, should close the connection and still serves a new one', step({
  does: 'Watches the connection after a malformed length, then opens a new connection.',
  checks: 'E37-8.1.3 with NOTES.md: answering it as valid fails; not closing is WARN; not serving a new connection fails.',
}, async (ctx) => {
  await pc.expectBadLengthHandled(ctx);
}));

Then('the Reject.req echoes the session id of the rejected message', step({
  does: 'Reads the IUT\'s answer to the last message.',
  checks: 'E37-8.1.4.1: a Reject.req carries the rejected message\'s session id; fail otherwise (no Reject: inconclusive, judged under E37-7.7.2).',
}, async (ctx) => {
  await pc.expectRejectEchoes(ctx, 'sessionId');
}));

Then('the IUT\'s Reject.req, due under {word}, has the header E37-8.2.8 defines for the rejected message', step({
  does: 'Reads the Reject.req the last message drew; the word names the standard (e37, hsms-ss) under which a Reject is due, or none.',
  checks: 'E37-8.2.8: session id, system bytes, byte 2 and PType as defined; fail otherwise. No Reject: fail where one is due under the profile\'s standard, inconclusive otherwise.',
}, async (ctx, due: string) => {
  await pc.expectRejectFormat(ctx, due === 'none' ? [] : [due]);
}));

Then('the IUT\'s reply has SType 0, PType 0 and the W-bit clear', step({
  does: 'Reads the IUT\'s reply to the last primary.',
  checks: 'E37-8.2.1: SType 0 and PType 0 (fail otherwise), W-bit clear (WARN otherwise).',
}, async (ctx) => {
  await pc.expectReplyFormat(ctx);
}));

Then('the IUT answers with a Deselect.rsp', step({
  does: 'Waits (T6 + tolerance) for the next message.',
  checks: 'It is a Deselect.rsp; anything else fails.',
}, async (ctx) => {
  await ctx.expectResponse(SType.DeselectRsp);
}));

Then('the IUT\'s {word} has the header E37-8.2 defines for it', step({
  does: 'Reads the control request the IUT sent (Select.req, Deselect.req, Linktest.req, Separate.req).',
  checks: 'E37-8.2.2 to 8.2.9: session id, bytes 2 and 3, PType and SType as defined, no text; fail otherwise.',
}, async (ctx, kind: string) => {
  pc.checkIutControlRequest(ctx, kind);
}));

Then('the IUT\'s S{int}F{int} W has the header E37-8.2.1 defines', step({
  does: 'Reads the primary the IUT sent.',
  checks: 'E37-8.2.1: SType 0, PType 0, W-bit set, stream in bits 6-0 of byte 2, function in byte 3; fail otherwise.',
}, async (ctx, s: number, fn: number) => {
  pc.checkIutPrimary(ctx, s, fn);
}));

Then('the IUT\'s data message carries the session id of its session', step({
  does: 'Reads the data message the IUT sent.',
  checks: 'E37-8.1.4.1: its session id is the profile\'s sessionId; fail otherwise.',
}, async (ctx) => {
  pc.checkIutDataSessionId(ctx);
}));

Then('the IUT\'s last two {word} carry different system bytes', step({
  does: 'Compares the last two requests of that kind the IUT sent.',
  checks: 'E37-8.1.4.6: their system bytes differ; fail otherwise.',
}, async (ctx, kind: string) => {
  pc.checkDistinctSystemBytes(ctx, kind);
}));
