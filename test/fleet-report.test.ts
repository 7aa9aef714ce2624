import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ClauseVerdict } from '../src/harness/verdict';
import type { ComplianceClause, ComplianceReport } from '../src/report/compliance';
import type { FleetReport } from '../src/report/fleet-report';
import { describeRun, runCommand } from './support/run-command';

/**
 * `hsms-conformance report --merge DIR...` (issue 14 item 3): several runs' compliance.json in one
 * fleet summary, one row per IUT, written as fleet.json, fleet.html and fleet.md.
 */

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'bin', 'hsms-conformance.js');
const HOSTILE = '<script>alert(1)</script>';

function clause(id: string, verdict: ClauseVerdict, role: string): ComplianceClause {
  return {
    id,
    title: id,
    strength: 'MUST',
    statement: '',
    source: 'E37',
    verdict,
    scenarios: verdict === 'not-tested' ? [] : [{ name: `${id} scenario`, role, verdict, reason: '', measurements: [], trace: '' }],
  };
}

function report(iut: string, role: string, verdict: ComplianceReport['verdict'], clauses: ComplianceClause[], extra: Partial<ComplianceReport> = {}): ComplianceReport {
  const counts = { pass: 0, warn: 0, fail: 0, inconclusive: 0, 'not-applicable': 0, 'not-tested': 0, error: 0 } as Record<ClauseVerdict, number>;
  for (const c of clauses) counts[c.verdict]++;
  return {
    iut,
    standard: 'e37',
    seed: 7,
    started: '2026-01-01T00:00:00.000Z',
    finished: '2026-01-01T00:01:00.000Z',
    verdict,
    harness: { name: 'hsms-conformance', version: '0.1.0', node: 'v20' },
    profile: { name: iut, role },
    counts,
    clauses,
    ...extra,
  };
}

function writeRun(dir: string, r: ComplianceReport): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'compliance.json'), JSON.stringify(r));
  return dir;
}

test('report --merge: one row per IUT, runs of the same IUT combined clause by clause, written as fleet.json, .html and .md', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-'));
  const etcherPassive = writeRun(path.join(dir, 'runs', 'etcher-passive'), report('Etcher 2.1', 'passive', 'pass', [clause('E37-7.2', 'pass', 'passive'), clause('E37-9.2.2', 'not-applicable', 'passive'), clause('E37-10.2', 'not-tested', 'passive')]));
  const etcherActive = writeRun(
    path.join(dir, 'runs', 'etcher-active'),
    report('Etcher 2.1', 'active', 'fail', [clause('E37-7.2', 'pass', 'active'), clause('E37-9.2.2', 'fail', 'active'), clause('E37-10.2', 'not-tested', 'active')]),
  );
  const stepper = writeRun(
    path.join(dir, 'runs', 'stepper'),
    report(`Stepper ${HOSTILE}`, 'passive', 'fail', [clause('E37-7.2', 'error', 'passive'), clause('E37-9.2.2', 'pass', 'passive'), clause('E37-10.2', 'not-tested', 'passive')], { stopped: 'the run stopped: the IUT could not be reached' }),
  );
  const cleaner = writeRun(path.join(dir, 'runs', 'cleaner'), report('Cleaner', 'passive', 'pass', [clause('E37-7.2', 'pass', 'passive'), clause('E37-9.2.2', 'pass', 'passive'), clause('E37-10.2', 'not-tested', 'passive')]));
  const out = path.join(dir, 'fleet');

  const r = await runCommand(process.execPath, [CLI, 'report', '--merge', etcherPassive, etcherActive, stepper, cleaner, '--report-dir', out], { cwd: dir, timeoutMs: 30_000 });
  assert.equal(r.code, 0, describeRun('report --merge', r));
  assert.match(r.stdout, /fleet: 3 IUT\(s\) from 4 run\(s\), verdict FAIL/);

  const fleet = JSON.parse(fs.readFileSync(path.join(out, 'fleet.json'), 'utf8')) as FleetReport;
  assert.equal(fleet.verdict, 'fail');
  assert.deepEqual(fleet.counts, { pass: 1, warn: 0, fail: 2, inconclusive: 0 });
  assert.deepEqual(
    fleet.iuts.map((row) => [row.iut, row.roles, row.verdict, row.failedClauses, row.runs.length]),
    [
      ['Cleaner', ['passive'], 'pass', [], 1],
      ['Etcher 2.1', ['passive', 'active'], 'fail', ['E37-9.2.2'], 2],
      [`Stepper ${HOSTILE}`, ['passive'], 'fail', ['E37-7.2'], 1],
    ],
  );
  const etcher = fleet.iuts.find((row) => row.iut === 'Etcher 2.1')!;
  // Per clause the worst of the two runs: 7.2 pass, 9.2.2 fail (not-applicable in one), 10.2 not-tested.
  assert.deepEqual(etcher.counts, { pass: 1, warn: 0, fail: 1, inconclusive: 0, 'not-applicable': 0, 'not-tested': 1, error: 0 });
  assert.equal(fleet.iuts.find((row) => row.iut.startsWith('Stepper'))!.runs[0]!.stopped, 'the run stopped: the IUT could not be reached');

  const html = fs.readFileSync(path.join(out, 'fleet.html'), 'utf8');
  assert.ok(!html.includes(HOSTILE), 'IUT names are escaped');
  assert.ok(html.includes('Stepper &lt;script&gt;'));
  assert.match(html, /<a href="\.\.\/runs\/etcher-active\/compliance\.html">etcher-active<\/a>/, 'each run links to its own report');
  assert.match(html, /stopped early/);
  const md = fs.readFileSync(path.join(out, 'fleet.md'), 'utf8');
  const rows = md.split('\n').filter((l) => /^\| (Cleaner|Etcher|Stepper)/.test(l));
  assert.equal(rows.length, 3, md);
  assert.match(rows[1]!, /^\| Etcher 2\.1 \| e37 \| passive, active \| fail \| fail 1, pass 1, not-tested 1 \| E37-9\.2\.2 \|/);
});

test('report --merge: a folder without compliance.json is a usage error naming it (exit 2)', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bad-'));
  const good = writeRun(path.join(dir, 'good'), report('Cleaner', 'passive', 'pass', [clause('E37-7.2', 'pass', 'passive')]));
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  const notOurs = path.join(dir, 'other');
  fs.mkdirSync(notOurs);
  fs.writeFileSync(path.join(notOurs, 'compliance.json'), '{"hello": 1}');
  for (const [bad, expected] of [
    [empty, /empty[/\\]compliance\.json: cannot read it \(ENOENT\)/],
    [notOurs, /not a compliance\.json of hsms-conformance/],
  ] as const) {
    const r = await runCommand(process.execPath, [CLI, 'report', '--merge', good, bad, '--report-dir', path.join(dir, 'fleet')], { cwd: dir, timeoutMs: 30_000 });
    assert.equal(r.code, 2, describeRun('report --merge with a bad folder', r));
    assert.match(r.stderr, expected);
  }
  assert.ok(!fs.existsSync(path.join(dir, 'fleet', 'fleet.json')), 'nothing written');
  const none = await runCommand(process.execPath, [CLI, 'report', '--merge', '--report-dir', path.join(dir, 'fleet')], { cwd: dir, timeoutMs: 30_000 });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--merge needs the report folders/);
});
