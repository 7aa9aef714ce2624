import {
  DEFINED_STYPES,
  DeselectStatus,
  LINKTEST_SESSION_ID,
  PType,
  RESPONSE_TO_REQUEST,
  RejectReason,
  SType,
  SelectStatus,
  sTypeName,
} from '../protocol/constants';
import { FrameDecoder, type FramingError } from '../protocol/frame-decoder';
import { isPrimary, stream, wBit, type Frame, type Header } from '../protocol/header';
import * as msg from '../protocol/messages';
import type { Standard } from './parameters';
import { SystemBytesAllocator } from './system-bytes';
import type { Fault } from './faults';
import type { Variant } from './variants';

/**
 * One HSMS connection as a pure state machine (E37-5.3): no sockets, no timers, no clock.
 * Every input returns the actions the edge must carry out, in order: frames to send, timers
 * to start or cancel, the connection to close, events to publish. The edge (connection.ts)
 * owns the socket and the clock; tests drive this class directly with a fake clock.
 */

export type ConnectionState = 'NOT_SELECTED' | 'SELECTED' | 'NOT_CONNECTED';

/** Timer keys: one T7 and one T8 per connection, one T6 per open control transaction, one T3 per open data transaction. */
export type TimerKey = 't7' | 't8' | `t6:${number}` | `t3:${number}`;

/** The kinds of transaction this end can open. */
export type TransactionKind = 'select' | 'deselect' | 'linktest' | 'data';

/** How a transaction this end opened ended. */
export type TransactionOutcome =
  /** Response received; for select / deselect `status` is its status byte. */
  | { readonly result: 'response'; readonly response: Frame; readonly status?: number }
  | { readonly result: 'rejected'; readonly reject: Frame }
  | { readonly result: 'timeout'; readonly timer: 'T3' | 'T6' }
  | { readonly result: 'aborted'; readonly reason: string };

/** What happened on the connection, for the application and the log. */
export type SessionEvent =
  | { readonly type: 'frame-in'; readonly frame: Frame }
  | { readonly type: 'state'; readonly from: ConnectionState; readonly to: ConnectionState; readonly cause: string }
  | { readonly type: 'timer-expired'; readonly timer: 'T3' | 'T6' | 'T7' | 'T8'; readonly detail: string }
  | { readonly type: 'reject-sent'; readonly reason: number; readonly rejected: Header }
  | { readonly type: 'reject-received'; readonly frame: Frame }
  | { readonly type: 'framing-error'; readonly error: FramingError }
  /** The remote entity broke a rule; we carried on as the standard allows. */
  | { readonly type: 'violation'; readonly clause: string; readonly message: string }
  | { readonly type: 'transaction'; readonly kind: TransactionKind; readonly systemBytes: number; readonly outcome: TransactionOutcome }
  /** A primary message the application must answer (or not, without W-bit). */
  | { readonly type: 'primary'; readonly frame: Frame }
  /** A reply that matched no open transaction (late after T3, or never asked for). */
  | { readonly type: 'unexpected-reply'; readonly frame: Frame; readonly why: string };

/** What the edge must do, in order, after an input to the SessionMachine. */
export type SessionAction =
  | { readonly type: 'send'; readonly frame: Frame }
  | { readonly type: 'start-timer'; readonly key: TimerKey; readonly ms: number }
  | { readonly type: 'cancel-timer'; readonly key: TimerKey }
  /** Close the TCP connection. `failure` marks a communication failure (E37-9.1.1). */
  | { readonly type: 'close'; readonly reason: string; readonly failure: boolean }
  | { readonly type: 'event'; readonly event: SessionEvent };

/** The parameters of one connection's state machine (E37-10.1), timers in milliseconds. */
export interface SessionMachineOptions {
  /** Session id used in our Select.req / Deselect.req / Separate.req and data messages. */
  readonly sessionId: number;
  readonly standard: Standard;
  readonly maxLength: number;
  /** Timer durations in milliseconds. */
  readonly t3: number;
  readonly t6: number;
  readonly t7: number;
  readonly t8: number;
  /**
   * Decides the Select.rsp status for a Select.req received in NOT SELECTED (E37-7.2.2):
   * 0 to accept. The entity uses it to refuse further connections (E37-9.2.4.1 option a).
   */
  readonly selectStatus?: (req: Header) => number;
  /** First system bytes value this end allocates (E37-8.1.4.6); any value is legal. */
  readonly firstSystemBytes?: number;
  /**
   * Largest number of open transactions this end initiates at once (E37-10 item 6). A further
   * request is refused locally, never sent.
   */
  readonly maxOpenTransactions?: number;
  /** Deliberate deviations, for proving the conformance suite can fail (faults.ts). */
  readonly faults?: ReadonlySet<Fault>;
  /** Legal behaviours other than the default ones, for proving the suite never fails a legal IUT (variants.ts). */
  readonly variants?: ReadonlySet<Variant>;
}

interface OpenTransaction {
  readonly kind: TransactionKind;
  readonly request: Header;
}

/** Default bound on the transactions one end opens at once (E37-10 item 6). */
export const DEFAULT_MAX_OPEN_TRANSACTIONS = 65536;

/** A request the machine refuses locally (wrong state, too many open transactions); nothing was sent. */
export class LocalRequestError extends Error {
  override readonly name = 'LocalRequestError';
}

/** The state machine of one connection (see the module comment): feed it bytes, timer expiries and the application's requests; carry out the actions it returns. */
export class SessionMachine {
  private stateValue: ConnectionState = 'NOT_CONNECTED';
  private readonly decoder: FrameDecoder;
  private readonly open = new Map<number, OpenTransaction>();
  private readonly allocator: SystemBytesAllocator;
  private readonly maxOpen: number;
  private t8Running = false;
  private started = false;
  private readonly faults: ReadonlySet<Fault>;
  private readonly variants: ReadonlySet<Variant>;

  constructor(private readonly options: SessionMachineOptions) {
    this.decoder = new FrameDecoder({ maxLength: options.maxLength });
    this.allocator = new SystemBytesAllocator(options.firstSystemBytes ?? 1);
    this.maxOpen = options.maxOpenTransactions ?? DEFAULT_MAX_OPEN_TRANSACTIONS;
    this.faults = options.faults ?? new Set();
    this.variants = options.variants ?? new Set();
  }

  private fault(f: Fault): boolean {
    return this.faults.has(f);
  }

  private variant(v: Variant): boolean {
    return this.variants.has(v);
  }

  /** T7 as this end runs it. */
  private get t7Ms(): number {
    return this.fault('t7-short') ? this.options.t7 / 2 : this.options.t7;
  }

  /** NOT_SELECTED, SELECTED or NOT_CONNECTED (E37-5.2). */
  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Transactions this end opened that are still open. */
  get openTransactions(): number {
    return this.open.size;
  }

  /** Session id our own control messages carry: 0xFFFF under HSMS-SS (NOTES.md), else the configured one. */
  private get controlSessionId(): number {
    return this.options.standard === 'hsms-ss' ? LINKTEST_SESSION_ID : this.options.sessionId;
  }

  /** E37-5.3 transition 2: the TCP connection is up; T7 starts (E37-9.2.2, counted from connect). */
  connected(): SessionAction[] {
    if (this.started) throw new LocalRequestError('connected() may be called once');
    this.started = true;
    const out: SessionAction[] = [];
    this.transition(out, 'NOT_SELECTED', 'TCP connection established');
    if (!this.fault('no-t7')) out.push({ type: 'start-timer', key: 't7', ms: this.t7Ms });
    return out;
  }

  /** Bytes from the socket. */
  receive(chunk: Buffer): SessionAction[] {
    const out: SessionAction[] = [];
    // An empty read carries no byte: it must not restart T8 (E37-9.2.3 times gaps between bytes).
    if (this.isClosed() || chunk.length === 0) return out;
    for (const item of this.decoder.push(chunk)) {
      if (this.isClosed()) break;
      if (item.kind === 'error') {
        out.push({ type: 'event', event: { type: 'framing-error', error: item.error } });
        if (this.fault('length-not-checked') && item.error.code === 'length-too-small') break;
        if (this.fault('length-trusted') && item.error.code === 'length-too-large') break;
        this.close(out, item.error.message, true);
        break;
      }
      out.push({ type: 'event', event: { type: 'frame-in', frame: item.frame } });
      this.handleFrame(out, item.frame);
      if (this.fault('drops-bytes-after-select') && item.frame.header.sType === SType.SelectReq) break;
    }
    if (this.isClosed()) return out;
    // E37-9.2.3: T8 times the gap between successive bytes of one message. Restarting it on
    // every chunk is exact: all bytes of a chunk arrive together.
    if ((this.decoder.hasPartialMessage && !this.fault('no-t8')) || (this.fault('t8-on-idle') && this.stateValue === 'SELECTED')) {
      out.push({ type: 'start-timer', key: 't8', ms: this.options.t8 });
      this.t8Running = true;
    } else if (this.t8Running) {
      out.push({ type: 'cancel-timer', key: 't8' });
      this.t8Running = false;
    }
    return out;
  }

  /** The TCP connection broke, or the edge closed it (E37-5.3 transition 3). */
  disconnected(cause: string): SessionAction[] {
    const out: SessionAction[] = [];
    if (this.stateValue === 'NOT_CONNECTED') return out;
    this.enterNotConnected(out, cause);
    return out;
  }

  /** A timer the edge started has run out. */
  timerExpired(key: TimerKey): SessionAction[] {
    const out: SessionAction[] = [];
    if (this.stateValue === 'NOT_CONNECTED') return out;
    if (key === 't7') {
      if (this.stateValue !== 'NOT_SELECTED') return out;
      out.push({ type: 'event', event: { type: 'timer-expired', timer: 'T7', detail: 'connection still NOT SELECTED' } });
      // E37-5.3 transition 6 and E37-9.2.2: the entity shall disconnect.
      this.close(out, 'T7 expired in NOT SELECTED (E37-9.2.2)', true);
      return out;
    }
    if (key === 't8') {
      this.t8Running = false;
      out.push({ type: 'event', event: { type: 'timer-expired', timer: 'T8', detail: `${this.decoder.partialBytes} bytes of an incomplete message` } });
      // E37-9.2.3: a communications failure; E37-9.1.1: terminate the connection.
      this.close(out, 'T8 expired inside a message (E37-9.2.3)', true);
      return out;
    }
    const [timer, sysText] = key.split(':') as ['t3' | 't6', string];
    const sys = Number(sysText);
    const t = this.open.get(sys);
    if (!t) return out;
    this.open.delete(sys);
    this.allocator.release(sys);
    if (timer === 't3') {
      out.push({ type: 'event', event: { type: 'timer-expired', timer: 'T3', detail: `no reply to ${describeRequest(t.request)}` } });
      // E37-9.4.1.1: close the transaction, expect the reply no longer; the connection stays.
      out.push({ type: 'event', event: { type: 'transaction', kind: t.kind, systemBytes: sys, outcome: { result: 'timeout', timer: 'T3' } } });
      return out;
    }
    out.push({ type: 'event', event: { type: 'timer-expired', timer: 'T6', detail: `no response to ${sTypeName(t.request.sType)}` } });
    out.push({ type: 'event', event: { type: 'transaction', kind: t.kind, systemBytes: sys, outcome: { result: 'timeout', timer: 'T6' } } });
    // E37-9.3.1: the transaction is closed and a communications failure has occurred; E37-9.1.1.
    this.close(out, `T6 expired waiting for the response to ${sTypeName(t.request.sType)} (E37-9.3.1)`, true);
    return out;
  }

  /** E37-7.2.1: send Select.req. Returns the system bytes of the transaction. */
  select(): { systemBytes: number; actions: SessionAction[] } {
    return this.request('select', (sys) => msg.selectReq(this.controlSessionId, sys));
  }

  /** E37-7.4.1: send Deselect.req. */
  deselect(): { systemBytes: number; actions: SessionAction[] } {
    return this.request('deselect', (sys) => msg.deselectReq(this.controlSessionId, sys));
  }

  /** E37-7.5.1: send Linktest.req (session id 0xFFFF, E37-8.2.6). */
  linktest(): { systemBytes: number; actions: SessionAction[] } {
    if (this.options.standard === 'hsms-ss' && this.stateValue === 'NOT_SELECTED') {
      throw new LocalRequestError('HSMS-SS uses Linktest only in SELECTED (E37.1)');
    }
    return this.request('linktest', (sys) => msg.linktestReq(sys));
  }

  /** E37-7.6.1: send Separate.req; the initiator's procedure completes at once. */
  separate(): SessionAction[] {
    this.requireConnected();
    const out: SessionAction[] = [];
    const sys = this.allocator.allocate(this.open);
    this.allocator.release(sys);
    out.push({ type: 'send', frame: msg.separateReq(this.controlSessionId, sys) });
    if (this.stateValue === 'SELECTED') this.leaveSelected(out, 'Separate.req sent (E37-7.6.1)');
    return out;
  }

  /**
   * E37-7.3: send a data message. A primary with the W-bit opens a transaction timed by T3
   * (E37-9.4.1.1); its system bytes are allocated here unless `replyTo` names the primary.
   */
  sendData(fields: { stream: number; function: number; wBit: boolean; text?: Buffer; sessionId?: number }): { systemBytes: number; actions: SessionAction[] } {
    this.requireConnected();
    if (this.stateValue !== 'SELECTED') throw new LocalRequestError('data messages need the SELECTED state (E37-7.3)');
    const primary = (fields.function & 1) === 1;
    const expectsReply = primary && fields.wBit;
    if (expectsReply && this.open.size >= this.maxOpen) throw new LocalRequestError(`${this.maxOpen} transactions are open already`);
    const sys = this.allocator.allocate(this.open);
    const frame = msg.dataMessage({
      sessionId: fields.sessionId ?? this.options.sessionId,
      stream: fields.stream,
      function: fields.function,
      wBit: fields.wBit,
      systemBytes: sys,
      ...(fields.text ? { text: fields.text } : {}),
    });
    const out: SessionAction[] = [{ type: 'send', frame }];
    if (expectsReply) {
      this.open.set(sys, { kind: 'data', request: frame.header });
      out.push({ type: 'start-timer', key: `t3:${sys}`, ms: this.options.t3 });
    } else {
      this.allocator.release(sys);
    }
    return { systemBytes: sys, actions: out };
  }

  /** Send the reply to a primary received earlier (E37-9.4.1: same session id, stream and system bytes). */
  reply(primary: Header, text?: Buffer, functionZero = false): SessionAction[] {
    if (this.stateValue !== 'SELECTED' && !this.fault('data-accepted-not-selected')) return [];
    let frame = msg.replyTo(primary, text, functionZero);
    if (this.fault('reply-wrong-system-bytes')) frame = withHeader(frame, { systemBytes: (primary.systemBytes + 1) >>> 0 });
    if (this.fault('reply-function-plus-2')) frame = withHeader(frame, { byte3: (primary.byte3 + 2) & 0xff });
    return [{ type: 'send', frame }];
  }

  /** Local decision to break the connection (E37-6.4). */
  disconnect(reason: string): SessionAction[] {
    const out: SessionAction[] = [];
    if (this.stateValue !== 'NOT_CONNECTED') this.close(out, reason, false);
    return out;
  }

  private request(kind: Exclude<TransactionKind, 'data'>, build: (sys: number) => Frame): { systemBytes: number; actions: SessionAction[] } {
    this.requireConnected();
    if (this.open.size >= this.maxOpen) throw new LocalRequestError(`${this.maxOpen} transactions are open already`);
    const sys = this.allocator.allocate(this.open);
    const frame = build(sys);
    this.open.set(sys, { kind, request: frame.header });
    return {
      systemBytes: sys,
      actions: [
        { type: 'send', frame },
        // E37-9.3.1: one T6 per open control transaction.
        { type: 'start-timer', key: `t6:${sys}`, ms: this.options.t6 },
      ],
    };
  }

  private isClosed(): boolean {
    return this.stateValue === 'NOT_CONNECTED';
  }

  private requireConnected(): void {
    if (this.stateValue === 'NOT_CONNECTED') throw new LocalRequestError('not connected');
  }

  private handleFrame(out: SessionAction[], frame: Frame): void {
    const h = frame.header;
    if (this.variant('ss-close-not-selected') && this.stateValue === 'NOT_SELECTED' && !(h.pType === PType.SecsII && h.sType === SType.SelectReq)) {
      // HSMS-SS (NOTES.md): in NOT SELECTED anything but Select.req is a communication failure.
      this.close(out, `${sTypeName(h.sType)} in NOT SELECTED (HSMS-SS communication failure)`, true);
      return;
    }
    // Never answer a Reject.req, whatever is wrong with it: two entities must not reject each other forever.
    if (h.sType === SType.RejectReq && h.pType === PType.SecsII) {
      this.onReject(out, frame);
      return;
    }
    // E37-7.7 / 8.2.8: a PType or SType this entity does not define draws a Reject.
    if (h.pType !== PType.SecsII) {
      if (h.sType === SType.RejectReq) {
        out.push({ type: 'event', event: { type: 'violation', clause: 'E37-9.3.3', message: `Reject.req with PType ${h.pType} ignored` } });
        return;
      }
      // NOTES.md: when several reasons apply, any of them may be given.
      this.reject(out, h, this.variant('alternative-reject-reason') && !DEFINED_STYPES.has(h.sType) ? RejectReason.STypeNotSupported : RejectReason.PTypeNotSupported);
      return;
    }
    if (!DEFINED_STYPES.has(h.sType)) {
      // NOTES.md: the unused even STypes 8 and 10 may be taken for responses with no open transaction.
      const unusedResponse = h.sType === 8 || h.sType === 10;
      if (!this.fault('unknown-stype-ignored')) this.reject(out, h, this.variant('alternative-reject-reason') && unusedResponse ? RejectReason.TransactionNotOpen : RejectReason.STypeNotSupported);
      return;
    }
    if (h.sType !== SType.Data && frame.text.length > 0 && this.fault('control-text-reject-reason-0')) {
      out.push({ type: 'send', frame: withHeader(msg.rejectReq(h, RejectReason.STypeNotSupported), { byte3: 0 }) });
      this.close(out, `${sTypeName(h.sType)} with message text (E37-9.3.3)`, true);
      return;
    }
    if (h.sType !== SType.Data && frame.text.length > 0 && !this.fault('control-text-accepted')) {
      // E37-9.3.3: control messages carry no text. The stream cannot be trusted (NOTES.md): close.
      out.push({ type: 'event', event: { type: 'violation', clause: 'E37-9.3.3', message: `${sTypeName(h.sType)} carries ${frame.text.length} bytes of text` } });
      this.close(out, `${sTypeName(h.sType)} with message text (E37-9.3.3)`, true);
      return;
    }
    switch (h.sType) {
      case SType.Data:
        this.onData(out, frame);
        return;
      case SType.SelectReq:
        this.onSelectReq(out, h);
        return;
      case SType.DeselectReq:
        this.onDeselectReq(out, h);
        return;
      case SType.LinktestReq:
        if (h.sessionId !== LINKTEST_SESSION_ID) {
          out.push({ type: 'event', event: { type: 'violation', clause: 'E37-8.2.6', message: `Linktest.req with session id ${h.sessionId}` } });
        }
        if (this.stateValue === 'NOT_SELECTED' && (this.fault('linktest-ignored-not-selected') || this.variant('ss-linktest-ignored-not-selected'))) return;
        if (this.stateValue === 'NOT_SELECTED' && this.fault('t7-restarted-by-linktest')) out.push({ type: 'start-timer', key: 't7', ms: this.t7Ms });
        // E37-7.5.2: answered in any CONNECTED state.
        out.push({ type: 'send', frame: this.fault('linktest-rsp-session-id-0') ? withHeader(msg.linktestRsp(h), { sessionId: 0 }) : msg.linktestRsp(h) });
        return;
      case SType.SeparateReq:
        // E37-7.6.2: ends the session when SELECTED, ignored otherwise.
        if (this.stateValue === 'SELECTED' && !this.fault('separate-ignored-selected')) this.leaveSelected(out, 'Separate.req received (E37-7.6.2)');
        else if (this.stateValue === 'NOT_SELECTED' && this.fault('separate-rejected-not-selected')) this.reject(out, h, RejectReason.STypeNotSupported);
        else if (this.stateValue === 'NOT_SELECTED' && this.variant('ss-close-on-separate-not-selected')) this.close(out, 'Separate.req in NOT SELECTED (HSMS-SS)', false);
        return;
      case SType.SelectRsp:
      case SType.DeselectRsp:
      case SType.LinktestRsp:
        this.onControlResponse(out, frame);
        return;
    }
  }

  private onData(out: SessionAction[], frame: Frame): void {
    const h = frame.header;
    if (this.stateValue !== 'SELECTED') {
      if (this.fault('data-accepted-not-selected')) {
        out.push({ type: 'event', event: { type: 'primary', frame } });
        return;
      }
      // E37-7.3 and 7.7: a data message outside SELECTED draws Reject reason 4.
      this.reject(out, h, this.fault('not-selected-wrong-reason') ? RejectReason.STypeNotSupported : RejectReason.EntityNotSelected);
      return;
    }
    if (isPrimary(h)) {
      out.push({ type: 'event', event: { type: 'primary', frame } });
      return;
    }
    const t = this.open.get(h.systemBytes);
    if (!t || t.kind !== 'data') {
      out.push({ type: 'event', event: { type: 'unexpected-reply', frame, why: 'no open transaction has these system bytes' } });
      return;
    }
    const why = replyMismatch(t.request, h);
    if (why) {
      out.push({ type: 'event', event: { type: 'violation', clause: 'E37-9.4.1', message: why } });
      out.push({ type: 'event', event: { type: 'unexpected-reply', frame, why } });
      return;
    }
    if (wBit(h)) out.push({ type: 'event', event: { type: 'violation', clause: 'E37-8.2.1', message: 'reply with the W-bit set' } });
    this.finish(out, h.systemBytes, 't3', { result: 'response', response: frame });
  }

  private onSelectReq(out: SessionAction[], h: Header): void {
    if (this.variant('ss-active-rejects-select')) {
      // HSMS-SS (NOTES.md): the active entity initiates Select; the remote's is not supported here.
      this.reject(out, h, RejectReason.STypeNotSupported);
      return;
    }
    if (this.stateValue === 'SELECTED') {
      // E37-8.2.3 status 1; HSMS-SS allows Select only in NOT SELECTED (NOTES.md).
      out.push({ type: 'send', frame: this.selectRsp(h, this.fault('reselect-status-0') ? SelectStatus.CommunicationEstablished : SelectStatus.CommunicationAlreadyActive) });
      return;
    }
    // E37-7.2.3: with our own Select.req open, the remote's is accepted all the same.
    let status = this.options.selectStatus ? this.options.selectStatus(h) : SelectStatus.CommunicationEstablished;
    if (this.fault('select-refused')) status = SelectStatus.ConnectionNotReady;
    out.push({ type: 'send', frame: this.selectRsp(h, status) });
    if (status === SelectStatus.CommunicationEstablished) this.enterSelected(out, 'Select.req accepted (E37-7.2.2)');
    // A further connection refused under option a is NOT SELECTED, which may be closed (E37-6.4).
    else if (this.options.selectStatus && this.variant('refusal-a-status-3')) this.close(out, 'further connection refused (E37-9.2.4.1 option a)', false);
  }

  private onDeselectReq(out: SessionAction[], h: Header): void {
    if (this.options.standard === 'hsms-ss' && !this.variant('ss-deselect-answered')) {
      // HSMS-SS does not use Deselect (NOTES.md): the SType is not supported.
      this.reject(out, h, RejectReason.STypeNotSupported);
      return;
    }
    if (this.stateValue !== 'SELECTED') {
      // E37-7.4.2 step 3.
      out.push({ type: 'send', frame: this.deselectRsp(h, this.fault('deselect-not-selected-status-0') ? DeselectStatus.CommunicationEnded : DeselectStatus.CommunicationNotEstablished) });
      return;
    }
    // E37-7.4.2 step 2, and 7.4.3 when our own Deselect.req is open.
    out.push({ type: 'send', frame: this.deselectRsp(h, DeselectStatus.CommunicationEnded) });
    if (!this.fault('deselect-stays-selected')) this.leaveSelected(out, 'Deselect.req accepted (E37-7.4.2)');
  }

  private onControlResponse(out: SessionAction[], frame: Frame): void {
    const h = frame.header;
    const t = this.open.get(h.systemBytes);
    const expected = RESPONSE_TO_REQUEST.get(h.sType);
    if (!t || t.request.sType !== expected) {
      // E37-8.2.8: a response with no open transaction must be rejected with reason 3.
      if (this.fault('reject-reason-3-byte2-zero')) out.push({ type: 'send', frame: withHeader(msg.rejectReq(h, RejectReason.TransactionNotOpen), { byte2: 0 }) });
      else if (!this.fault('unsolicited-rsp-ignored')) this.reject(out, h, RejectReason.TransactionNotOpen);
      return;
    }
    if (h.sType === SType.LinktestRsp) {
      if (h.sessionId !== LINKTEST_SESSION_ID) {
        out.push({ type: 'event', event: { type: 'violation', clause: 'E37-8.2.7', message: `Linktest.rsp with session id ${h.sessionId}` } });
      }
      this.finish(out, h.systemBytes, 't6', { result: 'response', response: frame });
      return;
    }
    if (h.sessionId !== t.request.sessionId) {
      out.push({ type: 'event', event: { type: 'violation', clause: h.sType === SType.SelectRsp ? 'E37-8.2.3' : 'E37-8.2.5', message: `response session id ${h.sessionId} differs from the request's ${t.request.sessionId}` } });
    }
    const status = h.byte3;
    this.finish(out, h.systemBytes, 't6', { result: 'response', response: frame, status });
    if (status !== 0) return;
    if (h.sType === SType.SelectRsp && this.stateValue === 'NOT_SELECTED') this.enterSelected(out, 'Select.rsp status 0 (E37-7.2.1)');
    if (h.sType === SType.DeselectRsp && this.stateValue === 'SELECTED') this.leaveSelected(out, 'Deselect.rsp status 0 (E37-7.4.1)');
  }

  private onReject(out: SessionAction[], frame: Frame): void {
    out.push({ type: 'event', event: { type: 'reject-received', frame } });
    const t = this.open.get(frame.header.systemBytes);
    if (!t) return;
    if (t.kind === 'data' && this.fault('rejected-primary-answered')) this.reject(out, frame.header, RejectReason.TransactionNotOpen);
    if (t.kind === 'data' && this.fault('rejected-primary-closes')) {
      this.close(out, 'Reject.req of its own primary', false);
      return;
    }
    if (t.kind === 'data' && this.fault('rejected-primary-leaves-selected')) {
      this.leaveSelected(out, 'Reject.req of its own primary');
      return;
    }
    // E37-7.7.1: what to do is local entity-specific; we end the rejected transaction.
    this.finish(out, frame.header.systemBytes, t.kind === 'data' ? 't3' : 't6', { result: 'rejected', reject: frame });
  }

  private selectRsp(req: Header, status: number): Frame {
    let frame = this.controlSessionIdVariant(msg.selectRsp(req, status));
    if (this.fault('select-rsp-wrong-system-bytes')) frame = withHeader(frame, { systemBytes: (req.systemBytes + 1) >>> 0 });
    if (this.fault('select-rsp-wrong-session-id')) frame = withHeader(frame, { sessionId: req.sessionId ^ 1 });
    return frame;
  }

  private deselectRsp(req: Header, status: number): Frame {
    const frame = this.controlSessionIdVariant(msg.deselectRsp(req, status));
    return this.fault('deselect-rsp-wrong-system-bytes') ? withHeader(frame, { systemBytes: (req.systemBytes + 1) >>> 0 }) : frame;
  }

  private reject(out: SessionAction[], rejected: Header, reason: RejectReason): void {
    let frame = this.controlSessionIdVariant(msg.rejectReq(rejected, reason));
    if (this.fault('reject-ptype-byte2-stype') && reason === RejectReason.PTypeNotSupported) frame = withHeader(frame, { byte2: rejected.sType });
    if (this.fault('reject-wrong-system-bytes')) frame = withHeader(frame, { systemBytes: (rejected.systemBytes + 1) >>> 0 });
    out.push({ type: 'send', frame });
    out.push({ type: 'event', event: { type: 'reject-sent', reason, rejected } });
  }

  /** HSMS-SS (NOTES.md): every control message may carry session id 0xFFFF, responses included. */
  private controlSessionIdVariant(frame: Frame): Frame {
    return this.variant('ss-session-id-ffff') ? withHeader(frame, { sessionId: LINKTEST_SESSION_ID }) : frame;
  }

  private finish(out: SessionAction[], sys: number, timer: 't3' | 't6', outcome: TransactionOutcome): void {
    const t = this.open.get(sys);
    if (!t) return;
    this.open.delete(sys);
    this.allocator.release(sys);
    out.push({ type: 'cancel-timer', key: `${timer}:${sys}` });
    out.push({ type: 'event', event: { type: 'transaction', kind: t.kind, systemBytes: sys, outcome } });
  }

  private enterSelected(out: SessionAction[], cause: string): void {
    out.push({ type: 'cancel-timer', key: 't7' });
    this.transition(out, 'SELECTED', cause);
  }

  /** E37-5.3 transition 5. Open data transactions belong to the ended session and are abandoned. */
  private leaveSelected(out: SessionAction[], cause: string): void {
    for (const [sys, t] of [...this.open]) {
      if (t.kind !== 'data') continue;
      this.open.delete(sys);
      this.allocator.release(sys);
      out.push({ type: 'cancel-timer', key: `t3:${sys}` });
      out.push({ type: 'event', event: { type: 'transaction', kind: 'data', systemBytes: sys, outcome: { result: 'aborted', reason: 'session ended' } } });
    }
    this.transition(out, 'NOT_SELECTED', cause);
    // E37-9.2.2 limits time spent in NOT SELECTED; back there, T7 runs again so a single-connection
    // entity is not held by a connection nobody selects (counted from this entry). NOTES.md counts
    // T7 from connect only, so not restarting it is legal too.
    if (!this.variant('t7-not-restarted')) out.push({ type: 'start-timer', key: 't7', ms: this.t7Ms });
  }

  private close(out: SessionAction[], reason: string, failure: boolean): void {
    out.push({ type: 'close', reason, failure });
    this.enterNotConnected(out, reason);
  }

  private enterNotConnected(out: SessionAction[], cause: string): void {
    for (const [sys, t] of [...this.open]) {
      this.open.delete(sys);
      this.allocator.release(sys);
      out.push({ type: 'cancel-timer', key: t.kind === 'data' ? `t3:${sys}` : `t6:${sys}` });
      out.push({ type: 'event', event: { type: 'transaction', kind: t.kind, systemBytes: sys, outcome: { result: 'aborted', reason: cause } } });
    }
    out.push({ type: 'cancel-timer', key: 't7' });
    if (this.t8Running) out.push({ type: 'cancel-timer', key: 't8' });
    this.t8Running = false;
    this.transition(out, 'NOT_CONNECTED', cause);
  }

  private transition(out: SessionAction[], to: ConnectionState, cause: string): void {
    const from = this.stateValue;
    if (from === to) return;
    this.stateValue = to;
    out.push({ type: 'event', event: { type: 'state', from, to, cause } });
  }
}

function withHeader(frame: Frame, change: Partial<Header>): Frame {
  return { header: { ...frame.header, ...change }, text: frame.text };
}

function describeRequest(h: Header): string {
  return h.sType === SType.Data ? `S${stream(h)}F${h.byte3}` : sTypeName(h.sType);
}

/** E37-9.4.1: why a reply with matching system bytes does not answer the primary, or null. */
export function replyMismatch(primary: Header, reply: Header): string | null {
  if (reply.sessionId !== primary.sessionId) return `reply session id ${reply.sessionId} differs from the primary's ${primary.sessionId}`;
  if (stream(reply) !== stream(primary)) return `reply stream ${stream(reply)} differs from the primary's ${stream(primary)}`;
  if (reply.byte3 !== 0 && reply.byte3 !== ((primary.byte3 + 1) & 0xff)) return `reply function ${reply.byte3} is neither ${primary.byte3 + 1} nor 0`;
  return null;
}
