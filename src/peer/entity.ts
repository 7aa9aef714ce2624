import * as net from 'node:net';
import { SelectStatus } from '../protocol/constants';
import { RealClock, type Clock, type TimerHandle } from './clock';
import { HsmsConnection, type ConnectionEvent, type PrimaryResponder } from './connection';
import { toMillis, validateParameters, type PeerParameters } from './parameters';
import type { Fault } from './faults';
import type { Variant } from './variants';

/**
 * The reference HSMS entity: connect modes (E37-6.3, A1-3), the T5 connect separation
 * (E37-9.2.1), one or several connections per published port (E37-9.2.4) and the refusal of
 * further connections (E37-9.2.4.1). Each connection runs its own SessionMachine.
 */

export type EntityEvent =
  | { readonly type: 'listening'; readonly address: string }
  | { readonly type: 'connect-attempt'; readonly target: string }
  | { readonly type: 'connect-failed'; readonly target: string; readonly error: string }
  | { readonly type: 'connected'; readonly direction: 'inbound' | 'outbound'; readonly remote: string; readonly local: string }
  | { readonly type: 'refused'; readonly option: 'a' | 'b' | 'c'; readonly remote: string }
  | { readonly type: 'waiting'; readonly timer: 'T5'; readonly ms: number }
  | { readonly type: 'phase'; readonly phase: 'active' | 'passive' }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'stopped' };

/** One event of the entity or one of its connections, as `onEvent` receives it and `hsms-peer` logs it. */
export interface PeerEvent {
  /** Milliseconds on the entity's clock. */
  readonly time: number;
  /** The connection the event belongs to, if any. */
  readonly connection: number | null;
  readonly event: ConnectionEvent | EntityEvent;
}

/** What an HsmsEntity is built with beside its parameters. */
export interface EntityOptions {
  readonly clock?: Clock;
  readonly responder?: PrimaryResponder;
  /** Receives every event of the entity and its connections (connections, frames, state changes, timer expiries). */
  readonly onEvent?: (e: PeerEvent) => void;
  /** First system bytes value of each connection (E37-8.1.4.6 allows any). */
  readonly firstSystemBytes?: number;
  /** Largest number of ignored connections kept under refusal option c before they are dropped. */
  readonly maxIgnoredConnections?: number;
  /** Deliberate deviations for the suite's own tests (faults.ts); never set by the CLI. */
  readonly faults?: ReadonlySet<Fault>;
  /** Legal behaviours other than the defaults, for the suite's own tests (variants.ts); never set by the CLI. */
  readonly variants?: ReadonlySet<Variant>;
}

/** Variant 'relisten-after-close': how long after the serviced connection ends the listener opens again. */
const RELISTEN_MS = 500;

/** The reference HSMS entity on real TCP: listens, connects or alternates as `params.mode` says, and runs one HsmsConnection per TCP connection. `start()` it, `stop()` it; `current` is the connection commands act on. */
export class HsmsEntity {
  readonly params: PeerParameters;
  private readonly clock: Clock;
  private readonly options: EntityOptions;
  private server: net.Server | null = null;
  private readonly live = new Set<HsmsConnection>();
  private readonly ignored = new Set<net.Socket>();
  private readonly pendingSockets = new Set<net.Socket>();
  private serviced: HsmsConnection | null = null;
  private latest: HsmsConnection | null = null;
  private nextId = 1;
  private stopping = false;
  private loopTimer: TimerHandle | null = null;
  private boundPort: number | null = null;

  constructor(params: PeerParameters, options: EntityOptions = {}) {
    this.params = validateParameters(params);
    this.clock = options.clock ?? new RealClock();
    this.options = options;
  }

  /** The connection commands act on: the most recent one still connected. */
  get current(): HsmsConnection | null {
    if (this.latest && this.latest.state !== 'NOT_CONNECTED') return this.latest;
    for (const c of this.live) if (c.state !== 'NOT_CONNECTED') return c;
    return null;
  }

  /** Every connection still open. */
  get connections(): ReadonlySet<HsmsConnection> {
    return this.live;
  }

  /** Port actually listened on (useful with port 0), once listening. */
  get port(): number | null {
    return this.boundPort;
  }

  /** Starts listening (passive) or the connect loop (active, alternating). Rejects if the port cannot be bound. */
  async start(): Promise<void> {
    if (this.params.mode === 'passive') {
      await this.listen();
      return;
    }
    if (this.params.mode === 'active') this.activeLoop();
    else this.alternatingLoop();
  }

  /** Closes every connection and listener; resolves when all sockets are gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.loopTimer) this.clock.clearTimer(this.loopTimer);
    this.loopTimer = null;
    for (const s of this.pendingSockets) s.destroy(new Error('peer stopping'));
    for (const s of this.ignored) s.destroy();
    this.ignored.clear();
    const closing = [...this.live].map((c) => {
      c.disconnect('peer stopping');
      return c.closed;
    });
    await Promise.all([this.closeServer(), ...closing]);
    this.emit(null, { type: 'stopped' });
  }

  private emit(connection: number | null, event: ConnectionEvent | EntityEvent): void {
    this.options.onEvent?.({ time: this.clock.now(), connection, event });
  }

  /** Where connect attempts go (active mode, alternating active phase). */
  private target(): string {
    return `${this.remoteHost}:${this.params.port}`;
  }

  private get remoteHost(): string {
    return this.params.remoteHost ?? this.params.host;
  }

  private listen(): Promise<void> {
    return this.listenOn(this.params.port);
  }

  private listenOn(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ noDelay: true }, (socket) => this.onInbound(socket));
      this.server = server;
      server.once('error', (err) => {
        this.server = null;
        reject(err);
      });
      server.listen({ host: this.params.host, port, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.emit(null, { type: 'error', message: `listener: ${err.message}` }));
        const addr = server.address();
        this.boundPort = typeof addr === 'object' && addr ? addr.port : port;
        this.emit(null, { type: 'listening', address: `${this.params.host}:${this.boundPort}` });
        resolve();
      });
    });
  }

  /**
   * Variant 'relisten-after-close': the listener closes while `conn` is SELECTED (further
   * connections are then refused by the TCP stack, E37-9.2.4.1 option b) and opens again
   * RELISTEN_MS after `conn` ends, as some libraries do. While its port is free another process
   * may bind it: the peer then tries again every RELISTEN_MS, as such a library would have to.
   */
  private pauseListening(conn: HsmsConnection): void {
    if (this.params.mode !== 'passive' || !this.server) return;
    void this.closeServer();
    void conn.closed.then(async () => {
      for (;;) {
        if (this.stopping) return;
        await this.sleep(RELISTEN_MS);
        if (this.stopping || this.server) return;
        try {
          await this.listenOn(this.boundPort ?? this.params.port);
          return;
        } catch (err) {
          this.emit(null, { type: 'error', message: `listening again: ${(err as Error).message}; trying again in ${RELISTEN_MS} ms` });
        }
      }
    });
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private onInbound(socket: net.Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    if (!this.params.multipleConnections && this.serviced && this.serviced.state !== 'NOT_CONNECTED') {
      // E37-9.2.4.1: this entity services one connection; refuse the others as configured.
      this.emit(null, { type: 'refused', option: this.params.refusal, remote });
      if (this.params.refusal === 'b') {
        socket.resetAndDestroy();
        return;
      }
      if (this.params.refusal === 'c') {
        this.ignore(socket);
        return;
      }
      if (this.options.faults?.has('second-connection-closes-first')) this.serviced.disconnect('second connection arrived');
      const refusal = this.options.variants?.has('refusal-a-status-3') ? SelectStatus.ConnectExhaust : SelectStatus.CommunicationAlreadyActive;
      this.adopt(socket, 'inbound', () => refusal);
      return;
    }
    const conn = this.adopt(socket, 'inbound');
    if (!this.params.multipleConnections) this.serviced = conn;
  }

  /** Refusal option c: the connection is never serviced; nothing is read or written on it. */
  private ignore(socket: net.Socket): void {
    socket.pause();
    socket.on('error', () => undefined);
    socket.on('close', () => this.ignored.delete(socket));
    this.ignored.add(socket);
    const limit = this.options.maxIgnoredConnections ?? 64;
    if (this.ignored.size > limit) {
      const oldest = this.ignored.values().next().value;
      oldest?.destroy();
    }
  }

  private adopt(socket: net.Socket, direction: 'inbound' | 'outbound', selectStatus?: () => number): HsmsConnection {
    const id = this.nextId++;
    const t = this.params.timers;
    const conn = new HsmsConnection(socket, {
      id,
      clock: this.clock,
      sessionId: this.params.sessionId,
      standard: this.params.standard,
      maxLength: this.params.maxLength,
      t3: toMillis(t.t3),
      t6: toMillis(t.t6),
      t7: toMillis(t.t7),
      t8: toMillis(t.t8),
      ...(selectStatus ? { selectStatus } : {}),
      ...(this.options.firstSystemBytes !== undefined ? { firstSystemBytes: this.options.firstSystemBytes } : {}),
      ...(this.options.responder ? { responder: this.options.responder } : {}),
      ...(this.options.faults ? { faults: this.options.faults } : {}),
      ...(this.options.variants ? { variants: this.options.variants } : {}),
      listener: (event) => {
        this.emit(id, event);
        if (event.type === 'state' && event.to === 'SELECTED' && this.options.variants?.has('relisten-after-close')) this.pauseListening(conn);
      },
    });
    this.live.add(conn);
    // A refused connection (option a) never becomes the one commands act on.
    if (!selectStatus) this.latest = conn;
    this.emit(id, { type: 'connected', direction, remote: conn.remote, local: conn.local });
    void conn.closed.then(() => {
      this.live.delete(conn);
      if (this.serviced === conn) this.serviced = null;
    });
    conn.start();
    return conn;
  }

  /**
   * One active connect procedure (E37-6.3.3), bounded by `timeoutMs`. Resolves with the
   * connection, or null when the attempt failed.
   */
  private connectOnce(timeoutMs: number): Promise<HsmsConnection | null> {
    return new Promise((resolve) => {
      this.emit(null, { type: 'connect-attempt', target: this.target() });
      const socket = net.connect({ host: this.remoteHost, port: this.params.port, noDelay: true });
      this.pendingSockets.add(socket);
      // A connection that formed while the process stood still is seen before this bound
      // fires (RealClock reads pending input first), and finish() then clears it.
      const timer = this.clock.setTimer(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      const finish = (conn: HsmsConnection | null): void => {
        this.clock.clearTimer(timer);
        this.pendingSockets.delete(socket);
        resolve(conn);
      };
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        if (this.stopping) {
          socket.destroy();
          finish(null);
          return;
        }
        finish(this.adopt(socket, 'outbound'));
      });
      socket.once('error', (err) => {
        this.emit(null, { type: 'connect-failed', target: this.target(), error: err.message });
        socket.destroy();
        finish(null);
      });
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.loopTimer = this.clock.setTimer(ms, () => {
        this.loopTimer = null;
        resolve();
      });
    });
  }

  /** After connecting, the entity selects by itself (CONTRACTS section 1) and serves the connection until it ends. */
  private async serve(conn: HsmsConnection): Promise<void> {
    if (conn.state === 'NOT_SELECTED') await conn.select();
    await conn.closed;
  }

  /** E37-9.2.1: T5 passes between the end of one connect attempt or connection and the next attempt. */
  private async separate(t5: number): Promise<void> {
    this.emit(null, { type: 'waiting', timer: 'T5', ms: t5 });
    await this.sleep(t5);
  }

  /**
   * E37-6.3.3 with E37-9.2.1: connect, select, and after the attempt or the connection ends
   * by any means wait T5 before the next attempt.
   */
  private activeLoop(): void {
    const t5 = toMillis(this.params.timers.t5);
    const run = async (): Promise<void> => {
      while (!this.stopping) {
        const conn = await this.connectOnce(t5);
        if (conn) await this.serve(conn);
        if (this.stopping) break;
        await this.separate(t5);
      }
    };
    void run();
  }

  /**
   * A1-3: an active attempt (to `remoteHost`, else `host`) with a timeout of at least T5; on
   * failure, a passive phase listening on `host` for at least T5; repeat. After a connection
   * ends, T5 passes before the next active attempt (E37-9.2.1).
   */
  private alternatingLoop(): void {
    const t5 = toMillis(this.params.timers.t5);
    const run = async (): Promise<void> => {
      while (!this.stopping) {
        this.emit(null, { type: 'phase', phase: 'active' });
        let conn = await this.connectOnce(t5);
        if (!conn && !this.stopping) {
          this.emit(null, { type: 'phase', phase: 'passive' });
          conn = await this.passivePhase(t5);
        }
        if (conn) {
          await this.serve(conn);
          if (this.stopping) break;
          await this.separate(t5);
        }
      }
    };
    void run();
  }

  /** A1-3 step 3: listen on the published port for T5; the first connection ends the phase. */
  private async passivePhase(ms: number): Promise<HsmsConnection | null> {
    let accepted: HsmsConnection | null = null;
    let wake: (() => void) | null = null;
    const server = net.createServer({ noDelay: true }, (socket) => {
      if (accepted || this.stopping) {
        socket.resetAndDestroy();
        return;
      }
      accepted = this.adopt(socket, 'inbound');
      wake?.();
    });
    this.server = server;
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', (err) => {
        this.emit(null, { type: 'error', message: `passive phase: ${err.message}` });
        resolve(false);
      });
      server.listen({ host: this.params.host, port: this.params.port, exclusive: true }, () => {
        const addr = server.address();
        this.boundPort = typeof addr === 'object' && addr ? addr.port : this.params.port;
        resolve(true);
      });
    });
    if (listening) {
      this.emit(null, { type: 'listening', address: `${this.params.host}:${this.params.port}` });
      await new Promise<void>((resolve) => {
        wake = resolve;
        this.loopTimer = this.clock.setTimer(ms, () => {
          this.loopTimer = null;
          resolve();
        });
      });
      if (this.loopTimer) this.clock.clearTimer(this.loopTimer);
      this.loopTimer = null;
    } else {
      await this.sleep(ms);
    }
    // Stop listening, but do not wait: net.Server.close() calls back only once every accepted
    // connection has ended, which would hold the accepted connection unselected until it closes.
    if (this.server === server) void this.closeServer();
    return accepted;
  }
}
