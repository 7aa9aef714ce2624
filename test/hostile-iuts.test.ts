import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { freePort } from './support/raw-socket';
import { ROOT, runConformance, scenariosOf, type RunOutcome } from './support/conformance-run';
import { NOT_RUN_UNREACHABLE, UNREACHABLE_LIMIT } from '../src/harness/stopped-run';

/**
 * The harness against IUTs that misbehave in ways no scenario plans for: each run finishes in
 * bounded time, every scenario gets a verdict with evidence, the harness's memory stays
 * bounded, and the exit code says what happened (1: findings, 3: unreachable or not started).
 */

const fixture = path.join(ROOT, 'dist', 'test', 'fixtures', 'hostile-iut.js');
/** A few scenarios from each area keep every run short; each still has to end with a verdict. */
const TAGS = '@E37-7.2.2 or @E37-7.5.2 or @E37-8.2.7';
const RUN_LIMIT_MS = 150_000;
/** Harness peak RSS allowed while an IUT floods it. */
const RSS_LIMIT_MB = 400;

/** Certifies the IUT the profile describes, on a port that was free, with the few scenarios of TAGS (or `args` instead). */
async function certify(profileYaml: (port: number) => string, args: readonly string[] = ['--tags', TAGS]): Promise<RunOutcome> {
  return runConformance(profileYaml(await freePort()), ['--seed', '7', ...args], RUN_LIMIT_MS);
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
  const scenarios = [...scenariosOf(o).values()];
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

/** Report files that are text (pcap files, attached or not, are binary); cucumber.ndjson is cucumber's own format. */
function textReportFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...textReportFiles(p));
    else if (!e.name.endsWith('.pcap') && e.name !== 'cucumber.ndjson') out.push(p);
  }
  return out;
}

test('a launch command that fails at once stops the run: exit 3, its stderr tail, every report line under 2 KB', { timeout: RUN_LIMIT_MS }, async (t) => {
  // All scenarios, not a few: the run must stop by itself after the first ones.
  const o = await certify(launched(`"echo 'starting'; echo 'listen tcp 127.0.0.1: bind: address already in use' >&2; exit 4"`), []);
  assert.equal(o.code, 3, o.stdout.slice(-3000));
  // One message: the command, its exit code and the last lines of its standard error.
  assert.match(o.stdout, /the run stopped: the IUT could not be reached or started/);
  assert.match(o.stdout, /exited with code 4/);
  assert.match(o.stdout, /launch command: echo 'starting'/);
  assert.match(o.stdout, /last lines of its standard error:\n\s+listen tcp 127\.0\.0\.1: bind: address already in use/);
  assert.match(o.stdout, /`launch\.restart: once`/);
  assert.doesNotMatch(o.stdout, /not run:/, 'the console lists the scenarios not run one by one');
  const scenarios = [...scenariosOf(o).values()];
  const tried = scenarios.filter((s) => s.verdict !== 'not-applicable' && s.reason !== NOT_RUN_UNREACHABLE);
  const notRun = scenarios.filter((s) => s.reason === NOT_RUN_UNREACHABLE);
  assert.equal(tried.length, UNREACHABLE_LIMIT, `scenarios that tried to start the IUT: ${tried.map((s) => s.name).join('; ')}`);
  assert.ok(notRun.length > 50, `only ${notRun.length} scenarios reported as not run`);
  for (const s of tried) assert.doesNotMatch(s.reason, /not run|not attempted/, 'a reason nests another');
  for (const s of notRun) assert.equal(s.trace, '', 'a scenario not run has no evidence files');
  assert.equal(fs.existsSync(path.join(o.reportDir, 'allure-report')), false, 'Allure HTML is built for a stopped run');
  for (const name of ['compliance.json', 'compliance.html', 'compliance.md', 'junit.xml', 'allure-results', 'traces']) assert.ok(fs.existsSync(path.join(o.reportDir, name)), `no ${name}`);
  for (const file of textReportFiles(o.reportDir)) {
    const longest = Math.max(...fs.readFileSync(file, 'utf8').split('\n').map((l) => Buffer.byteLength(l)));
    assert.ok(longest <= 2048, `${path.relative(o.reportDir, file)} has a line of ${longest} bytes`);
  }
  // Not asserted (no timed assertions, the machine may be loaded); the target is 10 s.
  t.diagnostic(`the stopped run took ${o.ms} ms`);
});
