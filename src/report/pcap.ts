import { isIPv4, isIPv6 } from 'node:net';
import type { ConnectionLifecycle } from '../harness/wire-trace';

/**
 * Traffic as a libpcap file (magic a1b2c3d4, big-endian, linktype 1 Ethernet) that Wireshark's
 * HSMS dissector decodes: `tshark -r FILE -d tcp.port==PORT,hsms`.
 *
 * The harness and the monitor see byte streams, not packets, so the framing is synthesized:
 * Ethernet, IPv4 (correct header checksum) or IPv6, and TCP (correct checksum, sequence and
 * acknowledgement numbers consistent per direction), a SYN / SYN-ACK / ACK handshake when a
 * connection opens, and FIN or RST from the side that closed when it closes. A chunk longer
 * than one IP datagram can carry is split into segments of at most 65495 bytes.
 *
 * `buildPcap` turns a scenario's trace into a whole file; `TcpFlow`, `pcapHeader` and
 * `pcapRecord` let a long-running writer (the monitor) emit the same packets one by one.
 */

export interface PcapBytes {
  /** Milliseconds since `origin`. */
  readonly t: number;
  readonly conn: string;
  /** 'out': tester -> IUT, 'in': IUT -> tester. */
  readonly dir: 'in' | 'out';
  readonly bytes: Buffer;
}

export interface PcapEndpoints {
  readonly testerPort: number;
  readonly iutPort: number;
  readonly testerInitiated: boolean;
}

/** When a connection opened, and who closed it how (WireTrace.lifecycle). */
export type PcapLifecycle = ConnectionLifecycle;

export interface PcapInput {
  readonly chunks: readonly PcapBytes[];
  readonly endpoints: ReadonlyMap<string, PcapEndpoints>;
  /** Wall-clock milliseconds since the epoch at t = 0. */
  readonly origin: number;
  readonly testerAddress?: string;
  readonly iutAddress?: string;
  /**
   * Opens and closes as they happened. Without it, each connection opens at its first chunk and
   * is closed in order after its last one; with it, the handshake is placed at the open, the close
   * comes from the side that closed when it closed, and a connection never closed stays open.
   */
  readonly lifecycle?: readonly PcapLifecycle[];
}

/** Largest TCP payload in one IPv4 datagram without options: 65535 - 20 - 20. */
export const MAX_SEGMENT = 65495;
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 262144;
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;
const CLIENT_MAC = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
const SERVER_MAC = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]);
const EMPTY = Buffer.alloc(0);

export interface FlowEnd {
  /** 4 bytes (IPv4) or 16 (IPv6). */
  readonly ip: Buffer;
  readonly port: number;
  /** Initial sequence number. */
  readonly isn: number;
}

/** The Ethernet frames of one synthesized TCP connection, in the order they are asked for. */
export class TcpFlow {
  private readonly client: FlowEnd & { seq: number; mac: Buffer };
  private readonly server: FlowEnd & { seq: number; mac: Buffer };
  private ipId = 1;

  constructor(client: FlowEnd, server: FlowEnd) {
    if (client.ip.length !== server.ip.length) throw new Error('both ends of a flow must be IPv4 or both IPv6');
    this.client = { ...client, seq: client.isn >>> 0, mac: CLIENT_MAC };
    this.server = { ...server, seq: server.isn >>> 0, mac: SERVER_MAC };
  }

  /** SYN, SYN-ACK, ACK. */
  handshake(): Buffer[] {
    return [this.frame(true, TCP_SYN, EMPTY), this.frame(false, TCP_SYN | TCP_ACK, EMPTY), this.frame(true, TCP_ACK, EMPTY)];
  }

  /** The bytes one side sent, as segments of at most MAX_SEGMENT bytes. */
  data(fromClient: boolean, bytes: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (let off = 0; off < bytes.length; off += MAX_SEGMENT) out.push(this.frame(fromClient, TCP_ACK | TCP_PSH, bytes.subarray(off, off + MAX_SEGMENT)));
    return out;
  }

  /** An orderly close started by one side: its FIN, the other's FIN, the last ACK. */
  close(byClient: boolean): Buffer[] {
    return [this.frame(byClient, TCP_FIN | TCP_ACK, EMPTY), this.frame(!byClient, TCP_FIN | TCP_ACK, EMPTY), this.frame(byClient, TCP_ACK, EMPTY)];
  }

  /** A FIN from one side only (a half close). */
  fin(fromClient: boolean): Buffer {
    return this.frame(fromClient, TCP_FIN | TCP_ACK, EMPTY);
  }

  /** A reset from one side. */
  reset(fromClient: boolean): Buffer {
    return this.frame(fromClient, TCP_RST | TCP_ACK, EMPTY);
  }

  /** `to.seq` is what `from` acknowledges; `from.seq` advances by what the frame carries. */
  private frame(fromClient: boolean, flags: number, payload: Buffer): Buffer {
    const [from, to] = fromClient ? [this.client, this.server] : [this.server, this.client];
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(from.port, 0);
    tcp.writeUInt16BE(to.port, 2);
    tcp.writeUInt32BE(from.seq, 4);
    tcp.writeUInt32BE(flags & TCP_ACK ? to.seq : 0, 8);
    tcp.writeUInt8(5 << 4, 12);
    tcp.writeUInt8(flags, 13);
    tcp.writeUInt16BE(0xffff, 14);
    const v6 = from.ip.length === 16;
    const pseudo = v6 ? Buffer.alloc(40) : Buffer.alloc(12);
    if (v6) {
      from.ip.copy(pseudo, 0);
      to.ip.copy(pseudo, 16);
      pseudo.writeUInt32BE(20 + payload.length, 32);
      pseudo.writeUInt8(6, 39);
    } else {
      from.ip.copy(pseudo, 0);
      to.ip.copy(pseudo, 4);
      pseudo.writeUInt8(6, 9);
      pseudo.writeUInt16BE(20 + payload.length, 10);
    }
    tcp.writeUInt16BE(checksum([pseudo, tcp, payload]), 16);
    let ip: Buffer;
    if (v6) {
      ip = Buffer.alloc(40);
      ip.writeUInt32BE(0x60000000, 0);
      ip.writeUInt16BE(20 + payload.length, 4);
      ip.writeUInt8(6, 6);
      ip.writeUInt8(64, 7);
      from.ip.copy(ip, 8);
      to.ip.copy(ip, 24);
    } else {
      ip = Buffer.alloc(20);
      ip.writeUInt8(0x45, 0);
      ip.writeUInt16BE(20 + 20 + payload.length, 2);
      ip.writeUInt16BE(this.ipId++ & 0xffff, 4);
      ip.writeUInt16BE(0x4000, 6); // don't fragment
      ip.writeUInt8(64, 8);
      ip.writeUInt8(6, 9);
      from.ip.copy(ip, 12);
      to.ip.copy(ip, 16);
      ip.writeUInt16BE(checksum([ip]), 10);
    }
    const eth = Buffer.alloc(14);
    to.mac.copy(eth, 0);
    from.mac.copy(eth, 6);
    eth.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
    from.seq = (from.seq + payload.length + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0;
    return Buffer.concat([eth, ip, tcp, payload]);
  }
}

export function buildPcap(input: PcapInput): Buffer {
  const testerIp = ipBytes(input.testerAddress ?? '127.0.0.1');
  const iutIp = ipBytes(input.iutAddress ?? '127.0.0.2');
  const packets: Buffer[] = [pcapHeader()];
  const flows = new Map<string, { flow: TcpFlow; testerIsClient: boolean; closed: boolean }>();
  let fallbackPort = 49152;
  let lastTime = 0;
  const emit = (t: number, frames: readonly Buffer[]): void => {
    // Packets are in time order even if a clock stepped back.
    lastTime = Math.max(lastTime, t);
    for (const f of frames) packets.push(...pcapRecord(input.origin + lastTime, f));
  };
  const open = (conn: string, t: number): { flow: TcpFlow; testerIsClient: boolean; closed: boolean } => {
    let f = flows.get(conn);
    if (f) return f;
    const ep = input.endpoints.get(conn);
    const testerPort = ep && ep.testerPort > 0 ? ep.testerPort : fallbackPort++;
    const iutPort = ep && ep.iutPort > 0 ? ep.iutPort : 5000;
    const n = flows.size;
    const tester: FlowEnd = { ip: testerIp, port: testerPort, isn: (0x10000000 + n * 0x01000000) >>> 0 };
    const iut: FlowEnd = { ip: iutIp, port: iutPort, isn: (0x80000000 + n * 0x01000000) >>> 0 };
    const testerIsClient = ep?.testerInitiated ?? true;
    f = { flow: testerIsClient ? new TcpFlow(tester, iut) : new TcpFlow(iut, tester), testerIsClient, closed: false };
    flows.set(conn, f);
    emit(t, f.flow.handshake());
    return f;
  };

  if (input.lifecycle) {
    // Opens first at equal times, closes after the bytes of the same moment.
    const events: Array<{ t: number; order: number; run: () => void }> = [];
    input.lifecycle.forEach((l, i) => {
      events.push({
        t: l.t,
        order: l.kind === 'open' ? i - 1e9 : i + 1e9,
        run: () => {
          if (l.kind === 'open') {
            open(l.conn, l.t);
            return;
          }
          const f = flows.get(l.conn);
          if (!f || f.closed) return;
          f.closed = true;
          const byClient = (l.by === 'tester') === f.testerIsClient;
          emit(l.t, l.how === 'reset' ? [f.flow.reset(byClient)] : f.flow.close(byClient));
        },
      });
    });
    input.chunks.forEach((c, i) => events.push({ t: c.t, order: i, run: () => sendChunk(c) }));
    events.sort((a, b) => a.t - b.t || a.order - b.order);
    for (const e of events) e.run();
  } else {
    const last = new Map<string, number>();
    input.chunks.forEach((c, i) => last.set(c.conn, i));
    input.chunks.forEach((c, i) => {
      const f = sendChunk(c);
      if (last.get(c.conn) === i) emit(c.t, f.flow.close(true));
    });
  }

  function sendChunk(c: PcapBytes): { flow: TcpFlow; testerIsClient: boolean; closed: boolean } {
    const f = open(c.conn, c.t);
    if (!f.closed) emit(c.t, f.flow.data((c.dir === 'out') === f.testerIsClient, c.bytes));
    return f;
  }

  return Buffer.concat(packets);
}

/** The libpcap file header: big-endian, microsecond timestamps, Ethernet. */
export function pcapHeader(): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32BE(0xa1b2c3d4, 0);
  h.writeUInt16BE(2, 4);
  h.writeUInt16BE(4, 6);
  h.writeInt32BE(0, 8);
  h.writeUInt32BE(0, 12);
  h.writeUInt32BE(SNAPLEN, 16);
  h.writeUInt32BE(LINKTYPE_ETHERNET, 20);
  return h;
}

/** One record: its 16-byte header (time rounded to the microsecond) and the frame. */
export function pcapRecord(epochMs: number, frame: Buffer): [Buffer, Buffer] {
  const micros = Math.round(epochMs * 1000);
  const h = Buffer.alloc(16);
  h.writeUInt32BE(Math.floor(micros / 1e6) >>> 0, 0);
  h.writeUInt32BE(micros % 1e6, 4);
  h.writeUInt32BE(frame.length, 8);
  h.writeUInt32BE(frame.length, 12);
  return [h, frame];
}

/** The Internet checksum (RFC 1071) over the concatenation of the parts. */
export function checksum(parts: readonly Buffer[]): number {
  let sum = 0;
  let odd: number | null = null;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      if (odd === null) odd = p[i]!;
      else {
        sum += (odd << 8) | p[i]!;
        odd = null;
      }
    }
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (odd !== null) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The 4 or 16 bytes of an IPv4 or IPv6 address. */
export function ipBytes(text: string): Buffer {
  const address = text.split('%')[0]!;
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) throw new Error(`not an IP address: ${address}`);
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const parse = (s: string | undefined): number[] => {
    if (!s) return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (isIPv4(g)) {
        const b = g.split('.').map(Number);
        out.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = parse(head);
  const t = parse(tail);
  const groups = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(g, i * 2));
  return b;
}
