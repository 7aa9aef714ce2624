import { Then, When } from '@cucumber/cucumber';
import * as rr from '../src/harness/reject-reaction-checks';
import { step } from './step';

// ---- E37-7.7.1: the IUT as the initiator of a rejected message -------------------------------------

When('the tester rejects the IUT\'s primary with reason {int}', step({
  does: 'Answers the IUT\'s last primary with a Reject.req of that reason instead of a reply (its system bytes, byte 2 its SType, E37-8.2.8).',
}, (ctx, reason: number) => {
  rr.rejectIutPrimary(ctx, reason);
}));

Then('the IUT does not answer the Reject.req of its own message', step({
  does: 'Watches the connection for T6 + tolerance after the tester\'s Reject.req.',
  checks: 'E37-7.7.1, 8.2.8: a message answering it (its system bytes: a response, a Reject.req, a reply) fails; closing before the IUT ended the session itself fails (E37-6.4); ending it with Separate.req or Deselect.req passes; other traffic is noted.',
}, async (ctx) => {
  await rr.expectRejectTaken(ctx);
}));

Then('the IUT still serves the session', step({
  does: 'Sends Linktest.req, then S1F1 W (not when the IUT ended the session itself).',
  checks: 'E37-7.7.1: both are answered; silence, a Reject of the data message or a close fails.',
}, async (ctx) => {
  await rr.expectStillServing(ctx);
}));
