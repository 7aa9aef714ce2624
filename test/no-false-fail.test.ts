import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VARIANTS, type Variant } from '../src/peer/variants';
import type { ConnectMode, RefusalOption, Standard } from '../src/peer/parameters';
import { freePort } from './support/raw-socket';
import { describeVerdict, pool, suiteProcess, SUITE_RUN_LIMIT_MS, SUITE_TAGS, type ScenarioVerdict } from './support/suite-processes';

/**
 * No false fail: the reference peer certified under every legal variant (src/peer/variants.ts),
 * refusal option and launch behaviour the standard and NOTES.md allow passes every applicable
 * scenario: never fail, warn, inconclusive or error. (NOTES.md prescribes a warn only for
 * SHOULD-level deviations, and none of these behaviours is one.) The teeth test proves the
 * suite can fail; this one proves it does not fail what is legal.
 *
 * Compatible variants share one legal peer, so each suite run exercises several; a failing group
 * names its variants. Runs are separate processes, as many at a time as there are suite slots,
 * shared with the teeth test (support/suite-processes.ts, support/suite-slots.ts; SUITE_TAGS
 * narrows every run).
 */

interface LegalPeer {
  readonly role: ConnectMode;
  readonly standard: Standard;
  readonly variants: readonly Variant[];
  readonly refusal?: RefusalOption;
  /** Seconds a launched peer waits before it listens (hsms-peer behind a shell wrapper). */
  readonly slowStart?: number;
  /** A tag expression the group is limited to (a launched peer restarts per scenario, which costs its start delay each time). */
  readonly tags?: string;
}

/** The scenarios of E37-7.7.1: the IUT's reaction to a Reject.req of its own primary. */
const REJECT_OWN_PRIMARY = '@E37-7.7.1';

/** Longest runs first, so that the runs at a time finish together. */
const GROUPS: readonly LegalPeer[] = [
  { role: 'active', standard: 'e37', variants: ['late-control-responses', 'periodic-linktest', 'nagle-writes', 't7-not-restarted', 'close-after-separate'] },
  { role: 'passive', standard: 'e37', variants: ['late-control-responses', 'unsolicited-primaries', 'split-writes', 'alternative-reject-reason'] },
  { role: 'active', standard: 'hsms-ss', variants: ['ss-active-rejects-select', 'ss-session-id-ffff', 'ss-deselect-answered', 'ss-linktest-ignored-not-selected', 'ss-close-on-separate-not-selected', 'periodic-linktest', 'unsolicited-primaries', 'late-control-responses'] },
  { role: 'passive', standard: 'e37', variants: ['late-replies', 'periodic-linktest', 'nagle-writes', 't7-not-restarted', 'close-after-separate', 'refusal-a-status-3'] },
  { role: 'active', standard: 'e37', variants: ['late-replies', 'unsolicited-primaries', 'split-writes', 'alternative-reject-reason'] },
  { role: 'passive', standard: 'hsms-ss', variants: ['ss-deselect-answered', 'ss-linktest-ignored-not-selected', 'late-replies', 'split-writes', 'periodic-linktest'] },
  { role: 'passive', standard: 'e37', variants: ['relisten-after-close'], refusal: 'b' },
  { role: 'passive', standard: 'e37', variants: ['unsolicited-primaries'], refusal: 'c' },
  { role: 'passive', standard: 'hsms-ss', variants: ['ss-session-id-ffff', 'ss-close-on-separate-not-selected', 'ss-close-not-selected', 'refusal-a-status-3', 'unsolicited-primaries'] },
  { role: 'passive', standard: 'e37', variants: [], slowStart: 2, tags: '@E37-5.3 or @E37-7.5.1 or @E37-7.6.1' },
  { role: 'alternating', standard: 'e37', variants: ['late-control-responses', 'periodic-linktest', 'nagle-writes', 't7-not-restarted', 'close-after-separate'] },
  { role: 'alternating', standard: 'e37', variants: ['late-replies', 'unsolicited-primaries', 'split-writes', 'alternative-reject-reason'] },
  { role: 'alternating', standard: 'hsms-ss', variants: ['ss-session-id-ffff', 'ss-deselect-answered', 'ss-close-on-separate-not-selected', 'ss-linktest-ignored-not-selected', 'late-replies', 'periodic-linktest'] },
  // A fresh peer's first connection takes the longest delays of its cycle (src/peer/connection.ts),
  // so the first E37-7.7.1 scenario meets a reply 0.8 x T3 and a response 0.8 x T6 late in each role.
  ...(['passive', 'active', 'alternating'] as const).map((role): LegalPeer => ({ role, standard: 'e37', variants: ['late-replies', 'late-control-responses'], tags: REJECT_OWN_PRIMARY })),
];

function describeGroup(g: LegalPeer): string {
  const what = [...g.variants, ...(g.refusal ? [`refusal ${g.refusal}`] : []), ...(g.slowStart ? [`launched, listening ${g.slowStart} s after launch`] : []), ...(g.tags ? [`scenarios ${g.tags}`] : [])];
  return `${g.role} ${g.standard} peer with ${what.join(', ') || 'its defaults'}`;
}

async function runGroup(g: LegalPeer): Promise<ScenarioVerdict[]> {
  const tags = [g.tags, SUITE_TAGS].filter((t): t is string => !!t).map((t) => `(${t})`).join(' and ');
  const args = ['-', g.role, g.standard, tags];
  if (g.variants.length > 0) args.push('--variants', g.variants.join(','));
  if (g.refusal) args.push('--refusal', g.refusal);
  if (g.slowStart) args.push('--slow-start', String(g.slowStart), '--port', String(await freePort()));
  return suiteProcess(args, `the ${describeGroup(g)}`, SUITE_RUN_LIMIT_MS);
}

let all: Promise<ScenarioVerdict[][]> | null = null;
function results(): Promise<ScenarioVerdict[][]> {
  all ??= pool(GROUPS, runGroup);
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

/** The roles a variant is legal in (variants.ts). */
function rolesOf(v: Variant): readonly ConnectMode[] {
  const mode: ConnectMode | undefined = (VARIANTS[v] as { mode?: ConnectMode }).mode;
  return mode ? [mode] : ['passive', 'active', 'alternating'];
}

test('every legal variant meets the E37-7.7.1 scenarios in every role it applies to, and they pass', { timeout: 1_800_000 }, async () => {
  const verdicts = await results();
  const missing: string[] = [];
  for (const v of Object.keys(VARIANTS) as Variant[]) {
    for (const role of rolesOf(v)) {
      const met = GROUPS.some((g, i) => g.role === role && g.variants.includes(v) && verdicts[i]!.filter((r) => r.clauses.includes('E37-7.7.1') && r.verdict === 'pass').length >= 2);
      if (!met) missing.push(`${v} (${role})`);
    }
  }
  assert.deepEqual(missing, []);
});

GROUPS.forEach((g, i) => {
  test(`the ${describeGroup(g)} passes every applicable scenario`, { timeout: 1_800_000 }, async () => {
    const verdicts = (await results())[i]!;
    const bad = verdicts.filter((v) => v.verdict !== 'pass' && v.verdict !== 'not-applicable').map(describeVerdict);
    assert.deepEqual(bad, [], `false verdicts against the ${describeGroup(g)}`);
    assert.ok(verdicts.some((v) => v.verdict === 'pass'), 'no scenario ran');
  });
});
