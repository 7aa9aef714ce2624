import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, type Finding, type ModelState, type OracleEnv } from '../src/fuzz/oracle';
import { SType } from '../src/protocol/constants';
import { encodeFrame, type Frame } from '../src/protocol/header';
import * as msg from '../src/protocol/messages';

/**
 * The fuzz oracle accepts every outcome E37 and NOTES.md allow ("Verdict decisions", "HSMS-SS")
 * and flags the others on the right clause. Each case: what the tester wrote, what the IUT sent
 * back, whether it closed.
 */

const E37: OracleEnv = { standard: 'e37', maxLength: 1 << 20 };
const SS: OracleEnv = { standard: 'hsms-ss', maxLength: 1 << 20 };
const barrier = msg.linktestReq(0x7e570009);

function run(env: OracleEnv, state: ModelState, sent: readonly Frame[], frames: readonly Frame[], closed = false): Finding[] {
  const bytes = Buffer.concat(sent.map(encodeFrame));
  return judge(env, state, bytes, { frames, closed, iutFramingError: null }).findings;
}

const clauses = (f: readonly Finding[]): string[] => f.map((x) => `${x.severity} ${x.clause}`);

test('a Reject.req with PType != 0 (E37-7.7.2, NOTES.md): Reject reason 2 with byte 2 = the PType and silence both pass', () => {
  const rej: Frame = { header: { ...msg.rejectReq(msg.linktestReq(5).header, 1).header, pType: 5, systemBytes: 0x21 }, text: Buffer.alloc(0) };
  assert.equal(rej.header.sType, SType.RejectReq);
  assert.deepEqual(run(E37, 'SELECTED', [rej, barrier], [msg.rejectReq(rej.header, 2), msg.linktestRsp(barrier.header)]), []);
  assert.deepEqual(run(E37, 'NOT_SELECTED', [rej, barrier], [msg.linktestRsp(barrier.header)]), []);
  // Byte 2 must be the PType, and reason 2 is the only applicable one.
  const wrongByte2 = { header: { ...msg.rejectReq(rej.header, 2).header, byte2: SType.RejectReq } };
  assert.deepEqual(clauses(run(E37, 'SELECTED', [rej, barrier], [{ ...wrongByte2, text: Buffer.alloc(0) }, msg.linktestRsp(barrier.header)])), ['fail E37-8.2.8']);
  assert.deepEqual(clauses(run(E37, 'SELECTED', [rej, barrier], [msg.rejectReq(rej.header, 1), msg.linktestRsp(barrier.header)])), ['fail E37-7.7.2']);
});

test('a Reject.req with PType 0 is never answered', () => {
  const rej = msg.rejectReq(msg.linktestReq(5).header, 1);
  assert.deepEqual(clauses(run(E37, 'SELECTED', [rej, barrier], [msg.rejectReq(rej.header, 1), msg.linktestRsp(barrier.header)])), ['fail E37-7.7.2']);
  assert.deepEqual(run(E37, 'SELECTED', [rej, barrier], [msg.linktestRsp(barrier.header)]), []);
});

test('Separate.req in NOT SELECTED: silence passes; closing is WARN under e37, correct under HSMS-SS', () => {
  const sep = msg.separateReq(0, 0x31);
  assert.deepEqual(run(E37, 'NOT_SELECTED', [sep, barrier], [msg.linktestRsp(barrier.header)]), []);
  assert.deepEqual(clauses(run(E37, 'NOT_SELECTED', [sep, barrier], [], true)), ['warn E37-7.6.2']);
  assert.deepEqual(run(SS, 'NOT_SELECTED', [msg.separateReq(0xffff, 0x31), barrier], [], true), []);
});

test('E37-5.3 transition 5: a close right after a Deselect or Separate that ended the session passes', () => {
  const des = msg.deselectReq(0, 0x41);
  assert.deepEqual(run(E37, 'SELECTED', [des, barrier], [msg.deselectRsp(des.header, 0)], true), []);
  assert.deepEqual(run(E37, 'SELECTED', [msg.separateReq(0, 0x42), barrier], [], true), []);
  // A Deselect refused leaves the session up: a close is still a failure.
  assert.deepEqual(clauses(run(E37, 'SELECTED', [des, barrier], [msg.deselectRsp(des.header, 2)], true)), ['fail E37-7.5']);
});

test('HSMS-SS: control responses may carry session id 0xFFFF; Linktest.req in NOT SELECTED need not be answered', () => {
  const sel = msg.selectReq(0, 0x51);
  const rsp = msg.selectRsp(sel.header, 0);
  const ffff: Frame = { header: { ...rsp.header, sessionId: 0xffff }, text: Buffer.alloc(0) };
  assert.deepEqual(run(SS, 'NOT_SELECTED', [sel, barrier], [ffff, msg.linktestRsp(barrier.header)]), []);
  assert.deepEqual(clauses(run(E37, 'NOT_SELECTED', [sel, barrier], [ffff, msg.linktestRsp(barrier.header)])), ['fail E37-8.2.3']);
  assert.deepEqual(run(SS, 'NOT_SELECTED', [msg.linktestReq(0x52), barrier], []), []);
  assert.deepEqual(clauses(run(E37, 'NOT_SELECTED', [msg.linktestReq(0x52), barrier], [])), ['fail E37-7.5']);
});

test('HSMS-SS: an active IUT may reject the tester\'s Select.req with reason 1', () => {
  const sel = msg.selectReq(0xffff, 0x61);
  const frames = [msg.rejectReq(sel.header, 1), msg.linktestRsp(barrier.header)];
  assert.deepEqual(run({ ...SS, activeIut: true }, 'SELECTED', [sel, barrier], frames), []);
  assert.deepEqual(clauses(run(SS, 'SELECTED', [sel, barrier], frames)), ['fail E37-7.2']);
  assert.deepEqual(clauses(run({ ...SS, activeIut: true }, 'SELECTED', [sel, barrier], [msg.rejectReq(sel.header, 4), msg.linktestRsp(barrier.header)])), ['fail E37-7.2.2']);
});

test('HSMS-SS does not use Deselect: an orphan Deselect.rsp may draw reason 1 or 3', () => {
  const rsp = msg.deselectRsp(msg.deselectReq(0xffff, 0x71).header, 0);
  for (const reason of [1, 3]) assert.deepEqual(run(SS, 'SELECTED', [rsp, barrier], [msg.rejectReq(rsp.header, reason), msg.linktestRsp(barrier.header)]), []);
  assert.deepEqual(clauses(run(E37, 'SELECTED', [rsp, barrier], [msg.rejectReq(rsp.header, 1), msg.linktestRsp(barrier.header)])), ['fail E37-8.2.8']);
});

test('a required answer that never came is reported as missing, not as the response to the barrier behind it', () => {
  const unknown: Frame = { header: { ...msg.linktestReq(0x81).header, sType: 200, sessionId: 0 }, text: Buffer.alloc(0) };
  const f = run(E37, 'SELECTED', [unknown, barrier], [msg.linktestRsp(barrier.header)]);
  assert.deepEqual(clauses(f), ['fail E37-7.7.2']);
  assert.match(f[0]!.message, /^no answer to SType\(200\)/);
});

test('a response with wrong system bytes is judged as the answer, even when they are those of a later request of another kind', () => {
  const des = msg.deselectReq(0, 0x91);
  const wrong: Frame = { header: { ...msg.deselectRsp(des.header, 0).header, systemBytes: barrier.header.systemBytes }, text: Buffer.alloc(0) };
  assert.deepEqual(clauses(run(E37, 'SELECTED', [des, barrier], [wrong, msg.linktestRsp(barrier.header)])), ['fail E37-8.2.5']);
});
