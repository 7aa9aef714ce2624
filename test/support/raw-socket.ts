/**
 * A small promise-based raw TCP endpoint for tests: it speaks bytes, not HSMS, so tests can
 * send exactly what they want (valid frames, fragments, garbage) and look at exactly what
 * comes back. Every wait is bounded. Only 127.0.0.1 is used.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { FrameDecoder } from '../../src/protocol/frame-decoder';
import { encodeFrame, type Frame } from '../../src/protocol/header';
import { ephemeralLow, OWN_PORTS_FROM, randomOwnPort } from '../../src/harness/own-port';

export const LOCALHOST = '127.0.0.1';

/** Milliseconds on the same monotonic clock the peer's RealClock uses. */
export function now(): number {
  return performance.now();
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `p`, or 'timeout' once `ms` have passed. The timer is cleared as soon as `p` settles: a bound
 * left pending would keep the test file's process alive until it fires.
 */
export function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** `p`, or a rejection naming `what` once `ms` have passed (the timer cleared as in `within`). */
export async function withTimeout<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  const r = await within(p.then((value) => ({ value })), ms);
  if (r === 'timeout') throw new Error(`${what} did not settle within ${ms} ms`);
  return r.value;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: LOCALHOST, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * `count` consecutive ports, free a moment ago, below the ephemeral range (the harness's own
 * ports, src/harness/own-port.ts). The kernel never hands such a port to a listener on port 0 or
 * to an outgoing connection on its own, and the test files running side by side make many of
 * both: a port from the ephemeral range could be taken between this call and its use, and the
 * tester would then talk to some other test's peer.
 */
export async function freePorts(count: number): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const first = randomOwnPort(count);
    let free = true;
    for (let k = 0; k < count && free; k++) free = await canListen(first + k);
    if (free) return first;
  }
  throw new Error(`no ${count} free consecutive ports between ${OWN_PORTS_FROM} and ${ephemeralLow()}`);
}

/** A port that was free a moment ago, below the ephemeral range (freePorts). */
export function freePort(): Promise<number> {
  return freePorts(1);
}

/** Polls `check` until it returns a value other than undefined, or rejects after `timeoutMs`. */
export async function waitUntil<T>(what: string, timeoutMs: number, check: () => T | undefined, stepMs = 5): Promise<T> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(stepMs);
  }
}

export interface CloseInfo {
  /** When the first sign of the end arrived (FIN, reset or close), in ms on `now()`. */
  readonly at: number;
  /** The socket error that came with it, e.g. ECONNRESET, if any. */
  readonly errorCode: string | null;
  /** True when the remote sent a FIN (an orderly close) before the socket closed. */
  readonly fin: boolean;
}

/** One raw TCP connection (ours, or one a RawServer accepted). */
export class RawSocket {
  readonly frames: Frame[] = [];
  /** When the TCP connection was up, in ms on `now()`. */
  readonly connectedAt: number;
  private readonly decoder = new FrameDecoder({ maxLength: 0xffffffff });
  private framingError: string | null = null;
  private closeInfo: CloseInfo | null = null;
  private fin = false;
  private errorCode: string | null = null;
  private readonly frameWaiters: (() => void)[] = [];
  private readonly closeWaiters: ((c: CloseInfo) => void)[] = [];
  private consumed = 0;

  constructor(
    readonly socket: net.Socket,
    connectedAt = now(),
  ) {
    this.connectedAt = connectedAt;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const out of this.decoder.push(chunk)) {
        if (out.kind === 'frame') this.frames.push(out.frame);
        else this.framingError = out.error.message;
      }
      this.wakeFrames();
    });
    socket.on('end', () => {
      this.fin = true;
      this.markClosed();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.errorCode = err.code ?? err.message;
      this.markClosed();
    });
    socket.on('close', () => this.markClosed());
  }

  /** Opens a connection to 127.0.0.1:port; rejects on error or after `timeoutMs`. */
  static connect(port: number, timeoutMs = 2000): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: LOCALHOST, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${LOCALHOST}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RawSocket(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      });
    });
  }

  get closed(): CloseInfo | null {
    return this.closeInfo;
  }

  get isClosed(): boolean {
    return this.closeInfo !== null;
  }

  /** A framing error seen in what the remote sent (it should never send garbage). */
  get decodeError(): string | null {
    return this.framingError;
  }

  /** Writes bytes (a frame is encoded first) in one piece. */
  send(data: Buffer | Frame): Promise<void> {
    const bytes = Buffer.isBuffer(data) ? data : encodeFrame(data);
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed || !this.socket.writable) {
        reject(new Error('socket is not writable'));
        return;
      }
      this.socket.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Writes the bytes one at a time with `gapMs` between them. Resolves with the time of the last byte. */
  async sendSlowly(data: Buffer | Frame, gapMs: number): Promise<number> {
    const bytes = Buffer.isBuffer(data) ? data : encodeFrame(data);
    let last = now();
    for (let i = 0; i < bytes.length; i++) {
      if (i > 0) await delay(gapMs);
      await this.send(bytes.subarray(i, i + 1));
      last = now();
    }
    return last;
  }

  /** The next frame not yet returned by nextFrame(); rejects after `timeoutMs` or if the connection ends first. */
  nextFrame(timeoutMs = 1000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        remove();
        reject(new Error(`no frame within ${timeoutMs} ms (${this.frames.length - this.consumed} pending, closed: ${this.isClosed})`));
      }, timeoutMs);
      const check = (): boolean => {
        if (this.consumed < this.frames.length) {
          clearTimeout(timer);
          remove();
          resolve(this.frames[this.consumed++]!);
          return true;
        }
        if (this.closeInfo) {
          clearTimeout(timer);
          remove();
          reject(new Error(`connection closed before a frame arrived (${this.closeInfo.errorCode ?? (this.closeInfo.fin ? 'FIN' : 'closed')})`));
          return true;
        }
        return false;
      };
      const waiter = (): void => {
        check();
      };
      const remove = (): void => {
        const i = this.frameWaiters.indexOf(waiter);
        if (i >= 0) this.frameWaiters.splice(i, 1);
      };
      if (!check()) this.frameWaiters.push(waiter);
    });
  }

  /** Waits `ms` and returns the frames that arrived meanwhile (not yet returned by nextFrame). */
  async framesWithin(ms: number): Promise<Frame[]> {
    await delay(ms);
    const out = this.frames.slice(this.consumed);
    this.consumed = this.frames.length;
    return out;
  }

  /** Resolves when the connection ends (FIN, reset or close); rejects after `timeoutMs`. */
  waitClosed(timeoutMs: number): Promise<CloseInfo> {
    return new Promise((resolve, reject) => {
      if (this.closeInfo) {
        resolve(this.closeInfo);
        return;
      }
      const timer = setTimeout(() => {
        const i = this.closeWaiters.indexOf(done);
        if (i >= 0) this.closeWaiters.splice(i, 1);
        reject(new Error(`connection still open after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (c: CloseInfo): void => {
        clearTimeout(timer);
        resolve(c);
      };
      this.closeWaiters.push(done);
    });
  }

  /** Orderly close (FIN); the socket is destroyed if it is still there after a short while. */
  end(): void {
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 200).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Abortive close (RST). */
  reset(): void {
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  private markClosed(): void {
    if (this.closeInfo) return;
    this.closeInfo = { at: now(), errorCode: this.errorCode, fin: this.fin };
    // Let a reset's 'error' that follows in the same tick still be recorded in the info.
    for (const w of this.closeWaiters.splice(0)) w(this.closeInfo);
    this.wakeFrames();
  }

  private wakeFrames(): void {
    for (const w of [...this.frameWaiters]) w();
  }
}

/** A raw listening socket on 127.0.0.1 that hands out the connections it accepts. */
export class RawServer {
  readonly accepted: RawSocket[] = [];
  private taken = 0;
  private onAccept: ((s: RawSocket) => void) | null = null;

  private constructor(
    readonly server: net.Server,
    readonly port: number,
  ) {}

  /**
   * Listens on `port` (0: any free port). `onAccept` runs synchronously for every accepted
   * connection, before any data is read (e.g. to reset it at once).
   */
  static listen(port = 0, onAccept?: (s: RawSocket) => void): Promise<RawServer> {
    return new Promise((resolve, reject) => {
      let raw: RawServer | null = null;
      const server = net.createServer((socket) => {
        const s = new RawSocket(socket);
        raw?.accepted.push(s);
        raw?.onAccept?.(s);
      });
      server.once('error', reject);
      server.listen({ host: LOCALHOST, port, exclusive: true }, () => {
        server.removeAllListeners('error');
        const addr = server.address();
        raw = new RawServer(server, typeof addr === 'object' && addr ? addr.port : port);
        raw.onAccept = onAccept ?? null;
        resolve(raw);
      });
    });
  }

  /** The next accepted connection not yet returned; rejects after `timeoutMs`. */
  nextConnection(timeoutMs = 2000): Promise<RawSocket> {
    return waitUntil('an incoming connection', timeoutMs, () => (this.taken < this.accepted.length ? this.accepted[this.taken++] : undefined));
  }

  /** Stops listening and destroys every accepted connection. */
  close(): Promise<void> {
    for (const s of this.accepted) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
