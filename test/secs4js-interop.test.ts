/**
 * Certifies a real third-party HSMS implementation, secs4js (npm `secs4js`, a devDependency),
 * in both roles, exactly as a user's CI would: `hsms-conformance run` with the profiles and
 * baselines in examples/iuts/secs4js/. The run must exit 0: every failure it finds is a known,
 * explained deviation in the baseline, and no baseline entry has gone stale. A new finding, a
 * stale entry, an IUT that cannot be started or a harness error fails the test with the summary.
 * Everything runs on 127.0.0.1; each run is bounded. Runs from dist/test: the root is two levels up.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCommand, type CommandResult } from './support/run-command';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'bin', 'hsms-conformance.js');
const IUT_DIR = path.join(ROOT, 'examples', 'iuts', 'secs4js');
/** Upper bound for one role's whole run (a normal run takes one to two minutes). */
const RUN_LIMIT_MS = 6 * 60_000;

/** Runs the suite in its own process group, killed as a whole if it outlives the limit. */
function runSuite(args: readonly string[]): Promise<CommandResult> {
  return runCommand(process.execPath, [CLI, ...args], { cwd: ROOT, timeoutMs: RUN_LIMIT_MS });
}

/** The part of the output worth reading when the run did not pass: the summary and the baseline comparison. */
function summaryOf(r: CommandResult): string {
  const at = r.stdout.indexOf('\nIUT: ');
  const summary = at >= 0 ? r.stdout.slice(at + 1) : r.stdout.slice(-6000);
  return `${summary}\n--- stderr (tail) ---\n${r.stderr.slice(-3000)}`;
}

// The two roles use different ports and mostly wait on timers: they run side by side.
describe('secs4js certified against its baselines (examples/iuts/secs4js)', { concurrency: 2 }, () => {
  test('secs4js is installed (devDependency)', () => {
    assert.ok(existsSync(path.join(ROOT, 'node_modules', 'secs4js', 'package.json')), 'node_modules/secs4js is missing: run npm ci (secs4js is a devDependency)');
  });

  for (const role of ['passive', 'active'] as const) {
    test(`secs4js as ${role === 'active' ? 'an' : 'a'} ${role} HSMS-SS IUT: no new findings, no stale baseline entries`, { timeout: RUN_LIMIT_MS + 30_000 }, async (t) => {
      const reportDir = mkdtempSync(path.join(tmpdir(), `secs4js-${role}-`));
      try {
        const r = await runSuite([
          'run',
          '--profile', path.join(IUT_DIR, `${role}.yaml`),
          '--baseline', path.join(IUT_DIR, `baseline-${role}.txt`),
          '--report-dir', reportDir,
          '--seed', '1',
        ]);
        const summary = summaryOf(r);
        assert.ok(!r.timedOut, `the ${role} run did not finish within ${RUN_LIMIT_MS / 1000} s\n${summary}`);
        assert.equal(r.code, 0, `hsms-conformance exited ${r.code}${r.signal ? ` (${r.signal})` : ''} for secs4js ${role} after ${(r.ms / 1000).toFixed(1)} s: new findings or stale baseline entries\n${summary}`);
        // The baseline was applied and found every entry still failing (no entry silently unused).
        assert.match(r.stdout, /baseline .*: new 0 {2}fixed \(stale\) 0/, `the run did not report a clean baseline comparison\n${summary}`);
        const report = JSON.parse(readFileSync(path.join(reportDir, 'compliance.json'), 'utf8')) as { iut: string; clauses: unknown[] };
        assert.match(report.iut, /secs4js/);
        assert.ok(report.clauses.length > 0, 'compliance.json lists no clauses');
        t.diagnostic(`secs4js ${role}: exit 0 in ${(r.ms / 1000).toFixed(1)} s`);
      } finally {
        rmSync(reportDir, { recursive: true, force: true });
      }
    });
  }
});
