import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EMBEDDED_ROLES, SELF_TEST_TIMERS, SELF_TEST_TOLERANCE } from '../src/harness/iut-config';
import { loadProfile } from '../src/harness/profile';
import { FAULTS, type Fault } from '../src/peer/faults';
import type { ConnectMode } from '../src/peer/parameters';
import { analyzeFiles, captureLoopback, flaggedClauses, haveTshark, profileFor, tsharkHeaders, type LiveCapture } from './support/analyze-helpers';
import type { TraceRun } from './support/fault-traces';
import { freePort } from './support/raw-socket';
import { withSuiteSlot } from './support/suite-slots';

/**
 * Two independent judges agree. The suite writes a pcap of every scenario; `analyze`, judging
 * only that traffic, must flag on the IUT's side the clause of every deliberate fault the suite
 * flags, where the evidence is on the wire, and nothing on the IUT's side of a run against the
 * correct reference peer (every role: passive, active, and alternating, whose connections run
 * both ways between its address and the tester's). Each fault runs only the scenarios of its own
 * clause.
 *
 * And a real third-party implementation: secs4js, run through the scenarios of the clauses its
 * baseline says it breaks, captured with tshark on loopback: the capture, analyzed, shows the
 * same failing clauses on secs4js's side as the suite reports for it.
 */

const ROOT = path.resolve(__dirname, '../..');
const RUNNER = path.join(ROOT, 'dist', 'test', 'support', 'fault-traces.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'analyze-suite-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

/** Faults the traffic cannot show, and why. */
const INVISIBLE: Readonly<Partial<Record<Fault, string>>> = {
  'select-refused':
    'refusing a Select with status 2 (Connection Not Ready) is legal E37 behaviour; only the expectation that this IUT accepts, which no traffic carries, makes it a failure',
};
/** The clauses secs4js's baseline lists as failing on the wire (examples/iuts/secs4js/baseline-passive.txt). */
const SECS4JS_CLAUSES = ['E37-7.7.2', 'E37-8.1.2', 'E37-9.3.3', 'E37-9.4.1'];

const faults = Object.keys(FAULTS) as Fault[];
const unionTags = [...new Set(faults.map((f) => `@${FAULTS[f].clause}`))].join(' or ');

/**
 * Runs `jobs` one after the other in one process, once a suite slot is free (support/suite-slots.ts),
 * before the teeth and no-false-fail runs: this file waits for all of its jobs at once.
 */
function runJobs(jobs: readonly string[], priority = 1): Promise<TraceRun[]> {
  return withSuiteSlot(
    () =>
      new Promise((resolve, reject) => {
        execFile(process.execPath, [RUNNER, dir, ...jobs], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`suite runs failed: ${err.message}\n${stderr}`));
          else resolve(JSON.parse(stdout) as TraceRun[]);
        });
      }),
    priority,
  );
}

/** Processes the fault runs are shared among: they wait on timers mostly, and each process loads the steps once. */
const FAULT_PROCESSES = 4;

/** The secs4js profile of the examples, on a free port, launched from its own folder. */
async function secs4jsProfile(): Promise<{ file: string; port: number }> {
  const port = await freePort();
  const example = path.join(ROOT, 'examples', 'iuts', 'secs4js');
  const text = fs
    .readFileSync(path.join(example, 'passive.yaml'), 'utf8')
    .replace(/^port: \d+$/m, `port: ${port}`)
    .replace(/^  cwd: \.$/m, `  cwd: ${example}`);
  const file = path.join(dir, 'secs4js.yaml');
  fs.writeFileSync(file, text);
  return { file, port };
}

interface Prepared {
  readonly runs: TraceRun[];
  readonly secs4js: { readonly capture: string; readonly port: number; readonly profile: string };
}
let prepared: Promise<Prepared> | null = null;

/** Runs everything once, in a few processes side by side, tshark listening meanwhile. */
function prepare(): Promise<Prepared> {
  prepared ??= (async () => {
    const s = await secs4jsProfile();
    const capture = path.join(dir, 'secs4js.pcapng');
    const live: LiveCapture = await captureLoopback([s.port], capture);
    try {
      const faultJobs = faults.map((f) => `${f}|passive|@${FAULTS[f].clause}`);
      const share = Math.ceil(faultJobs.length / FAULT_PROCESSES);
      const groups = [
        // The alternating peer also through its connect procedure (A1-3): connections both ways.
        EMBEDDED_ROLES.map((role) => `-|${role}|${unionTags}${role === 'alternating' ? ' or @E37-A1' : ''}`),
        [`profile:${s.file}|passive|${SECS4JS_CLAUSES.map((c) => `@${c}`).join(' or ')}`],
        ...Array.from({ length: FAULT_PROCESSES }, (_, i) => faultJobs.slice(i * share, (i + 1) * share)).filter((g) => g.length > 0),
      ];
      // The three roles in one process take longest: that process asks for its slot first.
      const runs = (await Promise.all(groups.map((g, i) => runJobs(g, i === 0 ? 2 : 1)))).flat();
      return { runs, secs4js: { capture, port: s.port, profile: s.file } };
    } finally {
      await live.stop();
    }
  })();
  return prepared;
}

/**
 * IUT-side clauses flagged by analyzing each scenario's pcap of a run, with the IUT's declared
 * values. A run against the correct peer gets a looser tolerance: on a loaded machine the tester's
 * own lateness shows in its captures, which the suite discounts and the capture cannot.
 */
function iutFlags(run: TraceRun, tolerance = SELF_TEST_TOLERANCE): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const role = run.role as ConnectMode;
  for (const r of run.results) {
    if (!r.traceFile) continue;
    const pcap = path.join(run.dir, r.traceFile);
    const port = declaredPort(pcap);
    if (port === null) continue; // a scenario whose IUT was never reached has no traffic
    const iut = profileFor(role, port, SELF_TEST_TIMERS, tolerance, { capabilities: { multipleConnections: false, refusal: 'a', maxMessageLength: 1024 * 1024 } });
    const { result } = analyzeFiles([pcap], { ports: new Set([port]), profiles: [iut] });
    assert.ok(result.unmatchedProfiles.length === 0, `the IUT's profile names a side of "${r.name}"`);
    for (const e of result.entities) {
      if (e.rules.profileName === null) continue;
      for (const [clause, c] of e.clauses) {
        if (c.fails + c.warns === 0) continue;
        const list = out.get(clause) ?? [];
        list.push(`"${r.name}" (suite: ${r.verdict}): ${c.findings[0]!.message}`);
        out.set(clause, list);
      }
    }
  }
  return out;
}

/**
 * The port a profile of the IUT names in a scenario's pcap: the accepting side's of its
 * connections, which is the IUT's published port (passive, alternating in its passive phase) or
 * the tester's listening port the IUT connects to (active, alternating in its active phase). The
 * trace lists the IUT's own ports (`tcp.port==P`), its connecting ports among them.
 */
function declaredPort(pcap: string): number | null {
  const listed = [...fs.readFileSync(pcap.replace(/\.pcap$/, '.txt'), 'utf8').matchAll(/tcp\.port==(\d+)/g)].map((m) => Number(m[1]));
  if (listed.length === 0) return null;
  const { connections } = analyzeFiles([pcap], { ports: new Set(listed) });
  return connections[0]?.info.server.port ?? null;
}

const sTAG = 'suite self-consistency';

for (const role of EMBEDDED_ROLES) {
  test(`${sTAG}: the analysis of a run against the correct peer (${role}) flags nothing on the IUT's side`, { timeout: 900_000 }, async () => {
    const run = (await prepare()).runs.find((r) => r.iut === '-' && r.role === role)!;
    assert.ok(run.results.some((r) => r.verdict === 'pass' && r.traceFile), 'the run wrote traces');
    assert.deepEqual([...iutFlags(run, 0.5).entries()], []);
  });
}

test(`${sTAG}: every deliberate fault the suite flags is flagged on the same clause on the IUT's side of its traffic`, { timeout: 900_000 }, async () => {
  const { runs } = await prepare();
  const missed: string[] = [];
  for (const fault of faults) {
    const run = runs.find((r) => r.iut === fault)!;
    const clause = FAULTS[fault].clause;
    assert.ok(run.results.some((r) => r.clauses.includes(clause) && (r.verdict === 'fail' || r.verdict === 'warn')), `the suite itself flags ${fault} on ${clause}`);
    const flags = iutFlags(run);
    if (INVISIBLE[fault]) {
      assert.ok(!flags.has(clause), `${fault} is listed as invisible in traffic but was flagged: remove it from INVISIBLE`);
      continue;
    }
    if (!flags.has(clause)) missed.push(`${fault} (${clause}): flagged instead ${[...flags.keys()].join(', ') || 'nothing'}`);
  }
  assert.deepEqual(missed, []);
});

test('secs4js captured with tshark: the analysis shows the failing clauses the suite reports for it', { skip: haveTshark() ? false : 'tshark is not installed (.ci/run installs it)', timeout: 900_000 }, async () => {
  const { runs, secs4js } = await prepare();
  const run = runs.find((r) => r.iut.startsWith('profile:'))!;
  const suiteFailing = new Set(run.results.filter((r) => r.verdict === 'fail' || r.verdict === 'warn').flatMap((r) => r.clauses));
  assert.deepEqual([...suiteFailing].sort(), [...SECS4JS_CLAUSES].sort(), 'the suite reports the baseline clauses for secs4js');
  // The suite judged secs4js's timers knowing its own lateness (a loaded machine delays the
  // launched IUT); the capture alone cannot tell, so the analysis is given a generous tolerance.
  const profile = { ...loadProfile(secs4js.profile), tolerance: 2 };
  const a = analyzeFiles([secs4js.capture], { ports: new Set([secs4js.port]), profiles: [profile], standard: 'hsms-ss' });
  const flagged = flaggedClauses(a.result, (e) => e.rules.profileName !== null);
  for (const c of suiteFailing) assert.ok(flagged.has(c), `the analysis flags ${c} on secs4js's side too`);
  // A scenario the suite could not judge (inconclusive, e.g. the machine so loaded that an answer
  // came after T6) may show on the wire as a late answer: the analysis may flag that clause.
  const undecided = new Set(run.results.filter((r) => r.verdict === 'inconclusive').flatMap((r) => r.clauses));
  // The traffic may exercise more than the run's scenarios judged (the fuzz scenarios send
  // anything): only a clause the run judged and passed can contradict the analysis.
  const passed = new Set(run.results.filter((r) => r.verdict === 'pass').flatMap((r) => r.clauses));
  const extra = [...flagged].filter((c) => passed.has(c) && !suiteFailing.has(c) && !undecided.has(c));
  assert.deepEqual(extra, [], 'nothing the suite passed is flagged on secs4js\'s side');
  assert.ok(a.result.hsmsConnections >= run.results.length, 'every scenario connection is in the capture');
  // No header-by-header comparison with Wireshark here: these scenarios send malformed messages on
  // purpose (text on control messages, undefined STypes and PTypes, broken lengths), which its
  // dissector lists in its own way. test/analyze-live-capture.test.ts compares secs4js's ordinary
  // traffic with it, header by header.
  assert.ok((await tsharkHeaders(secs4js.capture, [secs4js.port])).length > 0, 'Wireshark decodes HSMS in the capture too');
});
