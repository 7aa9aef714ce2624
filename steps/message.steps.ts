import { Then, When } from '@cucumber/cucumber';
import { SType } from '../src/protocol/constants';
import { step } from './step';

When('the tester sends {word}', step(async (ctx, kind: string) => {
  ctx.send(ctx.build(kind));
}));

When('the tester sends {word} {word}', step(async (ctx, kind: string, flag: string) => {
  ctx.send(ctx.build(`${kind} ${flag}`));
}));

When('the tester sends Select.req with session id {word}', step(async (ctx, id: string) => {
  const f = ctx.build('Select.req');
  ctx.send({ header: { ...f.header, sessionId: Number(id) }, text: f.text });
}));

When('the tester sends a message with PType {int} and SType {int}', step(async (ctx, pType: number, sType: number) => {
  const f = ctx.build('Linktest.req');
  ctx.send({ header: { ...f.header, sessionId: ctx.controlSessionId, pType, sType }, text: f.text });
}));

When('the tester sends a data message S{int}F{int} with PType {int}', step(async (ctx, s: number, fn: number, pType: number) => {
  const f = ctx.build(`S${s}F${fn} W`);
  ctx.send({ header: { ...f.header, pType }, text: f.text });
}));

Then('the IUT answers with Select.rsp status {int}', step(async (ctx, status: number) => {
  const rsp = await ctx.expectResponse(SType.SelectRsp);
  if (rsp.header.byte3 !== status) ctx.fail(`Select.rsp status ${rsp.header.byte3}, expected ${status}`);
}));

Then('the IUT answers with Select.rsp status {int} or {int}', step(async (ctx, a: number, b: number) => {
  const rsp = await ctx.expectResponse(SType.SelectRsp);
  if (rsp.header.byte3 !== a && rsp.header.byte3 !== b) ctx.fail(`Select.rsp status ${rsp.header.byte3}, expected ${a} or ${b}`);
}));

Then('the IUT answers with a non-zero Select.rsp status', step(async (ctx) => {
  const rsp = await ctx.expectResponse(SType.SelectRsp);
  if (rsp.header.byte3 === 0) ctx.fail('Select.rsp status 0: the IUT accepted a select it should have refused');
}));

Then('the IUT answers with Deselect.rsp status {int}', step(async (ctx, status: number) => {
  const rsp = await ctx.expectResponse(SType.DeselectRsp);
  if (rsp.header.byte3 !== status) ctx.fail(`Deselect.rsp status ${rsp.header.byte3}, expected ${status}`);
}));

Then('the IUT answers with Linktest.rsp', step(async (ctx) => {
  await ctx.expectResponse(SType.LinktestRsp);
}));

Then('the response echoes the system bytes of the request', step(async (ctx) => {
  ctx.checkEcho(ctx.lastSentFrame().header, ctx.lastResponse().header, 'systemBytes');
}));

Then('the response echoes the session id of the request', step(async (ctx) => {
  const rsp = ctx.lastResponse().header;
  // NOTES.md (HSMS-SS): every control message carries session id 0xFFFF, whatever the request
  // carried; under `standard: hsms-ss` a control response with 0xFFFF passes as well as an echo.
  if (ctx.iut.config.standard === 'hsms-ss' && rsp.sType !== SType.Data && rsp.sessionId === 0xffff) return;
  ctx.checkEcho(ctx.lastSentFrame().header, rsp, 'sessionId');
}));

Then('the response carries session id 0xFFFF', step(async (ctx) => {
  const h = ctx.lastResponse().header;
  if (h.sessionId !== 0xffff) ctx.fail(`session id ${h.sessionId}, E37-8.2 requires 0xFFFF`);
}));

Then('the response has header bytes 2 and 3 as E37-8.2 defines, PType 0 and no text', step(async (ctx) => {
  ctx.checkControlFormat(ctx.lastResponse());
}));

Then('the IUT rejects it with reason {int}', step(async (ctx, reason: number) => {
  await ctx.expectReject([reason]);
}));

Then('the IUT rejects it with reason {int} or {int}', step(async (ctx, a: number, b: number) => {
  await ctx.expectReject([a, b]);
}));

Then('the IUT replies with S{int}F{int}', step(async (ctx, s: number, fn: number) => {
  await ctx.expectReply(s, fn);
}));

Then('the IUT answers with a Select.rsp', step(async (ctx) => {
  await ctx.expectResponseToCheck(SType.SelectRsp, 'E37-7.2.2');
}));

Then('the IUT answers a repeated Select.req with status 1', step(async (ctx) => {
  await ctx.expectReselectAnswer();
}));
