/**
 * From a captured frame to its TCP segment: the link layers a capture of HSMS traffic carries
 * (Ethernet with or without 802.1Q / 802.1ad VLAN tags, Linux cooked SLL and SLL2, BSD
 * loopback/null, raw IP), IPv4 and IPv6 (extension headers skipped), then TCP. Pure.
 *
 * TCP checksums are not verified: captures taken on the sending host carry the checksums the
 * NIC fills in later (offload), so they are routinely wrong in the file.
 */

export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;
/** DLT_RAW as some BSDs number it in pcap files (pcap-linktype(7)). */
const LINKTYPE_RAW_ALIASES = new Set([12, 14]);

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

export interface TcpSegment {
  /** 4 bytes (IPv4) or 16 bytes (IPv6); a view into the frame. */
  readonly srcAddr: Buffer;
  readonly dstAddr: Buffer;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  /** Payload bytes present in the capture (a view into the frame). */
  readonly payload: Buffer;
  /** Payload length on the wire (from the IP length): more than payload.length when the snapshot cut the frame. */
  readonly payloadLength: number;
}

/** Why a frame yields no TCP segment, counted per reason in the analysis notes. */
export type SkipReason = 'link type not supported' | 'not IP' | 'not TCP' | 'IP fragment' | 'frame cut short before the TCP payload';

export type DecodedFrame = TcpSegment | SkipReason;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);
/** BSD address families for IPv6 differ between systems (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS). */
const AF_INET = 2;
const AF_INET6 = new Set([24, 28, 30, 10]);

export function decodeFrame(linkType: number, data: Buffer): DecodedFrame {
  let offset: number;
  let ethertype: number;
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      if (data.length < 14) return 'not IP';
      offset = 12;
      ethertype = data.readUInt16BE(offset);
      offset += 2;
      while (VLAN_TAGS.has(ethertype)) {
        if (data.length < offset + 4) return 'not IP';
        ethertype = data.readUInt16BE(offset + 2);
        offset += 4;
      }
      break;
    }
    case LINKTYPE.LINUX_SLL:
      if (data.length < 16) return 'not IP';
      ethertype = data.readUInt16BE(14);
      offset = 16;
      break;
    case LINKTYPE.LINUX_SLL2:
      if (data.length < 20) return 'not IP';
      ethertype = data.readUInt16BE(0);
      offset = 20;
      break;
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP: {
      if (data.length < 4) return 'not IP';
      // NULL carries the family in the capturing host's byte order; LOOP in network order.
      const be = data.readUInt32BE(0);
      const family = linkType === LINKTYPE.LOOP || be < 256 ? be : data.readUInt32LE(0);
      ethertype = family === AF_INET ? ETHERTYPE_IPV4 : AF_INET6.has(family) ? ETHERTYPE_IPV6 : 0;
      offset = 4;
      break;
    }
    case LINKTYPE.IPV4:
      ethertype = ETHERTYPE_IPV4;
      offset = 0;
      break;
    case LINKTYPE.IPV6:
      ethertype = ETHERTYPE_IPV6;
      offset = 0;
      break;
    default:
      if (linkType !== LINKTYPE.RAW && !LINKTYPE_RAW_ALIASES.has(linkType)) return 'link type not supported';
      if (data.length < 1) return 'not IP';
      ethertype = data[0]! >> 4 === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
      offset = 0;
  }
  if (ethertype === ETHERTYPE_IPV4) return ipv4(data, offset);
  if (ethertype === ETHERTYPE_IPV6) return ipv6(data, offset);
  return 'not IP';
}

function ipv4(d: Buffer, o: number): DecodedFrame {
  if (d.length < o + 20 || d[o]! >> 4 !== 4) return 'not IP';
  const ihl = (d[o]! & 0x0f) * 4;
  const total = d.readUInt16BE(o + 2);
  const fragment = d.readUInt16BE(o + 6);
  if ((fragment & 0x3fff) !== 0) return 'IP fragment';
  if (d[o + 9] !== 6) return 'not TCP';
  // A total length of 0 is what TCP segmentation offload leaves in captures: take the frame.
  const end = total === 0 ? d.length : o + total;
  return tcp(d, o + ihl, end, d.subarray(o + 12, o + 16), d.subarray(o + 16, o + 20));
}

const IPV6_EXTENSIONS = new Set([0, 43, 60]);
const IPV6_FRAGMENT = 44;
const IPV6_AH = 51;

function ipv6(d: Buffer, o: number): DecodedFrame {
  if (d.length < o + 40 || d[o]! >> 4 !== 6) return 'not IP';
  const payloadLength = d.readUInt16BE(o + 4);
  let next = d[o + 6]!;
  let at = o + 40;
  const end = payloadLength === 0 ? d.length : o + 40 + payloadLength;
  while (next !== 6) {
    if (d.length < at + 8) return 'frame cut short before the TCP payload';
    if (IPV6_EXTENSIONS.has(next)) {
      const len = (d[at + 1]! + 1) * 8;
      next = d[at]!;
      at += len;
    } else if (next === IPV6_AH) {
      const len = (d[at + 1]! + 2) * 4;
      next = d[at]!;
      at += len;
    } else if (next === IPV6_FRAGMENT) {
      // Only an atomic fragment (offset 0, no more fragments) holds a whole segment.
      if ((d.readUInt16BE(at + 2) & 0xfff9) !== 0) return 'IP fragment';
      next = d[at]!;
      at += 8;
    } else {
      return 'not TCP';
    }
  }
  return tcp(d, at, end, d.subarray(o + 8, o + 24), d.subarray(o + 24, o + 40));
}

function tcp(d: Buffer, o: number, ipEnd: number, srcAddr: Buffer, dstAddr: Buffer): DecodedFrame {
  if (d.length < o + 20) return 'frame cut short before the TCP payload';
  const headerLength = (d[o + 12]! >> 4) * 4;
  const start = o + headerLength;
  if (d.length < start || headerLength < 20) return 'frame cut short before the TCP payload';
  const payloadLength = Math.max(0, ipEnd - start);
  return {
    srcAddr,
    dstAddr,
    srcPort: d.readUInt16BE(o),
    dstPort: d.readUInt16BE(o + 2),
    seq: d.readUInt32BE(o + 4),
    ack: d.readUInt32BE(o + 8),
    flags: d[o + 13]!,
    payload: d.subarray(start, Math.min(d.length, start + payloadLength)),
    payloadLength,
  };
}

/** Dotted IPv4 or RFC 5952 IPv6 text of a 4- or 16-byte address. */
export function formatAddress(a: Buffer): string {
  if (a.length === 4) return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(a.readUInt16BE(i));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
  // The longest run of two or more zero groups is written "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** `a.b.c.d:port` or `[v6]:port`. */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
