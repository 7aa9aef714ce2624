import { encodeFrame, type Frame } from '../../src/protocol/header';
import { ipBytes, TcpFlow } from '../../src/report/pcap';

/**
 * Builds synthetic captures for the analyze tests: TCP connections synthesized with the report
 * layer's TcpFlow, re-wrapped in any link layer the reader supports, written as libpcap (either
 * byte order, micro- or nanosecond) or pcapng (several sections and interfaces). The frames of
 * a capture can be dropped, repeated or reordered before writing.
 */

export const LINK = { NULL: 0, ETHERNET: 1, RAW: 101, LINUX_SLL: 113, LINUX_SLL2: 276 } as const;

export interface Packet {
  /** Epoch milliseconds. */
  timeMs: number;
  /** An Ethernet frame as TcpFlow makes it. */
  ether: Buffer;
  /** Set to carry the frame with an 802.1Q tag of this VLAN id. */
  vlan?: number;
}

/** A scripted connection: every call appends its packets at the current time. */
export class ScriptedConnection {
  readonly packets: Packet[] = [];
  private readonly flow: TcpFlow;
  t: number;

  constructor(client: { address: string; port: number }, server: { address: string; port: number }, startMs: number, isn = 1000) {
    this.flow = new TcpFlow({ ip: ipBytes(client.address), port: client.port, isn }, { ip: ipBytes(server.address), port: server.port, isn: isn + 500000 });
    this.t = startMs;
  }

  private push(frames: readonly Buffer[], stepMs: number): this {
    for (const ether of frames) this.packets.push({ timeMs: this.t, ether });
    this.t += stepMs;
    return this;
  }

  open(stepMs = 1): this {
    return this.push(this.flow.handshake(), stepMs);
  }

  /** Frames sent by the client (or the server) in one write; each segment at most MAX_SEGMENT bytes. */
  send(fromClient: boolean, frames: readonly Frame[], stepMs = 1): this {
    return this.push(this.flow.data(fromClient, Buffer.concat(frames.map(encodeFrame))), stepMs);
  }

  /** Raw bytes in one segment per chunk, `gapMs` apart. */
  sendBytes(fromClient: boolean, bytes: Buffer, chunk: number, gapMs: number): this {
    for (let off = 0; off < bytes.length; off += chunk) this.push(this.flow.data(fromClient, bytes.subarray(off, off + chunk)), gapMs);
    return this;
  }

  close(byClient: boolean, stepMs = 1): this {
    return this.push(this.flow.close(byClient), stepMs);
  }

  reset(fromClient: boolean, stepMs = 1): this {
    return this.push([this.flow.reset(fromClient)], stepMs);
  }
}

/** The link-layer frame of a packet (Ethernet in, anything out). */
export function linkFrame(p: Packet, linkType: number): Buffer {
  const ethertype = p.ether.readUInt16BE(12);
  const ip = p.ether.subarray(14);
  switch (linkType) {
    case LINK.ETHERNET: {
      if (p.vlan === undefined) return p.ether;
      const tag = Buffer.alloc(4);
      tag.writeUInt16BE(0x8100, 0);
      tag.writeUInt16BE(p.vlan & 0x0fff, 2);
      return Buffer.concat([p.ether.subarray(0, 12), tag, p.ether.subarray(12)]);
    }
    case LINK.RAW:
      return ip;
    case LINK.NULL: {
      const h = Buffer.alloc(4);
      h.writeUInt32LE(ethertype === 0x86dd ? 24 : 2, 0);
      return Buffer.concat([h, ip]);
    }
    case LINK.LINUX_SLL: {
      const h = Buffer.alloc(16);
      h.writeUInt16BE(0, 0);
      h.writeUInt16BE(772, 2);
      h.writeUInt16BE(6, 4);
      h.writeUInt16BE(ethertype, 14);
      return Buffer.concat([h, ip]);
    }
    case LINK.LINUX_SLL2: {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(ethertype, 0);
      h.writeUInt32BE(1, 4);
      h.writeUInt16BE(772, 8);
      h.writeUInt8(0, 10);
      h.writeUInt8(6, 11);
      return Buffer.concat([h, ip]);
    }
    default:
      throw new Error(`no test framing for link type ${linkType}`);
  }
}

export interface PcapOptions {
  readonly linkType?: number;
  readonly nanoseconds?: boolean;
  readonly littleEndian?: boolean;
  /** Bytes kept per frame (snapshot length). */
  readonly snaplen?: number;
}

export function writePcap(packets: readonly Packet[], o: PcapOptions = {}): Buffer {
  const le = o.littleEndian ?? false;
  const linkType = o.linkType ?? LINK.ETHERNET;
  const u32 = (b: Buffer, v: number, off: number): void => void (le ? b.writeUInt32LE(v >>> 0, off) : b.writeUInt32BE(v >>> 0, off));
  const head = Buffer.alloc(24);
  u32(head, o.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  if (le) {
    head.writeUInt16LE(2, 4);
    head.writeUInt16LE(4, 6);
  } else {
    head.writeUInt16BE(2, 4);
    head.writeUInt16BE(4, 6);
  }
  u32(head, o.snaplen ?? 262144, 16);
  u32(head, linkType, 20);
  const out: Buffer[] = [head];
  for (const p of packets) {
    const frame = linkFrame(p, linkType);
    const kept = o.snaplen !== undefined ? frame.subarray(0, o.snaplen) : frame;
    const h = Buffer.alloc(16);
    const sec = Math.floor(p.timeMs / 1000);
    const frac = o.nanoseconds ? Math.round((p.timeMs - sec * 1000) * 1e6) : Math.round((p.timeMs - sec * 1000) * 1e3);
    u32(h, sec, 0);
    u32(h, frac, 4);
    u32(h, kept.length, 8);
    u32(h, frame.length, 12);
    out.push(h, kept);
  }
  return Buffer.concat(out);
}

export interface PcapngInterface {
  readonly linkType: number;
  /** if_tsresol byte: 6 microseconds (default), 9 nanoseconds, 0x80|n for 2^-n. */
  readonly tsresol?: number;
}

export interface PcapngSection {
  readonly littleEndian: boolean;
  readonly interfaces: readonly PcapngInterface[];
  /** Packets with the interface each was captured on. */
  readonly packets: ReadonlyArray<{ readonly iface: number; readonly packet: Packet }>;
}

export function writePcapng(sections: readonly PcapngSection[]): Buffer {
  const out: Buffer[] = [];
  for (const s of sections) {
    const le = s.littleEndian;
    const u32 = (b: Buffer, v: number, off: number): void => void (le ? b.writeUInt32LE(v >>> 0, off) : b.writeUInt32BE(v >>> 0, off));
    const u16 = (b: Buffer, v: number, off: number): void => void (le ? b.writeUInt16LE(v, off) : b.writeUInt16BE(v, off));
    const block = (type: number, body: Buffer): Buffer => {
      const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
      const b = Buffer.alloc(12 + padded.length);
      u32(b, type, 0);
      u32(b, b.length, 4);
      padded.copy(b, 8);
      u32(b, b.length, b.length - 4);
      return b;
    };
    const shb = Buffer.alloc(16);
    u32(shb, 0x1a2b3c4d, 0);
    u16(shb, 1, 4);
    u16(shb, 0, 6);
    shb.fill(0xff, 8, 16);
    out.push(block(0x0a0d0d0a, shb));
    for (const i of s.interfaces) {
      const idb = Buffer.alloc(8 + (i.tsresol !== undefined ? 12 : 0));
      u16(idb, i.linkType, 0);
      u32(idb, 262144, 4);
      if (i.tsresol !== undefined) {
        u16(idb, 9, 8);
        u16(idb, 1, 10);
        idb[12] = i.tsresol;
        u16(idb, 0, 16);
        u16(idb, 0, 18);
      }
      out.push(block(1, idb));
    }
    for (const { iface, packet } of s.packets) {
      const i = s.interfaces[iface]!;
      const r = i.tsresol ?? 6;
      const unitsPerMs = (r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r) / 1000;
      const ts = BigInt(Math.round(packet.timeMs * unitsPerMs));
      const frame = linkFrame(packet, i.linkType);
      const epb = Buffer.alloc(20);
      u32(epb, iface, 0);
      u32(epb, Number(ts >> 32n), 4);
      u32(epb, Number(ts & 0xffffffffn), 8);
      u32(epb, frame.length, 12);
      u32(epb, frame.length, 16);
      out.push(block(6, Buffer.concat([epb, frame])));
    }
  }
  return Buffer.concat(out);
}
