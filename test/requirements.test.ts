import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JUDGED_THROUGH, REQUIREMENTS, requirementById, sectionOrder, type Requirement } from '../src/harness/requirements';

// The compiled test runs from dist/test/, so both paths climb out of dist/ first.
const SPEC_PATH = path.resolve(__dirname, '../../../shared/spec/E37-0298.txt');
const SOURCE_PATH = path.resolve(__dirname, '../../src/harness/requirements.ts');

const E37_ID = /^E37-(\d+(\.\d+)*|A1-\d+(\.\d+)*)$/;
const E37_1_ID = /^E37\.1-[a-z0-9-]+$/;
const SECTION_LABEL = /^(\d+(?:\.\d+)*|A1-\d+(?:\.\d+)*)$/;

interface Heading {
  readonly label: string;
  readonly appendix: boolean;
  readonly path: readonly number[];
  readonly line: number;
}

function labelKey(label: string): { appendix: boolean; path: number[] } {
  const appendix = label.startsWith('A1-');
  return { appendix, path: (appendix ? label.slice(3) : label).split('.').map(Number) };
}

/** True when `next` can be the heading that follows `prev`: its first child, or the next sibling at some level. */
function follows(prev: Heading | undefined, next: { appendix: boolean; path: readonly number[] }): boolean {
  const first = next.path.length === 1 && next.path[0] === 1;
  if (prev === undefined) return !next.appendix && first;
  if (prev.appendix !== next.appendix) return !prev.appendix && next.appendix && first;
  const samePrefix = (n: number): boolean => prev.path.slice(0, n).every((v, i) => v === next.path[i]);
  if (next.path.length === prev.path.length + 1 && samePrefix(prev.path.length) && next.path.at(-1) === 1) return true;
  for (let level = 0; level < prev.path.length; level++) {
    if (next.path.length === level + 1 && samePrefix(level) && next.path[level] === (prev.path[level] ?? 0) + 1) {
      return true;
    }
  }
  return false;
}

/**
 * The numbered headings of the standard, in order. A line that merely starts with a number
 * (a table row such as "10 Bytes") is a heading only if it is a valid successor of the last one;
 * table rows that start with a tab-separated number ("9<TAB>Separate.req") never match.
 */
function parseHeadings(text: string): Heading[] {
  const headings: Heading[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const m = /^(\d+(?:\.\d+)*|A1-\d+(?:\.\d+)*) \S/.exec(raw); // headings use a space, table rows a tab
    if (!m || m[1] === undefined) return;
    const key = labelKey(m[1]);
    if (follows(headings.at(-1), key)) headings.push({ label: m[1], ...key, line: index + 1 });
  });
  return headings;
}

/** Sections listed as left out in the comment block at the top of requirements.ts ("- 5.1: why"). */
function leftOutSections(source: string): Map<string, string> {
  const end = source.indexOf('*/');
  assert.ok(end > 0, 'requirements.ts starts with a comment block');
  const out = new Map<string, string>();
  for (const line of source.slice(0, end).split(/\r?\n/)) {
    const m = /^\s*\*\s+-\s+(\S+?):\s+(\S.*)$/.exec(line);
    if (m && m[1] !== undefined && m[2] !== undefined) {
      assert.ok(!out.has(m[1]), `section ${m[1]} is listed twice in the left-out block`);
      out.set(m[1], m[2]);
    }
  }
  return out;
}

const e37Entries = (): Requirement[] => REQUIREMENTS.filter((r) => r.standard === 'e37');

test('ids are unique and well formed', () => {
  const seen = new Set<string>();
  for (const r of REQUIREMENTS) {
    assert.ok(!seen.has(r.id), `duplicate id ${r.id}`);
    seen.add(r.id);
    assert.ok(E37_ID.test(r.id) || E37_1_ID.test(r.id), `malformed id ${r.id}`);
  }
});

test('each entry is consistent: section, standard, strength, title, statement', () => {
  for (const r of REQUIREMENTS) {
    assert.ok(['MUST', 'SHOULD', 'MAY'].includes(r.strength), `${r.id}: strength ${r.strength}`);
    assert.ok(r.title.length > 0 && r.title.length < 50, `${r.id}: title must be 1-49 characters`);
    assert.ok(r.statement.trim().length > 20, `${r.id}: statement too short`);
    if (r.notTestedReason !== undefined) {
      assert.ok(r.notTestedReason.trim().length > 20, `${r.id}: notTestedReason too short`);
    }
    if (E37_1_ID.test(r.id)) {
      assert.equal(r.standard, 'hsms-ss', `${r.id}: E37.1 rules apply only under hsms-ss`);
      assert.equal(r.section, 'E37.1', `${r.id}: section`);
      assert.match(r.statement, /E37\.1/, `${r.id}: statement must name the subsidiary standard`);
    } else {
      assert.equal(r.standard, 'e37', `${r.id}: standard`);
      assert.equal(r.id, `E37-${r.section}`, `${r.id}: id must be E37- + section`);
      assert.match(r.section, SECTION_LABEL);
    }
  }
});

test('requirementById finds every entry and nothing else', () => {
  for (const r of REQUIREMENTS) assert.equal(requirementById(r.id), r);
  assert.equal(requirementById('E37-99.9'), undefined);
  assert.equal(requirementById('7.6.2'), undefined);
  assert.equal(requirementById('E37-7.6.2')?.strength, 'MUST');
});

test('sectionOrder compares numerically, parents first, appendix and E37.1 last', () => {
  const before = (a: string, b: string): void => {
    assert.ok(sectionOrder(a, b) < 0, `${a} should sort before ${b}`);
    assert.ok(sectionOrder(b, a) > 0, `${b} should sort after ${a}`);
  };
  before('E37-5', 'E37-5.3');
  before('E37-5.3', 'E37-6.2.2');
  before('E37-6.2.2', 'E37-7.2.1');
  before('E37-7.2.1', 'E37-7.10');
  before('E37-7.9', 'E37-7.10');
  before('E37-7.10', 'E37-10');
  before('E37-9.4.2', 'E37-10');
  before('E37-10', 'E37-10.1');
  before('E37-8.1.4', 'E37-8.1.4.6');
  before('E37-8.1.4.6', 'E37-8.2');
  before('E37-10.1', 'E37-A1-3');
  before('E37-A1-3', 'E37-A1-3.1');
  before('E37-A1-3.2', 'E37-A1-10');
  before('E37-A1-3.2', 'E37.1-control-session-id');
  before('E37.1-single-session', 'E37.1-t3-no-close');
  // Bare section numbers order the same way.
  before('7.9', '7.10');
  before('10.1', 'A1-3');
  before('A1-3.2', 'E37.1');
  assert.equal(sectionOrder('E37-7.6.2', 'E37-7.6.2'), 0);
  assert.equal(sectionOrder('E37-7.6.2', '7.6.2'), 0);
  const shuffled = ['E37-10', 'E37.1-t3-no-close', 'E37-7.10', 'E37-A1-3', 'E37-5.3', 'E37-7.9', 'E37-10.1'];
  assert.deepEqual(
    [...shuffled].sort(sectionOrder),
    ['E37-5.3', 'E37-7.9', 'E37-7.10', 'E37-10', 'E37-10.1', 'E37-A1-3', 'E37.1-t3-no-close'],
  );
});

test('the catalogue is listed in section order', () => {
  for (let i = 1; i < REQUIREMENTS.length; i++) {
    const a = REQUIREMENTS[i - 1];
    const b = REQUIREMENTS[i];
    assert.ok(a && b && sectionOrder(a.id, b.id) < 0, `${a?.id} should come before ${b?.id}`);
  }
});

test('strengths the brief and NOTES.md fix', () => {
  const expected: Record<string, string> = {
    'E37-9.1.1': 'SHOULD',
    'E37-9.2.1': 'SHOULD',
    'E37-9.2.2': 'MUST',
    'E37-9.2.3': 'MUST',
    'E37-9.4.2': 'SHOULD',
    'E37-6.4': 'MUST',
    'E37-7.7.2': 'MUST',
  };
  for (const [id, strength] of Object.entries(expected)) assert.equal(requirementById(id)?.strength, strength, id);
  for (const id of ['E37-6.2.1', 'E37-10', 'E37-10.1']) {
    assert.ok(requirementById(id)?.notTestedReason, `${id} needs a notTestedReason`);
  }
});

test('every E37 entry names a real heading of E37-0298, and every heading from 5 on is covered', (t) => {
  if (!fs.existsSync(SPEC_PATH)) {
    t.skip(`E37-0298.txt not found at ${SPEC_PATH}; heading checks skipped`);
    return;
  }
  const headings = parseHeadings(fs.readFileSync(SPEC_PATH, 'utf8'));
  const labels = new Set(headings.map((h) => h.label));
  // Sanity: the parser found the structure we rely on, and skipped table rows.
  for (const label of ['5', '5.3', '7.10', '9.2.4.1', '10', '10.1', 'A1-3', 'A1-3.2', 'A1-11']) {
    if (label === '7.10') assert.ok(!labels.has(label), 'E37-0298 has no section 7.10');
    else assert.ok(labels.has(label), `parser missed heading ${label}`);
  }
  assert.equal(headings.filter((h) => h.label === '10').length, 1, 'the "10 Bytes" table row is not a heading');

  for (const r of e37Entries()) assert.ok(labels.has(r.section), `${r.id}: no heading ${r.section} in E37-0298.txt`);

  if (!fs.existsSync(SOURCE_PATH)) {
    t.diagnostic(`requirements.ts not found at ${SOURCE_PATH}; left-out block not checked`);
    return;
  }
  const leftOut = leftOutSections(fs.readFileSync(SOURCE_PATH, 'utf8'));
  const entries = new Set(e37Entries().map((r) => r.section));
  for (const [label] of leftOut) {
    assert.ok(labels.has(label), `left-out section ${label} is not a heading of E37-0298.txt`);
    assert.ok(!entries.has(label), `section ${label} is both an entry and left out`);
  }
  const inScope = headings.filter((h) => h.appendix || (h.path[0] ?? 0) >= 5);
  const uncovered = inScope.filter((h) => !entries.has(h.label) && !leftOut.has(h.label)).map((h) => h.label);
  assert.deepEqual(uncovered, [], 'every heading from section 5 on is an entry or listed as left out with a reason');
});

test('sections judged through others name catalogue entries that are tested, never themselves', () => {
  for (const [id, through] of Object.entries(JUDGED_THROUGH)) {
    assert.ok(requirementById(id), `${id} is judged through others but is not in the catalogue`);
    assert.equal(requirementById(id)?.notTestedReason, undefined, `${id} is judged, so it has no not-tested reason`);
    for (const t of through) {
      assert.ok(requirementById(t), `${id} is judged through ${t}, which is not in the catalogue`);
      assert.notEqual(t, id);
      assert.equal(JUDGED_THROUGH[t], undefined, `${id} is judged through ${t}, itself judged through others`);
    }
  }
});

test('the last corners have rows: 5.1, 6.1, 7.7.1 and 8.1.1 are tested or judged through others', () => {
  for (const id of ['E37-5.1', 'E37-6.1', 'E37-7.7.1', 'E37-8.1.1']) {
    const r = requirementById(id);
    assert.ok(r, `${id} is in the catalogue`);
    assert.equal(r.notTestedReason, undefined, `${id} is tested`);
  }
  assert.equal(JUDGED_THROUGH['E37-7.7.1'], undefined, '7.7.1 has scenarios of its own');
});
