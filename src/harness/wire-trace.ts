import type { Frame } from '../protocol/header';
import { describeFrame } from '../peer/event-format';

/**
 * Everything seen on the wire during one scenario, both directions, with timestamps: the
 * evidence attached to every verdict (Autobahn keeps such a log for every case).
 */

export type TraceEntry =
  | { readonly t: number; readonly conn: string; readonly kind: 'bytes'; readonly dir: 'in' | 'out'; readonly bytes: Buffer }
  | { readonly t: number; readonly conn: string; readonly kind: 'frame'; readonly dir: 'in' | 'out'; readonly frame: Frame; readonly note?: string }
  | { readonly t: number; readonly conn: string; readonly kind: 'event'; readonly text: string };

/** Raw bytes kept per scenario; beyond this a flood is summarised, never stored. */
const MAX_TRACE_BYTES = 8 * 1024 * 1024;
const MAX_ENTRIES = 20000;

export interface ConnectionEndpoints {
  readonly conn: string;
  readonly testerPort: number;
  readonly iutPort: number;
  /** True when the tester opened the connection (passive IUT). */
  readonly testerInitiated: boolean;
}

/** When a connection opened and who closed it how: the pcap shows the real handshake and close. */
export interface ConnectionLifecycle {
  readonly t: number;
  readonly conn: string;
  readonly kind: 'open' | 'close';
  readonly by?: 'tester' | 'iut';
  readonly how?: 'fin' | 'reset';
}

export class WireTrace {
  readonly entries: TraceEntry[] = [];
  readonly endpoints = new Map<string, ConnectionEndpoints>();
  readonly lifecycle: ConnectionLifecycle[] = [];
  readonly origin: number;
  readonly wallClockOrigin: number;
  /** Time the scenario was blocked on the IUT's silence or close, and in explicit pauses (see ScenarioContext.unavoidableWaitMs). */
  blockedMs = 0;
  private storedBytes = 0;
  private droppedBytes = 0;
  private droppedEntries = 0;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.origin = now();
    this.wallClockOrigin = Date.now();
  }

  /** Milliseconds since the scenario began. */
  elapsed(): number {
    return this.now() - this.origin;
  }

  bytes(conn: string, dir: 'in' | 'out', bytes: Buffer): void {
    if (this.storedBytes + bytes.length > MAX_TRACE_BYTES) {
      this.droppedBytes += bytes.length;
      return;
    }
    this.storedBytes += bytes.length;
    this.push({ t: this.elapsed(), conn, kind: 'bytes', dir, bytes: Buffer.from(bytes) });
  }

  frame(conn: string, dir: 'in' | 'out', frame: Frame, note?: string): void {
    this.push({ t: this.elapsed(), conn, kind: 'frame', dir, frame: { header: frame.header, text: frame.text.length > 4096 ? frame.text.subarray(0, 4096) : frame.text }, ...(note ? { note } : {}) });
  }

  event(conn: string, text: string): void {
    this.push({ t: this.elapsed(), conn, kind: 'event', text });
  }

  /** The TCP connection `conn` is established (`text` describes it in the trace). */
  opened(conn: string, text: string): void {
    this.lifecycle.push({ t: this.elapsed(), conn, kind: 'open' });
    this.event(conn, text);
  }

  /** The TCP connection `conn` ended: closed first by `by`, in order or by a reset. */
  closed(conn: string, by: 'tester' | 'iut', how: 'fin' | 'reset', text: string): void {
    this.lifecycle.push({ t: this.elapsed(), conn, kind: 'close', by, how });
    this.event(conn, text);
  }

  private push(entry: TraceEntry): void {
    if (this.entries.length >= MAX_ENTRIES) {
      this.droppedEntries++;
      return;
    }
    this.entries.push(entry);
  }

  /** The decoded trace, one line per frame or event, as attached to reports. */
  render(): string {
    const lines: string[] = [];
    for (const e of this.entries) {
      if (e.kind === 'bytes') continue;
      const t = (e.t / 1000).toFixed(3).padStart(8);
      if (e.kind === 'frame') {
        const arrow = e.dir === 'out' ? 'tester -> IUT' : 'IUT -> tester';
        lines.push(`${t} ${e.conn.padEnd(6)} ${arrow}  ${describeFrame(e.frame)}${e.note ? `  [${e.note}]` : ''}`);
      } else {
        lines.push(`${t} ${e.conn.padEnd(6)} ${'*'.padEnd(13)}  ${e.text}`);
      }
    }
    if (this.droppedBytes > 0) lines.push(`(${this.droppedBytes} further bytes not kept)`);
    if (this.droppedEntries > 0) lines.push(`(${this.droppedEntries} further entries not kept)`);
    return lines.join('\n');
  }
}

/** The raw byte chunks of a trace, both directions, for the pcap writer (src/report/pcap.ts). */
export function byteChunks(trace: WireTrace): Array<{ t: number; conn: string; dir: 'in' | 'out'; bytes: Buffer }> {
  const out: Array<{ t: number; conn: string; dir: 'in' | 'out'; bytes: Buffer }> = [];
  for (const e of trace.entries) if (e.kind === 'bytes') out.push({ t: e.t, conn: e.conn, dir: e.dir, bytes: e.bytes });
  return out;
}
