import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { BaselineError, compareBaseline, parseBaseline, type BaselineScenario } from '../src/report/baseline';

const FILE = `# known failures of vendor X
E37-9.2.2  # answers Linktest.req before Select (ticket 12)

scenario: Select.req while already SELECTED draws status 1  # vendor answers status 0
E37-7.6.2 # fixed in 2.1
E37-10.1  # only run with --tags @timers
`;

test('baseline: parses clause and scenario entries with their comments', () => {
  const entries = parseBaseline(FILE, 'b.txt');
  assert.deepEqual(
    entries.map((e) => [e.kind, e.id, e.comment, e.line]),
    [
      ['clause', 'E37-9.2.2', 'answers Linktest.req before Select (ticket 12)', 2],
      ['scenario', 'Select.req while already SELECTED draws status 1', 'vendor answers status 0', 4],
      ['clause', 'E37-7.6.2', 'fixed in 2.1', 5],
      ['clause', 'E37-10.1', 'only run with --tags @timers', 6],
    ],
  );
});

test('baseline: an entry without a comment is an error naming the line', () => {
  assert.throws(() => parseBaseline('# ok\nE37-9.2.2\n', 'b.txt'), (e: Error) => e instanceof BaselineError && /b\.txt:2: entry 'E37-9\.2\.2' has no comment/.test(e.message));
  assert.throws(() => parseBaseline('E37-9.2.2 #   \n', 'b.txt'), /b\.txt:1/);
  assert.throws(() => parseBaseline('bogus # why\n', 'b.txt'), /b\.txt:1: 'bogus' is neither/);
  assert.throws(() => parseBaseline('E37-1 # a\nE37-1 # b\n', 'b.txt'), /b\.txt:2: duplicate entry/);
});

test('baseline: known failures pass, stale entries and new failures fail the run', () => {
  const entries = parseBaseline(FILE, 'b.txt');
  const s = (name: string, clauses: string[], verdict: BaselineScenario['verdict'], role = 'passive'): BaselineScenario => ({ name, clauses, verdict, role });
  const scenarios = [
    s('linktest early', ['E37-9.2.2'], 'fail'),
    s('Select.req while already SELECTED draws status 1', ['E37-7.2'], 'fail', 'active'),
    s('separate ignored', ['E37-7.6.2'], 'pass'),
  ];
  const clauses = [
    { id: 'E37-9.2.2', verdict: 'fail' as const },
    { id: 'E37-7.2', verdict: 'fail' as const },
    { id: 'E37-7.6.2', verdict: 'pass' as const },
    { id: 'E37-10.1', verdict: 'not-tested' as const },
  ];
  const b = compareBaseline('b.txt', entries, scenarios, clauses, false);
  assert.deepEqual(b.newFailures, []);
  assert.deepEqual(b.stillFailing.map((x) => x.id), ['E37-9.2.2', 'scenario: Select.req while already SELECTED draws status 1']);
  assert.deepEqual(b.fixed.map((x) => x.id), ['E37-7.6.2']);
  assert.deepEqual(b.notRun.map((x) => x.id), ['E37-10.1']);
  assert.equal(b.failsRun, true, 'a stale entry fails the run');

  const onlyKnown = compareBaseline('b.txt', entries.filter((e) => e.id !== 'E37-7.6.2'), scenarios, clauses, false);
  assert.equal(onlyKnown.failsRun, false, 'known failures do not fail the run');

  const extra = compareBaseline('b.txt', entries, [...scenarios, s('new one', ['E37-8.2.1'], 'fail')], clauses, false);
  assert.deepEqual(extra.newFailures, ['[E37-8.2.1] new one (IUT passive)']);
  assert.equal(extra.failsRun, true);
});

test('baseline: with --strict a warn outside the baseline is a new failure', () => {
  const b = compareBaseline('b.txt', [], [{ name: 'w', clauses: ['E37-7.2'], verdict: 'warn', role: 'passive' }], [], true);
  assert.deepEqual(b.newFailures, ['[E37-7.2] w (IUT passive)']);
  assert.equal(compareBaseline('b.txt', [], [{ name: 'w', clauses: ['E37-7.2'], verdict: 'warn', role: 'passive' }], [], false).failsRun, false);
});
