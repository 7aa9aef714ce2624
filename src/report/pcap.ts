/**
 * A scenario's traffic as a libpcap file (magic a1b2c3d4, big-endian, linktype 1 Ethernet) that
 * Wireshark's HSMS dissector decodes: `tshark -r FILE -d tcp.port==PORT,hsms`.
 *
 * The harness sees byte streams, not packets, so the framing is synthesized: Ethernet, IPv4
 * (correct header checksum) and TCP (correct checksum, sequence and acknowledgement numbers
 * consistent per direction), a SYN / SYN-ACK / ACK handshake where a connection first appears,
 * and FIN / FIN-ACK / ACK after its last bytes. A chunk longer than one IPv4 datagram can carry
 * is split into segments of at most 65495 bytes. Pure: entries in, Buffer out.
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

export interface PcapInput {
  readonly chunks: readonly PcapBytes[];
  readonly endpoints: ReadonlyMap<string, PcapEndpoints>;
  /** Wall-clock milliseconds since the epoch at t = 0. */
  readonly origin: number;
  readonly testerAddress?: string;
  readonly iutAddress?: string;
}

/** Largest TCP payload in one IPv4 datagram without options: 65535 - 20 - 20. */
export const MAX_SEGMENT = 65495;
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 262144;
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;
const TESTER_MAC = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
const IUT_MAC = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]);

interface Side {
  readonly ip: Buffer;
  readonly mac: Buffer;
  readonly port: number;
  /** Next sequence number this side sends. */
  seq: number;
}

interface Flow {
  readonly tester: Side;
  readonly iut: Side;
  readonly testerInitiated: boolean;
}

export function buildPcap(input: PcapInput): Buffer {
  const testerIp = ipv4(input.testerAddress ?? '127.0.0.1');
  const iutIp = ipv4(input.iutAddress ?? '127.0.0.2');
  const packets: Buffer[] = [globalHeader()];
  const flows = new Map<string, Flow>();
  const last = new Map<string, number>();
  input.chunks.forEach((c, i) => last.set(c.conn, i));
  let ipId = 1;
  let fallbackPort = 49152;
  let lastTime = 0;

  const emit = (t: number, from: Side, to: Side, flags: number, payload: Buffer): void => {
    // Packets are in time order even if a clock stepped back.
    lastTime = Math.max(lastTime, t);
    const frame = ethernet(from, to, ipId++ & 0xffff, flags, payload);
    packets.push(recordHeader(input.origin + lastTime, frame.length), frame);
    from.seq = (from.seq + payload.length + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0;
  };

  input.chunks.forEach((chunk, index) => {
    let flow = flows.get(chunk.conn);
    if (!flow) {
      const ep = input.endpoints.get(chunk.conn);
      const testerPort = ep && ep.testerPort > 0 ? ep.testerPort : fallbackPort++;
      const iutPort = ep && ep.iutPort > 0 ? ep.iutPort : 5000;
      const n = flows.size;
      flow = {
        tester: { ip: testerIp, mac: TESTER_MAC, port: testerPort, seq: (0x10000000 + n * 0x01000000) >>> 0 },
        iut: { ip: iutIp, mac: IUT_MAC, port: iutPort, seq: (0x80000000 + n * 0x01000000) >>> 0 },
        testerInitiated: ep?.testerInitiated ?? true,
      };
      flows.set(chunk.conn, flow);
      const [client, server] = flow.testerInitiated ? [flow.tester, flow.iut] : [flow.iut, flow.tester];
      emit(chunk.t, client, server, TCP_SYN, Buffer.alloc(0));
      emit(chunk.t, server, client, TCP_SYN | TCP_ACK, Buffer.alloc(0));
      emit(chunk.t, client, server, TCP_ACK, Buffer.alloc(0));
    }
    const [from, to] = chunk.dir === 'out' ? [flow.tester, flow.iut] : [flow.iut, flow.tester];
    for (let off = 0; off < chunk.bytes.length; off += MAX_SEGMENT) {
      emit(chunk.t, from, to, TCP_ACK | TCP_PSH, chunk.bytes.subarray(off, off + MAX_SEGMENT));
    }
    if (last.get(chunk.conn) === index) {
      const [a, b] = flow.testerInitiated ? [flow.tester, flow.iut] : [flow.iut, flow.tester];
      emit(chunk.t, a, b, TCP_FIN | TCP_ACK, Buffer.alloc(0));
      emit(chunk.t, b, a, TCP_FIN | TCP_ACK, Buffer.alloc(0));
      emit(chunk.t, a, b, TCP_ACK, Buffer.alloc(0));
    }
  });

  // `to.seq` is what `from` acknowledges; it is read inside ethernet() before emit advances from.seq.
  function ethernet(from: Side, to: Side, id: number, flags: number, payload: Buffer): Buffer {
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(from.port, 0);
    tcp.writeUInt16BE(to.port, 2);
    tcp.writeUInt32BE(from.seq, 4);
    tcp.writeUInt32BE(flags & TCP_ACK ? to.seq : 0, 8);
    tcp.writeUInt8(5 << 4, 12);
    tcp.writeUInt8(flags, 13);
    tcp.writeUInt16BE(0xffff, 14);
    const pseudo = Buffer.alloc(12);
    from.ip.copy(pseudo, 0);
    to.ip.copy(pseudo, 4);
    pseudo.writeUInt8(6, 9);
    pseudo.writeUInt16BE(20 + payload.length, 10);
    tcp.writeUInt16BE(checksum([pseudo, tcp, payload]), 16);

    const ip = Buffer.alloc(20);
    ip.writeUInt8(0x45, 0);
    ip.writeUInt16BE(20 + 20 + payload.length, 2);
    ip.writeUInt16BE(id, 4);
    ip.writeUInt16BE(0x4000, 6); // don't fragment
    ip.writeUInt8(64, 8);
    ip.writeUInt8(6, 9);
    from.ip.copy(ip, 12);
    to.ip.copy(ip, 16);
    ip.writeUInt16BE(checksum([ip]), 10);

    const eth = Buffer.alloc(14);
    to.mac.copy(eth, 0);
    from.mac.copy(eth, 6);
    eth.writeUInt16BE(0x0800, 12);
    return Buffer.concat([eth, ip, tcp, payload]);
  }

  return Buffer.concat(packets);
}

function globalHeader(): Buffer {
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

function recordHeader(epochMs: number, length: number): Buffer {
  const micros = Math.round(epochMs * 1000);
  const h = Buffer.alloc(16);
  h.writeUInt32BE(Math.floor(micros / 1e6) >>> 0, 0);
  h.writeUInt32BE(micros % 1e6, 4);
  h.writeUInt32BE(length, 8);
  h.writeUInt32BE(length, 12);
  return h;
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

function ipv4(address: string): Buffer {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return Buffer.from(parts);
}
