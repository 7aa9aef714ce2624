import { measureStalls, type StallMeasurement } from './stall-meter';

/**
 * The deadline of a bounded wait for the IUT. When it passes, bytes the IUT sent in time may
 * still wait unread in the socket (the tester's timer and the IUT's data became due in the same
 * stall): with `readTurn`, one turn of the event loop reads them before the wait is over. With
 * `stretch`, the deadline then moves on by the time the tester could not run meanwhile
 * (stall-meter.ts), up to the wait's own length in all: on a loaded host the IUT was held up as
 * long, and its silence is not the IUT's doing.
 */
export class StretchableDeadline {
  private at: number;
  private stretched = 0;
  private turnTaken = false;
  private readonly stalls: StallMeasurement | null;

  constructor(
    private readonly clock: () => number,
    private readonly timeoutMs: number,
    stretch: boolean,
    private readonly readTurn: boolean,
  ) {
    this.at = clock() + timeoutMs;
    this.stalls = stretch ? measureStalls() : null;
  }

  /** Time left before the deadline, in ms (0 or less once it has passed). */
  left(): number {
    return this.at - this.clock();
  }

  /**
   * Called once the deadline has passed: whether to look again, after one turn of the event loop
   * or with the deadline moved on by the stalls (`onStretch` is told by how much).
   */
  async passed(onStretch: (ms: number) => void): Promise<boolean> {
    if (this.readTurn && !this.turnTaken) {
      this.turnTaken = true;
      await new Promise<void>((resolve) => setImmediate(resolve));
      return true;
    }
    const more = Math.min(this.stalls?.stalledMs ?? 0, this.timeoutMs) - this.stretched;
    if (more < 1) return false;
    this.stretched += more;
    this.at += more;
    this.turnTaken = false;
    onStretch(more);
    return true;
  }

  /** Ends the stall measurement; call when the wait is over. */
  end(): void {
    this.stalls?.end();
  }
}
