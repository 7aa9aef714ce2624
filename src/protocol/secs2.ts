/**
 * SECS-II item codec (SEMI E5 data items), the text of every PType 0 data message
 * (E37-8.1.4.4, E37-8.2.1: "For PType = 0, the text will be formatted as SECS-II messages").
 *
 * E37 itself never looks inside the text, so the harness needs this only to build message
 * texts and to describe received ones in traces. A text that does not decode is not an HSMS
 * fault: E37-8.2.8 has no Reject reason for it (SEMI E5 answers it at the SECS-II level), so
 * the harness must not expect a Reject.req for one.
 *
 * Received texts come from the implementation under test and are treated as hostile: the
 * decoder never trusts a declared length beyond the bytes actually present, bounds list
 * nesting, and bounds the number of items.
 */

/** The item formats of SEMI E5, by the name SML writes them with. */
export type ItemType =
  | 'L'
  | 'B'
  | 'BOOLEAN'
  | 'A'
  | 'J'
  | 'C'
  | 'I8'
  | 'I1'
  | 'I2'
  | 'I4'
  | 'F8'
  | 'F4'
  | 'U8'
  | 'U1'
  | 'U2'
  | 'U4';

/** Format codes (octal, as SEMI E5 tabulates them); the format byte is `code << 2 | length bytes`. */
export const FORMAT_CODES: Readonly<Record<ItemType, number>> = {
  L: 0o00,
  B: 0o10,
  BOOLEAN: 0o11,
  A: 0o20,
  J: 0o21,
  C: 0o22,
  I8: 0o30,
  I1: 0o31,
  I2: 0o32,
  I4: 0o34,
  F8: 0o40,
  F4: 0o44,
  U8: 0o50,
  U1: 0o51,
  U2: 0o52,
  U4: 0o54,
};

const TYPE_BY_CODE: ReadonlyMap<number, ItemType> = new Map(
  (Object.keys(FORMAT_CODES) as ItemType[]).map((t): [number, ItemType] => [FORMAT_CODES[t], t]),
);

/** A list (L) of items, possibly nested. */
export interface ListItem {
  readonly type: 'L';
  readonly items: readonly Item[];
}
/** Binary: any bytes. */
export interface BinaryItem {
  readonly type: 'B';
  readonly value: Buffer;
}
/** One byte per value; on decoding any non-zero byte is true, so only 0 and 1 survive a byte-exact round trip. */
export interface BooleanItem {
  readonly type: 'BOOLEAN';
  readonly values: readonly boolean[];
}
/**
 * ASCII (A) or JIS-8 (J) text. One character per byte, code point = byte value (latin1), so any
 * received bytes round-trip exactly; no JIS X 0201 to Unicode mapping is attempted.
 */
export interface TextItem {
  readonly type: 'A' | 'J';
  readonly value: string;
}
/** 2-byte characters (C): kept as raw bytes, the character set is not interpreted. */
export interface CharItem {
  readonly type: 'C';
  readonly value: Buffer;
}
/** The integer formats that fit a JS number. */
export type IntType = 'I1' | 'I2' | 'I4' | 'U1' | 'U2' | 'U4';
/** Integers of up to 4 bytes. */
export interface IntItem {
  readonly type: IntType;
  readonly values: readonly number[];
}
/** 8-byte integers are bigints: a JS number cannot hold every 64-bit value. */
export interface BigIntItem {
  readonly type: 'I8' | 'U8';
  readonly values: readonly bigint[];
}
/** IEEE 754 floats: F4 (4 bytes) or F8 (8 bytes). */
export interface FloatItem {
  readonly type: 'F4' | 'F8';
  readonly values: readonly number[];
}

/** One SECS-II item (SEMI E5): a list or a leaf of one format. */
export type Item = ListItem | BinaryItem | BooleanItem | TextItem | CharItem | IntItem | BigIntItem | FloatItem;

/** Three length bytes at most: a length (bytes, or items for L) cannot exceed 2^24 - 1. */
export const MAX_ITEM_LENGTH = 0xffffff;
/** Default bound on list nesting; 32 levels is far beyond any message SEMI E5 defines. */
export const DEFAULT_MAX_DEPTH = 32;
/** Default bound on the number of items in one text, so a hostile text cannot create millions of objects. */
export const DEFAULT_MAX_ITEMS = 1 << 20;

const ELEMENT_SIZE: Readonly<Record<Exclude<ItemType, 'L'>, number>> = {
  B: 1,
  BOOLEAN: 1,
  A: 1,
  J: 1,
  C: 1,
  I8: 8,
  I1: 1,
  I2: 2,
  I4: 4,
  F8: 8,
  F4: 4,
  U8: 8,
  U1: 1,
  U2: 2,
  U4: 4,
};

/** Value range of each integer format (SEMI E5). */
export const INT_RANGE: Readonly<Record<IntType, readonly [number, number]>> = {
  I1: [-0x80, 0x7f],
  I2: [-0x8000, 0x7fff],
  I4: [-0x80000000, 0x7fffffff],
  U1: [0, 0xff],
  U2: [0, 0xffff],
  U4: [0, 0xffffffff],
};
/** Value range of the 8-byte integer formats. */
export const BIGINT_RANGE: Readonly<Record<'I8' | 'U8', readonly [bigint, bigint]>> = {
  I8: [-(1n << 63n), (1n << 63n) - 1n],
  U8: [0n, (1n << 64n) - 1n],
};

// ---------------------------------------------------------------------------------------------
// Convenience constructors
// ---------------------------------------------------------------------------------------------

/** `L(A("x"), U4(1))`: a list of items. */
export function L(...items: Item[]): ListItem {
  return { type: 'L', items };
}
/** `B(1, 2, 3)` or `B(buffer)`; numbers must be bytes. */
export function B(...bytes: Array<number | Uint8Array>): BinaryItem {
  return { type: 'B', value: bytesOf(bytes, 'B') };
}
/** `BOOLEAN(true, false)`: booleans, one byte each. */
export function BOOLEAN(...values: boolean[]): BooleanItem {
  return { type: 'BOOLEAN', values };
}
/** `A("text")`: ASCII text, one byte per character. */
export function A(value: string): TextItem {
  return { type: 'A', value };
}
/** `J("text")`: JIS-8 text, one byte per character. */
export function J(value: string): TextItem {
  return { type: 'J', value };
}
/** `C(0x30, 0x42)` or `C(buffer)`: 2-byte character text, kept as raw bytes. */
export function C(...bytes: Array<number | Uint8Array>): CharItem {
  return { type: 'C', value: bytesOf(bytes, 'C') };
}
/** `I1(-1, 2)`: 1-byte signed integers. */
export function I1(...values: number[]): IntItem {
  return { type: 'I1', values };
}
/** `I2(-1, 2)`: 2-byte signed integers. */
export function I2(...values: number[]): IntItem {
  return { type: 'I2', values };
}
/** `I4(-1, 2)`: 4-byte signed integers. */
export function I4(...values: number[]): IntItem {
  return { type: 'I4', values };
}
/** `I8(-1n, 2)`: 8-byte signed integers (bigints). */
export function I8(...values: Array<bigint | number>): BigIntItem {
  return { type: 'I8', values: values.map(toBigInt) };
}
/** `U1(1, 2)`: 1-byte unsigned integers. */
export function U1(...values: number[]): IntItem {
  return { type: 'U1', values };
}
/** `U2(1, 2)`: 2-byte unsigned integers. */
export function U2(...values: number[]): IntItem {
  return { type: 'U2', values };
}
/** `U4(1, 2)`: 4-byte unsigned integers. */
export function U4(...values: number[]): IntItem {
  return { type: 'U4', values };
}
/** `U8(1n, 2)`: 8-byte unsigned integers (bigints). */
export function U8(...values: Array<bigint | number>): BigIntItem {
  return { type: 'U8', values: values.map(toBigInt) };
}
/** `F4(1.5)`: 4-byte IEEE 754 floats. */
export function F4(...values: number[]): FloatItem {
  return { type: 'F4', values };
}
/** `F8(1.5)`: 8-byte IEEE 754 floats. */
export function F8(...values: number[]): FloatItem {
  return { type: 'F8', values };
}

function bytesOf(parts: ReadonlyArray<number | Uint8Array>, type: string): Buffer {
  const chunks = parts.map((p) => {
    if (typeof p !== 'number') return Buffer.from(p);
    if (!Number.isInteger(p) || p < 0 || p > 0xff) throw new RangeError(`${type}: ${p} is not a byte value`);
    return Buffer.of(p);
  });
  return Buffer.concat(chunks);
}

function toBigInt(v: bigint | number): bigint {
  // BigInt() throws a RangeError for non-integral numbers, which is the check we want.
  return typeof v === 'bigint' ? v : BigInt(v);
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/** Number of bytes (for L: items) that the item's length bytes announce. */
function declaredLength(item: Item): number {
  switch (item.type) {
    case 'L':
      return item.items.length;
    case 'B':
    case 'C':
      return item.value.length;
    case 'A':
    case 'J':
      return item.value.length;
    default:
      return item.values.length * ELEMENT_SIZE[item.type];
  }
}

function lengthBytesFor(length: number): 1 | 2 | 3 {
  if (length <= 0xff) return 1;
  if (length <= 0xffff) return 2;
  return 3;
}

/** Size in bytes of the encoded item, header included. Throws a RangeError if a length exceeds 2^24 - 1. */
export function encodedLength(item: Item): number {
  const length = declaredLength(item);
  if (length > MAX_ITEM_LENGTH) {
    throw new RangeError(`${item.type} item length ${length} exceeds ${MAX_ITEM_LENGTH}, the most 3 length bytes can carry`);
  }
  const header = 1 + lengthBytesFor(length);
  if (item.type !== 'L') return header + length;
  let total = header;
  for (const child of item.items) total += encodedLength(child);
  return total;
}

/**
 * Encodes one item with the fewest length bytes. Throws a RangeError for values the format
 * cannot carry (out of range or non-integral integers, characters above 0xFF in A or J,
 * lengths above 2^24 - 1).
 */
export function encodeItem(item: Item): Buffer {
  const out = Buffer.alloc(encodedLength(item));
  const end = writeItem(out, 0, item);
  // encodedLength and writeItem must agree; a mismatch is a bug in this file, not bad input.
  if (end !== out.length) throw new Error(`internal: wrote ${end} bytes, expected ${out.length}`);
  return out;
}

function writeItem(out: Buffer, offset: number, item: Item): number {
  const length = declaredLength(item);
  const nLen = lengthBytesFor(length);
  out[offset] = (FORMAT_CODES[item.type] << 2) | nLen;
  out.writeUIntBE(length, offset + 1, nLen);
  let pos = offset + 1 + nLen;
  switch (item.type) {
    case 'L':
      for (const child of item.items) pos = writeItem(out, pos, child);
      return pos;
    case 'B':
    case 'C':
      return pos + item.value.copy(out, pos);
    case 'A':
    case 'J':
      for (let i = 0; i < item.value.length; i++) {
        const code = item.value.charCodeAt(i);
        if (code > 0xff) {
          throw new RangeError(`${item.type} item: character U+${code.toString(16).toUpperCase().padStart(4, '0')} at index ${i} does not fit in one byte`);
        }
        out[pos++] = code;
      }
      return pos;
    case 'BOOLEAN':
      for (const v of item.values) out[pos++] = v ? 1 : 0;
      return pos;
    case 'I1':
    case 'I2':
    case 'I4':
    case 'U1':
    case 'U2':
    case 'U4': {
      const [min, max] = INT_RANGE[item.type];
      const size = ELEMENT_SIZE[item.type];
      const signed = item.type[0] === 'I';
      for (const v of item.values) {
        if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${item.type} item: ${v} is not an integer from ${min} to ${max}`);
        if (signed) out.writeIntBE(v, pos, size);
        else out.writeUIntBE(v, pos, size);
        pos += size;
      }
      return pos;
    }
    case 'I8':
    case 'U8': {
      const [min, max] = BIGINT_RANGE[item.type];
      for (const v of item.values) {
        if (v < min || v > max) throw new RangeError(`${item.type} item: ${v} is outside ${min} to ${max}`);
        if (item.type === 'I8') out.writeBigInt64BE(v, pos);
        else out.writeBigUInt64BE(v, pos);
        pos += 8;
      }
      return pos;
    }
    case 'F4':
      for (const v of item.values) pos = out.writeFloatBE(v, pos);
      return pos;
    case 'F8':
      for (const v of item.values) pos = out.writeDoubleBE(v, pos);
      return pos;
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/** Why a text is not exactly one well-formed item. */
export type Secs2ErrorCode =
  /** The text is empty: a header-only message (E37-8.2.1 note) carries no item. */
  | 'empty'
  /** Fewer bytes remain than the format byte, the length bytes or the declared length need. */
  | 'truncated'
  /** The format byte announces 0 length bytes. */
  | 'no-length-bytes'
  /** The format code is not one SEMI E5 defines. */
  | 'unknown-format'
  /** The length is not a multiple of the format's element size. */
  | 'bad-length'
  /** Lists nested deeper than the configured bound. */
  | 'too-deep'
  /** More items than the configured bound. */
  | 'too-many-items'
  /** Bytes follow the single item the text may hold. */
  | 'trailing-bytes';

/** A text that is not exactly one well-formed item; `offset` is where in the text the fault lies. */
export class Secs2DecodeError extends Error {
  override readonly name = 'Secs2DecodeError';
  constructor(
    readonly code: Secs2ErrorCode,
    readonly offset: number,
    detail: string,
  ) {
    super(`SECS-II decode error at offset ${offset}: ${detail}`);
  }
}

/** Bounds on what a decoded text may create (a hostile text is cheap to reject). */
export interface DecodeOptions {
  /** Deepest list nesting accepted (a lone list is depth 1). Default DEFAULT_MAX_DEPTH; decoding recurses once per level, so keep it in the hundreds at most. */
  readonly maxDepth?: number;
  /** Most items (list elements included) accepted in one text. Default DEFAULT_MAX_ITEMS. */
  readonly maxItems?: number;
}

/** The result of `tryDecodeItem`: the item, or why there is none. */
export type Secs2DecodeResult = { readonly ok: true; readonly item: Item } | { readonly ok: false; readonly error: Secs2DecodeError };

class Reader {
  private pos = 0;
  private count = 0;
  private readonly maxDepth: number;
  private readonly maxItems: number;

  constructor(
    private readonly buf: Buffer,
    options: DecodeOptions,
  ) {
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxItems = options.maxItems ?? DEFAULT_MAX_ITEMS;
  }

  whole(): Item {
    if (this.buf.length === 0) throw new Secs2DecodeError('empty', 0, 'the text is empty, there is no item');
    const item = this.item(0);
    if (this.pos !== this.buf.length) {
      throw new Secs2DecodeError('trailing-bytes', this.pos, `${this.buf.length - this.pos} bytes follow the item that ends here; a text holds exactly one item`);
    }
    return item;
  }

  /** `depth` is the number of lists that enclose this item. */
  private item(depth: number): Item {
    const buf = this.buf;
    const start = this.pos;
    if (start >= buf.length) throw new Secs2DecodeError('truncated', start, 'expected a format byte, found the end of the text');
    const formatByte = buf[start]!;
    const nLen = formatByte & 0b11;
    const code = formatByte >> 2;
    const type = TYPE_BY_CODE.get(code);
    const fb = `format byte 0x${formatByte.toString(16).padStart(2, '0')}`;
    if (type === undefined) throw new Secs2DecodeError('unknown-format', start, `${fb} has format code 0o${code.toString(8).padStart(2, '0')}, which SEMI E5 does not define`);
    if (nLen === 0) throw new Secs2DecodeError('no-length-bytes', start, `${fb} (${type}) announces 0 length bytes; 1 to 3 are required`);
    if (buf.length - start - 1 < nLen) {
      throw new Secs2DecodeError('truncated', start, `${type} item needs ${nLen} length bytes, only ${buf.length - start - 1} remain`);
    }
    const length = buf.readUIntBE(start + 1, nLen);
    this.pos = start + 1 + nLen;
    const remaining = buf.length - this.pos;
    if (++this.count > this.maxItems) throw new Secs2DecodeError('too-many-items', start, `more than ${this.maxItems} items in one text`);

    if (type === 'L') {
      if (depth >= this.maxDepth) throw new Secs2DecodeError('too-deep', start, `lists nested deeper than ${this.maxDepth} levels`);
      // Every item takes at least 2 bytes (format byte and one length byte), so a count that
      // cannot fit is rejected here, before any loop or allocation driven by it.
      if (length > remaining / 2) {
        throw new Secs2DecodeError('truncated', start, `list declares ${length} items but only ${remaining} bytes remain (each item needs at least 2)`);
      }
      const items: Item[] = [];
      for (let i = 0; i < length; i++) items.push(this.item(depth + 1));
      return { type: 'L', items };
    }

    if (length > remaining) {
      throw new Secs2DecodeError('truncated', start, `${type} item declares ${length} bytes but only ${remaining} remain`);
    }
    const size = ELEMENT_SIZE[type];
    if (length % size !== 0) {
      throw new Secs2DecodeError('bad-length', start, `${type} item length ${length} is not a multiple of its element size ${size}`);
    }
    const from = this.pos;
    const to = from + length;
    this.pos = to;
    const n = length / size;
    switch (type) {
      case 'B':
      case 'C':
        // Copied so the item does not keep the (possibly large) received buffer alive or alias it.
        return { type, value: Buffer.from(buf.subarray(from, to)) };
      case 'A':
      case 'J':
        return { type, value: buf.toString('latin1', from, to) };
      case 'BOOLEAN': {
        const values: boolean[] = [];
        for (let i = from; i < to; i++) values.push(buf[i] !== 0);
        return { type, values };
      }
      case 'I1':
      case 'I2':
      case 'I4': {
        const values: number[] = [];
        for (let i = 0; i < n; i++) values.push(buf.readIntBE(from + i * size, size));
        return { type, values };
      }
      case 'U1':
      case 'U2':
      case 'U4': {
        const values: number[] = [];
        for (let i = 0; i < n; i++) values.push(buf.readUIntBE(from + i * size, size));
        return { type, values };
      }
      case 'I8':
      case 'U8': {
        const values: bigint[] = [];
        for (let i = 0; i < n; i++) values.push(type === 'I8' ? buf.readBigInt64BE(from + i * 8) : buf.readBigUInt64BE(from + i * 8));
        return { type, values };
      }
      case 'F4':
      case 'F8': {
        const values: number[] = [];
        for (let i = 0; i < n; i++) values.push(type === 'F4' ? buf.readFloatBE(from + i * 4) : buf.readDoubleBE(from + i * 8));
        return { type, values };
      }
    }
  }
}

/** Decodes a text that must be exactly one item. Throws a Secs2DecodeError otherwise. */
export function decodeItem(text: Buffer, options: DecodeOptions = {}): Item {
  return new Reader(text, options).whole();
}

/** As decodeItem, but returns the error instead of throwing it. */
export function tryDecodeItem(text: Buffer, options: DecodeOptions = {}): Secs2DecodeResult {
  try {
    return { ok: true, item: decodeItem(text, options) };
  } catch (e) {
    if (e instanceof Secs2DecodeError) return { ok: false, error: e };
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting (SML-like notation)
// ---------------------------------------------------------------------------------------------

/** Options of `formatItem`. */
export interface FormatOptions {
  /** Cut the output after this many characters and end it with '...'. Default: no limit. */
  readonly maxChars?: number;
}

/** Collects output and stops accepting it once the budget is spent, so huge items cost little. */
class Sink {
  private readonly parts: string[] = [];
  private used = 0;
  full = false;

  constructor(private readonly budget: number) {}

  put(s: string): void {
    if (this.full) return;
    if (this.used + s.length > this.budget) {
      this.parts.push(s.slice(0, this.budget - this.used), '...');
      this.full = true;
      return;
    }
    this.parts.push(s);
    this.used += s.length;
  }

  /** Characters still accepted before the output is cut. */
  get remaining(): number {
    return this.budget - this.used;
  }

  toString(): string {
    return this.parts.join('');
  }
}

/** Quotes latin1 text; only printable ASCII is shown as is, everything else is escaped. */
export function quoteText(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c <= 0x7e) out += value[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c <= 0xff) out += '\\x' + c.toString(16).toUpperCase().padStart(2, '0');
    else out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
  }
  return out + '"';
}

function byteHex(b: number): string {
  return '0x' + b.toString(16).toUpperCase().padStart(2, '0');
}

function formatNumber(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

/** Shortest decimal that reads back as the same 32-bit float, so F4 values print as written. */
function formatFloat32(v: number): string {
  if (!Number.isFinite(v) || v === 0) return formatNumber(v);
  for (let p = 1; p < 9; p++) {
    const candidate = Number(v.toPrecision(p));
    if (Math.fround(candidate) === v) return String(candidate);
  }
  return String(v);
}

function formatInto(sink: Sink, item: Item): void {
  if (item.type === 'L') {
    sink.put(`<L[${item.items.length}]`);
    for (const child of item.items) {
      if (sink.full) return;
      sink.put(' ');
      formatInto(sink, child);
    }
    sink.put('>');
    return;
  }
  sink.put(`<${item.type}`);
  switch (item.type) {
    case 'A':
    case 'J':
      // Every character quotes to at least one output character, so a longer prefix than the
      // remaining budget could never be shown; this keeps a 16 MiB string cheap to describe.
      sink.put(' ' + quoteText(item.value.length > sink.remaining ? item.value.slice(0, sink.remaining) : item.value));
      break;
    case 'B':
    case 'C':
      for (const b of item.value) {
        if (sink.full) return;
        sink.put(' ' + byteHex(b));
      }
      break;
    case 'BOOLEAN':
      for (const v of item.values) {
        if (sink.full) return;
        sink.put(v ? ' TRUE' : ' FALSE');
      }
      break;
    case 'F4':
      for (const v of item.values) {
        if (sink.full) return;
        sink.put(' ' + formatFloat32(v));
      }
      break;
    default:
      for (const v of item.values) {
        if (sink.full) return;
        sink.put(' ' + (typeof v === 'bigint' ? v.toString() : formatNumber(v)));
      }
  }
  sink.put('>');
}

/**
 * One-line SML-like notation, e.g. `<L[2] <A "hello"> <U4 1 2>>`. Text is escaped to printable
 * ASCII but not for HTML: `<A "<script>">` is returned as is and escaped by whoever renders it.
 */
export function formatItem(item: Item, options: FormatOptions = {}): string {
  const sink = new Sink(options.maxChars ?? Number.POSITIVE_INFINITY);
  formatInto(sink, item);
  return sink.toString();
}

/** Options of `describeText`. */
export interface DescribeOptions extends DecodeOptions, FormatOptions {
  /** Bytes of an undecodable text shown in hex. Default 32. */
  readonly maxHexBytes?: number;
}

/**
 * Describes a data message text for traces and logs: '' for no text, the SML of a decodable
 * item, else `<undecodable N bytes: 0a1b...>`. Output is bounded (2000 characters by default).
 */
export function describeText(text: Buffer, options: DescribeOptions = {}): string {
  if (text.length === 0) return '';
  const result = tryDecodeItem(text, options);
  if (result.ok) return formatItem(result.item, { maxChars: options.maxChars ?? 2000 });
  const shown = Math.min(text.length, options.maxHexBytes ?? 32);
  const more = shown < text.length ? '...' : '';
  return `<undecodable ${text.length} bytes: ${text.subarray(0, shown).toString('hex')}${more}>`;
}
