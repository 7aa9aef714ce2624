import { Then, When } from '@cucumber/cucumber';
import { expectItem, expectReplyTo, sendPrimary } from '../src/harness/data-exchange';
import { step } from './step';

// ---- SECS-II data transactions, for users' own features (E37-7.3, 9.4.1) ------------------------

When('the tester sends S{int}F{int} W with the text:', step({
  does: 'Sends the primary SxFy W whose text is the SECS-II item written in the doc string (e.g. <L[2] <A "HOST"> <A "1.0">>).',
}, (ctx, s: number, fn: number, text: string) => {
  sendPrimary(ctx, { stream: s, function: fn, text });
}));

Then('the IUT replies with S{int}F{int} whose text is:', step({
  does: 'Waits (T3 + tolerance) for the reply to the tester\'s last primary and decodes its text.',
  checks: 'E37-9.4.1: a matching reply SxFy (a Reject, silence or another message fails), whose text is exactly the item in the doc string; fail otherwise.',
}, async (ctx, s: number, fn: number, text: string) => {
  const reply = await expectReplyTo(ctx, ctx.lastSentFrame(), { stream: s, function: fn });
  expectItem(reply.item, text, `the S${s}F${fn} text`);
}));
