import type { Socket } from 'node:net';
import { encodeFrame, type Frame, type Header } from '../protocol/header';
import type { Clock, TimerHandle } from './clock';
import {
  SessionMachine,
  type ConnectionState,
  type SessionAction,
  type SessionEvent,
  type SessionMachineOptions,
  type TimerKey,
  type TransactionOutcome,
} from './session-machine';

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
  private corked = false;
  /** Resolves once the connection is NOT CONNECTED and the socket is gone. */
  readonly closed: Promise<void>;

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
    this.closed = new Promise((resolve) => (this.closedPromiseResolve = resolve));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.run(this.machine.receive(chunk)));
    socket.on('error', () => {
      // The 'close' event follows and reports the break.
    });
    socket.on('close', () => {
      this.run(this.machine.disconnected('TCP connection closed'));
      this.clearAllTimers();
      if (this.lingerTimer) this.clock.clearTimer(this.lingerTimer);
      this.closedPromiseResolve();
    });
  }

  /** Starts the state machine: call once the socket is connected (E37-5.3 transition 2). */
  start(): void {
    this.run(this.machine.connected());
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
          this.write(action.frame);
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
    } else if (event.type === 'primary' && this.responder) {
      const h = event.frame.header;
      if ((h.byte2 & 0x80) === 0) return;
      const answer = this.responder(event.frame);
      if (answer) this.reply(h, answer.text, answer.functionZero ?? false);
    }
  }

  private write(frame: Frame): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.emit({ type: 'frame-out', frame });
    // Frames written in one turn of the event loop leave in one system call: cork on the first,
    // uncork on the next tick. Order is kept; end() flushes a corked socket.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    // A failed write surfaces as 'error' then 'close' on the socket, which reports the break.
    this.socket.write(encodeFrame(frame));
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
  }

  private closeSocket(): void {
    this.clearAllTimers();
    // FIN after the pending writes, then release the descriptor. A remote that never reads
    // could keep the writes pending forever: the linger timer bounds that.
    this.socket.end(() => this.socket.destroy());
    this.lingerTimer = this.clock.setTimer(LINGER_MS, () => this.socket.destroy());
  }
}
