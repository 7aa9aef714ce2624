import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { renderComplianceHtml, renderComplianceMarkdown } from '../src/report/compliance-html';
import { buildJunit } from '../src/report/junit';
import { allureScenarioMessage, epicOf } from '../src/report/allure';
import type { ComplianceReport } from '../src/report/compliance';
import type { ScenarioResult } from '../src/harness/suite-runner';

const HOSTILE = '<script>alert(1)</script>';

function report(): ComplianceReport {
  return {
    iut: `Evil ${HOSTILE}`,
    standard: 'e37',
    seed: 42,
    started: '2026-01-01T00:00:00.000Z',
    finished: '2026-01-01T00:01:00.000Z',
    verdict: 'fail',
    harness: { name: 'hsms-conformance', version: '0.1.0', node: 'v20' },
    profile: { name: `x"><img src=x onerror=alert(2)>`, role: 'passive' },
    counts: { pass: 1, warn: 0, fail: 1, inconclusive: 0, 'not-applicable': 0, 'not-tested': 1, error: 0 },
    clauses: [
      {
        id: 'E37-6.3.2', title: 'Passive connect', strength: 'MUST', statement: 's', source: 'E37', verdict: 'pass',
        scenarios: [{ name: 'accepts', role: 'passive', verdict: 'pass', reason: '', measurements: ['T7 measured 0.81 s (configured 0.8 s)'], trace: 'traces/06-x--accepts--passive.pcap' }],
      },
      {
        id: 'E37-7.2', title: 'Select', strength: 'MUST', statement: 's', source: 'E37', verdict: 'fail',
        scenarios: [{ name: 'select', role: 'passive', verdict: 'fail', reason: `expected Select.rsp status 0, observed ${HOSTILE}`, measurements: [], trace: 'javascript:alert(3)' }],
      },
      { id: 'E37-10.2', title: 'Docs', strength: 'SHOULD', statement: 's', source: 'E37', verdict: 'not-tested', reason: 'documentation is read by people', scenarios: [] },
    ],
  };
}

test('compliance.html: self-contained, escapes everything from the IUT, links only to traces', () => {
  const html = renderComplianceHtml(report());
  assert.ok(!html.includes(HOSTILE), 'no raw script tag');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the hostile text appears as text');
  assert.ok(!html.includes('<img'), 'no injected element');
  assert.ok(!/<script|src=["']?http|<link /i.test(html), 'no scripts or external assets');
  assert.ok(!html.includes('href="javascript:'), 'no link from an untrusted trace path');
  assert.match(html, /<a href="traces\/06-x--accepts--passive\.pcap">pcap<\/a>/);
  assert.match(html, /<a href="traces\/06-x--accepts--passive\.txt">decoded trace<\/a>/);
  assert.match(html, /@page/);
  assert.match(html, /break-inside: avoid/);
  assert.match(html, /T7 measured 0\.81 s/);
  assert.match(html, /documentation is read by people/);
  assert.ok(html.indexOf('E37-6.3.2') < html.indexOf('E37-7.2') && html.indexOf('E37-7.2') < html.indexOf('E37-10.2'), 'rows in section order');
});

test('compliance.md: one row per clause, cells escaped', () => {
  const md = renderComplianceMarkdown(report());
  assert.ok(!md.includes('<script>'));
  const rows = md.split('\n').filter((l) => l.startsWith('| E37-'));
  assert.equal(rows.length, 3);
});

test('junit.xml: failures carry the expected and observed values and stay well-formed', () => {
  const r: ScenarioResult = {
    id: 'f:s', name: 'select', feature: 'Select', uri: 'features/x.feature', tags: [], clauses: ['E37-7.2'], strength: 'MUST', role: 'passive',
    verdict: 'fail', reason: `expected Select.rsp status 0, observed status 3 ${HOSTILE} \u0001`, measurements: [], unreachable: false, trace: 'a < b', traceFile: '', unavoidableWaitMs: 0, durationMs: 5,
  };
  const xml = buildJunit([r], 'suite');
  assert.match(xml, /<failure message="expected Select\.rsp status 0, observed status 3 &lt;script&gt;/);
  assert.ok(!xml.includes('<script>'));
  assert.ok(!/[\u0000-\u0008]/.test(xml), 'no control characters');
});

test('allure: labels per section, severity from strength, clause link, parameters', () => {
  assert.equal(epicOf('E37-7.6.2'), 'Section 7: procedures');
  assert.equal(epicOf('E37-A1-3'), 'Appendix A1: application notes');
  const msg = JSON.parse(
    allureScenarioMessage({ tags: ['@E37-7.2', '@E37-7.2.2', '@SHOULD'], featureTags: ['@E37-7.2'], iut: 'peer', role: 'passive', profile: { a: 'b' }, seed: 3, verdict: 'warn', reason: 'r' }),
  ) as Array<{ type: string; data: { labels: Array<{ name: string; value: string }>; links: Array<{ name: string; url: string }>; parameters: Array<{ name: string; value: string }> } }>;
  const data = msg[0]!.data;
  const label = (n: string): string[] => data.labels.filter((l) => l.name === n).map((l) => l.value);
  assert.deepEqual(label('epic'), ['Section 7: procedures']);
  assert.equal(label('story').length, 1);
  assert.ok(label('story')[0]!.startsWith('E37-7.2.2'));
  assert.deepEqual(label('severity'), ['normal']);
  assert.deepEqual(data.links.map((l) => l.name), ['E37-7.2.2']);
  assert.deepEqual(data.parameters.map((p) => p.name), ['IUT', 'role', 'profile', 'seed']);
});
