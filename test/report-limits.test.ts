import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderComplianceHtml, renderComplianceMarkdown } from '../src/report/compliance-html';
import { buildJunit } from '../src/report/junit';
import { boundText, foldLongLines, LINE_LIMIT, REASON_LIMIT } from '../src/report/line-limits';
import { xmlEscape } from '../src/report/xml';
import type { ComplianceReport, ComplianceScenario } from '../src/report/compliance';
import type { ScenarioResult } from '../src/harness/suite-runner';

/** No line of a report grows with the number of scenarios or with what an IUT writes. */

const MAX_LINE = 2048;

function longestLine(text: string): number {
  return Math.max(...text.split('\n').map((l) => Buffer.byteLength(l)));
}

/** A reason as long as the recorder lets through, made of what escaping expands most. */
const REASON = boundText(`"<'&>"`.repeat(1000), REASON_LIMIT);
const TRACE = `   0.001 main   IUT -> tester  S1F2 ${'"<x>" '.repeat(3000)}`;

function scenario(i: number): ComplianceScenario {
  return { name: `scenario ${i} "quoted" <name>`, role: 'passive', verdict: 'fail', reason: REASON, measurements: [`T7 measured ${i} s`], trace: `traces/s-${i}.pcap` };
}

function report(): ComplianceReport {
  return {
    iut: 'many scenarios',
    standard: 'e37',
    seed: 1,
    started: '2026-01-01T00:00:00.000Z',
    finished: '2026-01-01T00:01:00.000Z',
    verdict: 'fail',
    harness: { name: 'hsms-conformance', version: '0.1.0', node: 'v20' },
    profile: { name: 'x' },
    counts: { pass: 0, warn: 0, fail: 1, inconclusive: 0, 'not-applicable': 0, 'not-tested': 0, error: 0 },
    clauses: [{ id: 'E37-7.7.2', title: 'Reject', strength: 'MUST', statement: 's', source: 'E37', verdict: 'fail', reason: 'r'.repeat(5000), scenarios: Array.from({ length: 40 }, (_, i) => scenario(i)) }],
    stopped: `the run stopped\n  ${'x'.repeat(5000)}`,
  };
}

test('compliance.html and .md keep every line under 2 KB, however many scenarios a clause has', () => {
  const r = report();
  const html = renderComplianceHtml(r);
  const md = renderComplianceMarkdown(r);
  assert.ok(longestLine(html) <= MAX_LINE, `compliance.html line of ${longestLine(html)} bytes`);
  assert.ok(longestLine(md) <= MAX_LINE, `compliance.md line of ${longestLine(md)} bytes`);
  // Nothing is lost: every scenario and its evidence are still there.
  for (let i = 0; i < 40; i++) {
    assert.ok(html.includes(`traces/s-${i}.txt`) && md.includes(`traces/s-${i}.txt`), `scenario ${i}'s evidence link is missing`);
  }
  assert.equal(md.split('\n').filter((l) => l.startsWith('| E37-')).length, 1, 'one table row per clause');
  assert.match(md, /\| E37-7\.7\.2 \| Reject \| MUST \| fail \| 40 fail; r+\.\.\. \(4400 more characters not shown\) \|/);
});

test('junit.xml keeps every line under 2 KB and the whole reason in the element text', () => {
  const result: ScenarioResult = {
    id: 'f:s', name: 's', feature: 'F', uri: 'features/x.feature', tags: [], clauses: ['E37-7.7.2'], strength: 'MUST', role: 'passive',
    verdict: 'fail', reason: REASON, measurements: [], unreachable: false, trace: TRACE, traceFile: '', unavoidableWaitMs: 0, durationMs: 1,
  };
  const xml = buildJunit([result, { ...result, verdict: 'inconclusive' }], 'suite');
  assert.ok(longestLine(xml) <= MAX_LINE, `junit.xml line of ${longestLine(xml)} bytes`);
  assert.ok(xml.replace(/\n    \.\.\. /g, '').includes(xmlEscape(REASON)), 'the reason is complete in the element text');
});

test('folding keeps every character and marks each continuation; escaping never splits an entity', () => {
  const line = 'a'.repeat(LINE_LIMIT * 2 + 7);
  const folded = foldLongLines(`short\n${line}`);
  assert.ok(longestLine(folded) <= LINE_LIMIT);
  assert.equal(folded.split('\n').length, 4);
  assert.equal(folded.replace(/\n    \.\.\. /g, ''), `short\n${line}`);
  const escaped = foldLongLines('&'.repeat(1000), 100, xmlEscape);
  for (const l of escaped.split('\n')) assert.match(l, /^( {4}\.\.\. )?(&amp;)+$/, `a folded line splits an entity: ${l.slice(0, 40)}`);
  assert.equal(boundText('abc', 3), 'abc');
  assert.equal(boundText('abcd', 3), 'abc... (1 more characters not shown)');
});
