import * as net from 'node:net';
import { LINKTEST_SESSION_ID, SType } from '../protocol/constants';
import { FrameDecoder, type FramingError } from '../protocol/frame-decoder';
import { describeHeader, encodeFrame, isPrimary, wBit, type Frame } from '../protocol/header';
import * as msg from '../protocol/messages';
import { measureStalls } from './stall-meter';
import { StretchableDeadline } from './stretchable-deadline';
import type { WireTrace } from './wire-trace';

/**
 * The tester's end of one TCP connection to the IUT: raw enough to send any bytes the standard
 * forbids, strict enough to decode what the IUT sends with the reference codec.
 *
 * Unrelated but legal traffic from the IUT must not fail a scenario (STYLE.md: h2spec's most
 * common false failure). The tester answers the IUT's own Linktest.req and, once SELECTED,
 * replies to its primaries with the W-bit on the side, and leaves those frames out of what the
 * scenario waits for; a scenario that waits for one such request of the IUT holds it
 * (holdNext). Nothing is answered in the middle of a message the tester is still sending (it
 * follows the length prefixes of what it writes): such answers wait until that message is
 * complete, and never go out after one left incomplete on purpose.
 */

export interface CloseInfo {
  /** Milliseconds on the trace clock. */
  readonly at: number;
  /** 'fin': the IUT closed in order; 'reset': TCP RST; 'local': the tester closed first. */
  readonly how: 'fin' | 'reset' | 'local';
  /** Set when the tester closed because the IUT's byte stream broke the framing (E37-8.1.3). */
  readonly framing?: string;
}

export interface ReceivedFrame {
  readonly frame: Frame;
  /** Milliseconds on the trace clock. */
  readonly at: number;
}

export type Expectation<T> = { readonly kind: 'frame'; readonly frame: ReceivedFrame; readonly value: T } | { readonly kind: 'closed'; readonly close: CloseInfo } | { readonly kind: 'timeout' };

export interface AutoAnswer {
  /** Answer the IUT's Linktest.req (E37-7.5.2) and hide it from expectations. */
  linktest: boolean;
  /** Reply to the IUT's primaries with the W-bit (function + 1, empty text) and hide them. */
  primaries: boolean;
}

/** Frames kept per connection, received or waiting for an expectation. */
const MAX_KEPT_FRAMES = 10000;

/** Largest message the tester accepts from an IUT; a larger one is a finding, not an allocation. */
const TESTER_MAX_LENGTH = 64 * 1024 * 1024;

export class TesterConnection {
  readonly name: string;
  /**
   * Primaries are answered only once the scenario has selected (data outside SELECTED is a
   * finding). Turning `primaries` on also answers the W-bit primaries already waiting: the IUT may
   * send one right behind its Select.rsp, before the tester has read that.
   */
  readonly autoAnswer: AutoAnswer;
  private answerPrimaries = false;
  /** Requests of the IUT a scenario waits for: the next frame each matches is queued, not answered on the side. */
  private holds: Array<(f: Frame) => boolean> = [];
  /** The length prefix of the tester's own message being written, while incomplete. */
  private outPrefix: number[] = [];
  /** Bytes of the tester's own message still to be written after its prefix (0 between messages). */
  private outRemaining = 0;
  /** Answers on the side that wait for the tester's own message to be complete. */
  private deferred: Array<{ frame: Frame; note: string }> = [];
  /** The IUT requests those answers belong to, whether answered late or never. */
  private readonly deferredRequests: ReceivedFrame[] = [];
  /** System bytes of the answers sent on the side, so that a Reject of one is recognised as side traffic. */
  private readonly sideAnswers = new Set<number>();
  /** Frames received and not yet consumed by an expectation. */
  private readonly queue: ReceivedFrame[] = [];
  /** Every frame received, consumed or not, in order. */
  readonly received: ReceivedFrame[] = [];
  private readonly decoder = new FrameDecoder({ maxLength: TESTER_MAX_LENGTH });
  private waiters: Array<() => void> = [];
  private closeInfo: CloseInfo | null = null;
  private sawReset = false;
  private sawEnd = false;
  private localClose = false;
  /** The tester answered the IUT's FIN with a reset (see the 'end' handler). */
  private resetOnEnd = false;
  private nextSystemBytes = 0x7e570001;
  /** A framing fault in what the IUT sent, if any. */
  framingError: FramingError | null = null;
  /** System bytes of the tester's keep-alive Linktest.req; their responses are consumed on the side. */
  private readonly keepAlives = new Set<number>();
  readonly openedAt: number;
  /**
   * How long before `openedAt` the connection may have formed: the longest the tester could not
   * run while it connected (stall-meter.ts). 0 for a connection an active IUT made.
   */
  openedLateMs = 0;

  private constructor(
    private readonly socket: net.Socket,
    /** The scenario's (or fuzz case's) trace this connection records to, and whose clock its times use. */
    readonly trace: WireTrace,
    name: string,
  ) {
    this.name = name;
    const self = this;
    this.autoAnswer = {
      linktest: true,
      get primaries(): boolean {
        return self.answerPrimaries;
      },
      set primaries(on: boolean) {
        self.answerPrimaries = on;
        if (on) self.answerWaitingPrimaries();
      },
    };
    this.openedAt = trace.elapsed();
    socket.setNoDelay(true);
    trace.endpoints.set(name, {
      conn: name,
      testerPort: socket.localPort ?? 0,
      iutPort: socket.remotePort ?? 0,
      testerInitiated: true,
    });
    trace.opened(name, `TCP connected ${socket.localAddress}:${socket.localPort} <-> ${socket.remoteAddress}:${socket.remotePort}`);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.sawEnd = true;
      // The IUT closed first (FIN). An orderly answer would leave the IUT's end in TIME_WAIT on
      // its listening port, and an IUT that binds without SO_REUSEADDR could not listen there
      // again for a minute; a reset ends its side at once. The close still counts as a FIN.
      if (!this.localClose) {
        this.resetOnEnd = true;
        socket.resetAndDestroy();
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') this.sawReset = true;
    });
    socket.on('close', () => {
      const how = this.localClose ? 'local' : this.sawReset || !this.sawEnd ? 'reset' : 'fin';
      this.closeInfo = { at: this.trace.elapsed(), how, ...(this.framingError ? { framing: this.framingError.message } : {}) };
      const by = how === 'local' ? 'TCP closed by the tester' : `TCP closed by the IUT (${how === 'fin' ? 'FIN' : 'RST'})`;
      this.trace.closed(this.name, how === 'local' ? 'tester' : 'iut', how === 'reset' ? 'reset' : 'fin', this.resetOnEnd ? `${by}; the tester answers with RST, so no TIME_WAIT stays on the IUT's port` : by);
      this.wake();
    });
  }

  /**
   * Opens a connection to a passive IUT. Rejects with the socket error when nothing answers
   * within `timeoutMs`. Half-open is allowed so that the tester, not Node, decides how to
   * answer the IUT's FIN.
   */
  static connect(host: string, port: number, trace: WireTrace, name: string, timeoutMs: number): Promise<TesterConnection> {
    return new Promise((resolve, reject) => {
      const stalls = measureStalls();
      const socket = net.connect({ host, port, allowHalfOpen: true });
      const timer = setTimeout(() => socket.destroy(new Error(`no TCP connection to ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        const conn = new TesterConnection(socket, trace, name);
        conn.openedLateMs = stalls.worstMs;
        stalls.end();
        resolve(conn);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        stalls.end();
        socket.destroy();
        reject(err);
      });
    });
  }

  /** Wraps a connection an active IUT opened to the tester's listener (a server with `allowHalfOpen`, see connect()). */
  static accepted(socket: net.Socket, trace: WireTrace, name: string): TesterConnection {
    const c = new TesterConnection(socket, trace, name);
    const ep = trace.endpoints.get(name);
    if (ep) trace.endpoints.set(name, { ...ep, testerInitiated: false });
    return c;
  }

  get isOpen(): boolean {
    return this.closeInfo === null;
  }

  get closed(): CloseInfo | null {
    return this.closeInfo;
  }

  allocateSystemBytes(): number {
    const v = this.nextSystemBytes;
    this.nextSystemBytes = (this.nextSystemBytes + 1) >>> 0;
    return v;
  }

  send(frame: Frame, note?: string): void {
    this.sendRaw(encodeFrame(frame), frame, note);
  }

  /** Writes bytes as they are; `frame` only labels them in the trace. */
  sendRaw(bytes: Buffer, frame?: Frame, note?: string): void {
    if (!this.isOpen || this.socket.destroyed) {
      this.trace.event(this.name, `not sent (connection closed): ${bytes.length} bytes`);
      return;
    }
    if (frame) this.trace.frame(this.name, 'out', frame, note);
    else this.trace.event(this.name, `tester sends ${bytes.length} raw bytes: ${bytes.subarray(0, 32).toString('hex')}${bytes.length > 32 ? '...' : ''}${note ? ` [${note}]` : ''}`);
    this.write(bytes);
  }

  /** Every byte the tester sends goes through here, so it knows when it is between messages. */
  private write(bytes: Buffer): void {
    this.trace.bytes(this.name, 'out', bytes);
    this.socket.write(bytes);
    for (let i = 0; i < bytes.length; ) {
      if (this.outRemaining > 0) {
        const n = Math.min(this.outRemaining, bytes.length - i);
        this.outRemaining -= n;
        i += n;
        continue;
      }
      this.outPrefix.push(bytes[i++]!);
      if (this.outPrefix.length === 4) {
        this.outRemaining = Buffer.from(this.outPrefix).readUInt32BE(0);
        this.outPrefix = [];
      }
    }
    if (this.betweenMessages && this.deferred.length > 0) for (const d of this.deferred.splice(0)) this.send(d.frame, d.note);
  }

  private get betweenMessages(): boolean {
    return this.outRemaining === 0 && this.outPrefix.length === 0;
  }

  /** Sends `bytes` in pieces of `pieceSize` with `gapMs` between them (T8 scenarios, split length prefixes). */
  /** Returns the longest gap that actually passed between two pieces (a loaded host makes it longer than `gapMs`). */
  async sendSlowly(bytes: Buffer, pieceSize: number, gapMs: number, label: string): Promise<number> {
    this.trace.event(this.name, `tester sends ${label} in ${Math.ceil(bytes.length / pieceSize)} pieces ${gapMs} ms apart`);
    let slowest = 0;
    let last = performance.now();
    for (let i = 0; i < bytes.length && this.isOpen; i += pieceSize) {
      if (i > 0) {
        await delay(gapMs);
        this.trace.blockedMs += gapMs;
      }
      if (!this.isOpen) break;
      const now = performance.now();
      if (i > 0) slowest = Math.max(slowest, now - last);
      last = now;
      this.write(bytes.subarray(i, i + pieceSize));
    }
    return slowest;
  }

  /** Requests of the IUT that arrived while the tester was in the middle of its own message, so it answered late or never; oldest first. */
  get requestsDuringOwnMessage(): readonly ReceivedFrame[] {
    return this.deferredRequests;
  }

  /** The next frame `match` accepts is queued for the scenario instead of being answered on the side. */
  holdNext(match: (f: Frame) => boolean): void {
    this.holds.push(match);
  }

  /** Forgets holds nothing matched (the IUT did not send what the scenario waited for). */
  releaseHolds(): void {
    this.holds = [];
  }

  /**
   * Sends a Linktest.req whose response is consumed on the side: traffic that keeps a SELECTED
   * connection from being idle while a scenario waits on some other timer (E37-9.2.3 judges idle
   * handling on its own).
   */
  sendKeepAlive(): void {
    const sys = this.allocateSystemBytes();
    this.keepAlives.add(sys);
    this.send(msg.linktestReq(sys), 'keep-alive');
  }

  /** Closes from the tester's side (FIN). */
  close(): void {
    if (!this.isOpen) return;
    this.localClose = true;
    this.socket.end();
    this.socket.destroySoon();
  }

  /**
   * Drops the connection at once with a reset (RST): used when a scenario ends, before the IUT
   * is stopped, so that no TIME_WAIT is left on the IUT's port whoever would have closed first.
   */
  destroy(): void {
    if (this.isOpen) this.localClose = true;
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  /**
   * Waits up to `timeoutMs` for a frame `match` accepts (returning a value), consuming it. Frames
   * it does not accept stay queued for later expectations. Ends early when the IUT closes. The
   * frame is one the IUT must send, so the wait stretches by the time the tester itself could not
   * run (up to `timeoutMs` more, see waitFor).
   */
  async expect<T>(match: (f: Frame) => T | undefined, timeoutMs: number): Promise<Expectation<T>> {
    return this.waitFor(match, timeoutMs, true);
  }

  /**
   * The next frame of any kind, or the close, or nothing within `timeoutMs`. With `mustArrive`
   * the wait stretches as expect()'s does; without, it ends on time (silence may be the right
   * answer, and a window that ends before one of the IUT's timers must not run into it).
   */
  next(timeoutMs: number, mustArrive = false): Promise<Expectation<true>> {
    return this.waitFor(() => true, timeoutMs, mustArrive);
  }

  private async waitFor<T>(match: (f: Frame) => T | undefined, timeoutMs: number, mustArrive: boolean): Promise<Expectation<T>> {
    const started = this.trace.elapsed();
    const r = await this.expectFrame(match, timeoutMs, mustArrive);
    // Waiting that ended in silence or a close is time the IUT's behaviour imposed (suite efficiency).
    if (r.kind !== 'frame') this.trace.blockedMs += this.trace.elapsed() - started;
    return r;
  }

  /** Waits for a frame `match` accepts; the deadline is a StretchableDeadline that reads one more turn, and stretches with `stretch`. */
  private async expectFrame<T>(match: (f: Frame) => T | undefined, timeoutMs: number, stretch: boolean): Promise<Expectation<T>> {
    const deadline = new StretchableDeadline(() => this.trace.elapsed(), timeoutMs, stretch, true);
    try {
      for (;;) {
        for (let i = 0; i < this.queue.length; i++) {
          const r = this.queue[i]!;
          const value = match(r.frame);
          if (value !== undefined) {
            this.queue.splice(i, 1);
            return { kind: 'frame', frame: r, value };
          }
        }
        if (this.closeInfo) return { kind: 'closed', close: this.closeInfo };
        const left = deadline.left();
        if (left > 0) {
          await this.waitForActivity(left);
          continue;
        }
        const goOn = await deadline.passed((ms) => this.trace.event(this.name, `the wait for the IUT goes on ${Math.round(ms)} ms longer: the tester itself could not run that long (host overloaded?)`));
        if (!goOn) return { kind: 'timeout' };
      }
    } finally {
      deadline.end();
    }
  }

  /** Frames received and not consumed so far (removes them). */
  drain(): ReceivedFrame[] {
    return this.queue.splice(0, this.queue.length);
  }

  /**
   * Waits until the IUT closes the connection, or `timeoutMs` passes. Frames keep being queued.
   * With `stretch`, for a close the IUT must make when one of its timers runs out, the wait goes
   * on as expect()'s does: one more turn of the event loop for a close already in the socket,
   * then by the time the tester could not run meanwhile, up to `timeoutMs` more in all.
   */
  async waitClosed(timeoutMs: number, stretch = false): Promise<CloseInfo | null> {
    const started = this.trace.elapsed();
    const deadline = new StretchableDeadline(() => this.trace.elapsed(), timeoutMs, stretch, stretch);
    try {
      while (!this.closeInfo) {
        const left = deadline.left();
        if (left > 0) {
          await this.waitForActivity(left);
          continue;
        }
        const goOn = await deadline.passed((ms) => this.trace.event(this.name, `the wait for the IUT's close goes on ${Math.round(ms)} ms longer: the tester itself could not run that long (host overloaded?)`));
        if (!goOn) break;
      }
    } finally {
      deadline.end();
    }
    this.trace.blockedMs += this.trace.elapsed() - started;
    return this.closeInfo;
  }

  private waitForActivity(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(1, ms));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private onData(chunk: Buffer): void {
    this.trace.bytes(this.name, 'in', chunk);
    for (const out of this.decoder.push(chunk)) {
      if (out.kind === 'error') {
        // Nothing after a framing fault can be trusted, and a flooding IUT must not be read on:
        // the tester drops the connection, as an HSMS entity would.
        this.framingError = out.error;
        this.trace.event(this.name, `IUT sent malformed framing: ${out.error.message}; the tester drops the connection`);
        this.localClose = true;
        this.socket.destroy();
        break;
      }
      const received = { frame: out.frame, at: this.trace.elapsed() };
      // A flooding IUT must not exhaust the harness: keep the most recent frames only.
      if (this.received.length >= MAX_KEPT_FRAMES) this.received.shift();
      this.received.push(received);
      if (this.queue.length >= MAX_KEPT_FRAMES) this.queue.shift();
      const auto = this.autoAnswerFor(received);
      this.trace.frame(this.name, 'in', out.frame, auto ?? undefined);
      if (auto) continue;
      this.queue.push(received);
    }
    this.wake();
  }

  /** Answers legal IUT traffic the scenario is not about; returns the trace note, or null to queue the frame. */
  private autoAnswerFor(r: ReceivedFrame): string | null {
    const f = r.frame;
    const h = f.header;
    if (h.pType !== 0) return null;
    if (h.sType === SType.LinktestRsp && this.keepAlives.delete(h.systemBytes)) return 'answer to a keep-alive';
    // An answer on the side can arrive after the IUT's state moved on (a reply once the session
    // ended draws Reject reason 4, a Linktest.rsp after its T6 reason 3): side traffic too.
    if (h.sType === SType.RejectReq && this.sideAnswers.delete(h.systemBytes)) return "the IUT rejected an answer the tester sent on the side (the IUT's state had moved on)";
    const linktest = h.sType === SType.LinktestReq && this.autoAnswer.linktest && h.sessionId === LINKTEST_SESSION_ID;
    const primary = h.sType === SType.Data && this.answerPrimaries && isPrimary(h) && wBit(h);
    if (!linktest && !primary) return null;
    const hold = this.holds.findIndex((m) => m(f));
    if (hold >= 0) {
      this.holds.splice(hold, 1);
      return null;
    }
    this.answerAside(r, linktest ? msg.linktestRsp(h) : msg.replyTo(h), linktest ? 'auto-answer' : 'auto-reply');
    return linktest ? "IUT's own Linktest, answered on the side" : "IUT's own primary, replied on the side";
  }

  /** Sends an answer on the side, or holds it while the tester is in the middle of its own message. */
  private answerAside(r: ReceivedFrame, answer: Frame, note: string): void {
    this.sideAnswers.add(answer.header.systemBytes);
    if (this.sideAnswers.size > MAX_KEPT_FRAMES) this.sideAnswers.delete(this.sideAnswers.values().next().value!);
    if (this.betweenMessages) {
      this.send(answer, note);
      return;
    }
    this.deferredRequests.push(r);
    this.deferred.push({ frame: answer, note: `${note}, held until the tester's own message was complete` });
    this.trace.event(this.name, `answer held: the tester is in the middle of its own message (${describeHeader(r.frame.header)})`);
  }

  /** W-bit primaries of the IUT queued before primaries were answered on the side. */
  private answerWaitingPrimaries(): void {
    for (let i = 0; i < this.queue.length; i++) {
      const r = this.queue[i]!;
      const h = r.frame.header;
      if (h.sType !== SType.Data || h.pType !== 0 || !isPrimary(h) || !wBit(h) || this.holds.some((m) => m(r.frame))) continue;
      this.queue.splice(i--, 1);
      this.trace.event(this.name, `the IUT's ${describeHeader(h)} came right behind the select: replied on the side`);
      this.answerAside(r, msg.replyTo(h), 'auto-reply');
    }
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
