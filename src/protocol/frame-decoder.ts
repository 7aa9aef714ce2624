import { HEADER_LENGTH, LENGTH_PREFIX, MIN_MESSAGE_LENGTH } from './constants';
import { readHeader, type Frame } from './header';

/** Framing faults that E37 does not assign a Reject reason to: the stream can no longer be trusted. */
export type FramingErrorCode = 'length-too-small' | 'length-too-large';

export interface FramingError {
  readonly code: FramingErrorCode;
  /** The announced message length. */
  readonly length: number;
  readonly limit: number;
  readonly message: string;
}

export type DecodeOutput = { readonly kind: 'frame'; readonly frame: Frame } | { readonly kind: 'error'; readonly error: FramingError };

export interface FrameDecoderOptions {
  /**
   * Largest message length accepted (E37-8.1.3: implementation-specific; E37-10 item 4).
   * Validated before anything is buffered for the message.
   */
  readonly maxLength: number;
}

/** Text of every header-only message: one shared empty buffer, no per-frame view. */
const NO_TEXT = Buffer.alloc(0);

/**
 * Streaming decoder: any chunking of the byte stream yields the same frames.
 *
 * - The 4-byte length prefix may arrive split over several chunks; it is assembled in a
 *   fixed 4-byte buffer, never read from "whatever chunk came first".
 * - The announced length is checked against 10 and `maxLength` first, and memory follows the
 *   bytes that actually arrive, never the announced length: a 0xFFFFFFFF length costs nothing.
 * - A message spread over many chunks keeps views of its pieces and is joined with one copy
 *   when its last byte arrives (no quadratic concatenation); a message wholly inside one chunk
 *   is a zero-copy view.
 * - After a framing error the stream is out of step for good: the decoder stops and reports
 *   nothing further (E37 leaves recovery undefined; NOTES.md: the entity closes the connection).
 *
 * Frames may share memory with the chunks pushed: a caller that reuses its read buffers must
 * copy what it keeps.
 */
export class FrameDecoder {
  private readonly maxLength: number;
  private readonly prefix = Buffer.alloc(LENGTH_PREFIX);
  private prefixFill = 0;
  /** Announced length of the message being assembled, or -1 while reading a length prefix. */
  private bodyLength = -1;
  private pieces: Buffer[] = [];
  private bodyFill = 0;
  private failed = false;

  constructor(options: FrameDecoderOptions) {
    if (!Number.isInteger(options.maxLength) || options.maxLength < MIN_MESSAGE_LENGTH || options.maxLength > 0xffffffff) {
      throw new RangeError(`maxLength must be an integer from ${MIN_MESSAGE_LENGTH} to 4294967295, got ${options.maxLength}`);
    }
    this.maxLength = options.maxLength;
  }

  /** True while part of a message has been received and the rest has not (what T8 times, E37-9.2.3). */
  get hasPartialMessage(): boolean {
    return !this.failed && (this.prefixFill > 0 || this.bodyLength >= 0);
  }

  /** True once a framing error has been reported. */
  get isFailed(): boolean {
    return this.failed;
  }

  /** Bytes of the current partial message received so far (prefix included). */
  get partialBytes(): number {
    return this.prefixFill + this.bodyFill;
  }

  push(chunk: Buffer): DecodeOutput[] {
    const out: DecodeOutput[] = [];
    if (this.failed) return out;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.bodyLength < 0) {
        if (this.prefixFill === 0 && chunk.length - offset >= LENGTH_PREFIX) {
          const length = chunk.readUInt32BE(offset);
          const error = this.check(length);
          if (error) return this.fail(out, error);
          const end = offset + LENGTH_PREFIX + length;
          if (end <= chunk.length) {
            out.push({ kind: 'frame', frame: frameAt(chunk, offset + LENGTH_PREFIX, end) });
            offset = end;
            continue;
          }
          this.startBody(length);
          offset += LENGTH_PREFIX;
          continue;
        }
        const take = Math.min(LENGTH_PREFIX - this.prefixFill, chunk.length - offset);
        chunk.copy(this.prefix, this.prefixFill, offset, offset + take);
        this.prefixFill += take;
        offset += take;
        if (this.prefixFill < LENGTH_PREFIX) break;
        const length = this.prefix.readUInt32BE(0);
        const error = this.check(length);
        if (error) return this.fail(out, error);
        this.startBody(length);
        continue;
      }
      const take = Math.min(this.bodyLength - this.bodyFill, chunk.length - offset);
      this.pieces.push(chunk.subarray(offset, offset + take));
      this.bodyFill += take;
      offset += take;
      if (this.bodyFill === this.bodyLength) {
        const body = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces, this.bodyLength);
        out.push({ kind: 'frame', frame: frameAt(body, 0, body.length) });
        this.bodyLength = -1;
        this.pieces = [];
        this.bodyFill = 0;
        this.prefixFill = 0;
      }
    }
    return out;
  }

  private startBody(length: number): void {
    this.bodyLength = length;
    this.bodyFill = 0;
    this.pieces = [];
    this.prefixFill = LENGTH_PREFIX;
  }

  private check(length: number): FramingError | null {
    if (length < MIN_MESSAGE_LENGTH) {
      return { code: 'length-too-small', length, limit: MIN_MESSAGE_LENGTH, message: `message length ${length} is below the minimum of ${MIN_MESSAGE_LENGTH} (E37-8.1.3)` };
    }
    if (length > this.maxLength) {
      return { code: 'length-too-large', length, limit: this.maxLength, message: `message length ${length} exceeds the configured maximum of ${this.maxLength} (E37-10 item 4)` };
    }
    return null;
  }

  private fail(out: DecodeOutput[], error: FramingError): DecodeOutput[] {
    this.failed = true;
    this.bodyLength = -1;
    this.pieces = [];
    out.push({ kind: 'error', error });
    return out;
  }
}

/** The frame whose header starts at `start` in `buf` and whose message ends at `end`. */
function frameAt(buf: Buffer, start: number, end: number): Frame {
  const textStart = start + HEADER_LENGTH;
  return { header: readHeader(buf, start), text: textStart === end ? NO_TEXT : buf.subarray(textStart, end) };
}
