import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { FrameDecoder } from '../src/protocol/frame-decoder';
import { encodeFrame } from '../src/protocol/header';
import { dataMessage, selectReq, selectRsp } from '../src/protocol/messages';
import { percentile, sleep, type Row } from './util';

/**
 * What `hsms-conformance monitor` adds to each message's trip: a sender writes HSMS data
 * messages at 10 000 per second to a receiver, once directly and once through the monitor (its
 * own process, relaying, judging and writing its pcap), and the receiver times each message from
 * its write to its arrival. Added latency is the difference of the same percentiles.
 */

const RATE = 10_000;
const SECONDS = 3;

interface Receiver {
  readonly port: number;
  readonly arrivals: Float64Array;
  close(): Promise<void>;
}

/** Accepts one connection, answers its Select.req, and records when each numbered message arrives. */
function receiver(count: number): Promise<Receiver> {
  const arrivals = new Float64Array(count).fill(NaN);
  return new Promise((resolve) => {
    const server = net.createServer({ noDelay: true }, (s) => {
      const d = new FrameDecoder({ maxLength: 1 << 20 });
      s.on('data', (chunk: Buffer) => {
        const at = performance.now();
        for (const out of d.push(chunk)) {
          if (out.kind !== 'frame') continue;
          const h = out.frame.header;
          if (h.sType === 1) s.write(encodeFrame(selectRsp(h, 0)));
          else if (h.sType === 0 && out.frame.text.length >= 4) arrivals[out.frame.text.readUInt32BE(0)] = at;
        }
      });
      s.on('error', () => undefined);
    });
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const a = server.address();
      resolve({ port: typeof a === 'object' && a ? a.port : 0, arrivals, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

/** Selects, then sends `count` S6F11 messages at RATE per second; returns each one's write time. */
async function send(port: number, count: number): Promise<Float64Array> {
  const sent = new Float64Array(count);
  const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((r, j) => s.once('connect', r).once('error', j));
  s.on('error', () => undefined);
  const d = new FrameDecoder({ maxLength: 1 << 20 });
  const selected = new Promise<void>((r) => s.on('data', (c: Buffer) => d.push(c).some((o) => o.kind === 'frame' && o.frame.header.sType === 2) && r()));
  s.write(encodeFrame(selectReq(0, 1)));
  await selected;
  const text = Buffer.alloc(100, 0x42);
  const started = performance.now();
  let next = 0;
  while (next < count) {
    const due = Math.min(count, Math.floor(((performance.now() - started) / 1000) * RATE) + 1);
    for (; next < due; next++) {
      text.writeUInt32BE(next, 0);
      sent[next] = performance.now();
      s.write(encodeFrame(dataMessage({ sessionId: 0, stream: 6, function: 11, wBit: false, systemBytes: next + 2, text })));
    }
    await new Promise((r) => setImmediate(r));
  }
  await sleep(300);
  s.destroy();
  return sent;
}

function latencies(sent: Float64Array, arrivals: Float64Array): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < sent.length; i++) if (!Number.isNaN(arrivals[i]!)) out.push(arrivals[i]! - sent[i]!);
  return Float64Array.from(out).sort();
}

export async function benchMonitor(): Promise<{ rows: Row[]; notes: string[] }> {
  const count = RATE * SECONDS;
  const direct = await receiver(count);
  const directSent = await send(direct.port, count);
  await direct.close();
  const d = latencies(directSent, direct.arrivals);

  const via = await receiver(count);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-monitor-'));
  const cli = path.join(__dirname, '..', '..', 'bin', 'hsms-conformance.js');
  const child = spawn(process.execPath, [cli, 'monitor', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${via.port}`, '--pcap', path.join(dir, 'm.pcap'), '--report-dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    let port = 0;
    for (let i = 0; i < 300 && port === 0; i++) {
      port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1] ?? 0);
      if (port === 0) await sleep(50);
    }
    if (port === 0) throw new Error(`the monitor did not start: ${out}`);
    const viaSent = await send(port, count);
    const m = latencies(viaSent, via.arrivals);
    child.kill('SIGINT');
    await exited;
    const ms = (x: number): string => `${x.toFixed(3)} ms`;
    const [d50, d99, m50, m99] = [percentile(d, 50), percentile(d, 99), percentile(m, 50), percentile(m, 99)];
    return {
      rows: [
        {
          section: 'monitor',
          figure: `monitor: one-way latency per message at ${RATE / 1000}k messages/s (${count} messages)`,
          value: `p50 ${ms(m50)}, p99 ${ms(m99)}`,
          reference: `direct p50 ${ms(d50)}, p99 ${ms(d99)}`,
          ratio: `+${ms(m50 - d50)} p50, +${ms(m99 - d99)} p99`,
          target: '',
          status: '',
        },
      ],
      notes: [`monitor bench: ${m.length} of ${count} messages timed through the monitor (relay, live analysis and pcap in one child process), ${d.length} directly`],
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await via.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
