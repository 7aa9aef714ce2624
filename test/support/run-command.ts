import { spawn } from 'node:child_process';

/** How a command ended, with everything it printed. */
export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** Wall time, in ms. */
  readonly ms: number;
}

export interface CommandOptions {
  readonly cwd: string;
  /** The whole process group is killed after this long. */
  readonly timeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a command in its own process group, killed as a whole if it outlives `timeoutMs`. */
export function runCommand(command: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    let timedOut = false;
    const killer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(killer);
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}${err.message}`, timedOut, ms: performance.now() - started });
    });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: performance.now() - started });
    });
  });
}

/** The output of a finished command, for an assertion message. */
export function describeRun(what: string, r: CommandResult): string {
  const end = r.timedOut ? 'timed out' : `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}`;
  return `${what}: ${end}\n--- stdout (tail) ---\n${r.stdout.slice(-4000)}\n--- stderr (tail) ---\n${r.stderr.slice(-3000)}`;
}
