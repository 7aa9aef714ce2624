import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { VARIANTS, type Variant } from '../src/peer/variants';
import type { RefusalOption, Standard } from '../src/peer/parameters';
import { freePort } from './support/raw-socket';

/**
 * No false fail: the reference peer certified under every legal variant (src/peer/variants.ts),
 * refusal option and launch behaviour the standard and NOTES.md allow passes every applicable
 * scenario: never fail, warn, inconclusive or error. (NOTES.md prescribes a warn only for
 * SHOULD-level deviations, and none of these behaviours is one.) The teeth test proves the
 * suite can fail; this one proves it does not fail what is legal.
 *
 * Compatible variants share one legal peer, so each suite run exercises several; a failing group
 * names its variants. Runs are separate processes (the suite holds one IUT per process), four at
 * a time: they mostly wait on the peer's timers. SUITE_TAGS narrows every run with a cucumber
 * tag expression while a feature is being written (e.g. SUITE_TAGS="not @fuzz").
 */

interface ScenarioVerdict {
  readonly clauses: readonly string[];
  readonly verdict: string;
  readonly name: string;
  readonly reason: string;
}

interface LegalPeer {
  readonly role: 'passive' | 'active';
  readonly standard: Standard;
  readonly variants: readonly Variant[];
  readonly refusal?: RefusalOption;
  /** Seconds a launched peer waits before it listens (hsms-peer behind a shell wrapper). */
  readonly slowStart?: number;
  /** A tag expression the group is limited to (a launched peer restarts per scenario, which costs its start delay each time). */
  readonly tags?: string;
}

const GROUPS: readonly LegalPeer[] = [
  { role: 'passive', standard: 'e37', variants: ['late-control-responses', 'unsolicited-primaries', 'split-writes', 'alternative-reject-reason'] },
  { role: 'passive', standard: 'e37', variants: ['late-replies', 'periodic-linktest', 'nagle-writes', 't7-not-restarted', 'close-after-separate', 'refusal-a-status-3'] },
  { role: 'passive', standard: 'e37', variants: ['relisten-after-close'], refusal: 'b' },
  { role: 'passive', standard: 'e37', variants: ['unsolicited-primaries'], refusal: 'c' },
  { role: 'active', standard: 'e37', variants: ['late-control-responses', 'periodic-linktest', 'nagle-writes', 't7-not-restarted', 'close-after-separate'] },
  { role: 'active', standard: 'e37', variants: ['late-replies', 'unsolicited-primaries', 'split-writes', 'alternative-reject-reason'] },
  { role: 'passive', standard: 'hsms-ss', variants: ['ss-session-id-ffff', 'ss-close-on-separate-not-selected', 'ss-close-not-selected', 'refusal-a-status-3', 'unsolicited-primaries'] },
  { role: 'passive', standard: 'hsms-ss', variants: ['ss-deselect-answered', 'ss-linktest-ignored-not-selected', 'late-replies', 'split-writes', 'periodic-linktest'] },
  { role: 'active', standard: 'hsms-ss', variants: ['ss-active-rejects-select', 'ss-session-id-ffff', 'ss-linktest-ignored-not-selected', 'ss-close-on-separate-not-selected', 'periodic-linktest', 'unsolicited-primaries', 'late-control-responses'] },
  { role: 'passive', standard: 'e37', variants: [], slowStart: 2, tags: '@E37-5.3 or @E37-7.5.1 or @E37-7.6.1' },
];

const root = path.resolve(__dirname, '../..');
const runner = path.join(root, 'dist', 'test', 'support', 'suite-with-fault.js');
const suiteTags = process.env.SUITE_TAGS ?? '';

function describeGroup(g: LegalPeer): string {
  const what = [...g.variants, ...(g.refusal ? [`refusal ${g.refusal}`] : []), ...(g.slowStart ? [`launched, listening ${g.slowStart} s after launch`] : [])];
  return `${g.role} ${g.standard} peer with ${what.join(', ') || 'its defaults'}`;
}

async function runGroup(g: LegalPeer): Promise<ScenarioVerdict[]> {
  const tags = [g.tags, suiteTags].filter((t): t is string => !!t).map((t) => `(${t})`).join(' and ');
  const args = [runner, '-', g.role, g.standard, tags, '--json'];
  if (g.variants.length > 0) args.push('--variants', g.variants.join(','));
  if (g.refusal) args.push('--refusal', g.refusal);
  if (g.slowStart) args.push('--slow-start', String(g.slowStart), '--port', String(await freePort()));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: root, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`suite run for the ${describeGroup(g)} failed: ${err.message}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(stdout) as ScenarioVerdict[]);
    });
  });
}

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

let all: Promise<ScenarioVerdict[][]> | null = null;
function results(): Promise<ScenarioVerdict[][]> {
  all ??= pool(GROUPS, 4, runGroup);
  return all;
}

test('every legal variant of the reference peer is exercised by some group', () => {
  const used = new Set(GROUPS.flatMap((g) => g.variants));
  assert.deepEqual(
    (Object.keys(VARIANTS) as Variant[]).filter((v) => !used.has(v)),
    [],
  );
  for (const option of ['a', 'b', 'c'] as const) assert.ok(GROUPS.some((g) => (g.refusal ?? 'a') === option && g.role === 'passive'), `refusal option ${option}`);
});

GROUPS.forEach((g, i) => {
  test(`the ${describeGroup(g)} passes every applicable scenario`, { timeout: 900_000 }, async () => {
    const verdicts = (await results())[i]!;
    const bad = verdicts.filter((v) => v.verdict !== 'pass' && v.verdict !== 'not-applicable').map((v) => `${v.verdict} on ${v.clauses.join(' ')} "${v.name}": ${v.reason}`);
    assert.deepEqual(bad, [], `false verdicts against the ${describeGroup(g)}`);
    assert.ok(verdicts.some((v) => v.verdict === 'pass'), 'no scenario ran');
  });
});
