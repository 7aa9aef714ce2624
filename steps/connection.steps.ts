import { Given, Then, When } from '@cucumber/cucumber';
import { expectLeftSelected, expectSelected } from '../src/harness/state-checks';
import { step } from './step';

Given('a connection to the IUT that is not selected', step({
  does: 'Forms a TCP connection in the IUT\'s role (connects to a passive IUT, accepts an active one) and keeps it NOT SELECTED: an active IUT\'s Select.req is refused with status 2.',
  checks: 'A precondition: the connection forms (an IUT that cannot be reached makes the run exit 3).',
}, async (ctx) => {
  await ctx.notSelectedConnection();
}));

Given('a second connection to the IUT that is not selected', step({
  does: 'As "a connection to the IUT that is not selected", as a second connection named "second".',
  checks: 'A precondition: the connection forms.',
}, async (ctx) => {
  await ctx.notSelectedConnection('second');
}));

Given('a selected connection to the IUT', step({
  does: 'Forms a TCP connection and selects it: the tester sends Select.req to a passive IUT, or accepts an active IUT\'s Select.req and confirms with a Linktest round trip. Primaries the IUT sends later are answered.',
  checks: 'A precondition: Select.rsp status 0 (or the active IUT\'s Select.req); inconclusive otherwise.',
}, async (ctx) => {
  await ctx.selectedConnection();
}));

Given('a TCP connection to the IUT', step({
  does: 'Forms a TCP connection in the IUT\'s role and sends nothing.',
  checks: 'A precondition: the connection forms.',
}, async (ctx) => {
  await ctx.openConnection();
}));

Then('the connection was formed in the connect mode the IUT declares', step({
  does: 'Looks at who opened the scenario\'s connection.',
  checks: 'E37-6.3.1: a passive IUT accepted the tester\'s connection, an active IUT opened it; fail otherwise.',
}, (ctx) => {
  ctx.expectDeclaredConnectMode();
}));

When('the tester waits {float} x T{int}', step({
  does: 'Pauses for that multiple of the profile\'s T3, T5, T6, T7 or T8, sending nothing.',
}, async (ctx, factor: number, timer: number) => {
  await ctx.delay(factor * ctx.timerMs(timer));
}));

Then('the IUT is selected', step({
  does: 'Probes the state with S1F1 W.',
  checks: 'A reply (SELECTED) passes; Reject reason 4 (NOT SELECTED) fails; other answers leave the state unknown here (E37-7.3 judges them).',
}, async (ctx) => {
  await expectSelected(ctx, 'at this point');
}));

Then('the IUT is not selected', step({
  does: 'Probes the state with a data message; a served message is compared with a new connection (NOT SELECTED by E37-5.3 transition 2).',
  checks: 'NOT SELECTED (a Reject, or a close) passes; a message served here but not on the new connection fails; served on both is left to E37-7.3.',
}, async (ctx) => {
  await expectLeftSelected(ctx);
}));

Then('the IUT still answers Linktest.req', step({
  does: 'Sends Linktest.req.',
  checks: 'E37-7.5.2: a Linktest.rsp with its system bytes; anything else fails.',
}, async (ctx) => {
  await ctx.expectLinktestAnswered();
}));

Then('the IUT sends nothing within T6', step({
  does: 'Waits T6.',
  checks: 'No message and no close; either fails.',
}, async (ctx) => {
  await ctx.expectSilence(ctx.ms.t6);
}));

Then('the connection stays open for {float} x T{int}', step({
  does: 'Waits that multiple of the timer.',
  checks: 'The IUT does not close the connection; a close fails.',
}, async (ctx, factor: number, timer: number) => {
  await ctx.expectStaysOpen(factor * ctx.timerMs(timer));
}));

Given('a connection from the IUT that sent Select.req', step({
  does: 'Accepts an active IUT\'s connection and waits for its Select.req, unanswered.',
  checks: 'The IUT sends Select.req after connecting; fail otherwise.',
}, async (ctx) => {
  await ctx.openConnection();
  await ctx.expectIutRequest(1);
}));

When('the tester answers the Select.req with status {int}', step({
  does: 'Answers the IUT\'s Select.req with a Select.rsp of that status.',
}, async (ctx, status: number) => {
  ctx.answerLastRequest(status);
}));

Then('the Select.req has header bytes 2 and 3 zero, PType 0 and no text', step({
  does: 'Reads the IUT\'s Select.req.',
  checks: 'E37-8.2.2: bytes 2 and 3 zero, PType 0, no text; fail otherwise.',
}, async (ctx) => {
  ctx.checkControlFormat(ctx.lastResponse());
}));
