import { DEFINED_STYPES, HEADER_LENGTH, LENGTH_PREFIX, LINKTEST_SESSION_ID, MIN_MESSAGE_LENGTH, SType } from '../protocol/constants';
import { readHeader, type Header } from '../protocol/header';

/**
 * One direction of an HSMS connection, cut into messages (E37-8.1.2: a 4-byte length, the
 * 10-byte header, the text) the way the receiving entity reads them, with what a passive
 * observer needs on top: the capture frames and times of each message's first and last byte,
 * the largest gap between its bytes (what T8 times, E37-9.2.3), and whether it began in a
 * segment behind another message.
 *
 * The header is read with the protocol layer's codec. Unlike the entity's FrameDecoder, which
 * must hand over whole messages, this keeps only the first `KEPT_TEXT` bytes of each text and
 * counts the rest: a 64 MiB message costs 1 KiB here, whatever the capture holds.
 *
 * Resynchronisation: a stream seen from its middle (no SYN), after a hole in the capture, or
 * after a length below 10 is scanned for the first plausible header; the bytes skipped are
 * reported.
 */

export const KEPT_TEXT = 1024;
/** Bytes scanned for a plausible header before the oldest are dropped (and reported skipped). */
const SCAN_WINDOW = 64 * 1024;
/** Largest data message a resynchronisation accepts as plausible (E37-10 item 4's usual default). */
const PLAUSIBLE_LENGTH = 16 * 1024 * 1024;

export interface ObservedMessage {
  readonly header: Header;
  /** The first KEPT_TEXT bytes of the text. */
  readonly text: Buffer;
  /** Length of the whole text. */
  readonly textLength: number;
  readonly firstFrame: number;
  readonly lastFrame: number;
  readonly firstTimeMs: number;
  readonly lastTimeMs: number;
  /** Largest gap between two successive bytes of this message, in ms (E37-9.2.3). */
  readonly maxGapMs: number;
  /** Stream offset of its length prefix, and just past its last byte. */
  readonly offset: number;
  readonly end: number;
  /** It began in the same segment as bytes of the message before it (several messages in one segment). */
  readonly behindAnother: boolean;
}

export type ResyncReason = 'mid-stream' | 'after a hole' | 'after a framing error';

export interface MessageSink {
  message(m: ObservedMessage): void;
  /** A message's length prefix is complete (at least 10): what the receiver now expects. */
  announced(length: number, offset: number, frame: number, timeMs: number): void;
  /** A length below 10 (E37-8.1.3): nothing after it can be read as the receiver would. */
  framingError(length: number, offset: number, frame: number, timeMs: number): void;
  /** A message cut by a hole in the capture: `have` of its bytes were seen. */
  cut(offset: number, have: number, frame: number, timeMs: number): void;
  resynced(reason: ResyncReason, skipped: number, offset: number, frame: number, timeMs: number): void;
}

/** The message being read: prefix and header assembled, text counted. */
interface Partial {
  offset: number;
  /** Bytes of this message seen so far (prefix included). */
  have: number;
  /** Announced length (header + text), or -1 while the prefix is incomplete. */
  length: number;
  readonly head: Buffer;
  text: Buffer | null;
  textFill: number;
  firstFrame: number;
  firstTimeMs: number;
  lastFrame: number;
  lastTimeMs: number;
  maxGapMs: number;
  behindAnother: boolean;
}

export class MessageStream {
  private partial: Partial | null = null;
  private syncing: ResyncReason | null;
  private scan: Buffer = Buffer.alloc(0);
  private scanOffset = 0;
  private scanner = new HeaderScanner();
  private skipped = 0;

  constructor(
    private readonly sink: MessageSink,
    startsAtSyn: boolean,
  ) {
    this.syncing = startsAtSyn ? null : 'mid-stream';
  }

  /** True while a message has begun and not ended (T8 runs). */
  get inMessage(): boolean {
    return this.partial !== null && this.partial.have > 0;
  }

  /** Time of the last byte of the message in progress, if any. */
  get partialSince(): number | null {
    return this.partial && this.partial.have > 0 ? this.partial.lastTimeMs : null;
  }

  push(bytes: Buffer, offset: number, frame: number, timeMs: number): void {
    if (this.syncing) {
      this.resync(bytes, offset, frame, timeMs);
      return;
    }
    this.consume(bytes, offset, frame, timeMs, false);
  }

  hole(offset: number, missing: number, frame: number, timeMs: number): void {
    if (this.partial && this.partial.have > 0) this.sink.cut(this.partial.offset, this.partial.have, frame, timeMs);
    this.partial = null;
    this.startSync('after a hole', offset + missing);
  }

  private startSync(reason: ResyncReason, offset: number): void {
    if (!this.syncing) {
      this.syncing = reason;
      this.skipped = 0;
    }
    this.scan = Buffer.alloc(0);
    this.scanOffset = offset;
  }

  /** Reads messages from `bytes` (all of it belongs to the stream in order). */
  private consume(bytes: Buffer, offset: number, frame: number, timeMs: number, afterResync: boolean): void {
    let at = 0;
    let sawEnd = afterResync;
    while (at < bytes.length) {
      let p = this.partial;
      if (!p) {
        p = this.partial = {
          offset: offset + at,
          have: 0,
          length: -1,
          head: Buffer.allocUnsafe(LENGTH_PREFIX + HEADER_LENGTH),
          text: null,
          textFill: 0,
          firstFrame: frame,
          firstTimeMs: timeMs,
          lastFrame: frame,
          lastTimeMs: timeMs,
          maxGapMs: 0,
          behindAnother: at > 0 || sawEnd,
        };
      } else if (p.have > 0 && at === 0) {
        p.maxGapMs = Math.max(p.maxGapMs, timeMs - p.lastTimeMs);
      }
      p.lastFrame = frame;
      p.lastTimeMs = timeMs;
      if (p.have < LENGTH_PREFIX + HEADER_LENGTH) {
        const take = Math.min(LENGTH_PREFIX + HEADER_LENGTH - p.have, bytes.length - at);
        bytes.copy(p.head, p.have, at, at + take);
        const before = p.have;
        p.have += take;
        at += take;
        if (before < LENGTH_PREFIX && p.have >= LENGTH_PREFIX) {
          p.length = p.head.readUInt32BE(0);
          if (p.length < MIN_MESSAGE_LENGTH) {
            this.sink.framingError(p.length, p.offset, frame, timeMs);
            this.partial = null;
            this.startSync('after a framing error', offset + at);
            this.resync(bytes.subarray(at), offset + at, frame, timeMs);
            return;
          }
          this.sink.announced(p.length, p.offset, frame, timeMs);
        }
        if (p.have < LENGTH_PREFIX + HEADER_LENGTH) continue;
        const textLength = p.length - HEADER_LENGTH;
        p.text = textLength > 0 ? Buffer.allocUnsafe(Math.min(textLength, KEPT_TEXT)) : null;
      }
      const total = LENGTH_PREFIX + p.length;
      const take = Math.min(total - p.have, bytes.length - at);
      if (p.text && p.textFill < p.text.length) {
        const keep = Math.min(take, p.text.length - p.textFill);
        bytes.copy(p.text, p.textFill, at, at + keep);
        p.textFill += keep;
      }
      p.have += take;
      at += take;
      if (p.have === total) {
        this.partial = null;
        sawEnd = true;
        this.sink.message({
          header: readHeader(p.head, LENGTH_PREFIX),
          text: p.text ?? EMPTY,
          textLength: p.length - HEADER_LENGTH,
          firstFrame: p.firstFrame,
          lastFrame: p.lastFrame,
          firstTimeMs: p.firstTimeMs,
          lastTimeMs: p.lastTimeMs,
          maxGapMs: p.maxGapMs,
          offset: p.offset,
          end: p.offset + total,
          behindAnother: p.behindAnother,
        });
      }
    }
  }

  /** Looks for the first plausible header in what has been scanned so far plus `bytes`. */
  private resync(bytes: Buffer, offset: number, frame: number, timeMs: number): void {
    if (this.scan.length === 0) {
      this.scanOffset = offset;
      this.scanner = new HeaderScanner();
    }
    this.scan = this.scan.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.scan, bytes]);
    const found = this.scanner.next(this.scan);
    if (found < 0) {
      if (this.scan.length > SCAN_WINDOW) {
        // Keep the tail a header could still start in; the rest is skipped.
        const drop = this.scan.length - (LENGTH_PREFIX + HEADER_LENGTH);
        this.skipped += drop;
        this.scanOffset += drop;
        this.scan = Buffer.from(this.scan.subarray(drop));
        this.scanner.dropped(drop);
      }
      return;
    }
    const reason = this.syncing!;
    this.syncing = null;
    const skipped = this.skipped + found;
    this.skipped = 0;
    const rest = this.scan.subarray(found);
    const restOffset = this.scanOffset + found;
    this.scan = Buffer.alloc(0);
    this.sink.resynced(reason, skipped, restOffset, frame, timeMs);
    this.consume(rest, restOffset, frame, timeMs, found > 0);
  }
}

/**
 * Finds the first header in a growing buffer that looks like a real HSMS message, scanning each
 * position once: a control message of length 10 with PType 0 and a defined SType is specific
 * enough alone; a data message must be followed by another plausible header, or end exactly
 * where the bytes seen so far end (a segment boundary). Data candidates whose follower has not
 * arrived yet are kept and decided as bytes arrive.
 */
export class HeaderScanner {
  private from = 0;
  private waiting: number[] = [];

  next(b: Buffer): number {
    let best = -1;
    const still: number[] = [];
    for (const i of this.waiting) {
      const d = decideData(b, i);
      if (d === true && best < 0) best = i;
      else if (d === null) still.push(i);
    }
    this.waiting = still;
    if (best >= 0) return best;
    for (; this.from + LENGTH_PREFIX + HEADER_LENGTH <= b.length; this.from++) {
      const i = this.from;
      if (b[i] !== 0) continue;
      const kind = plausibleHeaderAt(b, i);
      if (kind === 'control') return i;
      if (kind === 'data') {
        const d = decideData(b, i);
        if (d === true) return i;
        if (d === null) this.waiting.push(i);
      }
    }
    return -1;
  }

  /** The first `n` bytes of the buffer were discarded. */
  dropped(n: number): void {
    this.from = Math.max(0, this.from - n);
    this.waiting = this.waiting.filter((i) => i >= n).map((i) => i - n);
  }
}

/** Whether a data candidate at i is confirmed (true), refuted (false) or still open (null). */
function decideData(b: Buffer, i: number): boolean | null {
  const next = i + LENGTH_PREFIX + b.readUInt32BE(i);
  if (next === b.length) return true;
  if (next + LENGTH_PREFIX + HEADER_LENGTH <= b.length) return plausibleHeaderAt(b, next) !== null;
  return null;
}

const EMPTY = Buffer.alloc(0);

/** 'control' or 'data' when the bytes at i read as a plausible HSMS header (length, PType 0, a defined SType), else null. */
export function plausibleHeaderAt(b: Buffer, i: number): 'control' | 'data' | null {
  const length = b.readUInt32BE(i);
  if (length < HEADER_LENGTH || length > PLAUSIBLE_LENGTH) return null;
  const h = i + LENGTH_PREFIX;
  const pType = b[h + 4]!;
  const sType = b[h + 5]!;
  if (pType !== 0 || !DEFINED_STYPES.has(sType)) return null;
  if (sType === SType.Data) return 'data';
  if (length !== HEADER_LENGTH) return null;
  if (sType === SType.LinktestReq || sType === SType.LinktestRsp) return b.readUInt16BE(h) === LINKTEST_SESSION_ID ? 'control' : null;
  if (sType === SType.SelectReq || sType === SType.DeselectReq || sType === SType.SeparateReq) return b[h + 2] === 0 && b[h + 3] === 0 ? 'control' : null;
  return 'control';
}
