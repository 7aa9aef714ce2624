import { FrameDecoder } from '../src/protocol/frame-decoder';
import { encodeFrame } from '../src/protocol/header';
import * as msg from '../src/protocol/messages';
import { Secs4jsDecoder } from './secs4js';
import { fmtMBs, fmtRate, fmtRatio, median, seededRandom, type Row } from './util';

/**
 * Decoder throughput: the same byte stream, cut into the same chunks, fed to the reference
 * decoder (FrameDecoder), to secs4js's framing (Secs4jsDecoder) and to a plain Buffer.copy of
 * every chunk into one destination (the ceiling: no decoder can move the bytes faster); for the
 * large messages also to a copy into a fresh buffer per message (the floor of handing each
 * message out in memory of its own).
 */

export const CHUNK_SEED = 0x5eed;

export interface StreamCase {
  readonly name: string;
  readonly unit: 'frames' | 'bytes';
  readonly bytes: Buffer;
  readonly frames: number;
}

/** SECS-II text of exactly `length` bytes: one B item, or a list of B items above 16 MiB. */
function binaryText(length: number): Buffer {
  const out = Buffer.alloc(length, 0x5a);
  const maxItem = 0xffffff;
  if (length <= maxItem + 4) {
    const n = length - 4;
    out[0] = 0x23; // B, 3 length bytes
    out.writeUIntBE(n, 1, 3);
    return out;
  }
  // L[k] of B items: 2 bytes of list header, then items of at most 16 MiB each.
  let rest = length - 2;
  const sizes: number[] = [];
  while (rest > 0) {
    const item = Math.min(rest, maxItem + 4);
    sizes.push(item);
    rest -= item;
  }
  if (sizes[sizes.length - 1]! < 5) throw new Error('awkward text length');
  out[0] = 0x01;
  out[1] = sizes.length;
  let off = 2;
  for (const s of sizes) {
    out[off] = 0x23;
    out.writeUIntBE(s - 4, off + 1, 3);
    off += s;
  }
  return out;
}

function dataFrame(messageLength: number, sys: number): Buffer {
  const text = binaryText(messageLength - 10);
  return encodeFrame(msg.dataMessage({ sessionId: 0, stream: 6, function: 11, wBit: false, systemBytes: sys, text }));
}

export function buildStreams(): StreamCase[] {
  const control: Buffer[] = [];
  for (let i = 0; i < 100_000; i++) control.push(encodeFrame(msg.linktestReq(i + 1)));
  const small: Buffer[] = [];
  for (let i = 0; i < 50_000; i++) small.push(dataFrame(100, i + 1));
  const mib: Buffer[] = [];
  for (let i = 0; i < 16; i++) mib.push(dataFrame(1024 * 1024, i + 1));
  return [
    { name: 'control messages (Linktest.req, 14 B)', unit: 'frames', bytes: Buffer.concat(control), frames: control.length },
    { name: '100-byte data messages', unit: 'frames', bytes: Buffer.concat(small), frames: small.length },
    { name: '1 MiB data messages', unit: 'bytes', bytes: Buffer.concat(mib), frames: mib.length },
    { name: '64 MiB data message', unit: 'bytes', bytes: dataFrame(64 * 1024 * 1024, 1), frames: 1 },
  ];
}

export interface Chunking {
  readonly name: string;
  cut(bytes: Buffer): Buffer[];
}

export const CHUNKINGS: readonly Chunking[] = [
  {
    name: '64 KiB chunks',
    cut: (bytes) => {
      const out: Buffer[] = [];
      for (let off = 0; off < bytes.length; off += 65536) out.push(bytes.subarray(off, Math.min(bytes.length, off + 65536)));
      return out;
    },
  },
  {
    // Log-uniform sizes from 1 B to 64 KiB: many tiny chunks split length prefixes and headers.
    name: `random chunks (1 B-64 KiB log-uniform, seed ${CHUNK_SEED})`,
    cut: (bytes) => {
      const rnd = seededRandom(CHUNK_SEED);
      const out: Buffer[] = [];
      let off = 0;
      while (off < bytes.length) {
        const size = Math.max(1, Math.floor(Math.exp(rnd() * Math.log(65536))));
        out.push(bytes.subarray(off, Math.min(bytes.length, off + size)));
        off += size;
      }
      return out;
    },
  },
];

interface PassResult {
  readonly frames: number;
  readonly bytes: number;
  readonly complete: boolean;
}

type Pass = (chunks: readonly Buffer[], deadline: number) => PassResult;

function totalBytes(chunks: readonly Buffer[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

const refPass: Pass = (chunks) => {
  const d = new FrameDecoder({ maxLength: 0xffffffff });
  let frames = 0;
  let check = 0;
  for (const c of chunks) {
    const out = d.push(c);
    for (const o of out) {
      if (o.kind === 'frame') {
        frames++;
        check = (check + o.frame.header.systemBytes) >>> 0;
      }
    }
  }
  if (check === 0.5) throw new Error('unreachable');
  return { frames, bytes: totalBytes(chunks), complete: true };
};

const secs4jsPass: Pass = (chunks, deadline) => {
  const d = new Secs4jsDecoder();
  let bytes = 0;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i]!;
    d.push(c);
    bytes += c.length;
    // secs4js re-concatenates everything buffered on every chunk (quadratic in the message size):
    // a 64 MiB message can take minutes, so a pass stops at its deadline and reports what it did.
    if ((i & 15) === 15 && i < chunks.length - 1 && performance.now() > deadline) return { frames: d.frames, bytes, complete: false };
  }
  if (d.errors > 0) throw new Error(`secs4js reported ${d.errors} errors decoding the benchmark stream`);
  return { frames: d.frames, bytes, complete: true };
};

let copyTarget = Buffer.alloc(0);
const memcpyPass: Pass = (chunks) => {
  const total = totalBytes(chunks);
  if (copyTarget.length < total) copyTarget = Buffer.allocUnsafe(total);
  let off = 0;
  for (const c of chunks) off += c.copy(copyTarget, off);
  return { frames: 0, bytes: off, complete: true };
};

/**
 * The floor for a decoder that hands every message out in a buffer of its own (as any decoder
 * must when callers keep frames): a fresh buffer per message, the chunks copied into it. Unlike
 * `memcpy`, which reuses one destination, it pays for first touching new memory every pass.
 */
function freshCopyPass(messageLength: number): Pass {
  return (chunks) => {
    let target = Buffer.allocUnsafeSlow(messageLength);
    let fill = 0;
    let bytes = 0;
    for (const c of chunks) {
      let at = 0;
      while (at < c.length) {
        if (fill === messageLength) {
          target = Buffer.allocUnsafeSlow(messageLength);
          fill = 0;
        }
        const n = c.copy(target, fill, at, Math.min(c.length, at + messageLength - fill));
        fill += n;
        at += n;
        bytes += n;
      }
    }
    return { frames: 0, bytes, complete: true };
  };
}

export interface Measured {
  /** Seconds per full pass (median), or extrapolated from a partial pass. */
  readonly perSecond: number;
  readonly complete: boolean;
  readonly note: string;
}

/** Median of passes: at least 3, then more until ~budgetMs has been spent. */
function measure(pass: Pass, chunks: readonly Buffer[], unit: 'frames' | 'bytes', expectedFrames: number, budgetMs: number, name: string): Measured {
  const warm = pass(chunks, performance.now() + budgetMs);
  if (!warm.complete) {
    // Too slow for a full pass: time one bounded pass and report its rate (an upper bound, the work grows).
    const t0 = performance.now();
    const r = pass(chunks, t0 + budgetMs);
    const s = (performance.now() - t0) / 1000;
    const total = totalBytes(chunks);
    return {
      perSecond: unit === 'bytes' ? r.bytes / s : r.frames / s,
      complete: false,
      note: `${name} stopped after ${s.toFixed(1)} s with ${((100 * r.bytes) / total).toFixed(0)}% of the stream; rate is an upper bound`,
    };
  }
  if (unit === 'frames' && name !== 'memcpy' && warm.frames !== expectedFrames) throw new Error(`${name} decoded ${warm.frames} frames, expected ${expectedFrames}`);
  const times: number[] = [];
  const start = performance.now();
  let amount = 0;
  while (times.length < 3 || (performance.now() - start < budgetMs && times.length < 50)) {
    const t0 = performance.now();
    const r = pass(chunks, Infinity);
    times.push((performance.now() - t0) / 1000);
    amount = unit === 'bytes' ? r.bytes : name === 'memcpy' ? expectedFrames : r.frames;
  }
  return { perSecond: amount / median(times), complete: true, note: '' };
}

export interface DecoderFigures {
  readonly rows: Row[];
  readonly notes: string[];
  /** Control frames/s and 1 MiB MB/s of the reference decoder, worst chunking (for the targets). */
  readonly controlFps: number;
  readonly mibBps: number;
  readonly mibCeiling: number;
}

export function benchDecoder(budgetMs: number): DecoderFigures {
  const rows: Row[] = [];
  const notes: string[] = [];
  let controlFps = Infinity;
  let mibBps = Infinity;
  let mibCeiling = Infinity;
  for (const stream of buildStreams()) {
    for (const chunking of CHUNKINGS) {
      const chunks = chunking.cut(stream.bytes);
      const ref = measure(refPass, chunks, stream.unit, stream.frames, budgetMs, 'reference');
      const s4 = measure(secs4jsPass, chunks, stream.unit, stream.frames, Math.max(budgetMs, 2000), 'secs4js');
      const cp = measure(memcpyPass, chunks, stream.unit, stream.frames, budgetMs, 'memcpy');
      const fresh = stream.unit === 'bytes' ? measure(freshCopyPass(stream.bytes.length / stream.frames), chunks, stream.unit, stream.frames, budgetMs, 'fresh + copy') : null;
      if (!s4.complete) notes.push(`${stream.name}, ${chunking.name}: ${s4.note}`);
      const fmt = stream.unit === 'bytes' ? fmtMBs : fmtRate;
      const unitName = stream.unit === 'bytes' ? '' : ' frames';
      const section = 'decoder';
      const figure = `${stream.name}, ${chunking.name}`;
      let target = '';
      let status = '';
      if (stream.name.startsWith('control')) {
        controlFps = Math.min(controlFps, ref.perSecond);
        target = '>= 2 M frames/s';
        status = ref.perSecond >= 2e6 ? 'met' : 'missed';
      } else if (stream.name.startsWith('1 MiB')) {
        mibBps = Math.min(mibBps, ref.perSecond);
        mibCeiling = Math.min(mibCeiling, cp.perSecond);
        target = '>= 2 GB/s; >= 0.33x memcpy';
        status = `${ref.perSecond >= 2e9 ? 'met' : 'missed'}; ${ref.perSecond / cp.perSecond >= 0.33 ? 'met' : 'missed'}`;
      } else if (stream.name.startsWith('64 MiB')) {
        target = '>= 0.2x memcpy';
        status = ref.perSecond / cp.perSecond >= 0.2 ? 'met' : 'missed';
      }
      rows.push({
        section,
        figure,
        value: `${fmt(ref.perSecond)}${unitName}`,
        reference: `secs4js ${s4.complete ? '' : '<= '}${fmt(s4.perSecond)}; memcpy ${fmt(cp.perSecond)}${fresh ? `; fresh buffer per message + copy ${fmt(fresh.perSecond)}` : ''}`,
        ratio: `${fmtRatio(ref.perSecond / s4.perSecond)} secs4js${s4.complete ? '' : ' (at least)'}; ${fmtRatio(ref.perSecond / cp.perSecond)} of memcpy${fresh ? `; ${fmtRatio(ref.perSecond / fresh.perSecond)} of fresh + copy` : ''}`,
        target,
        status,
      });
    }
  }
  return { rows, notes, controlFps, mibBps, mibCeiling };
}
