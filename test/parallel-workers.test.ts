import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { EMBEDDED_ROLES } from '../src/harness/iut-config';
import { VERDICT_MEDIA_TYPE, type VerdictRecord } from '../src/harness/verdict';
import type { ComplianceReport } from '../src/report/compliance';
import { delay, freePort, freePorts, LOCALHOST, within } from './support/raw-socket';
import { describeRun, runCommand, type CommandResult } from './support/run-command';
import { withSuiteSlot } from './support/suite-slots';

/**
 * `run --parallel N` (issue 14 item 3): cucumber's parallel mode, one IUT per worker. The
 * self-certification on two workers gives every clause and every scenario the verdict a serial
 * run gives; a launched IUT runs once per worker on the profile's port + worker; an IUT at a
 * fixed address is refused unless it is passive and accepts several connections; a worker whose
 * IUT cannot be started stops the whole run, as a serial run stops.
 */

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'bin', 'hsms-conformance.js');
const PEER = path.join(ROOT, 'bin', 'hsms-peer.js');
const FULL_RUN_MS = 400_000;
const SHORT_RUN_MS = 120_000;
/**
 * How long a test may wait for its suite slots before its run starts (support/suite-slots.ts):
 * under npm test the teeth and no-false-fail runs hold them for minutes. The run itself is
 * bounded by its own time-out; this only keeps the test's bound from counting the queue.
 */
const SLOT_WAIT_MS = 900_000;
const TIMERS = '{ t3: 1, t5: 0.3, t6: 0.5, t7: 0.8, t8: 0.4 }';
const PEER_TIMERS = '--t3 $HSMS_T3 --t5 $HSMS_T5 --t6 $HSMS_T6 --t7 $HSMS_T7 --t8 $HSMS_T8 --max-length 1048576';
/**
 * Bound on the exit after SIGINT: the scenarios under way finish (bounded by the short timers),
 * then the reports are written, the Allure HTML by a Java process that takes half a minute on
 * a loaded machine.
 */
const EXIT_LIMIT_MS = 150_000;
/** About ten short scenarios of either role: enough that both workers take some. */
const FEW_SCENARIOS = '(@E37-7.5 or @E37-7.5.1 or @E37-7.5.2 or @E37-7.4.1 or @E37-7.2.2) and not @fuzz';
/**
 * Seventeen scenarios, about 12 s of work for a passive IUT: a worker that starts seconds after
 * the other on a loaded host still takes some (cucumber hands scenarios to whichever is ready).
 */
const SHARED_SCENARIOS = '(@E37-7.5 or @E37-7.5.1 or @E37-7.5.2 or @E37-7.4.1 or @E37-7.2.2 or @E37-6.4 or @E37-9.2.2 or @E37-9.2.3) and not @fuzz';

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * `hsms-conformance run`, holding one suite slot per worker it runs (support/suite-slots.ts);
 * `slots` 0 for a run refused before any suite. This file's runs come before the teeth and
 * no-false-fail runs, the whole self-certification first: it is the longest run of npm test.
 */
function conformance(args: readonly string[], timeoutMs = SHORT_RUN_MS, slots = args.includes('--parallel') ? 2 : 1): Promise<CommandResult> {
  const work = (): Promise<CommandResult> => runCommand(process.execPath, [CLI, 'run', ...args], { cwd: ROOT, timeoutMs });
  const priority = timeoutMs === FULL_RUN_MS ? 2 : 1;
  const inSlots = (n: number): Promise<CommandResult> => (n <= 0 ? work() : withSuiteSlot(() => inSlots(n - 1), priority));
  return inSlots(slots);
}

function readReport(reportDir: string): ComplianceReport {
  return JSON.parse(fs.readFileSync(path.join(reportDir, 'compliance.json'), 'utf8')) as ComplianceReport;
}

/** What cucumber.ndjson says of each scenario run: the worker that ran it and its verdict record. */
function scenarioRuns(reportDir: string): Array<{ worker: string | undefined; record: VerdictRecord }> {
  const workers = new Map<string, string | undefined>();
  const out: Array<{ worker: string | undefined; record: VerdictRecord }> = [];
  for (const line of fs.readFileSync(path.join(reportDir, 'cucumber.ndjson'), 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as { testCaseStarted?: { id: string; workerId?: string }; attachment?: { testCaseStartedId?: string; mediaType: string; body: string } };
    if (e.testCaseStarted) workers.set(e.testCaseStarted.id, e.testCaseStarted.workerId);
    const a = e.attachment;
    if (a?.testCaseStartedId && a.mediaType === VERDICT_MEDIA_TYPE) out.push({ worker: workers.get(a.testCaseStartedId), record: JSON.parse(a.body) as VerdictRecord });
  }
  return out;
}

/** Every scenario of a report once per clause, in report order: clause, name, role and verdict. */
function verdictLines(r: ComplianceReport): string[] {
  return r.clauses.flatMap((c) => [`${c.id}: ${c.verdict}`, ...c.scenarios.map((s) => `${c.id} | ${s.name} (IUT ${s.role}): ${s.verdict}`)]);
}

function profileYaml(fields: { name: string; role: string; port: number; standard?: string; multipleConnections?: boolean; launch?: string; restart?: string; control: string }): string {
  const launch = fields.launch
    ? `launch:\n  command: ${JSON.stringify(fields.launch)}\n  cwd: ${JSON.stringify(ROOT)}\n  restart: ${fields.restart ?? 'once'}\n  readyTimeout: 10\n`
    : '';
  return `name: ${fields.name}
role: ${fields.role}
host: ${LOCALHOST}
port: ${fields.port}
standard: ${fields.standard ?? 'e37'}
timers: ${TIMERS}
tolerance: 0.2
capabilities: { multipleConnections: ${fields.multipleConnections ?? false}, ${fields.multipleConnections ? '' : 'refusal: a, '}maxMessageLength: 1048576 }
${launch}control: ${fields.control}
`;
}

function writeProfile(dir: string, yaml: string): string {
  const file = path.join(dir, 'profile.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

describe('run --parallel', () => {
  test('the self-certification on 2 workers gives every clause and scenario the verdict of a serial run (same seed)', { timeout: SLOT_WAIT_MS + FULL_RUN_MS + 30_000 }, async () => {
    const dir = tempDir('parallel-selfcert-');
    const serialDir = path.join(dir, 'serial');
    const parallelDir = path.join(dir, 'parallel');
    // Both at once: the runs mostly wait on the peer's timers.
    const [serial, parallel] = await Promise.all([
      conformance(['--seed', '5', '--report-dir', serialDir], FULL_RUN_MS),
      conformance(['--seed', '5', '--report-dir', parallelDir, '--parallel', '2'], FULL_RUN_MS),
    ]);
    assert.equal(serial.code, 0, describeRun('serial self-certification', serial));
    assert.equal(parallel.code, 0, describeRun('self-certification on 2 workers', parallel));
    assert.match(parallel.stdout, /seed 5; 2 workers\n/);
    const a = readReport(serialDir);
    const b = readReport(parallelDir);
    assert.deepEqual(verdictLines(b), verdictLines(a), 'every clause and scenario, in the same order');
    assert.deepEqual(new Set(b.clauses.flatMap((c) => c.scenarios.map((s) => s.role))), new Set(EMBEDDED_ROLES));
    // The fuzz scenarios drew the same cases from the seed.
    const fuzz = (r: ComplianceReport): string[] => r.clauses.flatMap((c) => c.scenarios.flatMap((s) => s.measurements.filter((m) => m.startsWith('fuzz '))));
    assert.ok(fuzz(a).length > 0, 'the self-certification fuzzes');
    assert.deepEqual(fuzz(b), fuzz(a));
    // Evidence: one pcap per scenario that ran, none overwritten, named as in the serial run.
    const traces = (d: string): string[] => fs.readdirSync(path.join(d, 'traces')).sort();
    assert.deepEqual(traces(parallelDir), traces(serialDir));
    const runs = scenarioRuns(parallelDir);
    assert.deepEqual(new Set(runs.map((r) => r.worker)), new Set(['0', '1']), 'both workers ran scenarios');
    assert.ok(scenarioRuns(serialDir).every((r) => r.worker === undefined), 'the serial run has no workers');
    for (const d of [serialDir, parallelDir]) for (const f of ['compliance.html', 'compliance.md', 'junit.xml', 'cucumber.ndjson']) assert.ok(fs.existsSync(path.join(d, f)), `${d}/${f}`);
    const testcases = (d: string): string[] => [...fs.readFileSync(path.join(d, 'junit.xml'), 'utf8').matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((m) => m[1]!);
    assert.deepEqual(testcases(parallelDir), testcases(serialDir), 'junit.xml lists the scenarios in the serial order');
  });

  for (const role of ['passive', 'active'] as const) {
    test(`a launched ${role} IUT runs once per worker, worker k on the profile's port + k (HSMS_PORT, HSMS_WORKER)`, { timeout: SLOT_WAIT_MS + SHORT_RUN_MS + 30_000 }, async () => {
      const dir = tempDir(`parallel-launch-${role}-`);
      const port = await freePorts(2);
      const launches = path.join(dir, 'launches.txt');
      const command = `echo "$HSMS_WORKER $HSMS_PORT" >> ${JSON.stringify(launches)}; exec node bin/hsms-peer.js --mode $HSMS_ROLE --host $HSMS_HOST --port $HSMS_PORT ${PEER_TIMERS}`;
      const profile = writeProfile(dir, profileYaml({ name: `hsms-peer (launched, ${role})`, role, port, launch: command, restart: 'per-scenario', control: 'stdin' }));
      const reportDir = path.join(dir, 'reports');
      const r = await conformance(['--profile', profile, '--report-dir', reportDir, '--tags', FEW_SCENARIOS, '--seed', '3', '--parallel', '2']);
      assert.equal(r.code, 0, describeRun(`launched ${role} IUT on 2 workers`, r));
      const seen = new Set(fs.readFileSync(launches, 'utf8').trim().split('\n'));
      assert.deepEqual(seen, new Set([`0 ${port}`, `1 ${port + 1}`]), 'each worker launches its own IUT on port + worker');
      const runs = scenarioRuns(reportDir);
      assert.deepEqual(new Set(runs.map((x) => x.worker)), new Set(['0', '1']));
      if (role === 'passive') {
        // The tester connected to the IUT of the scenario's own worker.
        for (const { worker, record } of runs) {
          const header = fs.readFileSync(path.join(reportDir, record.traceFile!.replace(/\.pcap$/, '.txt')), 'utf8');
          assert.match(header, new RegExp(`tcp\\.port==${port + Number(worker)},hsms`), `${record.traceFile} (worker ${worker})`);
        }
      }
    });
  }

  test('a worker whose IUT cannot be started stops the whole run: exit 3, one message naming the worker', { timeout: SLOT_WAIT_MS + SHORT_RUN_MS + 30_000 }, async () => {
    const dir = tempDir('parallel-stop-');
    const port = await freePorts(2);
    const profile = writeProfile(dir, profileYaml({ name: 'IUT that never starts', role: 'passive', port, launch: 'echo "no licence" >&2; exit 1', control: 'stdin' }));
    const reportDir = path.join(dir, 'reports');
    const r = await conformance(['--profile', profile, '--report-dir', reportDir, '--tags', 'not @fuzz', '--parallel', '2']);
    assert.equal(r.code, 3, describeRun('IUT that never starts, 2 workers', r));
    const report = readReport(reportDir);
    assert.match(report.stopped ?? '', /could not be reached or started in 3 scenarios in a row by worker [01] of 2/);
    assert.match(report.stopped ?? '', /no licence/);
    const scenarios = report.clauses.flatMap((c) => c.scenarios);
    const tried = scenarios.filter((s) => s.verdict !== 'not-applicable' && !s.reason.startsWith('not run'));
    // At most what each worker had under way when the first reached the limit.
    assert.ok(tried.length <= 6, `scenarios that tried the IUT: ${tried.length}`);
    assert.ok(scenarios.some((s) => s.reason.startsWith('not run: the run stopped')), 'the rest are reported as not run');
    assert.match(r.stdout, /the run stopped: .*by worker [01] of 2/);
  });

  test('SIGINT to the run on 2 workers: exit 130, reports written, both launched IUTs gone', { timeout: SLOT_WAIT_MS + 60_000 + EXIT_LIMIT_MS + 30_000 }, async () => {
    const dir = tempDir('parallel-interrupt-');
    const port = await freePorts(2);
    const launches = path.join(dir, 'launches.txt');
    const command = `echo "$HSMS_WORKER $HSMS_PORT" >> ${JSON.stringify(launches)}; exec node bin/hsms-peer.js --port $HSMS_PORT ${PEER_TIMERS}`;
    const profile = writeProfile(dir, profileYaml({ name: 'hsms-peer (launched once per worker)', role: 'passive', port, launch: command, control: 'stdin' }));
    const reportDir = path.join(dir, 'reports');
    const child = spawn(process.execPath, [CLI, 'run', '--profile', profile, '--report-dir', reportDir, '--seed', '3', '--tags', 'not @fuzz', '--parallel', '2'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (b: Buffer) => (output += b.toString('utf8')));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // Both workers under way: each has launched its IUT, and verdicts are coming.
      const startBy = Date.now() + 60_000;
      const launched = (): number => (fs.existsSync(launches) ? new Set(fs.readFileSync(launches, 'utf8').trim().split('\n')).size : 0);
      while ((launched() < 2 || !/^(PASS|FAIL|WARN|INCO|ERR)/m.test(output)) && child.exitCode === null && Date.now() < startBy) await delay(100);
      assert.equal(child.exitCode, null, `the run ended before the interrupt:\n${output.slice(-8000)}`);
      assert.equal(launched(), 2, `both workers launched their IUT:\n${output.slice(-8000)}`);
      // To this process only, not its group: the workers learn of it from the run's flag.
      child.kill('SIGINT');
      const code = await within(exited, EXIT_LIMIT_MS);
      assert.equal(code, 130, `exit after SIGINT:\n${output.slice(-8000)}`);
      assert.equal((output.match(/interrupted; finishing the current scenario/g) ?? []).length, 1, 'the interrupt is announced once');
      const scenarios = readReport(reportDir).clauses.flatMap((c) => c.scenarios);
      assert.ok(scenarios.some((s) => /interrupted/.test(s.reason)), 'the rest are reported as not run');
      for (const p of [port, port + 1]) assert.equal(await accepts(p), false, `something still listens on ${p}`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  test("the user's TypeScript step files load in every worker (examples/custom-features)", { timeout: SLOT_WAIT_MS + SHORT_RUN_MS + 30_000 }, async () => {
    const example = path.join(ROOT, 'examples', 'custom-features');
    const dir = tempDir('parallel-user-steps-');
    const command = `exec node ${JSON.stringify(PEER)} --config ${JSON.stringify(path.join(example, 'reference-peer.json'))} --port $HSMS_PORT ${PEER_TIMERS} --standard hsms-ss`;
    const profile = writeProfile(dir, profileYaml({ name: 'hsms-peer with a GEM reply table', role: 'passive', port: await freePorts(2), standard: 'hsms-ss', launch: command, control: 'stdin' }));
    const reportDir = path.join(dir, 'reports');
    const r = await conformance([
      '--profile', profile, '--report-dir', reportDir, '--parallel', '2', '--only-user-features',
      '--features', path.join(example, 'features'), '--require', path.join(example, 'steps', 'e30.steps.ts'), '--requirements', path.join(example, 'requirements.json'),
    ]);
    assert.equal(r.code, 0, describeRun('custom features on 2 workers', r));
    const runs = scenarioRuns(reportDir);
    assert.equal(runs.length, 3);
    assert.ok(runs.every((x) => x.worker !== undefined && x.record.verdict === 'pass'), JSON.stringify(runs.map((x) => [x.worker, x.record.verdict, x.record.reason])));
  });

  test('a scenario whose worker process dies is a harness error, never missing from the reports (exit 3)', { timeout: SLOT_WAIT_MS + SHORT_RUN_MS + 30_000 }, async () => {
    const dir = tempDir('parallel-worker-dies-');
    fs.mkdirSync(path.join(dir, 'features'));
    fs.writeFileSync(
      path.join(dir, 'features', 'dies.feature'),
      ['@X-1', 'Feature: A worker that dies', '  @MUST', '  Scenario: The worker process ends in the middle of the scenario', '    Given a selected connection to the IUT', '    When the worker process ends at once', ''].join('\n'),
    );
    fs.writeFileSync(path.join(dir, 'requirements.json'), JSON.stringify({ source: 'test', requirements: [{ id: 'X-1', title: 'x', strength: 'MUST', statement: 'x' }] }));
    const cucumber = JSON.stringify(path.join(ROOT, 'node_modules', '@cucumber', 'cucumber'));
    // Only in a worker: the dry run that checks the features runs in the harness's own process.
    fs.writeFileSync(path.join(dir, 'dies.steps.js'), `const { When } = require(${cucumber});\nWhen('the worker process ends at once', () => { if (process.env.CUCUMBER_PARALLEL === 'true') process.kill(process.pid, 'SIGKILL'); });\n`);
    const reportDir = path.join(dir, 'reports');
    const r = await conformance([
      '--report-dir', reportDir, '--parallel', '2', '--only-user-features',
      '--features', path.join(dir, 'features'), '--require', path.join(dir, 'dies.steps.js'), '--requirements', path.join(dir, 'requirements.json'),
    ]);
    assert.equal(r.code, 3, describeRun('a worker that dies', r));
    const scenarios = readReport(reportDir).clauses.find((c) => c.id === 'X-1')?.scenarios ?? [];
    assert.deepEqual(scenarios.map((s) => s.role), [...EMBEDDED_ROLES], 'one result per role');
    for (const s of scenarios) {
      assert.equal(s.verdict, 'error');
      assert.match(s.reason, /never finished: its worker process \([01]\) ended before it reported a verdict/);
    }
  });

  describe('an IUT at a fixed address (no launch)', () => {
    const cases = [
      { role: 'passive', control: 'none', multipleConnections: false, expect: /capabilities\.multipleConnections: false/ },
      { role: 'active', control: 'none', multipleConnections: true, expect: /connects to one address, where only one worker can listen/ },
      { role: 'passive', control: 'manual', multipleConnections: true, expect: /an operator cannot follow 2 workers' prompts/ },
    ];
    for (const c of cases) {
      test(`${c.role}, control ${c.control}, multipleConnections ${c.multipleConnections}: --parallel 2 is refused with exit 2`, { timeout: SLOT_WAIT_MS + SHORT_RUN_MS }, async () => {
        const dir = tempDir('parallel-refused-');
        const profile = writeProfile(dir, profileYaml({ name: 'fixed IUT', role: c.role, port: await freePort(), multipleConnections: c.multipleConnections, control: c.control }));
        const reportDir = path.join(dir, 'reports');
        const r = await conformance(['--profile', profile, '--report-dir', reportDir, '--parallel', '2'], SHORT_RUN_MS, 0);
        assert.equal(r.code, 2, describeRun('refused parallel run', r));
        assert.match(r.stderr, c.expect);
        assert.match(r.stderr, /^hsms-conformance: --parallel 2: /m);
        assert.ok(!fs.existsSync(path.join(reportDir, 'compliance.json')), 'nothing ran');
      });
    }

    test('a passive IUT that accepts several connections serves both workers', { timeout: SLOT_WAIT_MS + SHORT_RUN_MS + 30_000 }, async () => {
      const port = await freePort();
      const peer: ChildProcess = spawn(process.execPath, [PEER, '--port', String(port), '--multiple-connections', '--t3', '1', '--t5', '0.3', '--t6', '0.5', '--t7', '0.8', '--t8', '0.4'], { cwd: ROOT, stdio: ['pipe', 'ignore', 'ignore'] });
      try {
        for (let i = 0; i < 100 && !(await accepts(port)); i++) await delay(50);
        const dir = tempDir('parallel-shared-');
        const profile = writeProfile(dir, profileYaml({ name: 'shared passive IUT', role: 'passive', port, multipleConnections: true, control: 'none' }));
        const reportDir = path.join(dir, 'reports');
        const r = await conformance(['--profile', profile, '--report-dir', reportDir, '--tags', SHARED_SCENARIOS, '--parallel', '2']);
        assert.equal(r.code, 0, describeRun('shared passive IUT on 2 workers', r));
        assert.deepEqual(new Set(scenarioRuns(reportDir).map((x) => x.worker)), new Set(['0', '1']));
      } finally {
        peer.kill('SIGTERM');
      }
    });
  });

  test('--parallel must be a whole number of workers', { timeout: SLOT_WAIT_MS + SHORT_RUN_MS }, async () => {
    for (const bad of ['0', '1.5', 'two']) {
      const r = await conformance(['--parallel', bad, '--report-dir', tempDir('parallel-usage-')], SHORT_RUN_MS, 0);
      assert.equal(r.code, 2, describeRun(`--parallel ${bad}`, r));
      assert.match(r.stderr, /--parallel must be/);
    }
  });
});

/** True when something accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: LOCALHOST, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
