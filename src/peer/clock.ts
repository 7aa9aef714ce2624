/**
 * Time at the edge, injectable: the real clock for the running peer, a fake one for tests
 * that drive timers deterministically.
 */
export interface TimerHandle {
  readonly id: number;
}

/** Time as the entity sees it: now, and one-shot timers. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Calls `fire` once, `ms` milliseconds from now. */
  setTimer(ms: number, fire: () => void): TimerHandle;
  /** Cancels a timer that has not fired. */
  clearTimer(handle: TimerHandle): void;
}

/**
 * The clock of a running entity: performance.now() and setTimeout. A timer that comes due fires
 * only after the input already pending has been read: two turns of the event loop, and only if
 * nothing cleared it meanwhile. When the process could not run for a while, what the remote
 * sent before the deadline (on one host, in the harness on this very event loop, its answer
 * given in the same stall) waits unread behind the due timers; reading it first keeps the
 * host's load from being taken for the remote's silence (a T6 or T8 expiry, a connect attempt
 * given up although the connection had formed).
 */
export class RealClock implements Clock {
  private readonly handles = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  now(): number {
    return performance.now();
  }

  setTimer(ms: number, fire: () => void): TimerHandle {
    const id = this.nextId++;
    const t = setTimeout(() => {
      setImmediate(() =>
        setImmediate(() => {
          if (this.handles.delete(id)) fire();
        }),
      );
    }, ms);
    this.handles.set(id, t);
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    const t = this.handles.get(handle.id);
    if (t) clearTimeout(t);
    this.handles.delete(handle.id);
  }

  /** Timers still pending: what the harness checks to prove nothing was left behind. */
  get pending(): number {
    return this.handles.size;
  }
}

/** A clock that moves only when told to; timers fire in deadline order, ties in creation order. */
export class FakeClock implements Clock {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fire: () => void }>();

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fire: () => void): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fire });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** Timers not yet fired or cleared. */
  get pending(): number {
    return this.timers.size;
  }

  /** Advances time by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let dueId = -1;
      let dueAt = Infinity;
      for (const [id, t] of this.timers) {
        if (t.at <= end && t.at < dueAt) {
          dueAt = t.at;
          dueId = id;
        }
      }
      if (dueId < 0) break;
      const t = this.timers.get(dueId)!;
      this.timers.delete(dueId);
      this.time = t.at;
      t.fire();
    }
    this.time = end;
  }
}
