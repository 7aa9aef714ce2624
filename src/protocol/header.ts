import {
  HEADER_LENGTH,
  LENGTH_PREFIX,
  SType,
  sTypeName,
  selectStatusName,
  deselectStatusName,
  rejectReasonName,
} from './constants';

/**
 * The ten header bytes of E37-8.1.4, field by field. Values are kept raw (any byte value is
 * representable) so the harness can build and inspect frames the standard forbids.
 */
export interface Header {
  /** Bytes 0-1, unsigned 16-bit, MSB first (E37-8.1.4.1). */
  readonly sessionId: number;
  /** Byte 2: W-bit and stream for data, zero, status or the rejected PType/SType for control (8.1.4.2). */
  readonly byte2: number;
  /** Byte 3: function for data, zero or a status / reason for control (8.1.4.3). */
  readonly byte3: number;
  /** Byte 4 (8.1.4.4). */
  readonly pType: number;
  /** Byte 5 (8.1.4.5). */
  readonly sType: number;
  /** Bytes 6-9, unsigned 32-bit, MSB first (8.1.4.6). */
  readonly systemBytes: number;
}

/** A whole HSMS message: header plus text (E37-8.1.2). The length prefix is implied. */
export interface Frame {
  readonly header: Header;
  readonly text: Buffer;
}

/** Writes the 10 header bytes of E37-8.2 into `target` at `offset`. */
export function writeHeader(target: Buffer, offset: number, h: Header): void {
  target.writeUInt16BE(h.sessionId & 0xffff, offset);
  target[offset + 2] = h.byte2 & 0xff;
  target[offset + 3] = h.byte3 & 0xff;
  target[offset + 4] = h.pType & 0xff;
  target[offset + 5] = h.sType & 0xff;
  target.writeUInt32BE(h.systemBytes >>> 0, offset + 6);
}

/** Reads the 10 header bytes of E37-8.2 at `offset`; throws a RangeError when fewer remain. */
export function readHeader(source: Buffer, offset = 0): Header {
  if (source.length - offset < HEADER_LENGTH) {
    throw new RangeError(`a header needs ${HEADER_LENGTH} bytes, ${source.length - offset} given`);
  }
  return {
    sessionId: source.readUInt16BE(offset),
    byte2: source[offset + 2]!,
    byte3: source[offset + 3]!,
    pType: source[offset + 4]!,
    sType: source[offset + 5]!,
    systemBytes: source.readUInt32BE(offset + 6),
  };
}

/** Length prefix, header and text as one contiguous buffer (E37-8.1.2). */
export function encodeFrame(frame: Frame): Buffer {
  const out = Buffer.allocUnsafe(LENGTH_PREFIX + HEADER_LENGTH + frame.text.length);
  out.writeUInt32BE(HEADER_LENGTH + frame.text.length, 0);
  writeHeader(out, LENGTH_PREFIX, frame.header);
  frame.text.copy(out, LENGTH_PREFIX + HEADER_LENGTH);
  return out;
}

/** Decodes one complete message (length prefix included). Throws when the bytes are not exactly one message. */
export function decodeFrame(bytes: Buffer): Frame {
  if (bytes.length < LENGTH_PREFIX + HEADER_LENGTH) throw new RangeError(`a message needs at least 14 bytes, ${bytes.length} given`);
  const length = bytes.readUInt32BE(0);
  if (length !== bytes.length - LENGTH_PREFIX) {
    throw new RangeError(`length field says ${length}, ${bytes.length - LENGTH_PREFIX} bytes follow it`);
  }
  return { header: readHeader(bytes, LENGTH_PREFIX), text: bytes.subarray(LENGTH_PREFIX + HEADER_LENGTH) };
}

/** SType 0: a data message (E37-8.2.1). */
export function isDataHeader(h: Header): boolean {
  return h.sType === SType.Data;
}
/** The W-bit (bit 7 of byte 2): the sender expects a reply (E37-8.2.1). */
export function wBit(h: Header): boolean {
  return (h.byte2 & 0x80) !== 0;
}
/** The stream of a data message (bits 6-0 of byte 2, E37-8.2.1). */
export function stream(h: Header): number {
  return h.byte2 & 0x7f;
}
/** The function of a data message (byte 3, E37-8.2.1). */
export function functionCode(h: Header): number {
  return h.byte3;
}
/** E37-8.2.1: an odd function marks a primary message, an even one a reply. */
export function isPrimary(h: Header): boolean {
  return (h.byte3 & 1) === 1;
}

/** `0x1234`: a 16-bit value (session id) as traces print it. */
export function hex16(n: number): string {
  return '0x' + n.toString(16).toUpperCase().padStart(4, '0');
}
/** `0x12345678`: a 32-bit value (system bytes) as traces print it. */
export function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** One-line human description of a header, as the traces and logs print it. */
export function describeHeader(h: Header): string {
  const common = `session=${hex16(h.sessionId)} sys=${hex32(h.systemBytes)}`;
  if (h.pType !== 0) return `${sTypeName(h.sType)} PType=${h.pType} b2=${h.byte2} b3=${h.byte3} ${common}`;
  switch (h.sType) {
    case SType.Data:
      return `S${stream(h)}F${functionCode(h)}${wBit(h) ? ' W' : ''} ${common}`;
    case SType.SelectRsp:
      return `Select.rsp status=${h.byte3} (${selectStatusName(h.byte3)})${h.byte2 ? ` b2=${h.byte2}` : ''} ${common}`;
    case SType.DeselectRsp:
      return `Deselect.rsp status=${h.byte3} (${deselectStatusName(h.byte3)})${h.byte2 ? ` b2=${h.byte2}` : ''} ${common}`;
    case SType.RejectReq:
      return `Reject.req reason=${h.byte3} (${rejectReasonName(h.byte3)}) b2=${h.byte2} ${common}`;
    default: {
      const extra = h.byte2 || h.byte3 ? ` b2=${h.byte2} b3=${h.byte3}` : '';
      return `${sTypeName(h.sType)}${extra} ${common}`;
    }
  }
}
