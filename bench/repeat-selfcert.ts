import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median } from './util';

/**
 * No flakes: runs the default self-certification (`hsms-conformance run`) N times, by default
 * while another process keeps one core busy, and reports whether every scenario got the same
 * verdict in every run, listing the ones that changed, plus min / median / max wall time.
 *
 *   npm run repeat -- [--runs N] [--no-load] [--seed N] [--tags EXPR]
 *
 * Exit code 0 when the verdicts were identical in all runs, 1 otherwise.
 */

interface Options {
  readonly runs: number;
  readonly load: boolean;
  readonly seed: number;
  readonly tags: string | null;
}

function parseArgs(argv: readonly string[]): Options {
  let runs = 20;
  let load = true;
  let seed = 1;
  let tags: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--runs') runs = Number(value());
    else if (a === '--seed') seed = Number(value());
    else if (a === '--tags') tags = value();
    else if (a === '--load') load = true;
    else if (a === '--no-load') load = false;
    else throw new Error(`unknown option ${a} (use --runs N, --seed N, --tags EXPR, --load, --no-load)`);
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${runs}`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${seed}`);
  return { runs, load, seed, tags };
}

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'bin', 'hsms-conformance.js');
/** One run must never hang the repetition: the default suite takes about a minute. */
const RUN_LIMIT_MS = 15 * 60 * 1000;

interface Report {
  readonly verdict: string;
  readonly clauses: ReadonlyArray<{ readonly id: string; readonly scenarios: ReadonlyArray<{ readonly name: string; readonly role: string; readonly verdict: string; readonly reason: string }> }>;
}

interface RunResult {
  readonly index: number;
  readonly code: number | null;
  readonly ms: number;
  /** Scenario (role + name) -> verdict. */
  readonly verdicts: Map<string, string>;
  readonly reasons: Map<string, string>;
  readonly overall: string;
}

function runOnce(index: number, seed: number, tags: string | null): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repeat-selfcert-'));
  const args = [cli, 'run', '--report-dir', dir, '--seed', String(seed), ...(tags ? ['--tags', tags] : [])];
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-4000);
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
    child.once('exit', (code) => {
      clearTimeout(killer);
      const ms = performance.now() - started;
      const verdicts = new Map<string, string>();
      const reasons = new Map<string, string>();
      let overall = `no report (exit ${code}) ${stderr.trim().split('\n').pop() ?? ''}`;
      const file = path.join(dir, 'compliance.json');
      if (fs.existsSync(file)) {
        const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
        overall = report.verdict;
        for (const clause of report.clauses) {
          for (const s of clause.scenarios) {
            const key = `${s.role}: ${s.name}`;
            verdicts.set(key, s.verdict);
            reasons.set(key, s.reason);
          }
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ index, code, ms, verdicts, reasons, overall });
    });
  });
}

/** A second process that keeps one core busy until it is killed. */
function startLoad(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
  child.on('error', () => undefined);
  return child;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const load = o.load ? startLoad() : null;
  const stopLoad = (): void => {
    if (load && load.exitCode === null && load.signalCode === null) load.kill('SIGKILL');
  };
  process.on('exit', stopLoad);
  process.on('SIGINT', () => {
    stopLoad();
    process.exit(130);
  });
  console.log(`repeat-selfcert: ${o.runs} runs of the default self-certification, seed ${o.seed}${o.tags ? `, tags ${o.tags}` : ''}, ${o.load ? 'one core kept busy by a second process' : 'no extra load'}`);
  const results: RunResult[] = [];
  try {
    for (let i = 1; i <= o.runs; i++) {
      const r = await runOnce(i, o.seed, o.tags);
      results.push(r);
      const counts = new Map<string, number>();
      for (const v of r.verdicts.values()) counts.set(v, (counts.get(v) ?? 0) + 1);
      const summary = [...counts].map(([v, n]) => `${v} ${n}`).join(', ');
      console.log(`run ${i}/${o.runs}: exit ${r.code}, ${(r.ms / 1000).toFixed(1)} s, overall ${r.overall}, ${r.verdicts.size} scenarios (${summary})`);
    }
  } finally {
    stopLoad();
  }

  // Every scenario seen in any run; a scenario missing from a run counts as a change.
  const keys = new Set<string>();
  for (const r of results) for (const k of r.verdicts.keys()) keys.add(k);
  const changed: string[] = [];
  for (const k of [...keys].sort()) {
    const seen = results.map((r) => r.verdicts.get(k) ?? 'missing');
    if (new Set(seen).size > 1) {
      const detail = results
        .map((r, i) => (seen[i] !== seen[0] || i === 0 ? `run ${r.index}: ${seen[i]}${r.reasons.get(k) ? ` (${r.reasons.get(k)!.slice(0, 160)})` : ''}` : null))
        .filter((x): x is string => x !== null);
      changed.push(`  ${k}\n    ${detail.join('\n    ')}`);
    }
  }
  const times = results.map((r) => r.ms / 1000).sort((a, b) => a - b);
  const noReport = results.filter((r) => r.verdicts.size === 0).length;
  console.log('');
  console.log(`wall time per run: min ${times[0]!.toFixed(1)} s, median ${median(times).toFixed(1)} s, max ${times[times.length - 1]!.toFixed(1)} s`);
  console.log(`exit codes: ${[...new Set(results.map((r) => r.code))].join(', ')}`);
  if (noReport > 0) console.log(`${noReport} run(s) wrote no compliance.json`);
  if (changed.length === 0 && noReport === 0) {
    console.log(`verdicts identical in all ${results.length} runs for all ${keys.size} scenarios`);
  } else {
    console.log(`${changed.length} of ${keys.size} scenarios changed verdict between runs:`);
    for (const c of changed) console.log(c);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(`repeat-selfcert: ${(err as Error).message}`);
  process.exitCode = 2;
});
