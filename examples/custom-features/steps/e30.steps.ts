import { Then, When, Failure, expectReplyTo, itemAt, sendPrimary, step, type ReplyMessage, type ScenarioContext } from 'hsms-conformance/steps';
import { formatItem, type Item } from 'hsms-conformance';

/**
 * Step definitions of the worked example: SEMI E30 style messages on top of the built-in HSMS
 * steps. They use the harness's own helpers (sendPrimary, expectReplyTo, itemAt) and verdict
 * signals (Failure), so their scenarios get verdicts, traces and report rows like the E37 ones.
 */

/** The last reply each scenario received, for the steps that examine it further. */
const replies = new WeakMap<ScenarioContext, ReplyMessage>();

function lastReply(ctx: ScenarioContext): ReplyMessage {
  const reply = replies.get(ctx);
  if (!reply) throw new Failure('no reply has been received in this scenario');
  return reply;
}

/** Fails unless `item` is an A item; returns its text. */
function ascii(item: Item, what: string): string {
  if (item.type !== 'A') throw new Failure(`${what} is ${formatItem(item, { maxChars: 80 })}, expected an A (ASCII) item`);
  return item.value;
}

When('the host sends S1F13 W, Establish Communications Request', step({
  does: 'Sends S1F13 W with an empty list, as a host does (the equipment sends MDLN and SOFTREV; a host sends none).',
}, (ctx) => {
  sendPrimary(ctx, { stream: 1, function: 13, text: '<L>' });
}));

Then('the equipment answers with S1F14 and COMMACK 0', step({
  does: 'Waits for the reply to S1F13 and reads COMMACK, the first element of its list.',
  checks: 'A matching S1F14 whose COMMACK is <B 0x00> (accepted); another value, a Reject or no reply fails.',
}, async (ctx) => {
  const reply = await expectReplyTo(ctx, ctx.lastSentFrame(), { stream: 1, function: 14 });
  replies.set(ctx, reply);
  const commack = itemAt(reply.item, 0);
  if (commack.type !== 'B' || commack.value.length !== 1) throw new Failure(`COMMACK is ${formatItem(commack)}, expected one binary byte`);
  if (commack.value[0] !== 0) throw new Failure(`COMMACK ${commack.value[0]}: the equipment denied communications`);
}));

Then("the S1F14 names the equipment's model and software revision", step({
  does: 'Reads MDLN and SOFTREV from the S1F14 just received.',
  checks: 'Both are A items of at most 20 characters (SEMI E5); fail otherwise.',
}, (ctx) => {
  const reply = lastReply(ctx);
  const ids = itemAt(reply.item, 1);
  if (ids.type !== 'L' || ids.items.length !== 2) throw new Failure(`expected <L[2] MDLN SOFTREV>, found ${formatItem(ids, { maxChars: 80 })}`);
  for (const [i, name] of ['MDLN', 'SOFTREV'].entries()) {
    const text = ascii(itemAt(ids, i), name);
    if (text.length > 20) throw new Failure(`${name} "${text}" is longer than 20 characters`);
  }
  ctx.recorder.measure(`MDLN "${ascii(itemAt(ids, 0), 'MDLN')}", SOFTREV "${ascii(itemAt(ids, 1), 'SOFTREV')}"`);
}));

When("the host asks for the equipment's date and time with S2F17 W", step({
  does: 'Sends S2F17 W (Date and Time Request), header only.',
}, (ctx) => {
  sendPrimary(ctx, { stream: 2, function: 17 });
}));

/** SEMI E5 TIME: YYMMDDhhmmss (12 characters) or YYYYMMDDhhmmsscc (16). Returns why it is not one, or null. */
function timeProblem(time: string): string | null {
  const m = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$/.exec(time);
  if (!m || (time.length !== 12 && time.length !== 16)) return 'neither YYMMDDhhmmss nor YYYYMMDDhhmmsscc';
  const [, year, month, day, hour, minute, second] = m.map(Number) as [number, number, number, number, number, number, number];
  const fullYear = time.length === 16 ? year : 2000 + year;
  const date = new Date(Date.UTC(fullYear, month - 1, day));
  if (month < 1 || month > 12 || date.getUTCDate() !== day) return `no such date ${fullYear}-${month}-${day}`;
  if (hour > 23 || minute > 59 || second > 59) return `no such time ${hour}:${minute}:${second}`;
  return null;
}

Then('the equipment answers with S2F18 carrying a valid TIME', step({
  does: 'Waits for the reply to S2F17 and reads TIME.',
  checks: 'A matching S2F18 whose text is an A item in one of the two TIME formats, a valid date and time; fail otherwise.',
}, async (ctx) => {
  const reply = await expectReplyTo(ctx, ctx.lastSentFrame(), { stream: 2, function: 18 });
  const time = ascii(itemAt(reply.item), 'TIME');
  const problem = timeProblem(time);
  if (problem) throw new Failure(`TIME "${time}": ${problem}`);
  ctx.recorder.measure(`equipment TIME "${time}"`);
}));
