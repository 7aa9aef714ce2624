import * as path from 'node:path';
import * as readline from 'node:readline';
import { embeddedConfig, SELF_TEST_TIMERS, type IutConfig, type LegalBehaviour } from '../../src/harness/iut-config';
import { runSuite, type ScenarioResult } from '../../src/harness/suite-runner';
import type { ConnectMode, RefusalOption, Standard } from '../../src/peer/parameters';

/**
 * Runs the whole suite against the embedded reference peer with deliberate faults or legal
 * variants, and returns the verdict per scenario. Used by the teeth and no-false-fail tests;
 * runnable by hand while writing features:
 *   node dist/test/support/suite-with-fault.js [fault,fault|-] [passive|active|alternating] [e37|hsms-ss] [tag-expression]
 *        [--variants v,v] [--refusal a|b|c] [--slow-start SECONDS --port N] [--json]
 *   node dist/test/support/suite-with-fault.js --serve   (command lines as JSON arrays on stdin, see serve())
 * --slow-start certifies the reference peer as a launched passive IUT instead (hsms-peer, started
 * per scenario through the shell and listening only SECONDS after launch), on port N.
 */
export async function suiteWithFaults(faults: readonly string[], role: ConnectMode, standard: Standard = 'e37', tags?: string, legal: LegalBehaviour = {}): Promise<ScenarioResult[]> {
  const { results } = await runSuite({ iut: embeddedConfig(role, standard, faults, legal), seed: 1, fuzzRuns: 10, ...(tags ? { tags } : {}) });
  return results;
}

/**
 * The reference peer as a passive IUT the harness launches per scenario and controls through
 * stdin, behind a shell wrapper that waits `startDelay` seconds before the peer listens.
 */
export function slowStartConfig(port: number, startDelay: number): IutConfig {
  const base = embeddedConfig('passive', 'e37');
  const root = path.resolve(__dirname, '../../..');
  const peer = `node bin/hsms-peer.js --mode passive --host $HSMS_HOST --port $HSMS_PORT --session-id $HSMS_SESSION_ID --t3 $HSMS_T3 --t5 $HSMS_T5 --t6 $HSMS_T6 --t7 $HSMS_T7 --t8 $HSMS_T8 --max-length ${base.capabilities.maxMessageLength}`;
  return {
    ...base,
    name: `hsms-peer launched, listening ${startDelay} s after launch`,
    port,
    timers: SELF_TEST_TIMERS,
    control: 'stdin',
    launch: { command: `sleep ${startDelay} && exec ${peer}`, env: {}, restart: 'per-scenario', cwd: root, readyTimeout: startDelay + 5 },
    faults: [],
    variants: [],
    profileSummary: { ...base.profileSummary, control: 'stdin', 'launch.restart': 'per-scenario', 'launch.readyTimeout': String(startDelay + 5) },
  };
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
}

/** One run as the command line (`--json` and `--serve` taken out) describes it. */
function runFromArgs(commandLine: readonly string[]): Promise<ScenarioResult[]> {
  const args = [...commandLine];
  const variants = option(args, '--variants');
  const refusal = option(args, '--refusal') as RefusalOption | undefined;
  const slowStart = option(args, '--slow-start');
  const port = Number(option(args, '--port') ?? 0);
  const [faultArg = '-', role = 'passive', standard = 'e37', tags] = args;
  const faults = faultArg === '-' ? [] : faultArg.split(',');
  const legal: LegalBehaviour = { ...(variants ? { variants: variants.split(',') } : {}), ...(refusal ? { refusal } : {}) };
  return slowStart
    ? runSuite({ iut: slowStartConfig(port, Number(slowStart)), seed: 1, fuzzRuns: 10, ...(tags ? { tags } : {}) }).then((r) => r.results)
    : suiteWithFaults(faults, role as ConnectMode, standard as Standard, tags || undefined, legal);
}

/** What the JSON forms carry of a verdict (support/suite-processes.ts, ScenarioVerdict). */
function verdictsOf(results: readonly ScenarioResult[]): Array<Pick<ScenarioResult, 'clauses' | 'verdict' | 'name' | 'reason'>> {
  return results.map((r) => ({ clauses: r.clauses, verdict: r.verdict, name: r.name, reason: r.reason }));
}

/**
 * `--serve`: runs one after the other the runs whose command lines (JSON arrays) arrive on
 * standard input, one per line, and answers each with one line, `{"verdicts": [...]}` or
 * `{"error": "..."}`. The process loads cucumber and the steps once for all of them
 * (support/suite-processes.ts keeps such processes for the teeth and no-false-fail tests).
 */
async function serve(): Promise<void> {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let answer: string;
    try {
      answer = JSON.stringify({ verdicts: verdictsOf(await runFromArgs(JSON.parse(line) as string[])) });
    } catch (err) {
      answer = JSON.stringify({ error: (err as Error).stack ?? String(err) });
    }
    await new Promise<void>((resolve) => process.stdout.write(`${answer}\n`, () => resolve()));
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args.includes('--serve')) {
    serve().catch((err: Error) => {
      process.stderr.write(`${err.stack}\n`);
      process.exitCode = 3;
    });
  } else {
    const json = args.includes('--json');
    if (json) args.splice(args.indexOf('--json'), 1);
    runFromArgs(args).then(
      (results) => {
        if (json) {
          process.stdout.write(JSON.stringify(verdictsOf(results)));
          return;
        }
        for (const r of results) {
          if (r.verdict === 'not-applicable' && !r.judgedUnder?.length) continue;
          process.stdout.write(`${r.verdict.padEnd(14)} ${r.clauses.join(' ').padEnd(16)} ${r.name}${r.verdict === 'pass' ? '' : `\n               ${r.reason.split('\n')[0]}`}\n`);
        }
      },
      (err: Error) => {
        process.stderr.write(`${err.stack}\n`);
        process.exitCode = 3;
      },
    );
  }
}
