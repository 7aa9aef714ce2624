import { spawn, type ChildProcess } from 'node:child_process';
import type { IutConfig } from './iut-config';
import { IutUnreachable } from './verdict';

/** Output kept from a launched IUT: the tail, enough for evidence without unbounded memory. */
const MAX_OUTPUT = 256 * 1024;
/** Time a launched IUT gets to exit after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 2000;

/** Environment every launched IUT receives (CONTRACTS.md section 3). */
export function hsmsEnvironment(c: IutConfig, port: number): Record<string, string> {
  return {
    HSMS_ROLE: c.role,
    HSMS_HOST: c.host,
    HSMS_PORT: String(port),
    HSMS_SESSION_ID: String(c.sessionId),
    HSMS_T3: String(c.timers.t3),
    HSMS_T5: String(c.timers.t5),
    HSMS_T6: String(c.timers.t6),
    HSMS_T7: String(c.timers.t7),
    HSMS_T8: String(c.timers.t8),
  };
}

/** An IUT the harness starts and always stops: its own process group, output captured. */
export class IutProcess {
  private child: ChildProcess | null = null;
  private chunks: Buffer[] = [];
  private size = 0;
  private exited: string | null = null;
  private exitPromise: Promise<void> = Promise.resolve();

  constructor(private readonly config: IutConfig) {}

  get running(): boolean {
    return this.child !== null && this.exited === null;
  }

  get exitDescription(): string | null {
    return this.exited;
  }

  async start(): Promise<void> {
    const launch = this.config.launch;
    if (!launch) throw new IutUnreachable('no launch command in the profile');
    const env = { ...process.env, ...launch.env, ...hsmsEnvironment(this.config, this.config.port) };
    const child = spawn(launch.command, {
      shell: true,
      env,
      cwd: launch.cwd ?? process.cwd(),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    // Whatever ends the harness, the IUT's process group must not outlive it.
    process.on('exit', this.killOnExit);
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exited = signal ? `killed by ${signal}` : `exited with code ${code}`;
        process.removeListener('exit', this.killOnExit);
        resolve();
      });
      child.once('error', (err) => {
        this.exited = `could not start: ${err.message}`;
        process.removeListener('exit', this.killOnExit);
        resolve();
      });
    });
    child.stdout?.on('data', (b: Buffer) => this.keep(b));
    child.stderr?.on('data', (b: Buffer) => this.keep(b));
    child.stdin?.on('error', () => undefined);
    // A command that does not exist or exits at once is reported now, not as a connect time-out.
    await Promise.race([this.exitPromise, new Promise((r) => setTimeout(r, 100))]);
    if (this.exited) throw new IutUnreachable(`the IUT launch command ${this.exited}: ${launch.command}\n${this.output().slice(-2000)}`);
  }

  writeLine(line: string): void {
    if (!this.running || !this.child?.stdin?.writable) throw new IutUnreachable(`cannot send '${line}' to the IUT: it is not running (${this.exited ?? 'stdin closed'})`);
    this.child.stdin.write(line + '\n');
  }

  output(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || this.exited) return;
    this.signal('SIGTERM');
    const killer = setTimeout(() => this.signal('SIGKILL'), STOP_GRACE_MS);
    await this.exitPromise;
    clearTimeout(killer);
    child.stdout?.destroy();
    child.stderr?.destroy();
    child.stdin?.destroy();
  }

  private readonly killOnExit = (): void => {
    if (!this.exited) this.signal('SIGKILL');
  };

  private signal(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        this.child?.kill(sig);
      } catch {
        // Already gone.
      }
    }
  }

  private keep(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > MAX_OUTPUT && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
}
