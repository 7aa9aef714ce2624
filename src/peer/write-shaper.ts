import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from './clock';

/**
 * How an entity's bytes reach its socket. TCP is a stream (E37-8.1.2): a receiver must take
 * messages however they are cut into segments, so each way below is legal.
 * - 'direct': what is written in one turn of the event loop leaves in one system call.
 * - 'split': every byte of a message's first SPLIT_BYTES leaves in its own write, 1 ms apart
 *   (the length prefix and the header always split); the rest of a long message follows in one.
 *   The pace is one piece per millisecond of real time: a timer that fires late (a loaded host)
 *   sends the pieces due meanwhile together, so that the entity's output never falls behind
 *   what it is asked to send and its answers stay within T3 and T6.
 * - 'nagle': writes are held for NAGLE_MS and leave together, several messages in one segment,
 *   as Nagle's algorithm with a delayed acknowledgement does.
 */
export type WriteMode = 'direct' | 'split' | 'nagle';

const SPLIT_BYTES = 64;
const SPLIT_GAP_MS = 1;
const NAGLE_MS = 40;

export class WriteShaper {
  private corked = false;
  private readonly queue: Buffer[] = [];
  private timer: TimerHandle | null = null;
  /** When the pending timer was set. */
  private timerSetAt = 0;

  constructor(
    private readonly socket: Socket,
    private readonly clock: Clock,
    private readonly mode: WriteMode,
  ) {}

  write(bytes: Buffer): void {
    if (this.mode === 'direct') {
      this.writeNow(bytes);
      return;
    }
    if (this.mode === 'split') {
      const head = bytes.subarray(0, SPLIT_BYTES);
      for (let i = 0; i < head.length; i++) this.queue.push(head.subarray(i, i + 1));
      if (bytes.length > SPLIT_BYTES) this.queue.push(bytes.subarray(SPLIT_BYTES));
    } else {
      this.queue.push(bytes);
    }
    if (!this.timer) this.startTimer(this.mode === 'split' ? SPLIT_GAP_MS : NAGLE_MS);
  }

  /** Hands whatever is still held to the socket at once (the connection is closing). */
  flush(): void {
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timer = null;
    if (this.queue.length > 0) this.writeNow(Buffer.concat(this.queue.splice(0)));
  }

  private startTimer(ms: number): void {
    this.timerSetAt = this.clock.now();
    this.timer = this.clock.setTimer(ms, () => this.flushSome());
  }

  private flushSome(): void {
    this.timer = null;
    const due = this.mode === 'split' ? Math.max(1, Math.floor((this.clock.now() - this.timerSetAt) / SPLIT_GAP_MS)) : this.queue.length;
    this.writeNow(Buffer.concat(this.queue.splice(0, due)));
    if (this.queue.length > 0) this.startTimer(SPLIT_GAP_MS);
  }

  private writeNow(bytes: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) return;
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
    this.socket.write(bytes);
  }
}
