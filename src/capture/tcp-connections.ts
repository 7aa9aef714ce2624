import { TcpStream, type StreamStats } from './tcp-stream';
import { formatAddress, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from './tcp-segment';

/**
 * Follows every TCP connection of a capture: who connected (the SYN) and who accepted, both
 * directions reassembled, FIN and RST per direction, and the connection's end. A SYN on a
 * 4-tuple whose connection is over starts a new connection; segments of a connection that has
 * ended are ignored. A connection first seen without its SYN is followed from the middle, its
 * roles guessed (the `--port` side, else a side already seen accepting, else the lower port).
 *
 * Memory per live connection is bounded (two TcpStreams); ended connections leave a small
 * tombstone, and the number of tombstones is bounded too.
 */

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export type Direction = 'c2s' | 's2c';

export interface ConnectionInfo {
  readonly id: number;
  /** The side that connected (sent the SYN). */
  readonly client: Endpoint;
  /** The side that accepted. */
  readonly server: Endpoint;
  /** False when the capture holds no SYN: the roles are a guess and the stream starts mid-way. */
  readonly rolesFromSyn: boolean;
  readonly firstFrame: number;
  readonly firstTimeMs: number;
}

/** What the analysis does with one connection's events. */
export interface ConnectionHandler {
  /** In-order bytes of one direction. Returning false stops following the connection (not HSMS). */
  data(dir: Direction, bytes: Buffer, offset: number, frame: number, timeMs: number): boolean;
  hole(dir: Direction, offset: number, missing: number, frame: number, timeMs: number): void;
  /** The SYN-ACK: the server accepted. */
  accepted(frame: number, timeMs: number): void;
  /** A FIN or RST sent in direction `dir` (by the client for c2s). */
  closed(dir: Direction, how: 'fin' | 'rst', frame: number, timeMs: number): void;
  /** The connection is over (both FINs delivered, a RST, a new SYN on its 4-tuple, or the end of the capture). */
  end(frame: number, timeMs: number, stats: { readonly c2s: StreamStats; readonly s2c: StreamStats }): void;
}

export interface TrackerOptions {
  /** Only segments to or from these ports are followed; null follows every connection. */
  readonly ports: ReadonlySet<number> | null;
  /** Creates the handler of a new connection, or null to ignore it. */
  readonly open: (info: ConnectionInfo) => ConnectionHandler | null;
}

export interface TrackerStats {
  segments: number;
  connections: number;
  ignoredConnections: number;
}

const MAX_TOMBSTONES = 65536;

interface Live {
  readonly info: ConnectionInfo;
  readonly handler: ConnectionHandler;
  /** Key half of the client: decides a segment's direction. */
  readonly clientKey: string;
  readonly c2s: TcpStream;
  readonly s2c: TcpStream;
  clientIsn: number | null;
  finC2s: boolean;
  finS2c: boolean;
  /** FIN or RST already reported per direction. */
  closedC2s: boolean;
  closedS2c: boolean;
  following: boolean;
  lastFrame: number;
  lastTimeMs: number;
}

export class ConnectionTracker {
  readonly stats: TrackerStats = { segments: 0, connections: 0, ignoredConnections: 0 };
  private readonly live = new Map<string, Live>();
  /** 4-tuples whose connection ended, mapped to the client's ISN (a repeated SYN is not a new connection). */
  private readonly ended = new Map<string, number | null>();
  /** Endpoints seen accepting a connection: the server side of a connection seen mid-way. */
  private readonly servers = new Set<string>();
  private nextId = 1;

  constructor(private readonly options: TrackerOptions) {}

  segment(s: TcpSegment, frame: number, timeMs: number): void {
    const ports = this.options.ports;
    if (ports && !ports.has(s.srcPort) && !ports.has(s.dstPort)) return;
    this.stats.segments++;
    const src = endpointKey(s.srcAddr, s.srcPort);
    const dst = endpointKey(s.dstAddr, s.dstPort);
    const key = src < dst ? `${src}|${dst}` : `${dst}|${src}`;
    const syn = (s.flags & TCP_SYN) !== 0;
    const synOnly = syn && (s.flags & TCP_ACK) === 0;
    let c = this.live.get(key);
    if (c && synOnly && c.clientIsn !== s.seq) {
      this.finish(key, c, frame, timeMs);
      c = undefined;
    }
    if (!c) {
      if (this.ended.has(key)) {
        if (!synOnly || this.ended.get(key) === s.seq) return;
        this.ended.delete(key);
      }
      c = this.create(key, s, src, dst, synOnly, frame, timeMs);
      if (!c) return;
    }
    c.lastFrame = frame;
    c.lastTimeMs = timeMs;
    const dir: Direction = src === c.clientKey ? 'c2s' : 's2c';
    const stream = dir === 'c2s' ? c.c2s : c.s2c;
    if (syn) {
      stream.syn(s.seq);
      if (dir === 's2c') {
        this.servers.add(src);
        c.handler.accepted(frame, timeMs);
      }
    }
    const fin = (s.flags & TCP_FIN) !== 0;
    const seq = syn ? (s.seq + 1) >>> 0 : s.seq;
    if (c.following && (s.payloadLength > 0 || fin)) stream.segment(seq, s.payload, s.payloadLength, fin, frame, timeMs);
    if (c.following && s.flags & TCP_ACK) (dir === 'c2s' ? c.s2c : c.c2s).acknowledged(s.ack, frame, timeMs);
    if (!this.live.has(key)) return; // the handler stopped following and the connection was dropped
    if (s.flags & TCP_RST) {
      this.report(c, dir, 'rst', frame, timeMs);
      this.finish(key, c, frame, timeMs);
      return;
    }
    if (fin) {
      if (dir === 'c2s') c.finC2s = true;
      else c.finS2c = true;
    }
    this.reportFins(c, frame, timeMs);
    if (c.finC2s && c.finS2c && c.closedC2s && c.closedS2c) this.finish(key, c, frame, timeMs);
  }

  /** The end of the capture: every connection still open ends here. */
  end(frame: number, timeMs: number): void {
    for (const [key, c] of [...this.live]) this.finish(key, c, frame, timeMs);
  }

  private create(key: string, s: TcpSegment, src: string, dst: string, synOnly: boolean, frame: number, timeMs: number): Live | undefined {
    let clientIsSrc: boolean;
    if (s.flags & TCP_SYN) clientIsSrc = synOnly;
    else if (this.options.ports?.has(s.dstPort) && !this.options.ports.has(s.srcPort)) clientIsSrc = true;
    else if (this.options.ports?.has(s.srcPort) && !this.options.ports.has(s.dstPort)) clientIsSrc = false;
    else if (this.servers.has(dst) !== this.servers.has(src)) clientIsSrc = this.servers.has(dst);
    else clientIsSrc = s.dstPort < s.srcPort;
    const [ca, cp, sa, sp] = clientIsSrc ? [s.srcAddr, s.srcPort, s.dstAddr, s.dstPort] : [s.dstAddr, s.dstPort, s.srcAddr, s.srcPort];
    const info: ConnectionInfo = {
      id: this.nextId++,
      client: { address: formatAddress(ca), port: cp },
      server: { address: formatAddress(sa), port: sp },
      rolesFromSyn: (s.flags & TCP_SYN) !== 0,
      firstFrame: frame,
      firstTimeMs: timeMs,
    };
    const handler = this.options.open(info);
    this.stats.connections++;
    if (!handler) {
      this.stats.ignoredConnections++;
      this.tombstone(key, synOnly ? s.seq : null);
      return undefined;
    }
    const live: Live = {
      info,
      handler,
      clientKey: clientIsSrc ? src : dst,
      c2s: new TcpStream({ data: (b, o, f, t) => this.onData(key, live, 'c2s', b, o, f, t), hole: (o, m, f, t) => handler.hole('c2s', o, m, f, t) }),
      s2c: new TcpStream({ data: (b, o, f, t) => this.onData(key, live, 's2c', b, o, f, t), hole: (o, m, f, t) => handler.hole('s2c', o, m, f, t) }),
      clientIsn: synOnly ? s.seq : null,
      finC2s: false,
      finS2c: false,
      closedC2s: false,
      closedS2c: false,
      following: true,
      lastFrame: frame,
      lastTimeMs: timeMs,
    };
    this.live.set(key, live);
    return live;
  }

  private onData(key: string, c: Live, dir: Direction, bytes: Buffer, offset: number, frame: number, timeMs: number): void {
    if (!c.following) return;
    if (!c.handler.data(dir, bytes, offset, frame, timeMs)) {
      c.following = false;
      this.stats.ignoredConnections++;
      this.live.delete(key);
      this.tombstone(key, c.clientIsn);
    }
  }

  /** A FIN is reported once the bytes before it have been delivered (it follows them on the wire). */
  private reportFins(c: Live, frame: number, timeMs: number): void {
    if (c.finC2s && !c.closedC2s && c.c2s.finOffset !== null && c.c2s.expectedOffset >= c.c2s.finOffset) this.report(c, 'c2s', 'fin', frame, timeMs);
    if (c.finS2c && !c.closedS2c && c.s2c.finOffset !== null && c.s2c.expectedOffset >= c.s2c.finOffset) this.report(c, 's2c', 'fin', frame, timeMs);
  }

  private report(c: Live, dir: Direction, how: 'fin' | 'rst', frame: number, timeMs: number): void {
    if (dir === 'c2s') {
      if (c.closedC2s && how === 'fin') return;
      c.closedC2s = true;
    } else {
      if (c.closedS2c && how === 'fin') return;
      c.closedS2c = true;
    }
    c.handler.closed(dir, how, frame, timeMs);
  }

  private finish(key: string, c: Live, frame: number, timeMs: number): void {
    this.live.delete(key);
    c.c2s.flush(frame, timeMs);
    c.s2c.flush(frame, timeMs);
    this.reportFins(c, frame, timeMs);
    c.handler.end(frame, timeMs, { c2s: c.c2s.stats, s2c: c.s2c.stats });
    this.tombstone(key, c.clientIsn);
  }

  private tombstone(key: string, isn: number | null): void {
    this.ended.set(key, isn);
    if (this.ended.size > MAX_TOMBSTONES) {
      const oldest = this.ended.keys().next().value;
      if (oldest !== undefined) this.ended.delete(oldest);
    }
  }
}

function endpointKey(addr: Buffer, port: number): string {
  return addr.length === 4 ? `${addr.readUInt32BE(0)}:${port}` : `${addr.toString('hex')}:${port}`;
}
