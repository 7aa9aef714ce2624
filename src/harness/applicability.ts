import type { IutConfig } from './iut-config';

/**
 * On a scenario tagged @iut-passive: it also applies to an alternating IUT, run in its passive
 * phase (E37 A1-3 steps 3-4): the tester does not listen, the IUT's active attempts fail, and
 * the tester connects to its published port (IutSession).
 */
export const PASSIVE_PHASE_TAG = '@passive-phase';

/** Every tag `applicability` reads: features use them to say what a scenario needs of the IUT. */
export const CONDITION_TAGS: readonly string[] = [
  '@iut-passive',
  '@iut-active',
  '@iut-alternating',
  PASSIVE_PHASE_TAG,
  '@needs-control',
  '@single-connection',
  '@multiple-connections',
  '@refusal-a',
  '@refusal-b',
  '@refusal-c',
  '@hsms-ss',
  '@e37-only',
];

/**
 * Which scenarios apply to the IUT (the PICS role of a capability statement). A scenario that
 * needs a role, capability, control or standard the profile does not declare is not
 * applicable, and the reason says which; nothing is skipped silently.
 *
 * An alternating IUT (E37 A1-3) connects by itself while the tester listens, so it is certified
 * in its active phase by every scenario an active IUT gets (untagged and @iut-active). In its
 * passive phase it serves its published port only until one connection forms (A1-3 step 4):
 * the passive connect procedure applies to it (@iut-passive with @passive-phase), the handling
 * of further connections on that port (9.2.4, 9.2.4.1) and the other @iut-passive scenarios do not.
 */
export function applicability(tags: readonly string[], iut: IutConfig): string | null {
  const has = (t: string): boolean => tags.includes(t);
  const role = iut.role;
  if (has('@iut-passive') && role === 'alternating' && !has(PASSIVE_PHASE_TAG)) {
    return 'needs a passive IUT; an alternating IUT listens on its published port only until a connection forms (E37 A1-3 step 4), so it is certified in its passive phase by the passive connect procedure alone';
  }
  if (has('@iut-passive') && role === 'active') return `needs a passive IUT; the profile declares role ${role}`;
  if (has('@iut-active') && role === 'passive') return 'needs an IUT that connects actively; the profile declares role passive';
  if (has('@iut-alternating') && role !== 'alternating') return `needs an alternating IUT (E37 A1-3); the profile declares role ${role}`;
  if (has('@needs-control') && iut.control === 'none') return 'needs the IUT to initiate a procedure; the profile declares control: none';
  if (has('@single-connection') && iut.capabilities.multipleConnections) return 'needs a single-connection IUT; the profile declares capabilities.multipleConnections: true';
  if (has('@multiple-connections') && !iut.capabilities.multipleConnections) return 'needs an IUT that accepts several connections; the profile declares capabilities.multipleConnections: false';
  for (const option of ['a', 'b', 'c'] as const) {
    if (!has(`@refusal-${option}`)) continue;
    if (iut.capabilities.multipleConnections) return 'refusal of further connections applies only to single-connection IUTs (E37-9.2.4.1)';
    if (iut.capabilities.refusal === null) return 'the profile does not declare capabilities.refusal (E37-9.2.4.1 requires it documented)';
    if (iut.capabilities.refusal !== option) return `checks refusal option ${option}; the profile declares option ${iut.capabilities.refusal}`;
  }
  if (has('@hsms-ss') && iut.standard !== 'hsms-ss') return 'an HSMS-SS (E37.1) rule; the profile declares standard: e37';
  if (has('@tester-selects') && iut.standard === 'hsms-ss' && role === 'active') {
    return "needs the IUT to accept the tester's Select.req; under HSMS-SS the active entity initiates Select and may reject the remote's with reason 1 (NOTES.md)";
  }
  if (has('@e37-only') && iut.standard !== 'e37') return 'a rule of generic E37 that HSMS-SS (E37.1) replaces; the profile declares standard: hsms-ss';
  return null;
}
