import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './support/raw-socket';

/**
 * The harness against IUTs that misbehave in ways no scenario plans for: each run finishes in
 * bounded time, every scenario gets a verdict with evidence, the harness's memory stays
 * bounded, and the exit code says what happened (1: findings, 3: unreachable or not started).
 */

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin', 'hsms-conformance.js');
const fixture = path.join(root, 'dist', 'test', 'fixtures', 'hostile-iut.js');
/** A few scenarios from each area keep every run short; each still has to end with a verdict. */
const TAGS = '@E37-7.2.2 or @E37-7.5.2 or @E37-8.2.7';
const RUN_LIMIT_MS = 150_000;
/** Harness peak RSS allowed while an IUT floods it. */
const RSS_LIMIT_MB = 400;

interface RunOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly report: { clauses: Array<{ scenarios: Array<{ verdict: string; reason: string }> }> } | null;
  readonly ms: number;
}

async function certify(profileYaml: (port: number) => string, extraArgs: string[] = []): Promise<RunOutcome> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-'));
  const profile = path.join(dir, 'profile.yaml');
  fs.writeFileSync(profile, profileYaml(port));
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, 'run', '--profile', profile, '--report-dir', path.join(dir, 'reports'), '--tags', TAGS, '--seed', '7', ...extraArgs], { cwd: root, timeout: RUN_LIMIT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const file = path.join(dir, 'reports', 'compliance.json');
      const report = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as RunOutcome['report']) : null;
      // execFile reports the exit status as a numeric `code` on the error (a string code means it never ran).
      const raw: unknown = err ? (err as { code?: unknown }).code : 0;
      resolve({ code: typeof raw === 'number' ? raw : null, stdout, stderr, report, ms: Date.now() - started });
    });
  });
}

function launched(command: string, extra = ''): (port: number) => string {
  return (port) => `name: hostile
role: passive
host: 127.0.0.1
port: ${port}
timers: { t3: 1, t5: 0.3, t6: 0.5, t7: 0.8, t8: 0.4 }
tolerance: 0.2
capabilities: { multipleConnections: false, refusal: a, maxMessageLength: 1048576 }
launch:
  command: ${command}
  restart: per-scenario
  readyTimeout: 2
${extra}control: stdin
`;
}

function hostile(behaviour: string): (port: number) => string {
  return launched(`node ${JSON.stringify(fixture)} ${behaviour}`);
}

function assertEveryScenarioJudged(o: RunOutcome, allowed: readonly string[]): void {
  assert.ok(o.report, `no compliance.json was written; stderr: ${o.stderr.slice(-2000)}`);
  const scenarios = o.report.clauses.flatMap((c) => c.scenarios);
  assert.ok(scenarios.length > 0, 'no scenario was reported');
  for (const s of scenarios) {
    if (s.verdict === 'not-applicable') continue;
    assert.ok(allowed.includes(s.verdict), `verdict ${s.verdict} (${s.reason}) is not one of ${allowed.join(', ')}`);
    if (s.verdict !== 'pass') assert.ok(s.reason.length > 0, 'a verdict without a reason');
  }
}

function peakRssMb(stdout: string): number {
  const m = /harness peak RSS: (\d+) MB/.exec(stdout);
  assert.ok(m, 'the run did not report its peak RSS');
  return Number(m[1]);
}

const cases: Array<{ name: string; profile: (port: number) => string; exit: readonly number[]; verdicts: readonly string[] }> = [
  { name: 'crashes in the middle of a scenario', profile: hostile('crash-mid'), exit: [1, 3], verdicts: ['pass', 'fail', 'inconclusive', 'warn'] },
  { name: 'accepts and never reads', profile: hostile('never-reads'), exit: [1], verdicts: ['fail', 'inconclusive', 'warn'] },
  { name: 'floods with a 0xFFFFFFFF length and endless bytes', profile: hostile('flood-length'), exit: [1], verdicts: ['fail', 'inconclusive', 'warn'] },
  { name: 'floods with 1 GB data messages', profile: hostile('flood-data'), exit: [1], verdicts: ['fail', 'inconclusive', 'warn'] },
  { name: 'answers every frame with garbage', profile: hostile('garbage'), exit: [1], verdicts: ['fail', 'inconclusive', 'warn'] },
  { name: 'closes and reopens in a loop', profile: hostile('flap'), exit: [1, 3], verdicts: ['pass', 'fail', 'inconclusive', 'warn'] },
  {
    name: 'never accepts (listens, never calls accept)',
    profile: launched(`python3 -c "import socket,time,os; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(os.environ['HSMS_PORT']))); s.listen(64); time.sleep(600)"`),
    exit: [1, 3],
    verdicts: ['fail', 'inconclusive', 'warn'],
  },
  { name: 'exits at once', profile: hostile('exit-now'), exit: [3], verdicts: ['inconclusive'] },
  { name: 'launch command that does not exist', profile: launched('./no-such-hsms-implementation'), exit: [3], verdicts: ['inconclusive'] },
];

// Each run is a separate harness process that mostly waits on its IUT: three at a time.
describe('hostile IUTs', { concurrency: 3 }, () => {
  for (const c of cases) {
    test(`an IUT that ${c.name} gets verdicts, a report and the right exit code`, { timeout: RUN_LIMIT_MS + 10_000 }, async () => {
      const o = await certify(c.profile);
      assert.ok(o.code !== null && c.exit.includes(o.code), `exit code ${o.code}, expected ${c.exit.join(' or ')}; stdout tail:\n${o.stdout.slice(-1500)}\n${o.stderr.slice(-1500)}`);
      assertEveryScenarioJudged(o, c.verdicts);
      assert.ok(peakRssMb(o.stdout) < RSS_LIMIT_MB, `harness peak RSS ${peakRssMb(o.stdout)} MB`);
    });
  }
});

test('an address where nothing listens gives exit 3 with a clear message', { timeout: RUN_LIMIT_MS }, async () => {
  const o = await certify((port) => `name: nobody home\nrole: passive\nport: ${port}\ntimers: { t3: 1, t5: 0.3, t6: 0.5, t7: 0.8, t8: 0.4 }\n`);
  assert.equal(o.code, 3, o.stdout.slice(-1500));
  assert.match(o.stdout, /cannot connect to the IUT at 127\.0\.0\.1:\d+/);
});

test('a port already in use for an active IUT gives exit 3 with a clear message', { timeout: RUN_LIMIT_MS }, async () => {
  const blocker = net.createServer();
  const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
  try {
    const o = await certify(() => `name: active behind a busy port\nrole: active\nport: ${port}\ntimers: { t3: 1, t5: 0.3, t6: 0.5, t7: 0.8, t8: 0.4 }\n`);
    assert.equal(o.code, 3, o.stdout.slice(-1500));
    assert.match(o.stdout + o.stderr, /cannot listen on 127\.0\.0\.1:\d+/);
  } finally {
    blocker.close();
  }
});
