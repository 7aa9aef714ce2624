import * as net from 'node:net';
import { ipBytes, TcpFlow } from '../report/pcap';

/**
 * A transparent TCP relay: each connection accepted on `listen` gets its own connection to
 * `upstream`, and every byte is forwarded unchanged the moment it arrives, in both directions;
 * a FIN is forwarded as a FIN (half-closes kept), a reset as a reset. Nothing is parsed here.
 *
 * Each relayed event is also described as the packets a capture between the two ends would show
 * (TcpFlow: the handshake when the connection opens, the data segments, FIN or RST), handed to
 * `onPacket` after the bytes were forwarded, so what watches the traffic never delays it. The
 * packets name the real ends: the connecting side's address and port, and the upstream address
 * and port.
 *
 * The relay binds only the address it is given.
 */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface RelayOptions {
  readonly listen: HostPort;
  readonly upstream: HostPort;
  /** One synthesized Ethernet frame of the relayed traffic, with its capture time (epoch ms). */
  readonly onPacket: (epochMs: number, frame: Buffer) => void;
  readonly onEvent?: (text: string) => void;
  /** How long to wait for the upstream connection before refusing the accepted one. */
  readonly connectTimeoutMs?: number;
}

/** Wall-clock milliseconds with sub-millisecond resolution. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

let isnCounter = 0x1000;

export class Relay {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  connections = 0;

  constructor(private readonly o: RelayOptions) {}

  /** Listens; resolves with the port bound (useful with port 0). */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (s) => this.accept(s));
      server.once('error', reject);
      server.listen({ host: this.o.listen.host, port: this.o.listen.port, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.o.onEvent?.(`listener: ${err.message}`));
        this.server = server;
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : this.o.listen.port);
      });
    });
  }

  /** Stops listening and closes every relayed connection. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private accept(down: net.Socket): void {
    this.connections++;
    this.sockets.add(down);
    down.setNoDelay(true);
    const acceptedAt = nowMs();
    const up = net.connect({ host: this.o.upstream.host, port: this.o.upstream.port, allowHalfOpen: true, noDelay: true });
    this.sockets.add(up);
    const timer = setTimeout(() => up.destroy(new Error(`no connection to ${this.o.upstream.host}:${this.o.upstream.port} within ${this.o.connectTimeoutMs ?? 10000} ms`)), this.o.connectTimeoutMs ?? 10000);
    let flow: TcpFlow | null = null;
    const client = { address: down.remoteAddress ?? '127.0.0.1', port: down.remotePort ?? 0 };
    const emit = (frames: readonly Buffer[], at = nowMs()): void => {
      for (const f of frames) this.o.onPacket(at, f);
    };
    const makeFlow = (serverAddress: string): TcpFlow => {
      const isn = (isnCounter = (isnCounter + 0x01000193) >>> 0);
      const family = (a: string): string => (net.isIPv4(a) ? a : a.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a);
      let c = family(client.address);
      let s = family(serverAddress);
      // Both ends in one family: with an IPv4 and an IPv6 end, the IPv4 one is written IPv4-mapped.
      if (net.isIPv4(c) !== net.isIPv4(s)) {
        if (net.isIPv4(c)) c = `::ffff:${c}`;
        else s = `::ffff:${s}`;
      }
      return new TcpFlow({ ip: ipBytes(c), port: client.port, isn }, { ip: ipBytes(s), port: this.o.upstream.port, isn: (isn ^ 0x5a5a5a5a) >>> 0 });
    };
    up.once('connect', () => {
      clearTimeout(timer);
      flow = makeFlow(up.remoteAddress ?? this.o.upstream.host);
      const [syn, synAck, ack] = flow.handshake();
      emit([syn!], acceptedAt);
      emit([synAck!, ack!]);
      this.o.onEvent?.(`connection ${client.address}:${client.port} relayed to ${this.o.upstream.host}:${this.o.upstream.port}`);
      pipe(down, up, true);
      pipe(up, down, false);
      down.resume();
    });
    up.once('error', (err) => {
      clearTimeout(timer);
      if (flow) return;
      // The upstream refused: the connecting side sees its attempt refused too.
      const f = makeFlow(this.o.upstream.host);
      const [syn] = f.handshake();
      emit([syn!], acceptedAt);
      emit([f.reset(false)]);
      this.o.onEvent?.(`connection ${client.address}:${client.port} refused: upstream ${err.message}`);
      down.resetAndDestroy();
    });
    const pipe = (from: net.Socket, to: net.Socket, fromClient: boolean): void => {
      let reset = false;
      from.on('data', (chunk: Buffer) => {
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
        if (flow) emit(flow.data(fromClient, chunk));
      });
      from.on('end', () => {
        to.end();
        if (flow) emit([flow.fin(fromClient)]);
      });
      from.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ECONNRESET') reset = true;
      });
      from.on('close', () => {
        this.sockets.delete(from);
        if (reset && !to.destroyed) {
          to.resetAndDestroy();
          if (flow) emit([flow.reset(fromClient)]);
        } else if (!to.destroyed && to.writableEnded === false) {
          to.end();
        }
      });
    };
    down.on('error', () => undefined);
    up.on('error', () => undefined);
  }
}
