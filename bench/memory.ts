import * as net from 'node:net';
import { FrameDecoder } from '../src/protocol/frame-decoder';
import { encodeFrame } from '../src/protocol/header';
import * as msg from '../src/protocol/messages';
import { DEFAULT_MAX_LENGTH } from '../src/peer/parameters';
import type { ChildRole } from './child';
import { Secs4jsDecoder } from './secs4js';
import { spawnChild } from './spawn';
import { fmtBytes, fmtRatio, forceGc, sleep, type Row } from './util';

/** Opens `count` sockets to 127.0.0.1:port, sends Select.req on each and waits for 14 bytes back when `expectAnswer`. */
async function openIdle(port: number, count: number, expectAnswer: boolean): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  const batch = 100;
  for (let i = 0; i < count; i += batch) {
    const opened = await Promise.all(
      Array.from(
        { length: Math.min(batch, count - i) },
        (_, k) =>
          new Promise<net.Socket>((resolve, reject) => {
            const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
            s.once('error', reject);
            s.once('connect', () => {
              s.write(encodeFrame(msg.selectReq(0, i + k + 1)));
              if (!expectAnswer) return resolve(s);
              let got = 0;
              const onData = (d: Buffer): void => {
                got += d.length;
                if (got >= 14) {
                  s.off('data', onData);
                  resolve(s);
                }
              };
              s.on('data', onData);
            });
          }),
      ),
    );
    sockets.push(...opened);
  }
  for (const s of sockets) s.on('error', () => undefined);
  return sockets;
}

async function idleRss(role: ChildRole, count: number): Promise<{ base: number; loaded: number }> {
  const child = await spawnChild(role);
  try {
    const base = await child.memory();
    const sockets = await openIdle(child.port, count, role === 'ref-idle');
    await sleep(300);
    const loaded = await child.memory();
    for (const s of sockets) s.destroy();
    return { base: base.rss, loaded: loaded.rss };
  } finally {
    await child.stop();
  }
}

/** arrayBuffers growth caused by pushing `bytes` into `push` (the input is allocated before measuring). */
function allocationOf(push: (b: Buffer) => void, bytes: Buffer): number {
  forceGc();
  const before = process.memoryUsage().arrayBuffers;
  push(bytes);
  const after = process.memoryUsage().arrayBuffers;
  return after - before;
}

export interface MemoryFigures {
  readonly rows: Row[];
}

export async function benchMemory(frames: number): Promise<MemoryFigures> {
  const rows: Row[] = [];

  // Heap growth over `frames` decoded control frames, through one long-lived decoder.
  const unit: Buffer[] = [];
  for (let i = 0; i < 100_000; i++) unit.push(encodeFrame(msg.linktestReq(i + 1)));
  const stream = Buffer.concat(unit);
  const chunks: Buffer[] = [];
  for (let off = 0; off < stream.length; off += 65536) chunks.push(stream.subarray(off, Math.min(stream.length, off + 65536)));
  const decoder = new FrameDecoder({ maxLength: DEFAULT_MAX_LENGTH });
  const s4 = new Secs4jsDecoder();
  const warm = (): void => {
    for (const c of chunks) decoder.push(c);
  };
  warm();
  forceGc();
  const before = process.memoryUsage();
  let decoded = 0;
  while (decoded < frames) {
    for (const c of chunks) decoded += decoder.push(c).length;
  }
  forceGc();
  const after = process.memoryUsage();
  // secs4js over the same number of frames, for the reference column.
  for (const c of chunks) s4.push(c);
  forceGc();
  const s4before = process.memoryUsage();
  let s4frames = 0;
  while (s4frames < frames) {
    const startFrames = s4.frames;
    for (const c of chunks) s4.push(c);
    s4frames += s4.frames - startFrames;
  }
  forceGc();
  const s4after = process.memoryUsage();
  const growth = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  const s4growth = s4after.heapUsed + s4after.arrayBuffers - (s4before.heapUsed + s4before.arrayBuffers);
  rows.push({
    section: 'memory',
    figure: `heap + arrayBuffers growth after ${(decoded / 1e6).toFixed(0)} M decoded control frames (after GC)`,
    value: growth <= 0 ? `none (${fmtBytes(growth)})` : fmtBytes(growth),
    reference: `secs4js framing ${s4growth <= 0 ? `none (${fmtBytes(s4growth)})` : fmtBytes(s4growth)}`,
    ratio: '',
    target: '',
    status: '',
  });

  // A frame announcing 0xFFFFFFFF bytes: what it makes the decoder allocate before any body byte arrives.
  const announce = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01]);
  const keep: Array<FrameDecoder | Secs4jsDecoder> = [];
  const dflt = new FrameDecoder({ maxLength: DEFAULT_MAX_LENGTH });
  const widest = new FrameDecoder({ maxLength: 0xffffffff });
  const s4d = new Secs4jsDecoder();
  keep.push(dflt, widest, s4d);
  const aDefault = allocationOf((b) => void dflt.push(b), announce);
  const aWidest = allocationOf((b) => void widest.push(b), announce);
  const aS4 = allocationOf((b) => s4d.push(b), announce);
  rows.push({
    section: 'memory',
    figure: `allocation for a frame announcing 0xFFFFFFFF bytes (decoder maxLength ${DEFAULT_MAX_LENGTH}, the peer's default)`,
    value: fmtBytes(Math.max(0, aDefault)),
    reference: `secs4js ${fmtBytes(Math.max(0, aS4))}`,
    ratio: '',
    target: '0 bytes',
    status: aDefault <= 0 ? 'met' : 'missed',
  });
  rows.push({
    section: 'memory',
    figure: 'allocation for a frame announcing 0xFFFFFFFF bytes (decoder maxLength 0xFFFFFFFF, the largest allowed)',
    value: fmtBytes(Math.max(0, aWidest)),
    reference: `secs4js ${fmtBytes(Math.max(0, aS4))}`,
    ratio: '',
    target: '0 bytes',
    status: aWidest <= 0 ? 'met' : 'missed',
  });
  keep.length = 0;

  // 1000 idle (selected) connections on a passive reference peer, against a bare net.Server.
  const count = 1000;
  const ref = await idleRss('ref-idle', count);
  const floor = await idleRss('net-idle', count);
  rows.push({
    section: 'memory',
    figure: `RSS, passive peer holding ${count} idle selected connections`,
    value: `${fmtBytes(ref.loaded)} (+${fmtBytes(Math.max(0, ref.loaded - ref.base) / count)}/conn over ${fmtBytes(ref.base)} at start)`,
    reference: `bare net.Server ${fmtBytes(floor.loaded)} (+${fmtBytes(Math.max(0, floor.loaded - floor.base) / count)}/conn over ${fmtBytes(floor.base)})`,
    ratio: `${fmtRatio(ref.loaded / floor.loaded)} net.Server`,
    target: '< 150 MB',
    status: ref.loaded < 150e6 ? 'met' : 'missed',
  });

  return { rows };
}
