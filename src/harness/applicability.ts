import type { IutConfig } from './iut-config';

/** Every tag `applicability` reads: features use them to say what a scenario needs of the IUT. */
export const CONDITION_TAGS: readonly string[] = [
  '@iut-passive',
  '@iut-active',
  '@iut-alternating',
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
 */
export function applicability(tags: readonly string[], iut: IutConfig): string | null {
  const has = (t: string): boolean => tags.includes(t);
  const role = iut.role;
  if (has('@iut-passive') && role !== 'passive') return `needs a passive IUT; the profile declares role ${role}`;
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
