import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { within } from './raw-socket';
import { SUITE_SLOTS, withSuiteSlot } from './suite-slots';

/**
 * Suite runs in child processes, for the tests that certify many reference peers (teeth,
 * no-false-fail): the suite holds one IUT per process, and the runs mostly wait on the peer's
 * timers, so several run at a time: as many as there are suite slots (suite-slots.ts), shared
 * with the other test files that run suites at the same time. The processes are kept between
 * runs (suite-with-fault.js --serve), one run at a time each, so that cucumber and the steps are
 * loaded once per process rather than once per run: about a second of CPU each time.
 */

export interface ScenarioVerdict {
  readonly clauses: readonly string[];
  readonly verdict: string;
  readonly name: string;
  readonly reason: string;
}

export const ROOT = path.resolve(__dirname, '../../..');
const RUNNER = path.join(ROOT, 'dist', 'test', 'support', 'suite-with-fault.js');

/**
 * The bound on one suite run: a safety net against a hang, not a speed check. A run takes 20-60 s
 * on an idle machine; a machine loaded by other jobs has been seen to make it ten times slower.
 */
export const SUITE_RUN_LIMIT_MS = 600_000;

/** A kept suite-with-fault.js --serve process; `answers` yields its reply lines in order. */
interface SuiteServer {
  readonly child: ChildProcess;
  readonly answers: AsyncIterator<string>;
  stderr: string;
}

const idle: SuiteServer[] = [];

function startServer(): SuiteServer {
  const child = spawn(process.execPath, [RUNNER, '--serve'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const server: SuiteServer = { child, answers: readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator](), stderr: '' };
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    server.stderr = (server.stderr + text).slice(-16_000);
  });
  return server;
}

/** Lets the test file's process end while `server` waits for work (and holds it while it runs). */
function hold(server: SuiteServer, busy: boolean): void {
  // The pipes are sockets, which a plain stream type does not say.
  for (const handle of [server.child, ...[server.child.stdin, server.child.stdout, server.child.stderr].map((p) => p as net.Socket | null)]) {
    if (busy) handle?.ref();
    else handle?.unref();
  }
}

/** Runs suite-with-fault.js with `args` (its command line) and returns its verdicts; `label` names the run in an error. */
export function suiteProcess(args: readonly string[], label: string, timeoutMs: number): Promise<ScenarioVerdict[]> {
  return withSuiteSlot(async () => {
    let server = idle.pop();
    while (server && (server.child.exitCode !== null || server.child.signalCode !== null)) server = idle.pop();
    server ??= startServer();
    hold(server, true);
    server.stderr = '';
    const failed = (what: string): Error => new Error(`suite run for ${label} failed: ${what}\n${server.stderr}`);
    server.child.stdin!.write(`${JSON.stringify(args)}\n`);
    const next = await within(server.answers.next(), timeoutMs);
    if (next === 'timeout') {
      server.child.kill('SIGKILL');
      throw failed(`no verdicts within ${timeoutMs / 1000} s`);
    }
    if (next.done) throw failed(`the suite process ended (${server.child.exitCode ?? server.child.signalCode})`);
    const answer = JSON.parse(next.value) as { verdicts?: ScenarioVerdict[]; error?: string };
    hold(server, false);
    idle.push(server);
    if (!answer.verdicts) throw failed(answer.error ?? 'no verdicts');
    return answer.verdicts;
  });
}

/** Runs `work` on every item, `width` at a time (by default as many as there are suite slots); results in item order. */
export async function pool<T, R>(items: readonly T[], work: (item: T) => Promise<R>, width: number = SUITE_SLOTS): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!);
      }
    }),
  );
  return out;
}

/** One line per verdict, for assertion messages. */
export function describeVerdict(v: ScenarioVerdict): string {
  return `${v.verdict} on ${v.clauses.join(' ')} "${v.name}": ${v.reason}`;
}

/** SUITE_TAGS: a cucumber tag expression narrowing every run while a feature is being written (e.g. "not @fuzz"). */
export const SUITE_TAGS = process.env.SUITE_TAGS ?? '';
