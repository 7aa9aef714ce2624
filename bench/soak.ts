import { fork, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SType } from '../src/protocol/constants';
import { FrameDecoder } from '../src/protocol/frame-decoder';
import { encodeFrame } from '../src/protocol/header';
import { dataMessage, linktestReq, selectReq } from '../src/protocol/messages';
import { defaultResponder } from '../src/peer/default-responder';
import { HsmsEntity } from '../src/peer/entity';
import { DEFAULT_PARAMETERS } from '../src/peer/parameters';
import { forceGc, sleep } from './util';

/**
 * Soak: the peer-load test, longer. A passive reference peer (multiple connections) runs in a
 * child process; this process keeps N connections busy with back-to-back transactions
 * (Linktest and S1F1 W, one open per connection), closes and reopens 1 % of them every second,
 * and every 10 s opens slow-loris connections (a partial message, then silence) that the peer's
 * T8 must free. Every 10 s it prints connections, transactions/s, the peer's RSS and its
 * event-loop delay p50 / p99; at the end, whether the peer's RSS returned near its baseline.
 *
 *   npm run soak -- [--minutes N] [--connections N]
 *
 * 127.0.0.1 only. Exit code 0 when the peer's RSS came back and every slow-loris connection was freed.
 */

type ToChild = { readonly type: 'stats' } | { readonly type: 'gc-stats' } | { readonly type: 'stop' };
type FromChild =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'stats'; readonly connections: number; readonly rss: number; readonly heapUsed: number; readonly p50: number; readonly p99: number; readonly max: number };

const T8_SECONDS = 1;

// ---- the peer (child) -------------------------------------------------------------------------

async function child(): Promise<void> {
  const entity = new HsmsEntity(
    { ...DEFAULT_PARAMETERS, host: '127.0.0.1', port: 0, multipleConnections: true, timers: { t3: 45, t5: 10, t6: 5, t7: 30, t8: T8_SECONDS } },
    { responder: defaultResponder },
  );
  await entity.start();
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const send = (m: FromChild): void => {
    process.send?.(m);
  };
  const stats = (): FromChild => {
    const m = process.memoryUsage();
    const s: FromChild = {
      type: 'stats',
      connections: entity.connections.size,
      rss: m.rss,
      heapUsed: m.heapUsed,
      p50: eld.percentile(50) / 1e6,
      p99: eld.percentile(99) / 1e6,
      max: eld.max / 1e6,
    };
    eld.reset();
    return s;
  };
  process.on('message', (m: ToChild) => {
    if (m.type === 'stats') send(stats());
    else if (m.type === 'gc-stats') {
      forceGc();
      send(stats());
    } else {
      void entity.stop().then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: entity.port! });
}

// ---- the load (parent) ------------------------------------------------------------------------

interface Options {
  readonly minutes: number;
  readonly connections: number;
}

function parseArgs(argv: readonly string[]): Options {
  let minutes = 3;
  let connections = 1000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = Number(argv[++i]);
    if (a === '--minutes') minutes = v;
    else if (a === '--connections') connections = v;
    else throw new Error(`unknown option ${a} (use --minutes N, --connections N)`);
  }
  if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
  if (!Number.isInteger(connections) || connections < 1) throw new Error('--connections must be a positive integer');
  return { minutes, connections };
}

class PeerChild {
  private waiters: Array<(m: FromChild) => void> = [];
  private constructor(private readonly proc: ChildProcess) {
    proc.on('message', (m: FromChild) => {
      const w = this.waiters.shift();
      w?.(m);
    });
  }

  static start(): Promise<{ peer: PeerChild; port: number }> {
    const proc = fork(__filename, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const peer = new PeerChild(proc);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the peer did not start within 10 s')), 10_000);
      peer.waiters.push((m) => {
        clearTimeout(timer);
        if (m.type === 'ready') resolve({ peer, port: m.port });
        else reject(new Error('unexpected first message from the peer'));
      });
    });
  }

  /** Asks for the peer's figures; bounded to 5 s. */
  ask(type: 'stats' | 'gc-stats'): Promise<Extract<FromChild, { type: 'stats' }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the peer did not answer within 5 s')), 5000);
      this.waiters.push((m) => {
        clearTimeout(timer);
        if (m.type === 'stats') resolve(m);
        else reject(new Error('unexpected message from the peer'));
      });
      this.proc.send({ type } satisfies ToChild);
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        resolve();
        return;
      }
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      this.proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.proc.send({ type: 'stop' } satisfies ToChild);
    });
  }
}

/** One client connection: selects, then keeps one transaction open at a time, forever. */
class BusyClient {
  private readonly socket: net.Socket;
  private readonly decoder = new FrameDecoder({ maxLength: 1024 * 1024 });
  private sys = 1;
  closed = false;

  constructor(
    port: number,
    private readonly onTransaction: () => void,
  ) {
    this.socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    this.socket.on('connect', () => this.socket.write(encodeFrame(selectReq(0, this.sys++))));
    this.socket.on('data', (chunk: Buffer) => {
      for (const out of this.decoder.push(chunk)) {
        if (out.kind !== 'frame') {
          this.destroy();
          return;
        }
        const t = out.frame.header.sType;
        if (t !== SType.SelectRsp) this.onTransaction();
        this.next();
      }
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => (this.closed = true));
  }

  private next(): void {
    if (this.closed || !this.socket.writable) return;
    const sys = this.sys++;
    this.socket.write(encodeFrame(sys % 2 === 0 ? linktestReq(sys) : dataMessage({ sessionId: 0, stream: 1, function: 1, wBit: true, systemBytes: sys })));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A slow-loris connection: 7 bytes of a Linktest.req, then nothing. Resolves when the peer closes it. */
function loris(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, timeoutMs);
    s.on('connect', () => s.write(encodeFrame(linktestReq(1)).subarray(0, 7)));
    s.on('data', () => undefined);
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MB`;

async function parent(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const { peer, port } = await PeerChild.start();
  const base = await peer.ask('gc-stats');
  console.log(`soak: ${o.minutes} min, ${o.connections} busy connections, 1 %/s churn, 50 slow-loris connections every 10 s (peer T8 ${T8_SECONDS} s); peer on 127.0.0.1:${port}, baseline RSS ${mb(base.rss)}`);
  let transactions = 0;
  const onTx = (): void => {
    transactions++;
  };
  let clients: BusyClient[] = [];
  for (let i = 0; i < o.connections; i += 100) {
    for (let k = i; k < Math.min(o.connections, i + 100); k++) clients.push(new BusyClient(port, onTx));
    await sleep(20);
  }
  const started = performance.now();
  const end = started + o.minutes * 60_000;
  let lastReport = started;
  let lastTx = 0;
  let churned = 0;
  const lorisResults: Array<Promise<boolean>> = [];
  let peakRss = base.rss;
  let worstP99 = 0;
  let second = 0;
  while (performance.now() < end) {
    await sleep(1000);
    second++;
    // Churn: close 1 % and open as many; replace any that closed on their own.
    const churn = Math.max(1, Math.floor(o.connections / 100));
    for (let k = 0; k < churn; k++) clients[Math.floor(Math.random() * clients.length)]?.destroy();
    const before = clients.length;
    clients = clients.filter((c) => !c.closed);
    churned += before - clients.length;
    while (clients.length < o.connections) clients.push(new BusyClient(port, onTx));
    if (second % 10 === 5) for (let k = 0; k < 50; k++) lorisResults.push(loris(port, T8_SECONDS * 1000 + 5000));
    if (second % 10 === 0) {
      const s = await peer.ask('stats');
      const t = performance.now();
      const rate = (transactions - lastTx) / ((t - lastReport) / 1000);
      lastTx = transactions;
      lastReport = t;
      peakRss = Math.max(peakRss, s.rss);
      worstP99 = Math.max(worstP99, s.p99);
      console.log(
        `t=${String(Math.round((t - started) / 1000)).padStart(4)} s  connections ${String(s.connections).padStart(5)}  transactions/s ${rate.toFixed(0).padStart(7)}  peer RSS ${mb(s.rss).padStart(9)}  peer event-loop delay p50 ${s.p50.toFixed(1)} ms p99 ${s.p99.toFixed(1)} ms (max ${s.max.toFixed(1)} ms)  churned ${churned}`,
      );
    }
  }
  // Stop the load, let every connection go, then compare the peer's RSS with its baseline.
  for (const c of clients) c.destroy();
  const freed = await Promise.all(lorisResults);
  const lorisFreed = freed.filter(Boolean).length;
  let final = await peer.ask('gc-stats');
  for (let i = 0; i < 20 && final.connections > 0; i++) {
    await sleep(250);
    final = await peer.ask('gc-stats');
  }
  await sleep(1000);
  final = await peer.ask('gc-stats');
  await peer.stop();
  const limit = base.rss + Math.max(32 * 1048576, base.rss * 0.5);
  const rssBack = final.rss <= limit;
  // RSS after a GC often stays up (the allocator keeps freed pages); the JS heap is the leak signal.
  const heapBack = final.heapUsed <= base.heapUsed + 8 * 1048576;
  const back = rssBack || heapBack;
  const elapsed = (performance.now() - started) / 1000;
  console.log('');
  console.log(`total: ${transactions} transactions in ${elapsed.toFixed(0)} s (${(transactions / elapsed).toFixed(0)}/s), ${churned} connections churned, worst p99 event-loop delay ${worstP99.toFixed(1)} ms`);
  console.log(`slow-loris: ${lorisFreed} of ${lorisResults.length} freed by the peer's T8`);
  console.log(`peer heap used (after GC): baseline ${mb(base.heapUsed)}, after the load ${mb(final.heapUsed)} -> ${heapBack ? 'back at its baseline' : 'NOT back at its baseline (limit +8 MB)'}`);
  console.log(
    `peer RSS: baseline ${mb(base.rss)}, peak ${mb(peakRss)}, after the load ${mb(final.rss)} with ${final.connections} connections left -> ${rssBack ? 'returned near its baseline' : `did not return near its baseline (limit ${mb(limit)})${heapBack ? ', but the heap did: pages kept by the allocator, not a leak' : ''}`}`,
  );
  if (!back || lorisFreed !== lorisResults.length || final.connections !== 0) process.exitCode = 1;
}

if (process.argv.includes('--child')) {
  void child();
} else {
  parent().catch((err: unknown) => {
    console.error(`soak: ${(err as Error).message}`);
    process.exitCode = 2;
  });
}
