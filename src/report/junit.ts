import type { ScenarioResult } from '../harness/suite-runner';
import { xmlEscape } from './xml';
import { foldLongLines, LINE_LIMIT, summaryLine } from './line-limits';

/**
 * junit.xml: one testcase per scenario, named with its clause, classname per feature. Fail and
 * error are failures and errors; warn, inconclusive and not-applicable are skipped with the
 * verdict in the message, so CI reporters show them without counting them as passes. The
 * message attribute is the reason's first line; the whole reason follows as the element's text.
 */
export function buildJunit(results: readonly ScenarioResult[], suiteName: string): string {
  const byFeature = new Map<string, ScenarioResult[]>();
  for (const r of results) {
    const list = byFeature.get(r.feature) ?? [];
    list.push(r);
    byFeature.set(r.feature, list);
  }
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const count = (rs: readonly ScenarioResult[], pred: (r: ScenarioResult) => boolean): number => rs.filter(pred).length;
  const failures = (rs: readonly ScenarioResult[]): number => count(rs, (r) => r.verdict === 'fail');
  const errors = (rs: readonly ScenarioResult[]): number => count(rs, (r) => r.verdict === 'error');
  const skipped = (rs: readonly ScenarioResult[]): number => count(rs, (r) => r.verdict === 'warn' || r.verdict === 'inconclusive' || r.verdict === 'not-applicable');
  const seconds = (rs: readonly ScenarioResult[]): string => (rs.reduce((a, r) => a + r.durationMs, 0) / 1000).toFixed(3);
  out.push(`<testsuites name="${xmlEscape(suiteName)}" tests="${results.length}" failures="${failures(results)}" errors="${errors(results)}" skipped="${skipped(results)}" time="${seconds(results)}">`);
  for (const [feature, rs] of byFeature) {
    out.push(`  <testsuite name="${xmlEscape(feature)}" tests="${rs.length}" failures="${failures(rs)}" errors="${errors(rs)}" skipped="${skipped(rs)}" time="${seconds(rs)}">`);
    for (const r of rs) {
      const name = `[${r.clauses.join(' ')}] ${r.name} (IUT ${r.role})`;
      out.push(`    <testcase classname="${xmlEscape(feature)}" name="${xmlEscape(name)}" time="${(r.durationMs / 1000).toFixed(3)}">`);
      const message = summaryLine(r.reason, xmlEscape);
      const text = foldLongLines(r.reason, LINE_LIMIT, xmlEscape);
      if (r.verdict === 'fail') out.push(`      <failure message="${message}" type="fail">`, text, '      </failure>');
      else if (r.verdict === 'error') out.push(`      <error message="${message}" type="harness-error">`, text, '      </error>');
      else if (r.verdict !== 'pass') out.push(`      <skipped message="${summaryLine(`${r.verdict}: ${r.reason}`, xmlEscape)}">`, text, '      </skipped>');
      if (r.trace) out.push(`      <system-out>${foldLongLines(r.trace, LINE_LIMIT, xmlEscape)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
