import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Small helpers shared by the benchmarks: a seeded generator, statistics, a forced GC and the
 * result table. Nothing here asserts: the benchmarks report figures, tests never time anything.
 */

/** mulberry32: a fixed seed gives the same chunk sizes on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

let gcFn: (() => void) | null = null;

/** A full garbage collection, without needing --expose-gc on the command line. */
export function forceGc(): void {
  if (!gcFn) {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (existing) {
      gcFn = existing;
    } else {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
  gcFn();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One line of the result table. `ratio` is always against a figure measured in the same run. */
export interface Row {
  readonly section: string;
  readonly figure: string;
  readonly value: string;
  /** What the figure is compared with, and its value. */
  readonly reference: string;
  readonly ratio: string;
  readonly target: string;
  /** 'met', 'missed', or '' when the figure has no target. */
  readonly status: string;
}

export function fmtRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return 'n/a';
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k/s`;
  return `${perSecond.toFixed(0)} /s`;
}

export function fmtMBs(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond)) return 'n/a';
  return `${(bytesPerSecond / 1e6).toFixed(0)} MB/s`;
}

export function fmtBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= 1024 * 1024 * 1024) return `${(bytes / (1024 * 1024 * 1024)).toFixed(2)} GiB`;
  if (abs >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (abs >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes.toFixed(0)} B`;
}

export function fmtRatio(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (x >= 10) return `${x.toFixed(0)}x`;
  if (x >= 0.01) return `${x.toFixed(2)}x`;
  return `${x.toPrecision(2)}x`;
}

export function formatTable(rows: readonly Row[]): string {
  const head: Row = { section: 'section', figure: 'figure', value: 'value', reference: 'reference (same run)', ratio: 'ratio', target: 'target', status: '' };
  const cols: Array<keyof Row> = ['section', 'figure', 'value', 'reference', 'ratio', 'target', 'status'];
  const all = [head, ...rows];
  const width = cols.map((c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: Row): string => cols.map((c, i) => (c === 'status' && r === head ? 'met?' : r[c]).padEnd(width[i]!)).join(' | ').trimEnd();
  const sep = width.map((w) => '-'.repeat(w)).join('-|-');
  return [line(head), sep, ...rows.map(line)].join('\n');
}

/** The same rows as a GitHub markdown table (for the README). */
export function formatMarkdown(rows: readonly Row[]): string {
  const out = ['| section | figure | value | reference (same run) | ratio | target | met? |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) out.push(`| ${r.section} | ${r.figure} | ${r.value} | ${r.reference} | ${r.ratio} | ${r.target} | ${r.status} |`);
  return out.join('\n');
}
