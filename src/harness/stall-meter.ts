/**
 * How long the tester's own process could not run: a 10 ms tick, while anyone measures, and how
 * late each tick fires. On a loaded host the tester is held up, and so is the IUT (the embedded
 * peer runs on the tester's event loop, a launched IUT on the same CPUs): timer verdicts state
 * the worst lateness (jitter) instead of judging within it, and a bounded wait for a message the
 * IUT must send stretches by the time the tester stood still, so that the host's load is never
 * taken for the IUT's silence.
 */

const PERIOD_MS = 10;
/** Lateness of a tick up to this is the ordinary granularity of timers, not a stall. */
const GRANULARITY_MS = 2;

interface Sample {
  readonly since: number;
  stalled: number;
  worst: number;
}

const open = new Set<Sample>();
let tick: NodeJS.Timeout | null = null;
let due = 0;

function onTick(): void {
  const now = performance.now();
  for (const m of open) {
    const late = Math.min(Math.max(0, now - due), now - m.since);
    m.worst = Math.max(m.worst, late);
    if (late > GRANULARITY_MS) m.stalled += late;
  }
  due = now + PERIOD_MS;
}

export interface StallMeasurement {
  /** Time the tester could not run since the measurement began, in ms (the tick now overdue included). */
  readonly stalledMs: number;
  /** The latest a tick has fired since the measurement began, in ms. */
  readonly worstMs: number;
  end(): void;
}

/** Starts measuring; call `end()` when done. */
export function measureStalls(): StallMeasurement {
  const m: Sample = { since: performance.now(), stalled: 0, worst: 0 };
  open.add(m);
  if (!tick) {
    due = m.since + PERIOD_MS;
    tick = setInterval(onTick, PERIOD_MS);
  }
  const overdue = (): number => Math.min(Math.max(0, performance.now() - due), performance.now() - m.since);
  return {
    get stalledMs(): number {
      const now = overdue();
      return m.stalled + (now > GRANULARITY_MS ? now : 0);
    },
    get worstMs(): number {
      return Math.max(m.worst, overdue());
    },
    end(): void {
      open.delete(m);
      if (open.size === 0 && tick) {
        clearInterval(tick);
        tick = null;
      }
    },
  };
}
