/**
 * Deliberate deviations from E37 that the embedded reference peer can be built with. They exist
 * only to prove that the conformance suite can fail (every verdict needs teeth): no command-line
 * option reaches them, only the harness's embedded IUT and the tests.
 *
 * Each fault breaks one clause; `clause` is where the suite must flag it.
 */
export const FAULTS = {
  'select-refused': { clause: 'E37-7.2.2', what: 'answers every Select.req with status 2 (Connection Not Ready)' },
  'select-rsp-wrong-system-bytes': { clause: 'E37-8.2.3', what: 'Select.rsp does not echo the system bytes' },
  'select-rsp-wrong-session-id': { clause: 'E37-8.2.3', what: 'Select.rsp does not echo the session id' },
  'reselect-status-0': { clause: 'E37-7.2', what: 'answers Select.req in SELECTED with status 0' },
  'data-accepted-not-selected': { clause: 'E37-7.3', what: 'answers data in NOT SELECTED instead of rejecting it' },
  'not-selected-wrong-reason': { clause: 'E37-7.7.2', what: 'rejects data in NOT SELECTED with reason 1 instead of 4' },
  'deselect-not-selected-status-0': { clause: 'E37-7.4.2', what: 'answers Deselect.req in NOT SELECTED with status 0' },
  'deselect-stays-selected': { clause: 'E37-7.4.2', what: 'answers Deselect.req with status 0 but stays SELECTED' },
  'deselect-rsp-wrong-system-bytes': { clause: 'E37-8.2.5', what: 'Deselect.rsp does not echo the system bytes' },
  'linktest-rsp-session-id-0': { clause: 'E37-8.2.7', what: 'Linktest.rsp carries session id 0 instead of 0xFFFF' },
  'linktest-ignored-not-selected': { clause: 'E37-7.5', what: 'does not answer Linktest.req in NOT SELECTED' },
  'separate-rejected-not-selected': { clause: 'E37-7.6.2', what: 'rejects Separate.req in NOT SELECTED' },
  'separate-ignored-selected': { clause: 'E37-7.6.2', what: 'ignores Separate.req in SELECTED' },
  'unknown-stype-ignored': { clause: 'E37-7.7.2', what: 'ignores an SType E37 does not define' },
  'reject-ptype-byte2-stype': { clause: 'E37-8.2.8', what: 'Reject.req reason 2 carries the SType in byte 2' },
  'reject-wrong-system-bytes': { clause: 'E37-8.2.8', what: 'Reject.req does not echo the system bytes' },
  'unsolicited-rsp-ignored': { clause: 'E37-8.2.8', what: 'ignores a response for which no transaction is open' },
  'reject-reason-3-byte2-zero': { clause: 'E37-8.2.8', what: 'Reject.req reason 3 for a response with no open transaction carries 0 in byte 2' },
  'control-text-reject-reason-0': { clause: 'E37-8.2.8', what: 'answers a control message carrying text with Reject.req reason 0, then closes' },
  'reply-wrong-system-bytes': { clause: 'E37-9.4.1', what: 'replies with system bytes other than the primary\'s' },
  'reply-function-plus-2': { clause: 'E37-9.4.1', what: 'replies with function + 2' },
  'no-t7': { clause: 'E37-9.2.2', what: 'never closes a NOT SELECTED connection at T7' },
  't7-restarted-by-linktest': { clause: 'E37-9.2.2', what: 'restarts T7 on every Linktest.req' },
  't7-short': { clause: 'E37-9.2.2', what: 'closes a NOT SELECTED connection at half its declared T7' },
  'no-t8': { clause: 'E37-9.2.3', what: 'never times out a partial message' },
  't8-on-idle': { clause: 'E37-9.2.3', what: 'closes a SELECTED connection idle for longer than T8' },
  'length-not-checked': { clause: 'E37-8.1.3', what: 'does not close on a message length below 10' },
  'length-trusted': { clause: 'E37-8.1.3', what: 'trusts a message length above its maximum: keeps the connection and waits for the bytes instead of closing' },
  'control-text-accepted': { clause: 'E37-9.3.3', what: 'answers a control message that carries text' },
  'drops-bytes-after-select': { clause: 'E37-8.1.2', what: 'drops the bytes that arrive in the same segment behind a Select.req' },
  'second-connection-closes-first': { clause: 'E37-9.2.4.1', what: 'closes the selected session when a second connection arrives' },
  'rejected-primary-answered': { clause: 'E37-7.7.1', what: 'answers a Reject.req of its own data primary with a Reject.req (reason 3)' },
  'rejected-primary-closes': { clause: 'E37-7.7.1', what: 'closes the SELECTED connection on a Reject.req of its own data primary' },
  'rejected-primary-leaves-selected': { clause: 'E37-7.7.1', what: 'leaves SELECTED without a word on a Reject.req of its own data primary' },
} as const;

export type Fault = keyof typeof FAULTS;

export function parseFaults(names: readonly string[]): ReadonlySet<Fault> {
  for (const n of names) if (!(n in FAULTS)) throw new RangeError(`unknown fault '${n}' (known: ${Object.keys(FAULTS).join(', ')})`);
  return new Set(names as Fault[]);
}
