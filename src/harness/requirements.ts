/**
 * Requirements catalogue: one entry per numbered section of SEMI E37-0298 (sections 5 to 10
 * and Appendix A1-3) that states a testable requirement, plus the HSMS-SS rules of
 * shared/spec/NOTES.md. The Gherkin features tag scenarios with these ids and the compliance
 * report (CONTRACTS.md section 4) lists every entry, tested or not.
 *
 * Statements paraphrase the standard as read by NOTES.md; they never quote it.
 * Strength is the strongest obligation in the section (MUST > SHOULD > MAY); where NOTES.md
 * grades a finding WARN, the statement says so.
 *
 * Sections left out, one line each (section: why). test/requirements.test.ts reads this
 * block to prove that every heading from section 5 on is either an entry or listed here.
 * - 5: overview of the five steps of HSMS communication; its obligations are stated in 5.3 and sections 6 and 7.
 * - 5.2: heading only.
 * - 5.2.1: definition of NOT CONNECTED; the behaviour in that state is checked under 5.3 and 6.3.
 * - 5.2.2: definition of CONNECTED; the behaviour in that state is checked under 5.3.
 * - 5.2.2.1: definition of NOT SELECTED; what is allowed there is checked under 5.3, 7.3 and 9.2.2.
 * - 5.2.2.2: definition of SELECTED; data exchange there is checked under 7.3.
 * - 6: heading and introduction only.
 * - 6.2: heading only.
 * - 6.3: heading only.
 * - 7: introduction; the procedures are checked under 7.1 to 7.7.2.
 * - 8: introduction only.
 * - 8.1: heading only.
 * - 8.2: summary table; each row is checked under its own section 8.2.1 to 8.2.9.
 * - 9: heading only.
 * - 9.1: heading only.
 * - 9.2: heading only.
 * - 9.3: heading only.
 * - 9.4: introduction to the SECS-II considerations; its requirements are 9.4.1, 9.4.1.1 and 9.4.2.
 * - A1-1: informative examples of the TLI and BSD socket calls behind the procedures.
 * - A1-1.1: informative API example (passive connect); the procedure is checked under 6.3.2.
 * - A1-1.2: informative API example (active connect); the procedure is checked under 6.3.3.
 * - A1-1.3: informative API example (release and disconnect); termination is checked under 6.4.
 * - A1-1.4: informative API example (send and receive); framing is checked under 8.1.2.
 * - A1-2: illustrative scenarios of a complete session.
 * - A1-2.1: illustrative scenario (connect, select, data); checked under 6.3, 7.2 and 7.3.
 * - A1-2.2: illustrative scenario (deselect and disconnect); checked under 7.4 and 6.4.
 * - A1-4: notes that other TCP/IP protocols may share the address; no requirement on the entity.
 * - A1-5: non-TCP/IP protocols on the network are out of scope.
 * - A1-6: multiple LANs are out of scope.
 * - A1-7: the physical layer is not specified by HSMS.
 * - A1-8: port configurability is the requirement of 6.2.2; this section only explains why.
 * - A1-9: advice on delaying reconnects for some TCP stacks; no requirement.
 * - A1-10: user-defined message types concern intra-vendor interfaces; the wire rules are 7.7.2, 8.1.4.4 and 8.1.4.5.
 * - A1-11: informative comparison of SECS-I and HSMS.
 */

export type Strength = 'MUST' | 'SHOULD' | 'MAY';

export interface Requirement {
  /** Clause id: 'E37-' + section number of E37-0298, or 'E37.1-' + short kebab name for HSMS-SS rules. */
  readonly id: string;
  /** The numbered section the requirement lives in ('7.6.2', 'A1-3'); 'E37.1' for HSMS-SS rules. */
  readonly section: string;
  /** Short title (under 50 characters). */
  readonly title: string;
  /** The strongest obligation in the section. */
  readonly strength: Strength;
  /** What is checked, in our own words. */
  readonly statement: string;
  /** 'hsms-ss': applies only when the profile says `standard: hsms-ss`. */
  readonly standard: 'e37' | 'hsms-ss';
  /** Only for requirements no black-box wire test can check: why, and what the harness checks instead. */
  readonly notTestedReason?: string;
}

/** Prefix of every HSMS-SS rule statement: we do not hold the E37.1 text (NOTES.md). */
const FROM_E37_1 = 'From the subsidiary standard SEMI E37.1 (HSMS-SS) as publicly understood:';

function e37(
  section: string,
  strength: Strength,
  title: string,
  statement: string,
  notTestedReason?: string,
): Requirement {
  const base = { id: `E37-${section}`, section, title, strength, statement, standard: 'e37' as const };
  return Object.freeze(notTestedReason === undefined ? base : { ...base, notTestedReason });
}

function hsmsSs(name: string, strength: Strength, title: string, statement: string): Requirement {
  return Object.freeze({
    id: `E37.1-${name}`,
    section: 'E37.1',
    title,
    strength,
    statement: `${FROM_E37_1} ${statement}`,
    standard: 'hsms-ss' as const,
  });
}

/**
 * Sections whose obligations are exactly those of other sections, each checked by its own
 * scenarios: such a section takes the worst verdict of the sections named here, so it is judged
 * and never reported as not tested.
 */
export const JUDGED_THROUGH: Readonly<Record<string, readonly string[]>> = Object.freeze({
  // The diagram is the 5.3 table; transitions 5 and 6 are judged with the procedures that trigger them.
  'E37-5.1': ['E37-5.3', 'E37-7.4.2', 'E37-7.6.2', 'E37-9.2.2'],
  // Interoperable streams: connections formed with an ordinary TCP stack, messages taken however TCP cuts them.
  'E37-6.1': ['E37-6.3.2', 'E37-6.3.3', 'E37-8.1.2'],
  'E37-7.4': ['E37-7.4.1', 'E37-7.4.2', 'E37-7.4.3'],
  'E37-7.6': ['E37-7.6.1', 'E37-7.6.2'],
  // Bit 7 is the most significant: the W-bit and stream of byte 2 as the IUT writes them (8.2.1) and reads them (9.4.1).
  'E37-8.1.1': ['E37-8.2.1', 'E37-9.4.1'],
  'E37-8.1.4': ['E37-8.1.4.1', 'E37-8.1.4.6', 'E37-8.2.1', 'E37-8.2.2', 'E37-8.2.3', 'E37-8.2.5', 'E37-8.2.6', 'E37-8.2.7', 'E37-8.2.8', 'E37-8.2.9'],
  'E37-8.1.4.2': ['E37-8.2.1', 'E37-8.2.2', 'E37-8.2.3', 'E37-8.2.5', 'E37-8.2.6', 'E37-8.2.7', 'E37-8.2.8', 'E37-8.2.9'],
  'E37-8.1.4.3': ['E37-8.2.1', 'E37-8.2.2', 'E37-8.2.3', 'E37-8.2.5', 'E37-8.2.6', 'E37-8.2.7', 'E37-8.2.8', 'E37-8.2.9'],
  'E37-8.1.4.4': ['E37-7.7.2', 'E37-9.3.3', 'E37-8.2.1', 'E37-8.2.8'],
  'E37-8.1.4.5': ['E37-7.7.2', 'E37-8.2.1', 'E37-8.2.2', 'E37-8.2.3', 'E37-8.2.6', 'E37-8.2.7', 'E37-8.2.8', 'E37-8.2.9'],
});

/** The catalogue, in section order (E37 sections, then Appendix A1-3, then HSMS-SS rules by name). */
export const REQUIREMENTS: readonly Requirement[] = Object.freeze([
  // ---- 5 State machine ------------------------------------------------------------------
  e37(
    '5.1',
    'MUST',
    'State diagram: the basic requirements',
    'The IUT is NOT CONNECTED or CONNECTED, and while connected NOT SELECTED or SELECTED, and it changes state ' +
      'only as the diagram and its 5.3 table say (subsidiary standards may add states or rules, as HSMS-SS ' +
      'does). Judged through 5.3 and the sections that own transitions 5 (Deselect 7.4.2, Separate 7.6.2) and 6 ' +
      '(T7, 9.2.2).',
  ),
  e37(
    '5.3',
    'MUST',
    'State transitions',
    'The IUT moves between states as the transition table says: a new TCP connection starts in NOT SELECTED ' +
      '(data there draws a Reject), a successful Select leads to SELECTED, a successful Deselect or Separate ' +
      'back to NOT SELECTED, and T7 expiry in NOT SELECTED to NOT CONNECTED (the table\'s "NOT CORRECTED" is read ' +
      'as NOT CONNECTED). The harness infers each state from how the IUT answers probe messages.',
  ),

  // ---- 6 Use of TCP/IP ------------------------------------------------------------------
  e37(
    '6.1',
    'MUST',
    'Interoperable TCP streams',
    'Whatever TCP/IP programming interface the IUT uses (sockets, TLI, ...), it interoperates over ordinary TCP: ' +
      'it forms connections with the tester\'s TCP stack in its declared connect mode and treats each connection ' +
      'as a byte stream, taking messages however TCP cuts or joins them. Judged through the connect procedures ' +
      '(6.3.2, 6.3.3) and the stream framing of 8.1.2.',
  ),
  e37(
    '6.2.1',
    'MUST',
    'IP address set at installation',
    'The IUT does not hard-code its IP address: the address it uses is assigned when it is installed, and each ' +
      'network attachment has its own unique address.',
    'Address assignment is a property of the host installation, not of HSMS traffic. The harness only reaches ' +
      'the IUT at the address the profile declares; that shows the declared address works, nothing more.',
  ),
  e37(
    '6.2.2',
    'SHOULD',
    'TCP port configurable',
    'The TCP port the IUT listens on or connects to is a setting that can take any port number the TCP/IP ' +
      'stack allows.',
    'Covering the whole port range would mean reconfiguring and restarting the IUT for every value. The harness ' +
      'uses only the port the profile declares (passed as HSMS_PORT to a launched IUT), which shows that one ' +
      'configured value is honoured.',
  ),
  e37(
    '6.3.1',
    'MUST',
    'Connect mode',
    'The IUT forms connections only in the mode its profile declares: a passive IUT listens and accepts without ' +
      'initiating, an active IUT initiates, an alternating IUT follows A1-3. No scenario relies on a TCP ' +
      'simultaneous open.',
  ),
  e37(
    '6.3.2',
    'MUST',
    'Passive connect procedure',
    'A passive IUT listens on its published port (the profile\'s host and port), completes the TCP handshake for ' +
      'an incoming connection and is then in NOT SELECTED, so that a Select.req sent right after connecting is ' +
      'answered.',
  ),
  e37(
    '6.3.3',
    'MUST',
    'Active connect procedure',
    'An active IUT opens a TCP connection to the remote address and port it was configured with (where the ' +
      'harness listens) and is then in NOT SELECTED. If an attempt fails and it retries, the retry should wait ' +
      'for T5 (9.2.1); a shorter gap is a warning.',
  ),
  e37(
    '6.4',
    'MUST',
    'Close only when NOT SELECTED',
    'The IUT does not close the TCP connection while a session is SELECTED unless it has detected a ' +
      'communication failure (9.1.1); once back in NOT SELECTED (after Deselect, Separate, a refused or missing ' +
      'Select) it may close. A close of a healthy SELECTED connection fails.',
  ),

  // ---- 7 Procedures ---------------------------------------------------------------------
  e37(
    '7.1',
    'MUST',
    'No TCP urgent data',
    'The IUT sends every HSMS message as ordinary in-band TCP stream data and never uses the TCP urgent ' +
      '(out-of-band) mechanism.',
    'Node sockets neither expose the TCP URG flag nor hand urgent bytes over separately, so the harness cannot ' +
      'see urgent data as such; a stray urgent byte would only appear as a byte missing from the stream, which ' +
      'the framing checks of 8.1.2 and 8.1.3 report.',
  ),
  e37(
    '7.2',
    'MUST',
    'Select allowed in any CONNECTED state',
    'The IUT answers every Select.req received while connected with a Select.rsp, never with a Reject or a ' +
      'close. One received while already SELECTED is expected to get status 1 (Communication Already Active); ' +
      'status 0 there is a warning, and the existing session must stay usable either way.',
  ),
  e37(
    '7.2.1',
    'MUST',
    'Select: initiator',
    'When the IUT starts a Select, a Select.rsp with status 0 puts it in SELECTED (it then exchanges data) and ' +
      'a non-zero status leaves it in NOT SELECTED. If the tester withholds the Select.rsp for T6, the IUT treats ' +
      'it as a communication failure and should close the connection (a warning if it does not).',
  ),
  e37(
    '7.2.2',
    'MUST',
    'Select: responding entity',
    'The IUT answers a Select.req with a Select.rsp. Status 0 means it is now SELECTED and accepts data messages; ' +
      'a non-zero status means it stays NOT SELECTED, so a data message sent next draws Reject reason 4.',
  ),
  e37(
    '7.2.3',
    'MUST',
    'Simultaneous Select',
    'If the tester\'s Select.req (same session ID) crosses the IUT\'s own open Select.req, the IUT accepts the ' +
      'tester\'s request with a Select.rsp of status 0 and completes its own transaction; both sides end up ' +
      'SELECTED.',
  ),
  e37(
    '7.3',
    'MUST',
    'Data only when SELECTED',
    'The IUT sends data messages only while SELECTED and accepts the tester\'s data messages in that state. A ' +
      'data message received in NOT SELECTED draws Reject.req reason 4 (Entity Not Selected) and the connection ' +
      'stays up.',
  ),
  e37(
    '7.4',
    'MUST',
    'Deselect only when SELECTED',
    'The IUT starts the Deselect procedure only while SELECTED: it never sends Deselect.req in NOT SELECTED. How ' +
      'it answers a Deselect.req in the wrong state is checked under 7.4.2.',
  ),
  e37(
    '7.4.1',
    'MUST',
    'Deselect: initiator',
    'After the IUT sends Deselect.req, a Deselect.rsp with status 0 returns it to NOT SELECTED (no more data; it ' +
      'may then close) and a non-zero status leaves it SELECTED and exchanging data. A Deselect.rsp withheld for ' +
      'T6 is a communication failure on which the IUT should close (a warning if it does not).',
  ),
  e37(
    '7.4.2',
    'MUST',
    'Deselect: responding entity',
    'The IUT answers a Deselect.req with a Deselect.rsp: status 0 when it agrees (it is then NOT SELECTED and data ' +
      'draws Reject reason 4), or a non-zero status with no state change when it cannot, status 1 when it is not ' +
      'SELECTED. Answering a Deselect.req in NOT SELECTED with a Reject fails.',
  ),
  e37(
    '7.4.3',
    'MUST',
    'Simultaneous Deselect',
    'If the tester\'s Deselect.req crosses the IUT\'s own open Deselect.req for the same session, the IUT still ' +
      'answers the tester\'s request with a Deselect.rsp of status 0, and both sides end in NOT SELECTED.',
  ),
  e37(
    '7.5',
    'MUST',
    'Linktest in any CONNECTED state',
    'Linktest is valid in both NOT SELECTED and SELECTED: under standard e37 the IUT answers a Linktest.req in ' +
      'either substate and never rejects it because of its state (HSMS-SS: see E37.1-linktest-selected-only).',
  ),
  e37(
    '7.5.1',
    'MUST',
    'Linktest: initiator',
    'A Linktest.rsp the tester returns within T6 completes the IUT\'s Linktest and the IUT carries on. If the ' +
      'tester withholds it for T6, the IUT treats it as a communication failure and should close (a warning if ' +
      'not); a Linktest.rsp sent later on a still-open connection must draw Reject reason 3.',
  ),
  e37(
    '7.5.2',
    'MUST',
    'Linktest: responding entity',
    'The IUT answers every Linktest.req with exactly one Linktest.rsp carrying the request\'s system bytes, ' +
      'promptly enough for the tester\'s T6.',
  ),
  e37(
    '7.6',
    'MUST',
    'Separate: no response',
    'The IUT never sends any response to a Separate.req, whatever its state, and it sends Separate.req itself ' +
      'only while SELECTED.',
  ),
  e37(
    '7.6.1',
    'MUST',
    'Separate: initiator',
    'Once the IUT has sent Separate.req it is NOT SELECTED at once without waiting for an answer: it sends no ' +
      'further data messages, and it may close the connection.',
  ),
  e37(
    '7.6.2',
    'MUST',
    'Separate: responding entity',
    'A Separate.req received while SELECTED ends the session with no reply (data then draws Reject reason 4, or ' +
      'the IUT closes). One received in NOT SELECTED is ignored: no reply and no Reject; staying connected passes, ' +
      'closing is a warning under standard e37.',
  ),
  e37(
    '7.7',
    'MUST',
    'Reject procedure',
    'When the IUT refuses a well-framed message because of its context it does so with Reject.req (not silence, ' +
      'not a close), and the connection stays usable afterwards. Reject does not replace the defined answers of ' +
      'Deselect.req and Separate.req in NOT SELECTED (7.4.2, 7.6.2).',
  ),
  e37(
    '7.7.1',
    'MUST',
    'Reject: initiator',
    'What the IUT does when a message it sent is rejected is its own choice, within the rest of the standard: ' +
      'it never answers the Reject.req (8.2.8), and as a Reject is no communication failure its SELECTED session ' +
      'carries on, answering Linktest and data, unless it ends the session itself with Separate.req or ' +
      'Deselect.req before it closes. Closing the SELECTED connection straight away fails (6.4).',
  ),
  e37(
    '7.7.2',
    'MUST',
    'Reject: required cases',
    'The IUT sends Reject.req for a data message in NOT SELECTED (reason 4), an SType it does not define ' +
      '(reason 1; for 8 and 10 reason 1 or 3 passes) and a PType other than 0 (reason 2). When several reasons ' +
      'apply, any applicable one passes if header byte 2 matches it.',
  ),

  // ---- 8 Message format -----------------------------------------------------------------
  e37(
    '8.1.1',
    'MUST',
    'Bytes of 8 bits, bit 7 most significant',
    'Every field is built of 8-bit bytes whose bit 7 is the most significant: in header byte 2 of a data message ' +
      'the W-bit is bit 7 and the stream bits 6-0. Judged through the IUT\'s data messages (8.2.1: how it writes ' +
      'them) and its replies (9.4.1: the stream it reads from the tester\'s primary and echoes).',
  ),
  e37(
    '8.1.2',
    'MUST',
    'Message framing',
    'Each message the IUT sends is one contiguous run of bytes (4-byte length, 10-byte header, text) never ' +
      'interleaved with another message, and the IUT reassembles the tester\'s messages however TCP splits or ' +
      'joins them (several per segment, one across many segments).',
  ),
  e37(
    '8.1.3',
    'MUST',
    'Message length',
    'The length field is a big-endian unsigned 32-bit count of header plus text, never below 10 in what the IUT ' +
      'sends. A received length below 10 or above the declared maximum is never answered as a valid message; the ' +
      'IUT should close that connection (a warning otherwise) and must keep accepting new connections.',
  ),
  e37(
    '8.1.4',
    'MUST',
    'Message header layout',
    'Every message carries a 10-byte header: session ID (bytes 0-1), header bytes 2 and 3, PType (byte 4), ' +
      'SType (byte 5) and system bytes (6-9). Every frame the IUT sends must decode consistently with this layout.',
  ),
  e37(
    '8.1.4.1',
    'MUST',
    'Session ID',
    'The session ID is an unsigned 16-bit value sent most significant byte first. The data messages the IUT sends ' +
      'in a session carry the session ID that session was selected with (the profile\'s sessionId).',
  ),
  e37(
    '8.1.4.2',
    'MUST',
    'Header byte 2',
    'In the IUT\'s control messages header byte 2 is 0, except in Reject.req where it holds the rejected ' +
      'message\'s PType (reason 2) or SType (other reasons). In data messages with PType 0 it carries the W-bit ' +
      '(bit 7) and the stream (bits 6-0).',
  ),
  e37(
    '8.1.4.3',
    'MUST',
    'Header byte 3',
    'In the IUT\'s control messages header byte 3 is 0, except the status of Select.rsp and Deselect.rsp and the ' +
      'reason code of Reject.req. In data messages with PType 0 it is the function.',
  ),
  e37(
    '8.1.4.4',
    'MUST',
    'PType',
    'Every message the IUT sends has PType 0 (SECS-II encoding). A received message with another PType is not ' +
      'processed as SECS-II but rejected with reason 2 (7.7.2).',
  ),
  e37(
    '8.1.4.5',
    'MUST',
    'SType',
    'The IUT sends only the STypes E37 defines (0-7 and 9), never 8, 10 or higher. A received SType it does not ' +
      'support is rejected with reason 1 (7.7.2), never taken for another message type.',
  ),
  e37(
    '8.1.4.6',
    'MUST',
    'System bytes',
    'The system bytes of each request the IUT starts (primary data message, Select.req, Deselect.req, ' +
      'Linktest.req) differ from those of its other open transactions and of its most recently completed one; ' +
      'every reply or .rsp it sends copies the system bytes of the message it answers.',
  ),
  e37(
    '8.2.1',
    'MUST',
    'Data message format',
    'IUT data messages have SType 0, PType 0, length of at least 10, the stream in bits 6-0 of byte 2 and the ' +
      'function in byte 3 (odd: primary, even: reply); header-only data messages are accepted. The W-bit should ' +
      'be set exactly on primaries that expect a reply (mistakes are warnings).',
  ),
  e37(
    '8.2.2',
    'MUST',
    'Select.req format',
    'A Select.req the IUT sends is header-only (length 10) with header bytes 2 and 3 zero, PType 0, SType 1 and ' +
      'system bytes unique among its open transactions.',
  ),
  e37(
    '8.2.3',
    'MUST',
    'Select.rsp format',
    'The IUT\'s Select.rsp is header-only with SType 2, PType 0, byte 2 zero, the request\'s session ID and system ' +
      'bytes, and the select status in byte 3 (0 established, 1 already active, 2 not ready, 3 connect exhaust; ' +
      'higher values are subsidiary or local refusals).',
  ),
  e37(
    '8.2.4',
    'MUST',
    'Deselect.req format',
    'A Deselect.req the IUT sends is header-only with header bytes 2 and 3 zero, PType 0, SType 3, unique system ' +
      'bytes, and the session ID of the Select.req that opened the session it ends.',
  ),
  e37(
    '8.2.5',
    'MUST',
    'Deselect.rsp format',
    'The IUT\'s Deselect.rsp is header-only with SType 4, PType 0, byte 2 zero, the request\'s session ID and ' +
      'system bytes, and the deselect status in byte 3 (0 ended, 1 not established, 2 busy; higher values are ' +
      'subsidiary or local).',
  ),
  e37(
    '8.2.6',
    'MUST',
    'Linktest.req format',
    'A Linktest.req the IUT sends is header-only with session ID 0xFFFF, header bytes 2 and 3 zero, PType 0, ' +
      'SType 5 and system bytes unique among its open transactions.',
  ),
  e37(
    '8.2.7',
    'MUST',
    'Linktest.rsp format',
    'The IUT\'s Linktest.rsp is header-only with session ID 0xFFFF, header bytes 2 and 3 zero, PType 0, SType 6 ' +
      'and the system bytes of the Linktest.req it answers.',
  ),
  e37(
    '8.2.8',
    'MUST',
    'Reject.req format',
    'The IUT\'s Reject.req is header-only with SType 7, PType 0, the rejected message\'s session ID and system ' +
      'bytes, byte 2 per 8.1.4.2 and a non-zero reason in byte 3 (4 = Entity Not Selected; 5-127 reserved). A ' +
      'response control message with no open request must draw reason 3.',
  ),
  e37(
    '8.2.9',
    'MUST',
    'Separate.req format',
    'A Separate.req the IUT sends is laid out like its Deselect.req (header-only, bytes 2 and 3 zero, PType 0, ' +
      'session ID of the session it ends, unique system bytes) except for SType 9, and no message answers it.',
  ),

  // ---- 9 Special considerations ---------------------------------------------------------
  e37(
    '9.1.1',
    'SHOULD',
    'Communication failure: close',
    'When the IUT detects a communication failure (T6, T7 or T8 expiry, malformed framing) it should close the ' +
      'TCP connection; keeping it open is a warning. It may then reconnect or listen again, subject to T5.',
  ),
  e37(
    '9.2.1',
    'SHOULD',
    'T5 connect separation',
    'An active or alternating IUT should leave at least T5 between the end of one connect attempt to the tester ' +
      '(refused, failed or closed) and its next SYN; a shorter gap is a warning.',
  ),
  e37(
    '9.2.2',
    'MUST',
    'T7 NOT SELECTED timeout',
    'A connection left NOT SELECTED for T7, counted from TCP connect, is closed by the IUT within the profile\'s ' +
      'tolerance; a Linktest should not restart T7 (a warning if it does). A single-connection IUT that never ' +
      'closes fails; one that accepts several connections gets a warning.',
  ),
  e37(
    '9.2.3',
    'MUST',
    'T8 intercharacter timeout',
    'A gap longer than T8 between two bytes of one incoming message is a communication failure that must end in ' +
      'a close. Closing while bytes keep arriving within T8 is a warning; idle time between whole messages is not ' +
      'T8 and must not close the connection.',
  ),
  e37(
    '9.2.4',
    'MUST',
    'Multiple connections independent',
    'An IUT that accepts several connections on its published port (profile: multipleConnections true) runs a ' +
      'separate state machine on each: selecting, deselecting, timing out or closing one leaves the others ' +
      'untouched.',
  ),
  e37(
    '9.2.4.1',
    'MUST',
    'Refusing extra connections',
    'A single-connection passive IUT treats a further connection by the refusal option its profile declares: (a) ' +
      'accept it and answer every Select.req there with status 1 or 3, (b) actively reset it, (c) never accept ' +
      'it. Other behaviour fails, and the first, selected session must stay intact.',
  ),
  e37(
    '9.3.1',
    'MUST',
    'T6 control timeout',
    'A control transaction the IUT opened that stays unanswered for T6 is closed by the IUT as a communication ' +
      'failure, so it should drop the connection (a warning if it keeps it); a .rsp the tester sends after that ' +
      'must draw Reject reason 3.',
  ),
  e37(
    '9.3.2',
    'MUST',
    'Stateless transactions',
    'While the IUT waits for the response to its own request, it handles any other message valid in its state ' +
      '(a Linktest.req, a crossing request, a data message) as usual, without rejecting it or closing.',
  ),
  e37(
    '9.3.3',
    'MUST',
    'Control messages: PType 0, no text',
    'Every control message the IUT sends (an SType E37 defines, other than 0) has PType 0 and no text. A control ' +
      'message from the tester that carries text is never answered as valid; the IUT should close the connection ' +
      '(a warning otherwise).',
  ),
  e37(
    '9.4.1',
    'MUST',
    'Reply matching',
    'The IUT\'s reply to a primary with the W-bit set carries the primary\'s session ID, stream and system bytes ' +
      'and a function one higher or 0; a wrong session ID, stream or system bytes fails, a wrong function or a ' +
      'W-bit set on the reply is a warning, as is replying to a primary without the W-bit.',
  ),
  e37(
    '9.4.1.1',
    'MUST',
    'T3 reply timeout',
    'The IUT times every primary it sends with the W-bit set against T3 and abandons the transaction when T3 ' +
      'expires. The timer is invisible on the wire, so the harness withholds the reply past T3, then sends it ' +
      'late and checks only what follows (an S9F9 from equipment is informational).',
  ),
  e37(
    '9.4.2',
    'SHOULD',
    'Stream 9 headers',
    'When the IUT reports an error with S9F1, S9F3, S9F5, S9F7, S9F9 or S9F11, the MHEAD or SHEAD item should ' +
      'hold the 10-byte HSMS header of the offending message; other content is a warning.',
  ),

  // ---- 10 Documentation -----------------------------------------------------------------
  e37(
    '10',
    'MUST',
    'Documentation',
    'The IUT is documented with: how protocol parameters are set, the range and resolution of each, the refusal ' +
      'option used when passive, the largest message it can receive, the largest it expects to send, and the ' +
      'number of concurrent open transactions it supports.',
    'Documentation cannot be observed on the wire. The harness checks the profile instead: a passive IUT must ' +
      'declare its refusal option (item 3) and every IUT its maximum received message length (item 4); the other ' +
      'items have no profile field and are reported as not tested.',
  ),
  e37(
    '10.1',
    'MUST',
    'Parameter setting',
    'T3, T5, T6, T7, T8, the connect mode and the local or remote address and port can be set at installation, ' +
      'covering at least 1-120 s for T3 and T8 and 1-240 s for T5, T6 and T7 at 1 s resolution, and the settings ' +
      'survive a power failure or a software reload.',
    'Installation-time setting and persistence across power loss or reload cannot be observed over TCP. The ' +
      'harness reports declared timer values outside the minimum ranges (wider ranges pass), passes the values ' +
      'to a launched IUT, and the timer scenarios of section 9 check that they are in effect.',
  ),

  // ---- Appendix A1-3 Alternating mode ----------------------------------------------------
  e37(
    'A1-3',
    'MUST',
    'Alternating connect procedure',
    'An alternating IUT alternates active connect attempts, each allowed at least T5, with passive phases of at ' +
      'least T5 in which it listens on its published port, until a connection forms; it then behaves as any ' +
      'connected entity.',
  ),
  e37(
    'A1-3.1',
    'SHOULD',
    'Alternating cycle time',
    'The time from one active attempt of an alternating IUT to the next follows its T5 setting, so two ' +
      'alternating entities can be kept out of lock step.',
    'The cycle time is implementation-dependent by the text of A1-3.1, which only recommends that two ' +
      'alternating entities differ in it: no behaviour of a single IUT on the wire can pass or fail it. The ' +
      'alternating IUT\'s connect behaviour itself is judged under A1-3 and A1-3.2.',
  ),
  e37(
    'A1-3.2',
    'MUST',
    'Connect combinations',
    'An alternating IUT connects both to a passive tester (from its active phase) and with an active tester ' +
      '(during its passive phase). If two connections form at once with an alternating tester, the IUT keeps one ' +
      'and closes the other, leaving exactly one working session.',
  ),

  // ---- HSMS-SS (E37.1) rules, applied only with `standard: hsms-ss` ----------------------
  hsmsSs(
    'control-session-id',
    'MUST',
    'HSMS-SS: control session ID 0xFFFF',
    'every control message the IUT sends (Select, Deselect, Linktest, Separate, Reject and their responses) has ' +
      'session ID 0xFFFF, and its data messages carry the device ID (the profile\'s sessionId).',
  ),
  hsmsSs(
    'deselect-not-used',
    'MUST',
    'HSMS-SS: no Deselect',
    'the IUT ends a session with Separate and never sends Deselect.req. A Deselect.req it receives may be answered ' +
      'with a Deselect.rsp or rejected with reason 1; both pass.',
  ),
  hsmsSs(
    'linktest-selected-only',
    'MUST',
    'HSMS-SS: Linktest only when SELECTED',
    'the IUT sends Linktest.req only while SELECTED, never in NOT SELECTED.',
  ),
  hsmsSs(
    'not-selected-failure',
    'SHOULD',
    'HSMS-SS: non-Select in NOT SELECTED',
    'a passive IUT in NOT SELECTED may treat any message but Select.req as a communication failure and close ' +
      '(closing or answering as E37 prescribes both pass); after a Separate.req there it should close, a warning ' +
      'if it stays connected.',
  ),
  hsmsSs(
    'select-only-not-selected',
    'MUST',
    'HSMS-SS: Select only in NOT SELECTED',
    'a Select.req is accepted only in NOT SELECTED; one received while SELECTED gets status 1 (Communication ' +
      'Already Active), status 0 fails, and the existing session carries on unchanged.',
  ),
  hsmsSs(
    'single-session',
    'MUST',
    'HSMS-SS: single session',
    'the IUT runs at most one HSMS session at a time: while one connection is selected, no other connection to ' +
      'it gets a session (further connections are refused as its 9.2.4.1 option says).',
  ),
  hsmsSs(
    't3-no-close',
    'MUST',
    'HSMS-SS: T3 keeps the connection',
    'when T3 expires on a primary the IUT sent, only that transaction is cancelled; the connection and the ' +
      'session stay up and usable.',
  ),
]);

const BY_ID: ReadonlyMap<string, Requirement> = new Map(REQUIREMENTS.map((r) => [r.id, r]));

/** The requirement with this clause id, if the catalogue has one. */
export function requirementById(id: string): Requirement | undefined {
  return BY_ID.get(id);
}

interface SortKey {
  /** 0: E37 body sections, 1: appendix, 2: HSMS-SS rules, 3: anything unrecognised. */
  readonly group: number;
  readonly path: readonly number[];
  readonly name: string;
}

function sortKey(idOrSection: string): SortKey {
  const s = idOrSection.trim();
  const ss = /^E37\.1(?:-(.*))?$/.exec(s);
  if (ss) return { group: 2, path: [], name: ss[1] ?? '' };
  const bare = s.startsWith('E37-') ? s.slice('E37-'.length) : s;
  const body = /^\d+(?:\.\d+)*$/.exec(bare);
  if (body) return { group: 0, path: bare.split('.').map(Number), name: '' };
  const appendix = /^A(\d+)-(\d+(?:\.\d+)*)$/.exec(bare);
  if (appendix && appendix[1] !== undefined && appendix[2] !== undefined) {
    return { group: 1, path: [Number(appendix[1]), ...appendix[2].split('.').map(Number)], name: '' };
  }
  return { group: 3, path: [], name: s };
}

/**
 * Compares clause ids ('E37-7.10', 'E37-A1-3.1', 'E37.1-single-session') or bare sections
 * ('7.10', 'A1-3', 'E37.1') in section order: numerically per level, a section before its
 * sub-sections, the body before Appendix 1, E37 before the HSMS-SS rules (those by name).
 */
export function sectionOrder(a: string, b: string): number {
  const ka = sortKey(a);
  const kb = sortKey(b);
  if (ka.group !== kb.group) return ka.group - kb.group;
  const n = Math.min(ka.path.length, kb.path.length);
  for (let i = 0; i < n; i++) {
    const d = (ka.path[i] ?? 0) - (kb.path[i] ?? 0);
    if (d !== 0) return d;
  }
  if (ka.path.length !== kb.path.length) return ka.path.length - kb.path.length;
  return ka.name < kb.name ? -1 : ka.name > kb.name ? 1 : 0;
}
