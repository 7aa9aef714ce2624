import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveTarget, runLiveProperty, type LiveFuzzReport, type PropertyName } from '../src/fuzz/live-properties';
import { IutSession } from '../src/harness/iut';
import { embeddedConfig, SELF_TEST_TIMERS } from '../src/harness/iut-config';

/**
 * One defect, one flagged clause (issue 12): a property judging one clause meets a deliberate
 * fault on another clause, records it as a note, stops generating that class of input and goes on
 * judging its own clause; the property judging the fault's clause finds it. Against the embedded
 * reference peer over 127.0.0.1.
 */

async function fuzz(fault: string, property: PropertyName, clause: string, runs: number, multipleConnections = false): Promise<LiveFuzzReport> {
  const base = embeddedConfig('passive', 'e37', [fault]);
  // T7 well above a gap case's pause: no NOT SELECTED connection is closed by T7 while one waits,
  // whatever the machine's load, so both runs see the same outcomes.
  const timers = { ...SELF_TEST_TIMERS, t7: 5 };
  const iut = new IutSession({ ...base, timers, capabilities: { ...base.capabilities, multipleConnections } });
  await iut.beforeScenario();
  try {
    return await runLiveProperty(new LiveTarget(iut), { property, runs, seed: 5, clauses: [clause] });
  } finally {
    await iut.shutdown();
  }
}

test('a Reject format fault (byte 2 of reason 2) is a note for E37-7.7.2, which goes on judging, and a finding for E37-8.2.8', { timeout: 120_000 }, async () => {
  const other = await fuzz('reject-ptype-byte2-stype', 'framing', 'E37-7.7.2', 60);
  assert.equal(other.failure, null, JSON.stringify(other.failure?.findings));
  assert.ok(other.otherClauses.some((n) => n.inputClass === 'ptype' && n.findings.every((f) => f.clause === 'E37-8.2.8')), JSON.stringify(other.otherClauses));
  assert.ok(other.skipped > 0, 'no PType case was skipped after the note');
  assert.ok(other.casesRun - other.skipped > other.otherClauses.length, 'the property judged no other case');
  const own = await fuzz('reject-ptype-byte2-stype', 'framing', 'E37-8.2.8', 60);
  assert.ok(own.failure, 'E37-8.2.8 not flagged');
  assert.ok(own.failure.findings.every((f) => f.clause === 'E37-8.2.8'));
});

test('a state that cannot be set up (Select refused) stops the cases in that state only', { timeout: 120_000 }, async () => {
  const r = await fuzz('select-refused', 'framing', 'E37-8.1.3', 30);
  assert.equal(r.failure, null, JSON.stringify(r.failure?.findings));
  assert.ok(r.otherClauses.some((n) => n.inputClass === 'every case in SELECTED'), JSON.stringify(r.otherClauses));
  assert.ok(!r.otherClauses.some((n) => n.inputClass === 'every case in NOT SELECTED'), JSON.stringify(r.otherClauses));
  assert.ok(r.otherClauses.some((n) => n.inputClass.startsWith('liveness')), 'the liveness check, which needs Select, was not set aside');
});

test('the gaps property on an IUT with several connections: same cases, same finding, same minimal input', { timeout: 120_000 }, async () => {
  const one = await fuzz('no-t8', 'gaps', 'E37-9.2.3', 8);
  const many = await fuzz('no-t8', 'gaps', 'E37-9.2.3', 8, true);
  assert.ok(one.failure && many.failure, 'no-t8 not found');
  assert.equal(many.caseDigest, one.caseDigest);
  assert.equal(many.failure.path, one.failure.path);
  assert.equal(many.failure.input, one.failure.input);
});
