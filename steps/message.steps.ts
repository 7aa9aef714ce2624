import { Then, When } from '@cucumber/cucumber';
import { SType } from '../src/protocol/constants';
import { step } from './step';

When('the tester sends {word}', step({
  does: 'Sends the named message with fresh system bytes: a control message (Select.req, Deselect.req, Linktest.req, Separate.req, their .rsp, Reject.req) or a data primary (S1F1).',
}, async (ctx, kind: string) => {
  ctx.send(ctx.build(kind));
}));

When('the tester sends {word} {word}', step({
  does: 'Sends a data primary with a flag, e.g. `S1F1 W` (W-bit set), with fresh system bytes and no text.',
}, async (ctx, kind: string, flag: string) => {
  ctx.send(ctx.build(`${kind} ${flag}`));
}));

When('the tester sends Select.req with session id {word}', step({
  does: 'Sends Select.req carrying the given session id (decimal or 0x hex) instead of the profile\'s.',
}, async (ctx, id: string) => {
  const f = ctx.build('Select.req');
  ctx.send({ header: { ...f.header, sessionId: Number(id) }, text: f.text });
}));

When('the tester sends a message with PType {int} and SType {int}', step({
  does: 'Sends a header-only message with the given PType and SType (E37-8.2: undefined values draw a Reject).',
}, async (ctx, pType: number, sType: number) => {
  const f = ctx.build('Linktest.req');
  ctx.send({ header: { ...f.header, sessionId: ctx.controlSessionId, pType, sType }, text: f.text });
}));

When('the tester sends a data message S{int}F{int} with PType {int}', step({
  does: 'Sends the data primary SxFy W with the given PType in its header.',
}, async (ctx, s: number, fn: number, pType: number) => {
  const f = ctx.build(`S${s}F${fn} W`);
  ctx.send({ header: { ...f.header, pType }, text: f.text });
}));

Then('the IUT answers with Select.rsp status {int}', step({
  does: 'Waits (T6 + tolerance) for the next message.',
  checks: 'It is a Select.rsp with that status; anything else, silence or a close fails.',
}, async (ctx, status: number) => {
  const rsp = await ctx.expectResponse(SType.SelectRsp);
  if (rsp.header.byte3 !== status) ctx.fail(`Select.rsp status ${rsp.header.byte3}, expected ${status}`);
}));

Then('the IUT answers with Select.rsp status {int} or {int}', step({
  does: 'Waits (T6 + tolerance) for the next message.',
  checks: 'It is a Select.rsp with one of the two statuses; anything else fails.',
}, async (ctx, a: number, b: number) => {
  const rsp = await ctx.expectResponse(SType.SelectRsp);
  if (rsp.header.byte3 !== a && rsp.header.byte3 !== b) ctx.fail(`Select.rsp status ${rsp.header.byte3}, expected ${a} or ${b}`);
}));

Then('the IUT answers with a non-zero Select.rsp status', step({
  does: 'Waits (T6 + tolerance) for the next message.',
  checks: 'It is a Select.rsp refusing the select (status other than 0); status 0 or anything else fails.',
}, async (ctx) => {
  const rsp = await ctx.expectResponse(SType.SelectRsp);
  if (rsp.header.byte3 === 0) ctx.fail('Select.rsp status 0: the IUT accepted a select it should have refused');
}));

Then('the IUT answers with Deselect.rsp status {int}', step({
  does: 'Waits (T6 + tolerance) for the next message.',
  checks: 'It is a Deselect.rsp with that status; anything else fails.',
}, async (ctx, status: number) => {
  const rsp = await ctx.expectResponse(SType.DeselectRsp);
  if (rsp.header.byte3 !== status) ctx.fail(`Deselect.rsp status ${rsp.header.byte3}, expected ${status}`);
}));

Then('the IUT answers with Linktest.rsp', step({
  does: 'Waits (T6 + tolerance) for the next message.',
  checks: 'It is a Linktest.rsp (PType 0); a Reject, another message, silence or a close fails.',
}, async (ctx) => {
  await ctx.expectResponse(SType.LinktestRsp);
}));

Then('the response echoes the system bytes of the request', step({
  does: 'Compares the last response with the last request the tester sent.',
  checks: 'E37-8.1.4.6: the system bytes are equal; fail otherwise.',
}, async (ctx) => {
  ctx.checkEcho(ctx.lastSentFrame().header, ctx.lastResponse().header, 'systemBytes');
}));

Then('the response echoes the session id of the request', step({
  does: 'Compares the last response with the last request the tester sent.',
  checks: 'E37-8.1.4.1: the session id is equal (under HSMS-SS a control response with 0xFFFF passes too); fail otherwise.',
}, async (ctx) => {
  const rsp = ctx.lastResponse().header;
  // NOTES.md (HSMS-SS): every control message carries session id 0xFFFF, whatever the request
  // carried; under `standard: hsms-ss` a control response with 0xFFFF passes as well as an echo.
  if (ctx.iut.config.standard === 'hsms-ss' && rsp.sType !== SType.Data && rsp.sessionId === 0xffff) return;
  ctx.checkEcho(ctx.lastSentFrame().header, rsp, 'sessionId');
}));

Then('the response carries session id 0xFFFF', step({
  does: 'Reads the last response\'s header.',
  checks: 'E37-8.2: its session id is 0xFFFF; fail otherwise.',
}, async (ctx) => {
  const h = ctx.lastResponse().header;
  if (h.sessionId !== 0xffff) ctx.fail(`session id ${h.sessionId}, E37-8.2 requires 0xFFFF`);
}));

Then('the response has header bytes 2 and 3 as E37-8.2 defines, PType 0 and no text', step({
  does: 'Reads the last response\'s header and text.',
  checks: 'E37-8.2, 9.3.3: PType 0, no text, byte 2 zero, byte 3 zero unless it carries a status; fail otherwise.',
}, async (ctx) => {
  ctx.checkControlFormat(ctx.lastResponse());
}));

Then('the IUT rejects it with reason {int}', step({
  does: 'Waits (T6 + tolerance) for the next message.',
  checks: 'It is a Reject.req with that reason code (E37-8.2.8); anything else fails.',
}, async (ctx, reason: number) => {
  await ctx.expectReject([reason]);
}));

Then('the IUT rejects it with reason {int} or {int}', step({
  does: 'Waits (T6 + tolerance) for the next message.',
  checks: 'It is a Reject.req with one of the two reason codes; anything else fails.',
}, async (ctx, a: number, b: number) => {
  await ctx.expectReject([a, b]);
}));

Then('the IUT replies with S{int}F{int}', step({
  does: 'Waits (T6 + tolerance) for the next message.',
  checks: 'It is a data reply (even function), not a Reject.req; anything else fails. Matching the primary is checked by "the IUT replies with a reply that matches the primary".',
}, async (ctx, s: number, fn: number) => {
  await ctx.expectReply(s, fn);
}));

Then('the IUT answers with a Select.rsp', step({
  does: 'Waits (T6 + tolerance) for the next message, to check its format.',
  checks: 'It is a Select.rsp; any other answer leaves nothing to check (inconclusive: whether a Select.rsp was due is E37-7.2.2\'s business).',
}, async (ctx) => {
  await ctx.expectResponseToCheck(SType.SelectRsp, 'E37-7.2.2');
}));

Then('the IUT answers a repeated Select.req with status 1', step({
  does: 'Waits (T6 + tolerance) for the answer to a Select.req sent while SELECTED.',
  checks: 'NOTES.md: Select.rsp status 1 passes, status 0 is WARN, another status, a Reject or a close fails.',
}, async (ctx) => {
  await ctx.expectReselectAnswer();
}));
