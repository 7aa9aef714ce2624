import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Runs `hsms-conformance run` as a user would, in its own process, against a profile written
 * to a fresh temporary folder, and collects what the user gets: exit code, console output and
 * compliance.json. Every run is bounded by `limitMs`.
 */

/** The project root (this file runs from dist/test/support/). */
export const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'bin', 'hsms-conformance.js');

export interface ReportedScenario {
  readonly name: string;
  readonly role: string;
  readonly verdict: string;
  readonly reason: string;
  readonly trace: string;
}

export interface RunOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly report: { clauses: Array<{ id: string; scenarios: ReportedScenario[] }> } | null;
  readonly reportDir: string;
  /** Wall time of the run, spawn to exit. */
  readonly ms: number;
}

export function runConformance(profileYaml: string, args: readonly string[], limitMs: number): Promise<RunOutcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hsms-run-'));
  const profile = path.join(dir, 'profile.yaml');
  const reportDir = path.join(dir, 'reports');
  fs.writeFileSync(profile, profileYaml);
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'run', '--profile', profile, '--report-dir', reportDir, ...args], { cwd: ROOT, timeout: limitMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const ms = Date.now() - started;
      const file = path.join(reportDir, 'compliance.json');
      const report = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as RunOutcome['report']) : null;
      // execFile reports the exit status as a numeric `code` on the error (a string code means it never ran).
      const raw: unknown = err ? (err as { code?: unknown }).code : 0;
      resolve({ code: typeof raw === 'number' ? raw : null, stdout, stderr, report, reportDir, ms });
    });
  });
}

/**
 * Every scenario of a run's compliance.json once (a scenario of several clauses is listed under
 * each), keyed by name, role and evidence file (outline rows may share a name; the file differs).
 */
export function scenariosOf(o: RunOutcome): Map<string, ReportedScenario> {
  const seen = new Map<string, ReportedScenario>();
  for (const c of o.report?.clauses ?? []) for (const s of c.scenarios) seen.set(`${s.name} (IUT ${s.role}) ${path.basename(s.trace)}`, s);
  return seen;
}
