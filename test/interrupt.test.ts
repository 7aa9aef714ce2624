import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, within } from './support/raw-socket';

/**
 * Ctrl-C during a run against a launched IUT: the harness exits with 130 in bounded time, the
 * reports are written, and the IUT it launched (hsms-peer) is gone, not left listening.
 */

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin', 'hsms-conformance.js');
const profileSource = path.join(root, 'examples', 'profiles', 'reference-peer-passive.yaml');
/** The scenario under way finishes first (its waits are bounded by the profile's short timers). */
const EXIT_LIMIT_MS = 60_000;
/** Bound on the run's start-up (loading the suite) before the first verdict is printed. */
const START_LIMIT_MS = 30_000;

/** True when something accepts a TCP connection on 127.0.0.1:port (bounded to 1 s). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(true);
    }, 1000);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/** Processes whose command line names hsms-peer and the port (the launched IUT). */
function peerProcesses(port: number): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes('hsms-peer') && new RegExp(`--port ${port}(\\s|$)`).test(l));
}

test('SIGINT during a run: exit 130, reports written, the launched IUT is gone', { timeout: START_LIMIT_MS + EXIT_LIMIT_MS + 30_000 }, async () => {
  // The example profile, on a port of its own so that parallel runs do not collide.
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interrupt-'));
  const profile = path.join(dir, 'profile.yaml');
  const yaml = fs
    .readFileSync(profileSource, 'utf8')
    .replace(/^port: \d+$/m, `port: ${port}`)
    .replace(/^(\s+cwd:) .*$/m, `$1 ${JSON.stringify(root)}`);
  assert.match(yaml, new RegExp(`^port: ${port}$`, 'm'));
  fs.writeFileSync(profile, yaml);
  const reportDir = path.join(dir, 'reports');

  const child = spawn(process.execPath, [cli, 'run', '--profile', profile, '--report-dir', reportDir, '--seed', '3'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output = (output + b.toString('utf8')).slice(-8000)));
  child.stderr.on('data', (b: Buffer) => (output = (output + b.toString('utf8')).slice(-8000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  try {
    // Let the run get going (about 3 s; longer on a loaded host): the IUT launched and the
    // first scenario verdicts printed.
    const startBy = Date.now() + START_LIMIT_MS;
    await new Promise((r) => setTimeout(r, 3000));
    while (!/^(PASS|FAIL|WARN|INCO|N\/A|ERR)/m.test(output) && child.exitCode === null && Date.now() < startBy) await new Promise((r) => setTimeout(r, 100));
    assert.equal(child.exitCode, null, `the run ended before the interrupt:\n${output}`);
    assert.ok(peerProcesses(port).length > 0, `no launched hsms-peer for port ${port} before the interrupt:\n${output}`);
    const sentAt = Date.now();
    child.kill('SIGINT');
    const result = await within(exited, EXIT_LIMIT_MS);
    assert.notEqual(result, 'timeout', `no exit within ${EXIT_LIMIT_MS} ms of SIGINT:\n${output}`);
    if (result === 'timeout') return;
    assert.equal(result.code, 130, `exit ${result.code} (signal ${result.signal}) ${Date.now() - sentAt} ms after SIGINT:\n${output}`);
    assert.match(output, /interrupted/);

    const file = path.join(reportDir, 'compliance.json');
    assert.ok(fs.existsSync(file), `no compliance.json after the interrupt:\n${output}`);
    const report = JSON.parse(fs.readFileSync(file, 'utf8')) as { clauses: Array<{ scenarios: Array<{ verdict: string; reason: string }> }> };
    const scenarios = report.clauses.flatMap((c) => c.scenarios);
    assert.ok(scenarios.some((s) => /interrupted/.test(s.reason)), 'no scenario is reported as not run because of the interrupt');

    // The launched hsms-peer is gone: nothing listens on the profile's port, no such process.
    assert.equal(await listening(port), false, `something still listens on ${port} after the harness exited`);
    assert.deepEqual(peerProcesses(port), []);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
