import type { ConnectMode, Standard } from './parameters';

/**
 * Legal variants of the reference peer: behaviours E37 and NOTES.md allow that the peer does not
 * show by default, and that real implementations do show. They exist so that the conformance
 * suite can be shown never to fail a legal IUT (test/no-false-fail.test.ts), as the faults
 * (faults.ts) show it can fail. Like the faults, no command-line option reaches them: only the
 * harness's embedded IUT and the tests.
 *
 * Variants that change a protocol decision live in the session machine's options; those that
 * shape I/O (timing, segmenting, listening) at the TCP edge (connection.ts, entity.ts).
 * `standard` and `mode` say where a variant is legal; elsewhere it is refused.
 */
export const VARIANTS = {
  'late-replies': { what: 'replies to primaries late, up to 0.8 x T3, so that later control responses overtake them (E37-9.4.1.1)' },
  'late-control-responses': { what: 'sends Select.rsp, Deselect.rsp and Linktest.rsp up to 0.8 x T6 late (E37-9.3.1)' },
  'unsolicited-primaries': { what: 'sends S5F1 W and S6F11 W at any moment while SELECTED, S9F1, S9F3 or S9F5 instead of a reply to data it cannot serve, and S9F9 when its own T3 expires' },
  'periodic-linktest': { what: 'sends Linktest.req every 0.2 s (under HSMS-SS only while SELECTED)' },
  'split-writes': { what: 'writes every byte of a message in its own TCP segment (E37-8.1.2)' },
  'nagle-writes': { what: 'holds what it writes for 40 ms and then sends it together, several messages in one segment (Nagle-like)' },
  'ss-session-id-ffff': { what: 'every control message it sends carries session id 0xFFFF, responses and Reject.req included', standard: 'hsms-ss' },
  'ss-deselect-answered': { what: 'answers Deselect.req as E37 does instead of rejecting it', standard: 'hsms-ss' },
  'ss-close-on-separate-not-selected': { what: 'closes the connection on Separate.req in NOT SELECTED', standard: 'hsms-ss' },
  'ss-close-not-selected': { what: 'closes a NOT SELECTED connection on any message but Select.req, Linktest.req included', standard: 'hsms-ss', mode: 'passive' },
  'ss-linktest-ignored-not-selected': { what: 'does not answer Linktest.req in NOT SELECTED', standard: 'hsms-ss' },
  'ss-active-rejects-select': { what: 'rejects the remote entity\'s Select.req with reason 1: the active entity initiates Select', standard: 'hsms-ss', mode: 'active' },
  'refusal-a-status-3': { what: 'refusal option a answers Select.req on a further connection with status 3 (Connect Exhaust) and then closes that connection', mode: 'passive' },
  'relisten-after-close': { what: 'closes its listener while a connection is SELECTED and listens again 0.5 s after that connection ends', mode: 'passive' },
  'alternative-reject-reason': { what: 'when several Reject reasons apply, gives the other one: 3 for the unused STypes 8 and 10, 1 for an SType E37 does not define that also carries PType != 0' },
  't7-not-restarted': { what: 'does not restart T7 when Deselect or Separate leads back to NOT SELECTED (T7 runs from connect, NOTES.md)' },
  'close-after-separate': { what: 'closes the connection right after sending Separate.req' },
} as const satisfies Record<string, VariantInfo>;

interface VariantInfo {
  readonly what: string;
  readonly standard?: Standard;
  readonly mode?: ConnectMode;
}

export type Variant = keyof typeof VARIANTS;

/** Parses variant names and refuses one that is not legal for the entity's standard and connect mode. */
export function parseVariants(names: readonly string[], standard: Standard, mode: ConnectMode): ReadonlySet<Variant> {
  for (const n of names) {
    if (!(n in VARIANTS)) throw new RangeError(`unknown variant '${n}' (known: ${Object.keys(VARIANTS).join(', ')})`);
    const v: VariantInfo = VARIANTS[n as Variant];
    if (v.standard && v.standard !== standard) throw new RangeError(`variant '${n}' is legal only under standard ${v.standard}`);
    if (v.mode && v.mode !== mode) throw new RangeError(`variant '${n}' applies only to a ${v.mode} entity`);
  }
  return new Set(names as Variant[]);
}
