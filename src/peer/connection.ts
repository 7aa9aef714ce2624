import type { Socket } from 'node:net';
import { SType } from '../protocol/constants';
import { encodeFrame, isPrimary, stream, type Frame, type Header } from '../protocol/header';
import { B, L, U4, encodeItem } from '../protocol/secs2';
import type { Clock, TimerHandle } from './clock';
import {
  LocalRequestError,
  SessionMachine,
  type ConnectionState,
  type SessionAction,
  type SessionEvent,
  type SessionMachineOptions,
  type TimerKey,
  type TransactionOutcome,
} from './session-machine';
import type { Variant } from './variants';
import { WriteShaper } from './write-shaper';

/**
 * The TCP edge of one HSMS connection: feeds socket bytes and timer expiries into the pure
 * SessionMachine and carries out the actions it returns. All writes go through here, in order.
 */

export type ConnectionEvent =
  | SessionEvent
  | { readonly type: 'frame-out'; readonly frame: Frame }
  | { readonly type: 'closed'; readonly reason: string; readonly failure: boolean };

/** Receives the events of one connection. */
export type ConnectionListener = (event: ConnectionEvent, connection: HsmsConnection) => void;

/** What the application answers to a primary with the W-bit set; null sends nothing. */
export type PrimaryResponder = (primary: Frame) => { text?: Buffer; functionZero?: boolean } | null;

/** What an HsmsConnection is built with: the session machine's options, the clock, and the application. */
export interface HsmsConnectionOptions extends SessionMachineOptions {
  readonly clock: Clock;
  readonly id: number;
  readonly responder?: PrimaryResponder;
  readonly listener?: ConnectionListener;
}

/** How long a closing connection may take to flush its last writes before it is destroyed. */
const LINGER_MS = 2000;

/**
 * Variants 'late-replies' and 'late-control-responses': delays, as fractions of T3 (replies) and
 * T6 (control responses), taken in turn. The longest legal delay comes every few answers, at a
 * different place in each connection (CYCLE_START); the short ones keep a suite run short.
 */
const LATE = [0.8, 0, 0, 0.3, 0, 0] as const;
/** Variant 'unsolicited-primaries': how often an alarm or event report is sent while SELECTED. */
const UNSOLICITED_MS = 150;
/** Variant 'periodic-linktest': how often Linktest.req is sent. */
const LINKTEST_MS = 200;
/** Variant 'unsolicited-primaries': streams and functions this application knows (E5 numbers its streams 1 to 21). */
const KNOWN_STREAMS = 21;
const KNOWN_FUNCTIONS = 99;
const CONTROL_RESPONSES: ReadonlySet<number> = new Set([SType.SelectRsp, SType.DeselectRsp, SType.LinktestRsp]);

/** One HSMS connection on a TCP socket: the SessionMachine's state, the procedures an application starts (select, deselect, linktest, separate, send), and its typed events. */
export class HsmsConnection {
  readonly id: number;
  readonly remote: string;
  readonly local: string;
  private readonly machine: SessionMachine;
  private readonly clock: Clock;
  private readonly timers = new Map<TimerKey, TimerHandle>();
  private readonly waiting = new Map<number, (outcome: TransactionOutcome) => void>();
  private readonly listeners: ConnectionListener[] = [];
  private readonly responder: PrimaryResponder | undefined;
  private closedPromiseResolve!: () => void;
  private lingerTimer: TimerHandle | null = null;
  private readonly writer: WriteShaper;
  /** Timers of the I/O variants (late writes, unsolicited traffic); all end with the connection. */
  private readonly edgeTimers = new Set<TimerHandle>();
  /** Frames the 'late-control-responses' variant holds back, in order. */
  private readonly lateFrames: Frame[] = [];
  /** Headers of the primaries this end sent with the W-bit, for S9F9 on a T3 expiry ('unsolicited-primaries'). */
  private readonly ownPrimaries = new Map<number, Header>();
  private periodicLinktestOpen = false;
  /** Turns of the variants' cycles: reply delays, response delays, unsolicited messages. */
  private readonly turns: { reply: number; control: number; unsolicited: number };
  /** Where the next connection starts the variants' cycles, so that each is delayed at another place. */
  private static cycleStart = 0;
  /** Resolves once the connection is NOT CONNECTED and the socket is gone. */
  readonly closed: Promise<void>;

  private readonly options: HsmsConnectionOptions;

  constructor(
    private readonly socket: Socket,
    options: HsmsConnectionOptions,
  ) {
    this.id = options.id;
    this.clock = options.clock;
    this.responder = options.responder;
    if (options.listener) this.listeners.push(options.listener);
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.local = `${socket.localAddress ?? '?'}:${socket.localPort ?? '?'}`;
    this.machine = new SessionMachine(options);
    this.options = options;
    const start = HsmsConnection.cycleStart++;
    this.turns = { reply: start, control: start, unsolicited: start };
    const v = options.variants;
    this.writer = new WriteShaper(socket, this.clock, v?.has('split-writes') ? 'split' : v?.has('nagle-writes') ? 'nagle' : 'direct');
    this.closed = new Promise((resolve) => (this.closedPromiseResolve = resolve));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.run(this.machine.receive(chunk)));
    socket.on('error', () => {
      // The 'close' event follows and reports the break.
    });
    socket.on('close', () => {
      this.run(this.machine.disconnected('TCP connection closed'));
      this.clearAllTimers();
      this.writer.flush();
      if (this.lingerTimer) this.clock.clearTimer(this.lingerTimer);
      this.closedPromiseResolve();
    });
  }

  /** Starts the state machine: call once the socket is connected (E37-5.3 transition 2). */
  start(): void {
    this.run(this.machine.connected());
    if (this.variant('unsolicited-primaries')) this.every(UNSOLICITED_MS, () => this.sendUnsolicited());
    if (this.variant('periodic-linktest')) this.every(LINKTEST_MS, () => this.sendPeriodicLinktest());
  }

  /** Adds a listener for this connection's events. */
  on(listener: ConnectionListener): void {
    this.listeners.push(listener);
  }

  /** NOT_SELECTED, SELECTED or NOT_CONNECTED (E37-5.2). */
  get state(): ConnectionState {
    return this.machine.state;
  }

  /** Transactions this end started and that are still open. */
  get openTransactions(): number {
    return this.machine.openTransactions;
  }

  /** Starts the Select procedure (E37-7.2); resolves with its outcome. */
  select(): Promise<TransactionOutcome> {
    return this.transaction(() => this.machine.select());
  }
  /** Starts the Deselect procedure (E37-7.4); resolves with its outcome. */
  deselect(): Promise<TransactionOutcome> {
    return this.transaction(() => this.machine.deselect());
  }
  /** Starts the Linktest procedure (E37-7.5); resolves with its outcome. */
  linktest(): Promise<TransactionOutcome> {
    return this.transaction(() => this.machine.linktest());
  }
  /** Sends Separate.req and ends the session (E37-7.6); nothing is answered. */
  separate(): void {
    this.run(this.machine.separate());
    if (this.variant('close-after-separate')) this.disconnect('closed right after sending Separate.req');
  }

  /** Sends a data message; resolves with the reply outcome for a primary with the W-bit, else at once. */
  send(fields: { stream: number; function: number; wBit: boolean; text?: Buffer }): Promise<TransactionOutcome | null> {
    const { systemBytes, actions } = this.machine.sendData(fields);
    const expectsReply = (fields.function & 1) === 1 && fields.wBit;
    if (!expectsReply) {
      this.run(actions);
      return Promise.resolve(null);
    }
    const done = new Promise<TransactionOutcome>((resolve) => this.waiting.set(systemBytes, resolve));
    this.run(actions);
    return done;
  }

  /** Sends the reply to a primary (E37-9.4.1): function + 1, or 0 with `functionZero`. */
  reply(primary: Header, text?: Buffer, functionZero = false): void {
    this.run(this.machine.reply(primary, text, functionZero));
  }

  /** Breaks the TCP connection (E37-6.4). */
  disconnect(reason = 'local disconnect'): void {
    this.run(this.machine.disconnect(reason));
  }

  /** Drops the connection at once with a TCP reset (used for refusal option b, E37-9.2.4.1). */
  reset(): void {
    this.socket.resetAndDestroy();
  }

  private transaction(start: () => { systemBytes: number; actions: SessionAction[] }): Promise<TransactionOutcome> {
    const { systemBytes, actions } = start();
    const done = new Promise<TransactionOutcome>((resolve) => this.waiting.set(systemBytes, resolve));
    this.run(actions);
    return done;
  }

  private run(actions: SessionAction[]): void {
    for (const action of actions) {
      switch (action.type) {
        case 'send':
          this.sendFrame(action.frame);
          break;
        case 'start-timer': {
          this.cancelTimer(action.key);
          const key = action.key;
          this.timers.set(
            key,
            this.clock.setTimer(action.ms, () => {
              this.timers.delete(key);
              this.run(this.machine.timerExpired(key));
            }),
          );
          break;
        }
        case 'cancel-timer':
          this.cancelTimer(action.key);
          break;
        case 'close':
          this.emit({ type: 'closed', reason: action.reason, failure: action.failure });
          this.closeSocket();
          break;
        case 'event':
          this.onEvent(action.event);
          break;
      }
    }
  }

  private onEvent(event: SessionEvent): void {
    this.emit(event);
    if (event.type === 'transaction') {
      const resolve = this.waiting.get(event.systemBytes);
      this.waiting.delete(event.systemBytes);
      resolve?.(event.outcome);
      const own = this.ownPrimaries.get(event.systemBytes);
      this.ownPrimaries.delete(event.systemBytes);
      // E5 S9F9: the equipment reports its own transaction timer timeout, with the primary's header.
      if (own && event.outcome.result === 'timeout' && this.variant('unsolicited-primaries')) this.sendSecs(9, 9, false, encodeItem(B(headerBytes(own))));
    } else if (event.type === 'primary' && this.responder) {
      const h = event.frame.header;
      if (this.variant('unsolicited-primaries') && this.reportUnserved(h)) return;
      if ((h.byte2 & 0x80) === 0) return;
      const answer = this.responder(event.frame);
      if (!answer) return;
      const functionZero = answer.functionZero ?? false;
      if (!this.variant('late-replies')) {
        this.reply(h, answer.text, functionZero);
        return;
      }
      // E37-9.4.1.1: the reply may come at any time within the sender's T3.
      this.later(LATE[this.turns.reply++ % LATE.length]! * this.options.t3, () => this.reply(h, answer.text, functionZero));
    }
  }

  private variant(v: Variant): boolean {
    return this.options.variants?.has(v) ?? false;
  }

  /** A frame the machine sends: control responses wait when the 'late-control-responses' variant holds them. */
  private sendFrame(frame: Frame): void {
    if (this.variant('late-control-responses') && CONTROL_RESPONSES.has(frame.header.sType) && frame.header.pType === 0) {
      // E37-9.3.1: a response is in time anywhere within the initiator's T6.
      this.lateFrames.push(frame);
      this.later(LATE[this.turns.control++ % LATE.length]! * this.options.t6, () => {
        const i = this.lateFrames.indexOf(frame);
        if (i >= 0) this.write(this.lateFrames.splice(i, 1)[0]!);
      });
      return;
    }
    this.write(frame);
  }

  private write(frame: Frame): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.emit({ type: 'frame-out', frame });
    this.writer.write(encodeFrame(frame));
  }

  /** Runs `work` once after `ms` on the clock, unless the connection closes first. */
  private later(ms: number, work: () => void): void {
    const t = this.clock.setTimer(ms, () => {
      this.edgeTimers.delete(t);
      work();
    });
    this.edgeTimers.add(t);
  }

  /** Runs `work` every `ms` until the connection closes. */
  private every(ms: number, work: () => void): void {
    this.later(ms, () => {
      work();
      if (this.state !== 'NOT_CONNECTED') this.every(ms, work);
    });
  }

  /** Sends a data message of this end's application; nothing when the state does not allow it. */
  private sendSecs(s: number, f: number, w: boolean, text: Buffer): void {
    try {
      const { systemBytes, actions } = this.machine.sendData({ stream: s, function: f, wBit: w, text });
      const sent = actions.find((a): a is { type: 'send'; frame: Frame } => a.type === 'send');
      if (w && sent) this.ownPrimaries.set(systemBytes, sent.frame.header);
      this.run(actions);
    } catch (err) {
      if (!(err instanceof LocalRequestError)) throw err;
    }
  }

  /**
   * Variant 'unsolicited-primaries': an alarm (S5F1 W) or an event report (S6F11 W) at any moment
   * while SELECTED, but never ahead of a control response still held back (data before the
   * Select.rsp would be data outside SELECTED on the wire).
   */
  private sendUnsolicited(): void {
    if (this.state !== 'SELECTED' || this.lateFrames.length > 0) return;
    const turn = this.turns.unsolicited++;
    if (turn % 2 === 0) this.sendSecs(5, 1, true, encodeItem(L(B(0x80), U4(1), B())));
    else this.sendSecs(6, 11, true, encodeItem(L(U4(turn), U4(1), L())));
  }

  /**
   * Variant 'unsolicited-primaries': E5 stream 9 instead of a reply for data this application
   * cannot serve: S9F1 for a device id that is not its own, S9F3 for an unknown stream, S9F5 for an
   * unknown function, each with the offending header as MHEAD (E37-9.4.2). Returns true when sent.
   */
  private reportUnserved(h: Header): boolean {
    const fn = h.sessionId !== this.options.sessionId ? 1 : stream(h) > KNOWN_STREAMS ? 3 : h.byte3 > KNOWN_FUNCTIONS ? 5 : 0;
    if (fn === 0 || !isPrimary(h)) return false;
    this.sendSecs(9, fn, false, encodeItem(B(headerBytes(h))));
    return true;
  }

  /** Variant 'periodic-linktest': one Linktest at a time, where the standard lets this end send it. */
  private sendPeriodicLinktest(): void {
    if (this.periodicLinktestOpen || this.state === 'NOT_CONNECTED') return;
    let done: Promise<TransactionOutcome>;
    try {
      done = this.linktest();
    } catch (err) {
      if (err instanceof LocalRequestError) return;
      throw err;
    }
    this.periodicLinktestOpen = true;
    void done.then(() => {
      this.periodicLinktestOpen = false;
    });
  }

  private emit(event: ConnectionEvent): void {
    for (const l of this.listeners) l(event, this);
  }

  private cancelTimer(key: TimerKey): void {
    const h = this.timers.get(key);
    if (h) this.clock.clearTimer(h);
    this.timers.delete(key);
  }

  private clearAllTimers(): void {
    for (const h of this.timers.values()) this.clock.clearTimer(h);
    this.timers.clear();
    for (const h of this.edgeTimers) this.clock.clearTimer(h);
    this.edgeTimers.clear();
  }

  private closeSocket(): void {
    this.clearAllTimers();
    // What the machine sent before it closed goes out before the FIN, held-back responses included.
    for (const f of this.lateFrames.splice(0)) this.write(f);
    this.writer.flush();
    // FIN after the pending writes, then release the descriptor. A remote that never reads
    // could keep the writes pending forever: the linger timer bounds that.
    this.socket.end(() => this.socket.destroy());
    this.lingerTimer = this.clock.setTimer(LINGER_MS, () => this.socket.destroy());
  }
}

/** A frame header as the 10 bytes on the wire (MHEAD / SHEAD of E37-9.4.2). */
function headerBytes(h: Header): Buffer {
  return encodeFrame({ header: h, text: Buffer.alloc(0) }).subarray(4, 14);
}
