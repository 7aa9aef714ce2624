import * as net from 'node:net';
import { SType } from '../src/protocol/constants';
import { encodeFrame } from '../src/protocol/header';
import * as msg from '../src/protocol/messages';
import type { ChildRole } from './child';
import { spawnChild } from './spawn';
import { fmtRate, fmtRatio, percentile, sleep, type Row } from './util';

/**
 * S1F1 W / S1F2 transactions per second over 127.0.0.1. The responder runs in a child process:
 * the reference peer (passive, HSMS-SS, default responder) or secs4js (HsmsPassiveCommunicator
 * answering S1F1 with S1F2 <L[0]>). The initiator, in this process, must not be what limits the
 * rate: it is a raw pipelined client, not an HSMS entity. It selects, then writes pre-encoded
 * S1F1 W frames (only the system bytes change) so that `inFlight` are always outstanding, reads
 * nothing of the replies but their length prefix and system bytes, and sends one request per
 * reply received: pipelined, the refill for all replies of one read in one write (what a
 * pipelining client does); or one write per request (as independent requesters would), which
 * also measures the cost of a segment per message on both sides. Its own CPU time is measured and printed: well below one core means the responder
 * (and the kernel's loopback) set the rate, so the ratio compares the responders.
 */

export interface LoadResult {
  readonly tps: number;
  readonly p50: number;
  readonly p99: number;
  readonly failures: number;
  /** CPU the initiator used, as a share of one core over the measured period. */
  readonly initiatorCpu: number;
}

/** Session id of the responders' data messages (both use the default device id 0). */
const DEVICE_ID = 0;

/**
 * A raw TCP connection to `port`, selected. secs4js listens again only some time after a selected
 * connection ends (HsmsPassiveCommunicator.runServerLoop): a refused or reset connect is retried for 5 s.
 */
async function connectSelected(port: number): Promise<net.Socket> {
  const deadline = performance.now() + 5000;
  for (;;) {
    try {
      return await connectSelectedOnce(port);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ECONNREFUSED' && code !== 'ECONNRESET') || performance.now() > deadline) throw err;
      await sleep(20);
    }
  }
}

/** One attempt: connect and send an HSMS-SS Select.req (session id 0xFFFF). */
function connectSelectedOnce(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    const timer = setTimeout(() => socket.destroy(new Error(`no Select.rsp from 127.0.0.1:${port} within 10 s`)), 10000);
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 14) return;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      if (got[9] !== SType.SelectRsp || got[7] !== 0) reject(new Error(`Select refused: ${got.subarray(0, 14).toString('hex')}`));
      else resolve(socket);
    };
    socket.on('data', onData);
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
    socket.once('connect', () => socket.write(encodeFrame(msg.selectReq(0xffff, 1))));
  });
}

export interface Load {
  readonly inFlight: number;
  /** Refill in one write per read (true) or one write per request. */
  readonly pipelined: boolean;
}

export async function runLoad(port: number, { inFlight, pipelined }: Load, warmupMs: number, durationMs: number): Promise<LoadResult> {
  const socket = await connectSelected(port);
  const template = encodeFrame(msg.dataMessage({ sessionId: DEVICE_ID, stream: 1, function: 1, wBit: true, systemBytes: 0 }));
  const sentAt = new Float64Array(65536);
  let nextSys = 0x10000;
  let measuring = false;
  let stopping = false;
  let outstanding = 0;
  let failures = 0;
  const latencies: number[] = [];
  const requests = (n: number): Buffer => {
    const size = template.length;
    const out = Buffer.allocUnsafe(size * n);
    const now = performance.now();
    for (let i = 0; i < n; i++) {
      template.copy(out, size * i);
      out.writeUInt32BE(nextSys, size * i + 10); // the system bytes: header bytes 6-9 after the length
      sentAt[nextSys & 0xffff] = now;
      nextSys = (nextSys + 1) >>> 0;
    }
    outstanding += n;
    return out;
  };
  // Frames arrive in any chunking: keep the bytes of a partial frame for the next chunk.
  let rest: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    const now = performance.now();
    let at = 0;
    let replies = 0;
    while (buf.length - at >= 4) {
      const end = at + 4 + buf.readUInt32BE(at);
      if (end > buf.length) break;
      if (buf[at + 9] === SType.Data && buf[at + 7] === 2) {
        replies++;
        if (measuring) latencies.push(now - sentAt[buf.readUInt32BE(at + 10) & 0xffff]!);
      } else if (buf[at + 9] === SType.RejectReq) {
        failures++;
        replies++;
      }
      at = end;
    }
    rest = at < buf.length ? Buffer.from(buf.subarray(at)) : Buffer.alloc(0);
    outstanding -= replies;
    if (stopping) return;
    if (pipelined) socket.write(requests(replies));
    else for (let i = 0; i < replies; i++) socket.write(requests(1));
  });
  socket.on('error', () => undefined);
  for (let i = 0; i < inFlight; i++) socket.write(requests(1));
  await sleep(warmupMs);
  measuring = true;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await sleep(durationMs);
  measuring = false;
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  stopping = true;
  const drained = performance.now() + 2000;
  while (outstanding > 0 && performance.now() < drained) await sleep(10);
  socket.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return { tps: latencies.length / (elapsedMs / 1000), p50: percentile(sorted, 50), p99: percentile(sorted, 99), failures, initiatorCpu: (cpu.user + cpu.system) / 1000 / elapsedMs };
}

async function against(role: ChildRole, loads: readonly Load[], warmupMs: number, durationMs: number): Promise<LoadResult[]> {
  const child = await spawnChild(role);
  const out: LoadResult[] = [];
  try {
    for (const load of loads) out.push(await runLoad(child.port, load, warmupMs, durationMs));
  } finally {
    await child.stop();
  }
  return out;
}

export interface LoopbackFigures {
  readonly rows: Row[];
  readonly tps64: number;
  readonly secs4js64: number;
}

const LOADS: readonly Load[] = [
  { inFlight: 1, pipelined: true },
  { inFlight: 64, pipelined: true },
  { inFlight: 64, pipelined: false },
];

export async function benchLoopback(durationMs: number): Promise<LoopbackFigures> {
  const ref = await against('ref-responder', LOADS, 300, durationMs);
  const s4 = await against('secs4js-responder', LOADS, 300, durationMs);
  const rows: Row[] = [];
  LOADS.forEach((load, i) => {
    const r = ref[i]!;
    const s = s4[i]!;
    const ratio = r.tps / s.tps;
    const targeted = load.inFlight === 64 && load.pipelined;
    const fail = r.failures + s.failures > 0 ? ` (failures: ref ${r.failures}, secs4js ${s.failures})` : '';
    const how = load.inFlight === 1 ? '' : load.pipelined ? ', pipelined (one write per read)' : ', one write per request';
    rows.push({
      section: 'loopback',
      figure: `S1F1/S1F2, ${load.inFlight} in flight${how}; raw initiator CPU ${(100 * r.initiatorCpu).toFixed(0)}% / ${(100 * s.initiatorCpu).toFixed(0)}% of a core${fail}`,
      value: `${fmtRate(r.tps)} p50 ${r.p50.toFixed(3)} ms p99 ${r.p99.toFixed(3)} ms`,
      reference: `secs4js responder ${fmtRate(s.tps)} p50 ${s.p50.toFixed(3)} ms p99 ${s.p99.toFixed(3)} ms`,
      ratio: `${fmtRatio(ratio)} secs4js`,
      target: targeted ? '>= 100 k/s; >= 5x secs4js' : '',
      status: targeted ? `${r.tps >= 100_000 ? 'met' : 'missed'}; ${ratio >= 5 ? 'met' : 'missed'}` : '',
    });
  });
  return { rows, tps64: ref[1]!.tps, secs4js64: s4[1]!.tps };
}
