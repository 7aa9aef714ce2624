import { describeHeader } from '../protocol/header';
import { FORMAT_CODES } from '../protocol/secs2';
import { describeFrame } from '../peer/event-format';
import type { ObservedMessage } from './message-stream';

/**
 * The decoded transcript of one connection: one line per message (capture frame, time, direction,
 * header and SECS-II body) and per event or finding the analysis noted, bounded in lines.
 */

export const MAX_TRANSCRIPT_LINES = 5000;

const ITEM_FORMATS: ReadonlySet<number> = new Set(Object.values(FORMAT_CODES));

/** Whether a text can start with a SECS-II item (a known format code, 1-3 length bytes): only then is it decoded. */
function mayBeSecs2(text: Buffer): boolean {
  const b = text[0];
  return b !== undefined && (b & 3) !== 0 && ITEM_FORMATS.has(b >> 2);
}

export class Transcript {
  private readonly lines: string[] = [];
  private omitted = 0;

  constructor(
    private readonly originMs: number,
    private readonly frameRef: (frame: number) => string,
  ) {}

  private add(frame: number, timeMs: number, text: string): void {
    if (this.lines.length >= MAX_TRANSCRIPT_LINES) {
      this.omitted++;
      return;
    }
    const t = `+${((timeMs - this.originMs) / 1000).toFixed(6)}`.padStart(14);
    this.lines.push(`${this.frameRef(frame).padStart(12)} ${t}  ${text}`);
  }

  message(arrow: string, m: ObservedMessage): void {
    // Past the limit nothing is formatted: a long connection costs a counter, not a decode per message.
    if (this.lines.length >= MAX_TRANSCRIPT_LINES) {
      this.omitted++;
      return;
    }
    const whole = m.text.length === m.textLength;
    const body = !whole ? `${describeHeader(m.header)} <${m.textLength} bytes of text; the first ${m.text.length} kept>` : m.textLength === 0 || mayBeSecs2(m.text) ? describeFrame({ header: m.header, text: m.text }) : `${describeHeader(m.header)} <${m.textLength} bytes of text, not SECS-II: ${m.text.subarray(0, 16).toString('hex')}${m.textLength > 16 ? '...' : ''}>`;
    const frames = m.firstFrame === m.lastFrame ? '' : `  [frames ${this.frameRef(m.firstFrame)}-${this.frameRef(m.lastFrame)}${m.maxGapMs > 0 ? `, largest gap ${(m.maxGapMs / 1000).toFixed(3)} s` : ''}]`;
    this.add(m.lastFrame, m.lastTimeMs, `${arrow}  ${body}${frames}`);
  }

  event(frame: number, timeMs: number, text: string): void {
    if (this.lines.length >= MAX_TRANSCRIPT_LINES) {
      this.omitted++;
      return;
    }
    this.add(frame, timeMs, `${'*'.padEnd(18)}  ${text}`);
  }

  render(header: readonly string[]): string {
    const tail = this.omitted > 0 ? [`(${this.omitted} further lines not kept)`] : [];
    return [...header, '', `${'frame'.padStart(12)} ${'time (s)'.padStart(14)}  direction / event`, ...this.lines, ...tail].join('\n') + '\n';
  }
}
