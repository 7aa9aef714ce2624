import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveJudgedElsewhere, type JudgedScenario } from '../src/harness/judged-elsewhere';
import { JudgedElsewhere, ScenarioRecorder } from '../src/harness/verdict';

/**
 * One defect, one flagged clause, without a hiding place: a scenario that defers to another
 * clause stays not applicable only when that clause was flagged in the same run.
 */

const deferring: JudgedScenario = { clauses: ['E37-8.2.8'], verdict: 'not-applicable', reason: 'not judged here: x (judged under E37-7.3)', judgedUnder: ['E37-7.3'] };

test('a deferring scenario stays not applicable when the clause it names was flagged', () => {
  for (const verdict of ['fail', 'warn'] as const) {
    const [r] = resolveJudgedElsewhere([deferring, { clauses: ['E37-7.3'], verdict, reason: 'served data in NOT SELECTED' }]);
    assert.equal(r!.verdict, 'not-applicable');
  }
});

test('a deferring scenario becomes inconclusive when the clause it names passed or did not run', () => {
  for (const others of [[{ clauses: ['E37-7.3'], verdict: 'pass' as const, reason: '' }], []]) {
    const [r] = resolveJudgedElsewhere([deferring, ...others]);
    assert.equal(r!.verdict, 'inconclusive');
    assert.match(r!.reason, /no scenario of this run flagged E37-7\.3/);
  }
});

test('other verdicts and plain not-applicable are left alone', () => {
  const plain: JudgedScenario = { clauses: ['E37-9.2.4'], verdict: 'not-applicable', reason: 'needs several connections' };
  const failed: JudgedScenario = { clauses: ['E37-7.3'], verdict: 'fail', reason: 'x', judgedUnder: [] };
  assert.deepEqual(resolveJudgedElsewhere([plain, failed]), [plain, failed]);
});

test('the recorder reports the deferred clauses only while its verdict is not applicable', () => {
  const r = new ScenarioRecorder();
  const signal = new JudgedElsewhere(['E37-7.2.2'], 'the IUT refused Select.req with status 2');
  r.add(signal.verdict, signal.reason, signal.clauses);
  assert.equal(r.verdict, 'not-applicable');
  assert.deepEqual(r.judgedUnder, ['E37-7.2.2']);
  assert.match(r.reason, /judged under E37-7\.2\.2/);
  r.add('fail', 'something else');
  assert.deepEqual(r.judgedUnder, []);
});
