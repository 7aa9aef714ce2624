import { Given, Then, When } from '@cucumber/cucumber';
import { expectLeftSelected, expectSelected } from '../src/harness/state-checks';
import { step } from './step';

Given('a connection to the IUT that is not selected', step(async (ctx) => {
  await ctx.notSelectedConnection();
}));

Given('a second connection to the IUT that is not selected', step(async (ctx) => {
  await ctx.notSelectedConnection('second');
}));

Given('a selected connection to the IUT', step(async (ctx) => {
  await ctx.selectedConnection();
}));

Given('a TCP connection to the IUT', step(async (ctx) => {
  await ctx.openConnection();
}));

Then('the connection was formed in the connect mode the IUT declares', step((ctx) => {
  ctx.expectDeclaredConnectMode();
}));

When('the tester waits {float} x T{int}', step(async (ctx, factor: number, timer: number) => {
  await ctx.delay(factor * ctx.timerMs(timer));
}));

Then('the IUT is selected', step(async (ctx) => {
  await expectSelected(ctx, 'at this point');
}));

Then('the IUT is not selected', step(async (ctx) => {
  await expectLeftSelected(ctx);
}));

Then('the IUT still answers Linktest.req', step(async (ctx) => {
  await ctx.expectLinktestAnswered();
}));

Then('the IUT sends nothing within T6', step(async (ctx) => {
  await ctx.expectSilence(ctx.ms.t6);
}));

Then('the connection stays open for {float} x T{int}', step(async (ctx, factor: number, timer: number) => {
  await ctx.expectStaysOpen(factor * ctx.timerMs(timer));
}));

Given('a connection from the IUT that sent Select.req', step(async (ctx) => {
  await ctx.openConnection();
  await ctx.expectIutRequest(1);
}));

When('the tester answers the Select.req with status {int}', step(async (ctx, status: number) => {
  ctx.answerLastRequest(status);
}));

Then('the Select.req has header bytes 2 and 3 zero, PType 0 and no text', step(async (ctx) => {
  ctx.checkControlFormat(ctx.lastResponse());
}));
