import { Given, Then, When } from '@cucumber/cucumber';
import { SType } from '../src/protocol/constants';
import * as cc from '../src/harness/connection-checks';
import * as st from '../src/harness/state-checks';
import { step } from './step';

// ---- connections -------------------------------------------------------------------------------

Given('a new TCP connection to the IUT', step(async (ctx) => {
  await cc.newConnection(ctx);
}));

When('the tester opens a new TCP connection to the IUT', step(async (ctx) => {
  await cc.reconnect(ctx);
}));

Given('a second selected connection to the IUT', step(async (ctx) => {
  await ctx.selectedConnection('second');
}));

When('the tester opens a further TCP connection to the IUT', step(async (ctx) => {
  await cc.openFurtherConnection(ctx);
}));

When('the tester selects the IUT', step(async (ctx) => {
  await cc.selectNow(ctx);
}));

When('the tester closes the connection', step((ctx) => {
  cc.closeByTester(ctx);
}));

When('the tester sends Separate.req on the second connection', step((ctx) => {
  ctx.send(ctx.build('Separate.req', 'second'), 'second');
}));

When('the tester does not accept connections', step(async (ctx) => {
  await cc.stopListening(ctx);
}));

// ---- state machine ----------------------------------------------------------------------------

Then('the IUT treats the connection as NOT SELECTED', step(async (ctx) => {
  await st.expectNewConnectionNotSelected(ctx);
}));

Then('the IUT treats the connection as NOT SELECTED or closes it', step(async (ctx) => {
  await st.expectLeftSelected(ctx);
}));

Then('the IUT treats the second connection as NOT SELECTED or closes it', step(async (ctx) => {
  await st.expectLeftSelected(ctx, 'second');
}));

Then('the IUT treats the connection as SELECTED', step(async (ctx) => {
  await cc.expectSelectedState(ctx);
}));

// ---- staying open, closing, reconnecting ------------------------------------------------------

Then('the connection stays open for {float} x T{int}, with a Linktest.req every half T8', step(async (ctx, factor: number, timer: number) => {
  await cc.stayOpenFor(ctx, factor, timer);
}));

Then('the connection stays open until {float} x T{int} after the connect, with a Linktest.req every half T8', step(async (ctx, factor: number, timer: number) => {
  await cc.stayOpenAfterConnect(ctx, factor, timer);
}));

Then('the IUT connects again no sooner than T5 after the connection ended', step(async (ctx) => {
  await cc.expectReconnectAfterT5(ctx);
}));

When('the tester stalls a message until the IUT closes the connection', step(async (ctx) => {
  await cc.provokeCommunicationFailure(ctx);
}));

Then('the IUT serves a new connection', step(async (ctx) => {
  await cc.expectServesAgain(ctx);
}));

Then('the IUT connects to the tester', step(async (ctx) => {
  await cc.expectIutConnects(ctx);
}));

Then('the IUT sends Select.req on the new connection', step(async (ctx) => {
  await ctx.expectIutRequest(SType.SelectReq);
}));

Then('a session can be selected on the connection', step(async (ctx) => {
  await cc.expectSelectable(ctx);
}));

Then('the IUT accepts a connection on its published port during its passive phase', step(async (ctx) => {
  await cc.connectDuringPassivePhase(ctx);
}));

// ---- T7 ---------------------------------------------------------------------------------------

When('the tester sends Linktest.req at {float} x T7 after the connect', step(async (ctx, factor: number) => {
  await cc.linktestAfterConnect(ctx, factor);
}));

Then('the IUT closes the NOT SELECTED connection T7 after the connect', step(async (ctx) => {
  await cc.expectT7Close(ctx);
}));

// ---- T8 ---------------------------------------------------------------------------------------

When('the tester sends the first {int} bytes of S1F1 W and then nothing', step((ctx, bytes: number) => {
  cc.stallInsideMessage(ctx, bytes);
}));

Then('the IUT closes the connection T8 after the last byte', step(async (ctx) => {
  await cc.expectT8Close(ctx);
}));

When('the tester sends S1F1 W in pieces of {int} bytes, {float} x T8 apart', step(async (ctx, size: number, factor: number) => {
  await cc.sendWithGaps(ctx, size, factor);
}));

Then('the IUT answers the slowly sent message', step(async (ctx) => {
  await cc.expectSlowMessageAnswered(ctx);
}));

// ---- several connections ----------------------------------------------------------------------

Then('the IUT answers every Select.req on the further connection with status 1 or 3', step(async (ctx) => {
  await cc.expectRefusal(ctx);
}));

Then('the IUT actively refuses the further connection', step(async (ctx) => {
  await cc.expectRefusal(ctx);
}));

Then('the IUT never accepts or answers the further connection', step(async (ctx) => {
  await cc.expectRefusal(ctx);
}));

Then('the first session still answers Linktest.req and data', step(async (ctx) => {
  await cc.expectSessionIntact(ctx);
}));

Then('the first session stays SELECTED while the second connection outlives T7', step(async (ctx) => {
  await cc.expectSecondTimesOutAlone(ctx);
}));
