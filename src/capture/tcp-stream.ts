/**
 * Reassembly of one direction of a TCP connection from captured segments, by sequence number:
 * what the receiving application read, in order, each byte once.
 *
 * - Retransmissions and overlapping segments deliver their bytes once (the first copy wins;
 *   the overlap is counted).
 * - Out-of-order segments wait, copied, in a small bounded queue. The bytes before them are
 *   declared a hole, and delivery goes on after it, as soon as the other side has acknowledged
 *   past them (it received what the capture missed), or once the queue holds more than
 *   `MAX_PENDING_BYTES` or `MAX_PENDING_SEGMENTS`, or at FIN, RST or the end of the capture.
 * - A snapshot length that cut a segment short is a hole of the bytes cut off.
 * - Without a SYN (a capture that starts mid-connection) the first segment seen sets the origin.
 *
 * Memory is bounded per direction by the pending queue, whatever the capture holds. Stream
 * offsets count from the first byte after the SYN (or the first byte seen) and do not wrap.
 */

export interface StreamSink {
  /** In-order bytes at stream `offset`, first seen in capture `frame`; `bytes` is a view valid during the call. */
  data(bytes: Buffer, offset: number, frame: number, timeMs: number): void;
  /** `missing` bytes at `offset` never appeared in the capture. */
  hole(offset: number, missing: number, frame: number, timeMs: number): void;
}

export interface StreamStats {
  /** Bytes delivered. */
  delivered: number;
  /** Bytes seen again (retransmissions, overlaps) and dropped. */
  duplicateBytes: number;
  /** Segments that arrived ahead of a gap and waited. */
  outOfOrderSegments: number;
  holes: number;
  holeBytes: number;
}

const MAX_PENDING_BYTES = 512 * 1024;
const MAX_PENDING_SEGMENTS = 256;

interface Pending {
  readonly offset: number;
  readonly bytes: Buffer;
  readonly frame: number;
  readonly timeMs: number;
}

export class TcpStream {
  readonly stats: StreamStats = { delivered: 0, duplicateBytes: 0, outOfOrderSegments: 0, holes: 0, holeBytes: 0 };
  /** Sequence number of the next byte expected, or null before the first segment or SYN. */
  private nextSeq: number | null = null;
  /** Stream offset of the next byte expected. */
  private nextOffset = 0;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  /** True when the origin was set by a SYN: the stream is known from its first byte. */
  startedAtSyn = false;
  /** Stream offset of the FIN, once seen. */
  finOffset: number | null = null;
  /** Highest stream offset the other side has acknowledged. */
  private ackedOffset = 0;

  constructor(private readonly sink: StreamSink) {}

  get expectedOffset(): number {
    return this.nextOffset;
  }

  /** The SYN of this direction: the stream starts at isn + 1. */
  syn(isn: number): void {
    if (this.nextSeq !== null) return;
    this.nextSeq = (isn + 1) >>> 0;
    this.startedAtSyn = true;
  }

  /** Stream offset of sequence number `seq` (relative to what is expected next). */
  offsetOf(seq: number): number | null {
    if (this.nextSeq === null) return null;
    return this.nextOffset + ((seq - this.nextSeq) | 0);
  }

  /**
   * A segment: `payload` holds the captured bytes, `length` the payload length on the wire.
   * `fin` marks a FIN after the payload.
   */
  segment(seq: number, payload: Buffer, length: number, fin: boolean, frame: number, timeMs: number): void {
    if (this.nextSeq === null) this.nextSeq = seq >>> 0;
    const offset = this.nextOffset + ((seq - this.nextSeq) | 0);
    if (fin && this.finOffset === null) this.finOffset = offset + length;
    if (length === 0) return;
    if (payload.length < length) {
      // Cut by the snapshot length: what is present, then a hole of the rest.
      this.place(offset, payload, frame, timeMs);
      this.place(offset + payload.length, null, frame, timeMs, length - payload.length);
      return;
    }
    this.place(offset, payload, frame, timeMs);
  }

  /** The other side acknowledged up to `seq`: bytes before it that the capture lacks are a hole now. */
  acknowledged(seq: number, frame: number, timeMs: number): void {
    const off = this.offsetOf(seq);
    if (off === null || off <= this.ackedOffset) return;
    this.ackedOffset = off;
    this.skipAcknowledged(frame, timeMs);
  }

  private skipAcknowledged(frame: number, timeMs: number): void {
    while (this.pending.length > 0 && this.ackedOffset > this.nextOffset) this.skipToPending(frame, timeMs);
  }

  /** Declares every gap still open a hole and delivers everything pending (FIN, RST, end of capture). */
  flush(frame: number, timeMs: number): void {
    while (this.pending.length > 0) this.skipToPending(frame, timeMs);
  }

  private place(offset: number, bytes: Buffer | null, frame: number, timeMs: number, cutLength = 0): void {
    const length = bytes ? bytes.length : cutLength;
    let start = offset;
    let view = bytes;
    if (start + length <= this.nextOffset) {
      this.stats.duplicateBytes += length;
      return;
    }
    if (start < this.nextOffset) {
      const skip = this.nextOffset - start;
      this.stats.duplicateBytes += skip;
      view = view ? view.subarray(skip) : null;
      start = this.nextOffset;
    }
    const remaining = length - (start - offset);
    if (start === this.nextOffset) {
      if (view) this.deliver(view, frame, timeMs);
      else this.declareHole(remaining, frame, timeMs);
      this.drain();
      return;
    }
    if (!view) return; // a cut-off tail ahead of a gap becomes part of that gap's hole later
    this.stats.outOfOrderSegments++;
    this.insertPending({ offset: start, bytes: Buffer.from(view), frame, timeMs });
    this.skipAcknowledged(frame, timeMs);
    while (this.pending.length > 0 && (this.pendingBytes > MAX_PENDING_BYTES || this.pending.length > MAX_PENDING_SEGMENTS)) this.skipToPending(frame, timeMs);
  }

  private insertPending(p: Pending): void {
    let i = this.pending.length;
    while (i > 0 && this.pending[i - 1]!.offset > p.offset) i--;
    this.pending.splice(i, 0, p);
    this.pendingBytes += p.bytes.length;
  }

  private deliver(bytes: Buffer, frame: number, timeMs: number): void {
    const offset = this.nextOffset;
    this.nextOffset += bytes.length;
    this.nextSeq = ((this.nextSeq ?? 0) + bytes.length) >>> 0;
    this.stats.delivered += bytes.length;
    this.sink.data(bytes, offset, frame, timeMs);
  }

  private declareHole(missing: number, frame: number, timeMs: number): void {
    if (missing <= 0) return;
    const offset = this.nextOffset;
    this.nextOffset += missing;
    this.nextSeq = ((this.nextSeq ?? 0) + missing) >>> 0;
    this.stats.holes++;
    this.stats.holeBytes += missing;
    this.sink.hole(offset, missing, frame, timeMs);
  }

  /** Delivers pending segments that now follow on. */
  private drain(): void {
    while (this.pending.length > 0) {
      const p = this.pending[0]!;
      if (p.offset > this.nextOffset) return;
      this.pending.shift();
      this.pendingBytes -= p.bytes.length;
      const skip = this.nextOffset - p.offset;
      if (skip >= p.bytes.length) {
        this.stats.duplicateBytes += p.bytes.length;
        continue;
      }
      this.stats.duplicateBytes += skip;
      this.deliver(skip > 0 ? p.bytes.subarray(skip) : p.bytes, p.frame, p.timeMs);
    }
  }

  /** The bytes before the first pending segment are lost: a hole, then delivery from there. */
  private skipToPending(frame: number, timeMs: number): void {
    const first = this.pending[0]!;
    this.declareHole(first.offset - this.nextOffset, frame, timeMs);
    this.drain();
  }
}
