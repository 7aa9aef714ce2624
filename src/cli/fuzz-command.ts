import { configFromProfile, embeddedConfig, type IutConfig } from '../harness/iut-config';
import { IutSession } from '../harness/iut';
import { loadProfile, ProfileError } from '../harness/profile';
import { VerdictSignal } from '../harness/verdict';
import { parseFaults } from '../peer/faults';
import { LiveTarget, PROPERTY_NAMES, preflight, runLiveProperty, type LiveFuzzReport, type PropertyName } from '../fuzz/live-properties';
import { decodeToken, TokenError } from '../fuzz/token';
import { numberOption, parseArgs, UsageError } from './args';

const USAGE = `usage: hsms-conformance fuzz [--profile FILE] [--runs N] [--seed S] [--replay TOKEN]
                             [--property framing|gaps|model|all] [--verbose]
  Fuzzes the IUT's framing and session state machine. Without --profile the embedded reference
  peer is fuzzed. Every failure is shrunk and printed with the command line that replays it.
  Exit codes: 0 nothing found, 1 a finding, 2 usage or profile error, 3 IUT unreachable.`;

const SPEC = { profile: 'string', runs: 'string', seed: 'string', replay: 'string', property: 'string', fault: 'string', verbose: 'boolean', help: 'boolean' } as const;

interface Output {
  out: (s: string) => void;
  err: (s: string) => void;
}

const STD: Output = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/** `hsms-conformance fuzz ...` (argv without the `fuzz` word). Returns the exit code. */
export async function runFuzzCommand(argv: string[], io: Output = STD): Promise<number> {
  let config: IutConfig;
  let properties: PropertyName[];
  let runs: number;
  let seed: number;
  let replay: ReturnType<typeof decodeToken> | null = null;
  const args = parseArgsSafe(argv, io);
  if (typeof args === 'number') return args;
  try {
    if (args.flags.has('help')) {
      io.out(USAGE + '\n');
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const replayText = args.values.get('replay');
    if (replayText) replay = decodeToken(replayText);
    runs = numberOption(args, 'runs') ?? replay?.runs ?? 100;
    if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a positive integer, got ${runs}`);
    seed = replay?.seed ?? numberOption(args, 'seed') ?? Math.floor(Math.random() * 0x7fffffff);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0x7fffffff) throw new UsageError(`--seed must be an integer from 0 to 2147483647, got ${seed}`);
    const p = replay?.property ?? args.values.get('property') ?? 'all';
    if (p !== 'all' && !(PROPERTY_NAMES as readonly string[]).includes(p)) throw new UsageError(`--property must be one of ${PROPERTY_NAMES.join(', ')}, all; got '${p}'`);
    properties = p === 'all' ? [...PROPERTY_NAMES] : [p as PropertyName];
    const fault = args.values.get('fault');
    const profile = args.values.get('profile');
    if (fault && profile) throw new UsageError('--fault applies to the embedded reference peer only');
    if (fault) parseFaults([fault]);
    config = profile ? configFromProfile(loadProfile(profile)) : embeddedConfig('passive', 'e37', fault ? [fault] : []);
  } catch (err) {
    if (err instanceof UsageError || err instanceof TokenError || err instanceof RangeError) {
      io.err(`hsms-conformance fuzz: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof ProfileError) {
      io.err(`hsms-conformance fuzz: profile error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const replayBase = ['hsms-conformance fuzz', ...(args.values.get('profile') ? ['--profile', shellQuote(args.values.get('profile')!)] : []), ...(args.values.get('fault') ? ['--fault', args.values.get('fault')!] : [])].join(' ');
  io.out(`hsms-conformance fuzz: ${config.name}; seed ${seed}; ${runs} runs per property${replay ? `; replaying ${replay.property} path ${replay.path}` : ''}\n`);
  const iut = new IutSession(config);
  let found = false;
  try {
    await iut.beforeScenario();
    const target = new LiveTarget(iut);
    const pre = await preflight(target);
    if (pre.length > 0) {
      io.out(`FINDING before fuzzing (the checks every case relies on):\n${pre.map((f) => `  ${f.severity.toUpperCase()} ${f.clause}: ${f.message}`).join('\n')}\n`);
      return 1;
    }
    for (const property of properties) {
      const verbose = args.flags.has('verbose');
      const report = await runLiveProperty(target, {
        property,
        runs: property === 'gaps' && !replay ? Math.max(3, Math.ceil(runs / 50)) : property === 'model' && !replay ? Math.max(5, Math.ceil(runs / 10)) : runs,
        seed,
        ...(replay ? { path: replay.path, ...(replay.replayPath ? { replayPath: replay.replayPath } : {}) } : {}),
        ...(verbose ? { onCase: (line: string) => io.out(`  case ${property}: ${line}\n`) } : {}),
      });
      io.out(printReport(report, replayBase));
      if (report.failure) found = true;
    }
  } catch (err) {
    if (err instanceof VerdictSignal) {
      io.err(`hsms-conformance fuzz: ${err.reason}\n`);
      return 3;
    }
    throw err;
  } finally {
    await iut.shutdown();
  }
  io.out(found ? 'result: FINDING\n' : 'result: nothing found\n');
  return found ? 1 : 0;
}

function parseArgsSafe(argv: string[], io: Output): ReturnType<typeof parseArgs> | number {
  try {
    return parseArgs(argv, SPEC);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`hsms-conformance fuzz: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function printReport(r: LiveFuzzReport, replayBase: string): string {
  const lines = [`property ${r.property}: ${r.casesRun} cases in ${(r.elapsedMs / 1000).toFixed(2)} s (${casesPerSecond(r).toFixed(0)} cases/s)${r.skipped ? `, ${r.skipped} skipped` : ''}; seed ${r.seed}; case sequence ${r.caseDigest}`];
  if (r.failure) {
    const f = r.failure;
    lines.push(`FINDING (shrunk ${f.shrinks} times; seed ${r.seed}, path ${f.path}):`);
    for (const x of f.findings) lines.push(`  ${x.severity.toUpperCase()} ${x.clause}: ${x.message}`);
    lines.push('minimal input:', ...f.input.split('\n').map((l) => `  ${l}`));
    if (f.notes.length) lines.push('answers:', ...f.notes.map((l) => `  ${l}`));
    lines.push('wire trace:', ...f.trace.split('\n').map((l) => `  ${l}`));
    lines.push(`replay: ${replayBase} --replay ${f.token}`);
  } else {
    lines.push('  nothing found');
  }
  for (const n of otherClauseNotes(r)) lines.push(`  note: ${n}`);
  for (const u of r.unconfirmed) lines.push(`  note: not confirmed on a fresh connection, so not counted: ${u}`);
  return lines.join('\n') + '\n';
}

/** Cases per second of a property run (cases skipped for their class included). */
export function casesPerSecond(r: LiveFuzzReport): number {
  return r.casesRun / Math.max(0.001, r.elapsedMs / 1000);
}

/** One line per finding on another clause and the class of input it stopped. */
export function otherClauseNotes(r: LiveFuzzReport): string[] {
  return r.otherClauses.map((n) => {
    const what = n.findings.map((x) => `${x.clause}: ${x.message}`).join('; ');
    if (n.inputClass.startsWith('liveness')) return what;
    return n.inputClass.startsWith('barrier') ? `${what} (the tester's ${n.inputClass}; the cases go on)` : `${what} (no more inputs of class "${n.inputClass}")`;
  });
}

if (require.main === module) {
  runFuzzCommand(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      process.stderr.write(`hsms-conformance fuzz: harness error: ${err.stack ?? err.message}\n`);
      process.exitCode = 3;
    },
  );
}
