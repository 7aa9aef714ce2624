import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { FAULTS, type Fault } from '../src/peer/faults';
import { EMBEDDED_ROLES } from '../src/harness/iut-config';
import type { ConnectMode } from '../src/peer/parameters';

/**
 * The suite has teeth: against the embedded reference peer with one deliberate deviation, the
 * clause it breaks is flagged (fail, or warn for a SHOULD-level rule) and no other clause is;
 * against the correct peer everything applicable passes, in each of its three roles.
 *
 * Each run is a separate process (the suite holds one IUT per process); three run at a time:
 * the runs mostly wait on the peer's timers.
 */

interface ScenarioVerdict {
  readonly clauses: readonly string[];
  readonly verdict: string;
  readonly name: string;
  readonly reason: string;
}

const root = path.resolve(__dirname, '../..');
const runner = path.join(root, 'dist', 'test', 'support', 'suite-with-fault.js');

function runSuite(faults: readonly string[], role: ConnectMode): Promise<ScenarioVerdict[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [runner, faults.length ? faults.join(',') : '-', role, 'e37', '', '--json'], { cwd: root, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`suite run for ${faults.join(',') || 'no fault'} (${role}) failed: ${err.message}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(stdout) as ScenarioVerdict[]);
    });
  });
}

/** Faults only an active IUT can show. */
const ACTIVE_ONLY: ReadonlySet<Fault> = new Set<Fault>([]);
/** Faults on rules of SHOULD strength: flagged as warn rather than fail. */
const flagged = (v: string): boolean => v === 'fail' || v === 'warn';

async function pool<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!);
      }
    }),
  );
  return out;
}

const faults = Object.keys(FAULTS) as Fault[];
const jobs: Array<{ faults: Fault[]; role: ConnectMode }> = [
  ...EMBEDDED_ROLES.map((role) => ({ faults: [], role })),
  ...faults.map((f) => ({ faults: [f], role: ACTIVE_ONLY.has(f) ? ('active' as const) : ('passive' as const) })),
];
let all: Promise<ScenarioVerdict[][]> | null = null;
function results(): Promise<ScenarioVerdict[][]> {
  all ??= pool(jobs, 3, (job) => runSuite(job.faults, job.role));
  return all;
}

for (const role of EMBEDDED_ROLES) {
  test(`the correct reference peer passes every applicable scenario as a ${role} IUT`, { timeout: 900_000 }, async () => {
    const verdicts = (await results())[jobs.findIndex((j) => j.faults.length === 0 && j.role === role)]!;
    const bad = verdicts.filter((v) => v.verdict !== 'pass' && v.verdict !== 'not-applicable').map((v) => `${v.verdict} on ${v.clauses.join(' ')} "${v.name}": ${v.reason}`);
    assert.deepEqual(bad, []);
    assert.ok(verdicts.filter((v) => v.verdict === 'pass').length > 0, 'no scenario ran');
  });
}

for (const fault of faults) {
  const clause = FAULTS[fault].clause;
  test(`fault ${fault} (${FAULTS[fault].what}) is flagged on ${clause} and nowhere else`, { timeout: 900_000 }, async () => {
    const verdicts = (await results())[jobs.findIndex((j) => j.faults[0] === fault)]!;
    const applicable = verdicts.filter((v) => v.verdict !== 'not-applicable');
    const hits = applicable.filter((v) => flagged(v.verdict));
    assert.ok(hits.some((v) => v.clauses.includes(clause)), `not flagged on ${clause}`);
    const elsewhere = hits.filter((v) => !v.clauses.includes(clause)).map((v) => `${v.verdict} on ${v.clauses.join(' ')} "${v.name}": ${v.reason}`);
    assert.deepEqual(elsewhere, []);
    const errors = applicable.filter((v) => v.verdict === 'error').map((v) => `${v.name}: ${v.reason}`);
    assert.deepEqual(errors, []);
  });
}
