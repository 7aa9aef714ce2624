import * as fs from 'node:fs';

/**
 * A streaming reader for libpcap and pcapng capture files (the formats tcpdump, dumpcap,
 * tshark and Wireshark write). Pure JavaScript: no native addon, no dependency.
 *
 * - libpcap: both byte orders, microsecond (a1b2c3d4) and nanosecond (a1b23c4d) timestamps.
 * - pcapng: several sections (each with its own byte order) and several interfaces per section,
 *   each with its own link type, `if_tsresol` (any power of 10 or of 2) and `if_tsoffset`;
 *   Enhanced, Simple and the obsolete Packet blocks carry packets, every other block is skipped.
 *
 * The file is read in large chunks into one reused buffer and every packet is handed to the
 * caller as a view into it: the view is valid only during the callback, so memory stays the
 * size of the buffer (plus the largest single record) whatever the file holds.
 */

export interface CapturedPacket {
  /** 1-based, counted over the whole file as Wireshark numbers frames. */
  readonly frame: number;
  /** Capture time, milliseconds since the Unix epoch (fractional: sub-microsecond precision). */
  readonly timeMs: number;
  /** LINKTYPE_* value of the interface the packet was captured on. */
  readonly linkType: number;
  /** Captured bytes (at most the snapshot length): a view valid only during the callback. */
  readonly data: Buffer;
  /** Length of the packet on the wire (may exceed data.length when the capture was cut at the snapshot length). */
  readonly originalLength: number;
}

export interface CaptureSummary {
  readonly format: 'pcap' | 'pcapng';
  readonly packets: number;
  readonly bytes: number;
  readonly sections: number;
  readonly interfaces: number;
  /** Set when the file ends inside a record (a capture cut short): the records before it were read. */
  readonly truncated: string | null;
}

/** The file is not a capture this reader understands, or is damaged beyond the first record. */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';
}

const PCAP_MICRO = 0xa1b2c3d4;
const PCAP_NANO = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER = 0x1a2b3c4d;
const BLOCK_IDB = 1;
const BLOCK_OPB = 2;
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;
/** A record or block larger than this is damage, not data (pcapng's own readers use 16 MiB for blocks; 64 MiB leaves room). */
const MAX_RECORD = 64 * 1024 * 1024;
const CHUNK = 4 * 1024 * 1024;

/**
 * Refills a window over the file: `need(n)` makes n bytes available from `pos`, moving what is
 * left to the front of the buffer (or growing it for one large record).
 */
class FileWindow {
  buf: Buffer = Buffer.allocUnsafe(CHUNK);
  pos = 0;
  end = 0;
  /** File offset of buf[0]. */
  base = 0;
  private eof = false;

  constructor(private readonly fd: number) {}

  /** True when n bytes are available from pos; false only at the end of the file. */
  need(n: number): boolean {
    if (this.end - this.pos >= n) return true;
    if (this.eof) return false;
    if (n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
      this.buf.copy(bigger, 0, this.pos, this.end);
      this.buf = bigger;
    } else if (this.pos > 0) {
      this.buf.copy(this.buf, 0, this.pos, this.end);
    }
    this.base += this.pos;
    this.end -= this.pos;
    this.pos = 0;
    while (this.end < this.buf.length) {
      const got = fs.readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
      if (got === 0) {
        this.eof = true;
        break;
      }
      this.end += got;
      if (this.end - this.pos >= n) break;
    }
    return this.end - this.pos >= n;
  }

  get offset(): number {
    return this.base + this.pos;
  }
}

/** Reads every packet of a pcap or pcapng file, in file order. Throws CaptureError for an unreadable file. */
export function readCaptureFile(file: string, onPacket: (p: CapturedPacket) => void): CaptureSummary {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new CaptureError(`cannot open ${file}: ${(err as Error).message}`);
  }
  try {
    const w = new FileWindow(fd);
    if (!w.need(4)) throw new CaptureError(`${file} is empty or shorter than a capture file header`);
    const magicBE = w.buf.readUInt32BE(0);
    const magicLE = w.buf.readUInt32LE(0);
    if (magicBE === PCAPNG_SHB) return readPcapng(file, w, onPacket);
    if (magicBE === PCAP_MICRO || magicBE === PCAP_NANO || magicLE === PCAP_MICRO || magicLE === PCAP_NANO) return readPcap(file, w, onPacket);
    throw new CaptureError(`${file} is neither a pcap nor a pcapng file (first bytes ${w.buf.subarray(0, 4).toString('hex')})`);
  } finally {
    fs.closeSync(fd);
  }
}

function readPcap(file: string, w: FileWindow, onPacket: (p: CapturedPacket) => void): CaptureSummary {
  if (!w.need(24)) throw new CaptureError(`${file}: the pcap file header is cut short`);
  const le = w.buf.readUInt32LE(0) === PCAP_MICRO || w.buf.readUInt32LE(0) === PCAP_NANO;
  const magic = le ? w.buf.readUInt32LE(0) : w.buf.readUInt32BE(0);
  const fraction = magic === PCAP_NANO ? 1e-6 : 1e-3;
  const u32 = le ? (b: Buffer, o: number): number => b.readUInt32LE(o) : (b: Buffer, o: number): number => b.readUInt32BE(o);
  // The upper bits of the link type field carry FCS information (pcap-linktype(7)).
  const linkType = u32(w.buf, 20) & 0x0fffffff;
  w.pos = 24;
  let frame = 0;
  let bytes = 0;
  let truncated: string | null = null;
  for (;;) {
    if (!w.need(16)) {
      if (w.end > w.pos) truncated = `the file ends inside the header of record ${frame + 1} (byte ${w.offset})`;
      break;
    }
    const b = w.buf;
    const p = w.pos;
    const sec = u32(b, p);
    const frac = u32(b, p + 4);
    const caplen = u32(b, p + 8);
    const origlen = u32(b, p + 12);
    if (caplen > MAX_RECORD) throw new CaptureError(`${file}: record ${frame + 1} at byte ${w.offset} claims ${caplen} captured bytes; the file is damaged`);
    if (!w.need(16 + caplen)) {
      truncated = `the file ends inside record ${frame + 1} (byte ${w.offset}): ${caplen} bytes announced`;
      break;
    }
    frame++;
    bytes += caplen;
    const at = w.pos;
    onPacket({ frame, timeMs: sec * 1000 + frac * fraction, linkType, data: w.buf.subarray(at + 16, at + 16 + caplen), originalLength: origlen });
    w.pos = at + 16 + caplen;
  }
  return { format: 'pcap', packets: frame, bytes, sections: 1, interfaces: 1, truncated };
}

interface PcapngInterface {
  readonly linkType: number;
  readonly snaplen: number;
  /** Timestamp units per millisecond. */
  readonly unitsPerMs: number;
  readonly offsetMs: number;
}

function readPcapng(file: string, w: FileWindow, onPacket: (p: CapturedPacket) => void): CaptureSummary {
  let le = true;
  let interfaces: PcapngInterface[] = [];
  let sections = 0;
  let interfaceCount = 0;
  let frame = 0;
  let bytes = 0;
  let truncated: string | null = null;
  let lastTimeMs = 0;
  const u32 = (o: number): number => (le ? w.buf.readUInt32LE(o) : w.buf.readUInt32BE(o));
  const u16 = (o: number): number => (le ? w.buf.readUInt16LE(o) : w.buf.readUInt16BE(o));
  for (;;) {
    if (!w.need(12)) {
      if (w.end > w.pos) truncated = `the file ends inside a block header (byte ${w.offset})`;
      break;
    }
    const p = w.pos;
    const type = w.buf.readUInt32BE(p) === PCAPNG_SHB ? PCAPNG_SHB : u32(p);
    if (type === PCAPNG_SHB) {
      // A new section: its byte-order magic decides how everything in it is read.
      const order = w.buf.readUInt32LE(p + 8);
      if (order === PCAPNG_BYTE_ORDER) le = true;
      else if (w.buf.readUInt32BE(p + 8) === PCAPNG_BYTE_ORDER) le = false;
      else throw new CaptureError(`${file}: section header at byte ${w.offset} has no valid byte-order magic`);
      sections++;
      interfaces = [];
    }
    const length = u32(p + 4);
    if (length < 12 || length % 4 !== 0 || length > MAX_RECORD) throw new CaptureError(`${file}: block at byte ${w.offset} has an invalid length ${length}; the file is damaged`);
    if (!w.need(length)) {
      truncated = `the file ends inside a block of ${length} bytes at byte ${w.offset}`;
      break;
    }
    const at = w.pos;
    const body = at + 8;
    const bodyEnd = at + length - 4;
    if (type === BLOCK_IDB) {
      interfaces.push(parseInterface(w.buf, body, bodyEnd, le));
      interfaceCount++;
    } else if (type === BLOCK_EPB || type === BLOCK_OPB) {
      const ifIndex = type === BLOCK_EPB ? u32(body) : u16(body);
      const iface = interfaces[ifIndex];
      if (!iface) throw new CaptureError(`${file}: packet block at byte ${w.offset} names interface ${ifIndex}, which its section does not describe`);
      const high = u32(body + 4);
      const low = u32(body + 8);
      const caplen = u32(body + 12);
      const origlen = u32(body + 16);
      if (body + 20 + caplen > bodyEnd) throw new CaptureError(`${file}: packet block at byte ${w.offset} claims ${caplen} bytes, more than the block holds`);
      frame++;
      bytes += caplen;
      lastTimeMs = (high * 4294967296 + low) / iface.unitsPerMs + iface.offsetMs;
      onPacket({ frame, timeMs: lastTimeMs, linkType: iface.linkType, data: w.buf.subarray(body + 20, body + 20 + caplen), originalLength: origlen });
    } else if (type === BLOCK_SPB) {
      const iface = interfaces[0];
      if (!iface) throw new CaptureError(`${file}: simple packet block at byte ${w.offset} before any interface description`);
      const origlen = u32(body);
      const caplen = Math.min(origlen, bodyEnd - body - 4, iface.snaplen > 0 ? iface.snaplen : Infinity);
      frame++;
      bytes += caplen;
      // A Simple Packet Block has no timestamp: it takes the time of the packet before it.
      onPacket({ frame, timeMs: lastTimeMs, linkType: iface.linkType, data: w.buf.subarray(body + 4, body + 4 + caplen), originalLength: origlen });
    }
    w.pos = at + length;
  }
  if (sections === 0) throw new CaptureError(`${file}: pcapng file without a section header`);
  return { format: 'pcapng', packets: frame, bytes, sections, interfaces: interfaceCount, truncated };
}

const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

function parseInterface(b: Buffer, start: number, end: number, le: boolean): PcapngInterface {
  const linkType = le ? b.readUInt16LE(start) : b.readUInt16BE(start);
  const snaplen = le ? b.readUInt32LE(start + 4) : b.readUInt32BE(start + 4);
  let unitsPerSecond = 1e6;
  let offsetMs = 0;
  let o = start + 8;
  while (o + 4 <= end) {
    const code = le ? b.readUInt16LE(o) : b.readUInt16BE(o);
    const len = le ? b.readUInt16LE(o + 2) : b.readUInt16BE(o + 2);
    if (code === OPT_END) break;
    if (code === OPT_IF_TSRESOL && len >= 1) {
      const r = b[o + 4]!;
      unitsPerSecond = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
    } else if (code === OPT_IF_TSOFFSET && len >= 8) {
      offsetMs = Number(le ? b.readBigInt64LE(o + 4) : b.readBigInt64BE(o + 4)) * 1000;
    }
    o += 4 + len + ((4 - (len % 4)) % 4);
  }
  return { linkType, snaplen, unitsPerMs: unitsPerSecond / 1000, offsetMs };
}
