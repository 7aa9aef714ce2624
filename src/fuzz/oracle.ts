import { DEFINED_STYPES, HEADER_LENGTH, LENGTH_PREFIX, LINKTEST_SESSION_ID, SType, sTypeName } from '../protocol/constants';
import { describeHeader, readHeader, type Frame, type Header } from '../protocol/header';
import type { Standard } from '../peer/parameters';

/**
 * The test oracle of the live properties: given what the tester wrote and what the IUT sent
 * back, every outcome E37 and NOTES.md allow passes; anything else is a finding on the clause
 * it breaks. The oracle parses the tester's bytes itself (not with the FrameDecoder under test).
 */

export type ModelState = 'NOT_SELECTED' | 'SELECTED';

export interface Finding {
  readonly clause: string;
  readonly severity: 'fail' | 'warn';
  readonly message: string;
  /** Byte offset, in what the tester wrote, of the frame whose answer (or its absence) this is about. */
  readonly at?: number;
}

export interface OracleEnv {
  readonly standard: Standard;
  readonly maxLength: number;
  /** The IUT is the active entity (under HSMS-SS it may reject the tester's Select.req, NOTES.md). */
  readonly activeIut?: boolean;
}

/** What a byte stream is, read as E37-8.1 framing. */
export type StreamItem =
  | { readonly kind: 'frame'; readonly frame: Frame; readonly start: number; readonly end: number }
  | { readonly kind: 'error'; readonly length: number; readonly start: number; readonly why: 'too-small' | 'too-large' }
  | { readonly kind: 'partial'; readonly start: number; readonly have: number; readonly length: number | null };

export function parseStream(bytes: Buffer, maxLength: number): StreamItem[] {
  const out: StreamItem[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < LENGTH_PREFIX) {
      out.push({ kind: 'partial', start: at, have: bytes.length - at, length: null });
      return out;
    }
    const length = bytes.readUInt32BE(at);
    if (length < HEADER_LENGTH || length > maxLength) {
      out.push({ kind: 'error', length, start: at, why: length < HEADER_LENGTH ? 'too-small' : 'too-large' });
      return out;
    }
    const end = at + LENGTH_PREFIX + length;
    if (end > bytes.length) {
      out.push({ kind: 'partial', start: at, have: bytes.length - at, length });
      return out;
    }
    const body = bytes.subarray(at + LENGTH_PREFIX, end);
    out.push({ kind: 'frame', frame: { header: readHeader(body), text: body.subarray(HEADER_LENGTH) }, start: at, end });
    at = end;
  }
  return out;
}

/**
 * Bytes that complete a trailing partial message (zeros, with the length prefix chosen as small
 * as the bytes already sent allow), so that a barrier can follow; null when nothing is partial
 * or completing it would cost more than `budget` bytes.
 */
export function completion(bytes: Buffer, maxLength: number, budget: number): Buffer | null {
  const items = parseStream(bytes, maxLength);
  const last = items[items.length - 1];
  if (!last || last.kind !== 'partial') return null;
  if (last.length === null) {
    const prefix = Buffer.alloc(LENGTH_PREFIX);
    bytes.copy(prefix, 0, last.start);
    // Smallest length >= 10 with the given leading bytes; otherwise the smallest possible.
    for (let i = last.have; i < LENGTH_PREFIX; i++) prefix[i] = 0;
    let length = prefix.readUInt32BE(0);
    if (length < HEADER_LENGTH && last.have < LENGTH_PREFIX) {
      prefix[LENGTH_PREFIX - 1] = HEADER_LENGTH;
      length = prefix.readUInt32BE(0);
    }
    if (length > maxLength || length > budget) return prefix.subarray(last.have);
    return Buffer.concat([prefix.subarray(last.have), Buffer.alloc(length)]);
  }
  const missing = LENGTH_PREFIX + last.length - last.have;
  return missing <= budget ? Buffer.alloc(missing) : null;
}

/** What the IUT may do in answer to one frame. */
interface Expectation {
  readonly sent: Header;
  readonly what: string;
  /** Clause broken by a missing or wrong answer. */
  readonly clause: string;
  readonly required: boolean;
  /** Closing the connection (instead of or after answering) is a legal outcome. */
  readonly closeOk: boolean;
  /** The IUT should close; keeping the connection is this (WARN) finding. */
  readonly shouldClose: Finding | null;
  /** Response STypes that answer it (7 for Reject; 0 for a data reply). */
  readonly answers: ReadonlySet<number>;
  /** A close right after this frame (its answer, if any, sent first) is legal but SHOULD not happen: this WARN. */
  readonly closeWarn?: Finding;
  /** Judges the answer; returns findings and the state after it. */
  readonly judge: (f: Frame) => { findings: Finding[]; next: ModelState };
  readonly nextIfSilent: ModelState;
}

const fail = (clause: string, message: string): Finding => ({ clause, severity: 'fail', message });
const warn = (clause: string, message: string): Finding => ({ clause, severity: 'warn', message });

/** Every reason that applies (NOTES.md: when several apply, any passes if byte 2 matches it). */
function rejectReasonsFor(h: Header, state: ModelState, hsmsSs: boolean): number[] {
  const reasons: number[] = [];
  if (h.pType !== 0) reasons.push(2);
  if (!DEFINED_STYPES.has(h.sType)) reasons.push(1);
  if (h.sType === 8 || h.sType === 10) reasons.push(3);
  if (h.sType === SType.SelectRsp || h.sType === SType.DeselectRsp || h.sType === SType.LinktestRsp) reasons.push(3);
  else if (h.sType === SType.Data && state !== 'SELECTED') reasons.push(4);
  // HSMS-SS does not use Deselect (NOTES.md): a Deselect.rsp is an SType it does not support.
  if (hsmsSs && h.sType === SType.DeselectRsp) reasons.push(1);
  return reasons;
}

/**
 * E37-8.2.8: the Reject echoes session id and system bytes; byte 2 is the PType for reason 2, else
 * the SType. Under HSMS-SS control messages may carry 0xFFFF instead (NOTES.md, E37.1).
 */
function checkReject(sent: Header, r: Header, reasons: readonly number[] | null, reasonClause: string, hsmsSs: boolean): Finding[] {
  const out: Finding[] = [];
  if (r.systemBytes !== sent.systemBytes) out.push(fail('E37-8.2.8', `Reject.req system bytes ${r.systemBytes} do not echo ${sent.systemBytes}`));
  if (r.sessionId !== sent.sessionId && !(hsmsSs && r.sessionId === 0xffff)) out.push(fail('E37-8.2.8', `Reject.req session id ${r.sessionId} does not echo ${sent.sessionId}`));
  if (r.byte3 === 0) out.push(fail('E37-8.2.8', 'Reject.req with reason code 0'));
  else if (r.byte2 !== (r.byte3 === 2 ? sent.pType : sent.sType)) {
    out.push(fail('E37-8.2.8', `Reject.req reason ${r.byte3} carries ${r.byte2} in byte 2, not the ${r.byte3 === 2 ? 'PType' : 'SType'} ${r.byte3 === 2 ? sent.pType : sent.sType}`));
  }
  if (reasons && r.byte3 !== 0 && !reasons.includes(r.byte3)) out.push(fail(reasonClause, `Reject.req reason ${r.byte3}; allowed: ${reasons.join(' or ')}`));
  return out;
}

function checkControlRsp(sent: Header, r: Frame, clause: string, sessionId: number, hsmsSs = false): Finding[] {
  const out: Finding[] = [];
  const h = r.header;
  if (h.systemBytes !== sent.systemBytes) out.push(fail(clause, `${sTypeName(h.sType)} system bytes ${h.systemBytes} do not echo ${sent.systemBytes}`));
  // HSMS-SS control messages carry session id 0xFFFF (NOTES.md, E37.1).
  if (h.sessionId !== sessionId && !(hsmsSs && h.sessionId === LINKTEST_SESSION_ID)) out.push(fail(clause, `${sTypeName(h.sType)} session id ${h.sessionId}, expected ${sessionId}`));
  if (h.byte2 !== 0) out.push(fail(clause, `${sTypeName(h.sType)} byte 2 is ${h.byte2}, not 0`));
  if (h.sType === SType.LinktestRsp && h.byte3 !== 0) out.push(fail(clause, `Linktest.rsp byte 3 is ${h.byte3}, not 0`));
  if (r.text.length > 0) out.push(fail(clause, `${sTypeName(h.sType)} carries ${r.text.length} bytes of text`));
  return out;
}

/** Clause of a response of this SType. */
function wrongAnswer(what: string, f: Frame, clause: string): Finding {
  return fail(clause, `${what} was answered with ${describeHeader(f.header)}`);
}

export function expectationFor(env: OracleEnv, state: ModelState, frame: Frame): Expectation {
  const h = frame.header;
  const what = `${describeHeader(h)}${frame.text.length ? ` +${frame.text.length} bytes text` : ''}`;
  const ss = env.standard === 'hsms-ss';
  const ssClose = ss && state === 'NOT_SELECTED' && !(h.sType === SType.SelectReq && h.pType === 0);
  const base = { sent: h, what, shouldClose: null, nextIfSilent: state };
  const reject = (reasons: number[], clause: string, closeOk: boolean): Expectation => ({
    ...base,
    clause,
    required: true,
    closeOk,
    answers: new Set([SType.RejectReq]),
    judge: (f) => ({ findings: f.header.sType === SType.RejectReq ? checkReject(h, f.header, reasons, clause, ss) : [wrongAnswer(what, f, h.sType === SType.Data && state !== 'SELECTED' ? 'E37-7.3' : clause)], next: state }),
  });
  // A Reject.req is never answered, except that one with PType != 0 is a message whose PType is
  // not defined (E37-7.7.2, NOTES.md): Reject reason 2 with byte 2 = the PType, or silence.
  if (h.sType === SType.RejectReq) {
    const judgeReject = (f: Frame): { findings: Finding[]; next: ModelState } => ({
      findings: h.pType !== 0 && f.header.sType === SType.RejectReq ? checkReject(h, f.header, [2], 'E37-7.7.2', ss) : [wrongAnswer(what, f, 'E37-7.7.2')],
      next: state,
    });
    return { ...base, clause: 'E37-7.7.2', required: false, closeOk: true, answers: new Set([SType.RejectReq]), judge: judgeReject };
  }
  if (h.pType !== 0 || !DEFINED_STYPES.has(h.sType)) return reject(rejectReasonsFor(h, state, ss), 'E37-7.7.2', true);
  if (h.sType !== SType.Data && frame.text.length > 0) {
    // NOTES.md: should close; must never answer it as if it were valid.
    return {
      ...base,
      clause: 'E37-9.3.3',
      required: false,
      closeOk: true,
      shouldClose: warn('E37-9.3.3', `kept the connection open after ${what}`),
      answers: new Set([SType.SelectRsp, SType.DeselectRsp, SType.LinktestRsp, SType.RejectReq, SType.Data]),
      judge: (f) => ({ findings: f.header.sType === SType.RejectReq ? checkReject(h, f.header, null, 'E37-9.3.3', ss) : [fail('E37-9.3.3', `answered a control message with text as if valid: ${describeHeader(f.header)}`)], next: state }),
    };
  }
  switch (h.sType as SType) {
    case SType.Data: {
      if (state !== 'SELECTED') return reject([4], 'E37-7.7.2', ssClose);
      // Object.assign rather than `{ ...base, more }`, which V8 runs slowly: traffic analysis asks this for every primary.
      return Object.assign(base, {
        clause: 'E37-9.4.1',
        required: false,
        closeOk: false,
        answers: new Set([SType.Data, SType.RejectReq]),
        judge: (f: Frame) => {
          const r = f.header;
          if (r.sType === SType.RejectReq) return { findings: checkReject(h, r, null, 'E37-7.7.2', ss), next: state };
          if (r.sType !== SType.Data) return { findings: [wrongAnswer(what, f, 'E37-9.4.1')], next: state };
          const findings: Finding[] = [];
          if (r.systemBytes !== h.systemBytes) findings.push(fail('E37-9.4.1', `reply ${describeHeader(r)} does not carry the primary's system bytes ${h.systemBytes}`));
          else if (r.sessionId !== h.sessionId) findings.push(fail('E37-9.4.1', `reply session id ${r.sessionId} differs from the primary's ${h.sessionId}`));
          else if ((r.byte2 & 0x7f) !== (h.byte2 & 0x7f)) findings.push(fail('E37-9.4.1', `reply stream ${r.byte2 & 0x7f} differs from the primary's ${h.byte2 & 0x7f}`));
          else if (r.byte3 !== 0 && r.byte3 !== ((h.byte3 + 1) & 0xff)) findings.push(warn('E37-9.4.1', `reply function ${r.byte3} is neither ${h.byte3 + 1} nor 0`));
          else if ((r.byte2 & 0x80) !== 0) findings.push(warn('E37-9.4.1', 'reply with the W-bit set'));
          return { findings, next: state };
        },
      });
    }
    case SType.SelectReq:
      return {
        ...base,
        clause: state === 'SELECTED' ? 'E37-7.2' : 'E37-7.2.2',
        required: true,
        closeOk: false,
        answers: new Set([SType.SelectRsp, SType.RejectReq]),
        judge: (f) => {
          // HSMS-SS: the active entity initiates Select; an active IUT may reject the tester's with reason 1 (NOTES.md).
          if (f.header.sType === SType.RejectReq && ss && env.activeIut) return { findings: checkReject(h, f.header, [1], 'E37-7.2.2', ss), next: state };
          if (f.header.sType !== SType.SelectRsp) return { findings: [wrongAnswer(what, f, state === 'SELECTED' ? 'E37-7.2' : 'E37-7.2.2')], next: state };
          const findings = checkControlRsp(h, f, 'E37-8.2.3', h.sessionId, ss);
          const status = f.header.byte3;
          if (state === 'SELECTED') {
            if (status === 0) findings.push(warn('E37-7.2', 'Select.req in SELECTED answered with status 0 (1 expected)'));
            else if (status !== 1) findings.push(warn('E37-7.2', `Select.req in SELECTED answered with status ${status} (1 expected)`));
            return { findings, next: 'SELECTED' };
          }
          return { findings, next: status === 0 ? 'SELECTED' : 'NOT_SELECTED' };
        },
      };
    case SType.DeselectReq: {
      if (state !== 'SELECTED') {
        return {
          ...base,
          clause: 'E37-7.4.2',
          required: false,
          closeOk: ssClose,
          answers: new Set([SType.DeselectRsp, SType.RejectReq]),
          judge: (f) => {
            if (f.header.sType === SType.RejectReq && ss) return { findings: checkReject(h, f.header, [1], 'E37-7.4.2', ss), next: state };
            if (f.header.sType !== SType.DeselectRsp) return { findings: [wrongAnswer(what, f, 'E37-7.4.2')], next: state };
            const findings = checkControlRsp(h, f, 'E37-8.2.5', h.sessionId, ss);
            if (f.header.byte3 !== 1) findings.push(fail('E37-7.4.2', `Deselect.req in NOT SELECTED answered with status ${f.header.byte3} (1 expected)`));
            return { findings, next: state };
          },
        };
      }
      return {
        ...base,
        clause: 'E37-7.4.2',
        required: true,
        closeOk: false,
        answers: new Set([SType.DeselectRsp, SType.RejectReq]),
        judge: (f) => {
          if (f.header.sType === SType.RejectReq && ss) return { findings: checkReject(h, f.header, [1], 'E37-7.4.2', ss), next: state };
          if (f.header.sType !== SType.DeselectRsp) return { findings: [wrongAnswer(what, f, 'E37-7.4.2')], next: state };
          const findings = checkControlRsp(h, f, 'E37-8.2.5', h.sessionId);
          const status = f.header.byte3;
          if (status === 1) findings.push(fail('E37-7.4.2', 'Deselect.req in SELECTED answered with status 1 (Communication Not Established)'));
          return { findings, next: status === 0 ? 'NOT_SELECTED' : 'SELECTED' };
        },
      };
    }
    case SType.LinktestReq: {
      const odd = h.sessionId !== LINKTEST_SESSION_ID;
      return {
        ...base,
        clause: 'E37-7.5',
        // HSMS-SS uses Linktest only in SELECTED: in NOT SELECTED it need not be answered (NOTES.md).
        required: !odd && !(ss && state === 'NOT_SELECTED'),
        closeOk: odd || ssClose,
        answers: new Set([SType.LinktestRsp, SType.RejectReq]),
        judge: (f) => {
          if (f.header.sType === SType.RejectReq && odd) return { findings: checkReject(h, f.header, null, 'E37-8.2.6', ss), next: state };
          if (f.header.sType !== SType.LinktestRsp) return { findings: [wrongAnswer(what, f, 'E37-7.5')], next: state };
          return { findings: checkControlRsp(h, f, 'E37-8.2.7', LINKTEST_SESSION_ID), next: state };
        },
      };
    }
    case SType.SeparateReq:
      return {
        ...base,
        clause: 'E37-7.6.2',
        required: false,
        closeOk: state === 'NOT_SELECTED' && ss,
        // E37-7.6.2 ignores it in NOT SELECTED: closing there is WARN under e37 (NOTES.md).
        ...(state === 'NOT_SELECTED' && !ss ? { closeWarn: warn('E37-7.6.2', `closed the connection after ${what} in NOT SELECTED (E37-7.6.2: ignored)`) } : {}),
        shouldClose: null,
        nextIfSilent: 'NOT_SELECTED',
        answers: new Set([SType.RejectReq, SType.DeselectRsp, SType.SelectRsp, SType.Data]),
        judge: (f) => ({ findings: [fail('E37-7.6.2', `Separate.req was answered: ${describeHeader(f.header)}`)], next: 'NOT_SELECTED' }),
      };
    default:
      // Select.rsp, Deselect.rsp, Linktest.rsp with no open transaction: reason 3 (E37-8.2.8).
      return reject(rejectReasonsFor(h, state, ss), 'E37-8.2.8', true);
  }
}

/** Control responses (E37-8.2: Select.rsp, Deselect.rsp, Linktest.rsp). */
function isResponse(h: Header): boolean {
  return h.pType === 0 && (h.sType === SType.SelectRsp || h.sType === SType.DeselectRsp || h.sType === SType.LinktestRsp);
}

/** Frames the IUT may send on its own at any time: its requests and (when SELECTED) its primaries. */
export function isIutInitiated(f: Frame): boolean {
  const h = f.header;
  if (h.pType !== 0) return false;
  if (h.sType === SType.SelectReq || h.sType === SType.LinktestReq || h.sType === SType.DeselectReq || h.sType === SType.SeparateReq) return true;
  return h.sType === SType.Data && (h.byte3 & 1) === 1;
}

export interface Observation {
  /** IUT frames in arrival order (its own requests and primaries already removed). */
  readonly frames: readonly Frame[];
  readonly closed: boolean;
  /** A framing fault in the IUT's own output. */
  readonly iutFramingError: string | null;
  /** The stream was cut short by a long gap (the rest was never sent). */
  readonly sentUpTo?: number;
  /** A close at any point is legal (T7 has run out in NOT SELECTED). */
  readonly closeAlwaysOk?: boolean;
}

export interface Judgement {
  readonly findings: Finding[];
  readonly state: ModelState;
  /** Whether what was judged made a close of the connection legal. */
  readonly closeLegal: boolean;
  /** The IUT's answer to each frame, for the report. */
  readonly notes: string[];
}

/** Judges what the IUT sent back for the whole stream the tester wrote. */
export function judge(env: OracleEnv, initial: ModelState, sent: Buffer, obs: Observation): Judgement {
  const findings: Finding[] = [];
  const notes: string[] = [];
  if (obs.iutFramingError) findings.push(fail('E37-8.1.3', `the IUT sent malformed framing: ${obs.iutFramingError}`));
  for (const f of obs.frames) {
    if (f.header.pType !== 0 || !DEFINED_STYPES.has(f.header.sType)) findings.push(fail('E37-8.2', `the IUT sent a frame outside the E37 tables: ${describeHeader(f.header)}`));
  }
  let state = initial;
  let i = 0;
  let closeOk = obs.closeAlwaysOk ?? false;
  let closeWarn: Finding | null = null;
  const items = parseStream(sent, env.maxLength);
  // Whether something later in the stream lets the IUT close: a close (a reset, above all) may
  // then swallow answers it had already sent for earlier frames.
  const justifiesClose = (k: number): boolean =>
    items.slice(k).some((it) => it.kind !== 'frame' || it.frame.header.pType !== 0 || !DEFINED_STYPES.has(it.frame.header.sType) || (it.frame.header.sType !== SType.Data && it.frame.text.length > 0));
  for (const [k, item] of items.entries()) {
    if (item.kind === 'partial') break;
    if (item.kind === 'error') {
      notes.push(`length ${item.length} at byte ${item.start}: framing error`);
      for (; i < obs.frames.length; i++) findings.push(fail('E37-8.1.3', `answered after a message length of ${item.length}: ${describeHeader(obs.frames[i]!.header)}`));
      if (!obs.closed) findings.push(warn('E37-8.1.3', `kept the connection open after a message length of ${item.length} (${item.why === 'too-small' ? 'below 10' : `above the declared maximum ${env.maxLength}`})`));
      return { findings, state, notes, closeLegal: closeOk };
    }
    if (obs.sentUpTo !== undefined && item.end > obs.sentUpTo) break;
    const exp = expectationFor(env, state, item.frame);
    const before = state;
    const next = obs.frames[i];
    let answers: Frame | undefined;
    if (next !== undefined) {
      const t = next.header.sType;
      // A required answer is the next frame, whatever it is; an optional one only a frame that looks like it.
      // A frame that echoes the system bytes of a later frame answers that one, not this one.
      const later = items.slice(k + 1).some((it) => it.kind === 'frame' && it.frame.header.systemBytes === next.header.systemBytes);
      // A required answer that is in fact the response to a later request (its SType and system
      // bytes fit that one) means this frame went unanswered.
      const laterResponse =
        next.header.systemBytes !== exp.sent.systemBytes &&
        isResponse(next.header) &&
        items.slice(k + 1).some((it) => it.kind === 'frame' && it.frame.header.pType === 0 && it.frame.header.systemBytes === next.header.systemBytes && it.frame.header.sType + 1 === next.header.sType);
      if ((exp.required && !laterResponse) || (exp.answers.has(t) && (next.header.systemBytes === exp.sent.systemBytes || !later))) answers = next;
    }
    if (answers) {
      i++;
      const r = exp.judge(answers);
      findings.push(...r.findings.map((f) => ({ ...f, at: item.start })));
      notes.push(`${exp.what} -> ${describeHeader(answers.header)}`);
      state = r.next;
      // After a wrong answer the model no longer knows what the IUT did: judge nothing further.
      if (r.findings.some((f) => f.severity === 'fail')) return { findings, state, notes, closeLegal: closeOk };
    } else if (exp.required) {
      if (obs.closed && (closeOk || exp.closeOk || justifiesClose(k + 1))) {
        notes.push(`${exp.what} -> connection closed`);
        return { findings, state, notes, closeLegal: true };
      }
      if (obs.closed && closeWarn) {
        findings.push(closeWarn);
        return { findings, state, notes, closeLegal: true };
      }
      findings.push({ ...fail(exp.clause, `no answer to ${exp.what}${obs.closed ? ' (the IUT closed the connection)' : ''}`), at: item.start });
      return { findings, state, notes, closeLegal: closeOk };
    } else {
      notes.push(`${exp.what} -> (no answer)`);
      state = exp.nextIfSilent;
    }
    if (exp.closeOk) closeOk = true;
    if (exp.closeWarn) closeWarn = exp.closeWarn;
    // E37-5.3 transition 5: after a Deselect or Separate ends the session, an entity would
    // immediately proceed to break the TCP/IP connection.
    if (before === 'SELECTED' && state === 'NOT_SELECTED') closeOk = true;
    if (exp.shouldClose) {
      if (obs.closed && i >= obs.frames.length) return { findings, state, notes, closeLegal: closeOk };
      if (!obs.closed) findings.push(exp.shouldClose);
    }
  }
  for (; i < obs.frames.length; i++) findings.push(fail('E37-7.7.2', `unexpected frame from the IUT: ${describeHeader(obs.frames[i]!.header)}`));
  return { findings, state, notes, closeLegal: closeOk };
}
