import { FrameDecoder } from '../src/protocol/frame-decoder';
import { encodeFrame } from '../src/protocol/header';
import * as msg from '../src/protocol/messages';
import { Secs4jsDecoder } from './secs4js';
import { fmtMBs, fmtRate, fmtRatio, forceGc, median, seededRandom, type Row } from './util';

/**
 * Decoder throughput: the same byte stream, cut into the same chunks, fed to the reference
 * decoder (FrameDecoder), to secs4js's framing (Secs4jsDecoder) and to two plain copies of the
 * chunks. `memcpy` copies them into one destination reused every pass: no decoder can move the
 * bytes faster. For the large messages, `owned` copies them into a new buffer per message, of
 * the message's length: the least a decoder whose frames own their bytes has to do (the
 * decoder's callers keep frames, so it cannot reuse a destination). Contenders run in turns and
 * the minor page faults of each are counted, which is where the two ceilings part.
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
/** The bare copy ceiling: every chunk copied into one destination, allocated once and reused every pass. */
const memcpyPass: Pass = (chunks) => {
  const total = totalBytes(chunks);
  if (copyTarget.length < total) copyTarget = Buffer.allocUnsafe(total);
  let off = 0;
  for (const c of chunks) off += c.copy(copyTarget, off);
  return { frames: 0, bytes: off, complete: true };
};

/**
 * The ceiling for a receiver whose messages own their bytes (the decoder's callers keep frames):
 * per message a buffer of its own, allocated as Buffer.concat allocates it (Buffer.allocUnsafe,
 * of exactly the message's length), and the chunks copied into it. No decoding, no framing: the
 * message boundaries are known in advance. Unlike `memcpy`, it pays for the allocator handing
 * out memory that may have to be faulted in again.
 */
function ownedCopyPass(messageLength: number): Pass {
  return (chunks) => {
    let target = Buffer.allocUnsafe(messageLength);
    let fill = 0;
    let bytes = 0;
    for (const c of chunks) {
      let at = 0;
      while (at < c.length) {
        if (fill === messageLength) {
          target = Buffer.allocUnsafe(messageLength);
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
  /** Frames or bytes per second: the median pass, or extrapolated from a partial pass. */
  readonly perSecond: number;
  readonly complete: boolean;
  readonly note: string;
  /** Minor page faults per MiB moved (256 = every 4 KiB page of the output touched for the first time). */
  readonly faultsPerMiB: number;
}

function minorFaults(): number {
  return process.resourceUsage().minorPageFault;
}

/** One bounded pass of a contender too slow for full passes (secs4js on large messages). */
function measureBounded(pass: Pass, chunks: readonly Buffer[], unit: 'frames' | 'bytes', expectedFrames: number, budgetMs: number, name: string): Measured {
  const warm = pass(chunks, performance.now() + budgetMs);
  if (warm.complete) return measureTogether([{ name, pass }], chunks, unit, expectedFrames, budgetMs).get(name)!;
  const t0 = performance.now();
  const r = pass(chunks, t0 + budgetMs);
  const s = (performance.now() - t0) / 1000;
  return {
    perSecond: unit === 'bytes' ? r.bytes / s : r.frames / s,
    complete: false,
    note: `${name} stopped after ${s.toFixed(1)} s with ${((100 * r.bytes) / totalBytes(chunks)).toFixed(0)}% of the stream; rate is an upper bound`,
    faultsPerMiB: NaN,
  };
}

interface Contender {
  readonly name: string;
  readonly pass: Pass;
  /** A copy-only pass: it decodes nothing, so its frame count is the stream's. */
  readonly copyOnly?: boolean;
}

/**
 * Medians of passes taken in turns (A B C A B C ...): at least 3 each, then more until
 * ~budgetMs has gone by. Taking turns puts every contender under the same load, which a shared
 * machine changes from one second to the next. With `collect`, every pass starts after a full
 * GC: the previous pass's messages are freed, so each contender finds the allocator in the same
 * state (whether a message's memory is faulted in anew depends on it, and would otherwise depend
 * on where V8 happened to collect). Small frames are measured without: a forced GC before each
 * pass makes V8 run the next one several times slower, which says nothing about the decoder.
 */
function measureTogether(contenders: readonly Contender[], chunks: readonly Buffer[], unit: 'frames' | 'bytes', expectedFrames: number, budgetMs: number, collect = false): Map<string, Measured> {
  const times = contenders.map(() => [] as number[]);
  const faults = contenders.map(() => 0);
  const amounts = contenders.map(() => 0);
  for (const c of contenders) {
    const warm = c.pass(chunks, Infinity);
    if (unit === 'frames' && !c.copyOnly && warm.frames !== expectedFrames) throw new Error(`${c.name} decoded ${warm.frames} frames, expected ${expectedFrames}`);
  }
  const start = performance.now();
  while (times[0]!.length < 3 || (performance.now() - start < budgetMs && times[0]!.length < 50)) {
    contenders.forEach((c, i) => {
      if (collect) forceGc();
      const f0 = minorFaults();
      const t0 = performance.now();
      const r = c.pass(chunks, Infinity);
      times[i]!.push((performance.now() - t0) / 1000);
      faults[i]! += minorFaults() - f0;
      amounts[i] = unit === 'bytes' ? r.bytes : c.copyOnly ? expectedFrames : r.frames;
    });
  }
  const mib = (times[0]!.length * totalBytes(chunks)) / (1024 * 1024);
  return new Map(contenders.map((c, i) => [c.name, { perSecond: amounts[i]! / median(times[i]!), complete: true, note: '', faultsPerMiB: faults[i]! / mib }]));
}

export interface DecoderFigures {
  readonly rows: Row[];
  readonly notes: string[];
}

/** Targets of issue 14 item 5 for the large messages, as a share of the copy ceilings. */
const LARGE_TARGETS: ReadonlyArray<{ readonly prefix: string; readonly share: number; readonly absolute?: number }> = [
  { prefix: '1 MiB', share: 0.33, absolute: 2e9 },
  { prefix: '64 MiB', share: 0.2 },
];

export function benchDecoder(budgetMs: number): DecoderFigures {
  const rows: Row[] = [];
  // glibc's allocator settings decide whether a message's new memory is faulted in page by page.
  const notes: string[] = process.env.GLIBC_TUNABLES ? [`decoder figures taken with GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES}`] : [];
  for (const stream of buildStreams()) {
    for (const chunking of CHUNKINGS) {
      const chunks = chunking.cut(stream.bytes);
      const large = stream.unit === 'bytes';
      const contenders: Contender[] = [
        { name: 'reference', pass: refPass },
        { name: 'memcpy', pass: memcpyPass, copyOnly: true },
        ...(large ? [{ name: 'owned', pass: ownedCopyPass(stream.bytes.length / stream.frames), copyOnly: true }] : []),
      ];
      const m = measureTogether(contenders, chunks, stream.unit, stream.frames, budgetMs, large);
      const ref = m.get('reference')!;
      const cp = m.get('memcpy')!;
      const owned = m.get('owned');
      const s4 = measureBounded(secs4jsPass, chunks, stream.unit, stream.frames, Math.max(budgetMs, 2000), 'secs4js');
      if (!s4.complete) notes.push(`${stream.name}, ${chunking.name}: ${s4.note}`);
      const fmt = large ? fmtMBs : fmtRate;
      const vsS4 = `${fmtRatio(ref.perSecond / s4.perSecond)} secs4js${s4.complete ? '' : ' (at least)'}`;
      const s4Ref = `secs4js ${s4.complete ? '' : '<= '}${fmt(s4.perSecond)}`;
      let target = '';
      let status = '';
      if (stream.name.startsWith('control')) {
        target = '>= 2 M frames/s';
        status = ref.perSecond >= 2e6 ? 'met' : 'missed';
      }
      const goal = LARGE_TARGETS.find((t) => stream.name.startsWith(t.prefix));
      if (goal && owned) {
        const met = (x: number): string => (x >= goal.share ? 'met' : 'missed');
        target = `>= ${goal.share}x memcpy${goal.absolute ? `; >= ${goal.absolute / 1e9} GB/s` : ''}`;
        status = `owned ${met(ref.perSecond / owned.perSecond)}, reused ${met(ref.perSecond / cp.perSecond)}${goal.absolute ? `; ${goal.absolute / 1e9} GB/s ${ref.perSecond >= goal.absolute ? 'met' : 'missed'}` : ''}`;
      }
      rows.push({
        section: 'decoder',
        figure: `${stream.name}, ${chunking.name}`,
        value: `${fmt(ref.perSecond)}${large ? `, ${ref.faultsPerMiB.toFixed(0)} page faults/MiB` : ' frames'}`,
        reference: owned
          ? `memcpy into a buffer of its own per message (owned) ${fmt(owned.perSecond)}, ${owned.faultsPerMiB.toFixed(0)} faults/MiB; memcpy into one reused buffer ${fmt(cp.perSecond)}; ${s4Ref}`
          : `memcpy ${fmt(cp.perSecond)}; ${s4Ref}`,
        ratio: owned ? `${fmtRatio(ref.perSecond / owned.perSecond)} owned; ${fmtRatio(ref.perSecond / cp.perSecond)} reused; ${vsS4}` : `${fmtRatio(ref.perSecond / cp.perSecond)} memcpy; ${vsS4}`,
        target,
        status,
      });
    }
  }
  return { rows, notes };
}
