import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from './clock';

/**
 * How an entity's bytes reach its socket. TCP is a stream (E37-8.1.2): a receiver must take
 * messages however they are cut into segments, so each way below is legal.
 * - 'direct': what is written in one turn of the event loop leaves in one system call.
 * - 'split': every byte of a message's first SPLIT_BYTES leaves in its own write, 1 ms apart
 *   (the length prefix and the header always split); the rest of a long message follows in one.
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
    this.timer ??= this.clock.setTimer(this.mode === 'split' ? SPLIT_GAP_MS : NAGLE_MS, () => this.flushSome());
  }

  /** Hands whatever is still held to the socket at once (the connection is closing). */
  flush(): void {
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timer = null;
    if (this.queue.length > 0) this.writeNow(Buffer.concat(this.queue.splice(0)));
  }

  private flushSome(): void {
    this.timer = null;
    if (this.mode === 'split') this.writeNow(this.queue.shift()!);
    else this.writeNow(Buffer.concat(this.queue.splice(0)));
    if (this.queue.length > 0) this.timer = this.clock.setTimer(SPLIT_GAP_MS, () => this.flushSome());
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
