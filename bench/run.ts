import * as os from 'node:os';
import { benchAnalyze } from './analyze';
import { benchDecoder } from './decoder';
import { benchFuzz } from './fuzz';
import { benchLoopback } from './loopback';
import { benchMemory } from './memory';
import { benchMonitor } from './monitor';
import { benchParallel } from './parallel';
import { benchSuite } from './suite';
import { formatMarkdown, formatTable, type Row } from './util';

/**
 * `npm run bench`: the reference peer and the harness, measured beside a comparison measured in
 * the same run (secs4js, a bare memcpy, a bare net.Server, the timer waits). Prints figures only;
 * nothing here fails a build. Sections can be chosen: `node dist/bench/run.js decoder loopback`.
 * `--markdown` prints the table as markdown as well.
 */

const SECTIONS = ['decoder', 'loopback', 'suite', 'parallel', 'fuzz', 'memory', 'analyze', 'monitor'] as const;
type Section = (typeof SECTIONS)[number];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const markdown = args.includes('--markdown');
  const chosen = args.filter((a) => !a.startsWith('--'));
  for (const c of chosen) if (!(SECTIONS as readonly string[]).includes(c)) throw new Error(`unknown section '${c}'; known: ${SECTIONS.join(', ')}`);
  const run = (s: Section): boolean => chosen.length === 0 || chosen.includes(s);
  const rows: Row[] = [];
  const notes: string[] = [];
  const started = performance.now();
  const log = (s: string): void => void process.stderr.write(`bench: ${s} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  const cpus = os.cpus();
  const header = `node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;

  if (run('decoder')) {
    log('decoder');
    const d = benchDecoder(400);
    rows.push(...d.rows);
    notes.push(...d.notes);
  }
  if (run('loopback')) {
    log('loopback');
    const l = await benchLoopback(2000);
    rows.push(...l.rows);
  }
  if (run('fuzz')) {
    log('fuzz');
    const f = await benchFuzz(3000);
    rows.push(...f.rows);
    notes.push(...f.notes);
  }
  if (run('memory')) {
    log('memory');
    const m = await benchMemory(10_000_000);
    rows.push(...m.rows);
  }
  if (run('analyze')) {
    log('analyze');
    const a = await benchAnalyze(Number(process.env.BENCH_ANALYZE_MB ?? 1024));
    rows.push(...a.rows);
    notes.push(...a.notes);
  }
  if (run('monitor')) {
    log('monitor');
    const m = await benchMonitor();
    rows.push(...m.rows);
    notes.push(...m.notes);
  }
  if (run('suite')) {
    log('suite');
    const s = await benchSuite(1);
    rows.push(...s.rows);
    notes.push(...s.notes);
  }
  if (run('parallel')) {
    log('parallel');
    const p = await benchParallel(1);
    rows.push(...p.rows);
    notes.push(...p.notes);
  }
  log('done');
  process.stdout.write(`\n${header}\n\n${formatTable(rows)}\n`);
  if (notes.length > 0) process.stdout.write(`\n${notes.map((n) => `note: ${n}`).join('\n')}\n`);
  if (markdown) process.stdout.write(`\n${formatMarkdown(rows)}\n`);
  process.stdout.write(`\nload average after the run: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
