import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import type { IutConfig } from './iut-config';
import { portIsFree, waitPortReleased } from './port-release';
import { remoteHostEnvironment } from './profile';
import { delay } from './tester-connection';
import { IutUnreachable } from './verdict';

/** Output kept from a launched IUT: the tail, enough for evidence without unbounded memory. */
const MAX_OUTPUT = 256 * 1024;
/** Lines of standard error kept for messages about the launch, and the length each is cut to. */
const STDERR_LINES = 5;
const STDERR_LINE_CHARS = 200;
/** A line of standard error longer than this is treated as ended (a flood must not grow memory). */
const MAX_PARTIAL_LINE = 8192;
/** Time a launched IUT gets after SIGTERM to end its whole process group and release its port. */
const STOP_GRACE_MS = 2000;
/** Time the process group gets to vanish after SIGKILL, and the port to be released after that. */
const KILL_WAIT_MS = 1000;
const RELEASE_AFTER_KILL_MS = 1000;
/** How often a stop checks whether the process group is gone. */
const POLL_MS = 20;
/** What a launch command or an IUT says on standard error when it cannot bind its port. */
const ADDRESS_IN_USE = /EADDRINUSE|address (already )?in use/i;

/** Environment every launched IUT receives (CONTRACTS.md section 3), and HSMS_WORKER in a parallel run (parallel-workers.ts). */
export function hsmsEnvironment(c: IutConfig, port: number): Record<string, string> {
  return {
    HSMS_ROLE: c.role,
    HSMS_HOST: c.host,
    ...remoteHostEnvironment(c),
    HSMS_PORT: String(port),
    HSMS_SESSION_ID: String(c.sessionId),
    HSMS_T3: String(c.timers.t3),
    HSMS_T5: String(c.timers.t5),
    HSMS_T6: String(c.timers.t6),
    HSMS_T7: String(c.timers.t7),
    HSMS_T8: String(c.timers.t8),
    ...(c.worker !== undefined ? { HSMS_WORKER: String(c.worker) } : {}),
  };
}

/**
 * How many processes of process group `pgid` are running (not zombies), from /proc; null where
 * there is no /proc to read (then only kill(-pgid, 0) says anything).
 */
function runningInGroup(pgid: number): number | null {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  let n = 0;
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') n++;
  }
  return n;
}

/** Where a stopped IUT listened: its stop is complete only once that port can be bound again. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * An IUT the harness starts and always stops: its own process group, output captured. The
 * launch command is often a wrapper (a shell, a start script) around the process that speaks
 * HSMS (a JVM, an interpreter); the wrapper exiting says nothing about that process, so the
 * whole group is signalled and waited for.
 */
export class IutProcess {
  private child: ChildProcess | null = null;
  private chunks: Buffer[] = [];
  private size = 0;
  private exited: string | null = null;
  private exitPromise: Promise<void> = Promise.resolve();
  private startedAt = 0;
  private readonly stderrLines: string[] = [];
  private partialLine = '';
  private readonly lineWatchers = new Set<(line: string) => void>();
  /** Set once stop() has begun: a second stop does nothing. */
  private stopping = false;

  constructor(private readonly config: IutConfig) {}

  /** The launch command's own process (the wrapper, if it is one) has not exited. */
  get running(): boolean {
    return this.child !== null && this.exited === null;
  }

  get exitDescription(): string | null {
    return this.exited;
  }

  /** performance.now() when the command was started. */
  get launchedAt(): number {
    return this.startedAt;
  }

  async start(): Promise<void> {
    const launch = this.config.launch;
    if (!launch) throw new IutUnreachable('no launch command in the profile');
    const env = { ...process.env, ...launch.env, ...hsmsEnvironment(this.config, this.config.port) };
    this.startedAt = performance.now();
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
        resolve();
      });
      child.once('error', (err) => {
        this.exited = `could not start: ${err.message}`;
        resolve();
      });
    });
    child.stdout?.on('data', (b: Buffer) => this.keep(b));
    child.stderr?.on('data', (b: Buffer) => {
      this.keep(b);
      this.splitStderr(b);
    });
    child.stdin?.on('error', () => undefined);
    // A command that does not exist or exits at once is reported now, not as a connect time-out.
    await Promise.race([this.exitPromise, delay(100)]);
    if (this.exited) throw new IutUnreachable(this.describeFailure(`the IUT launch command ${this.exited} ${Math.round(performance.now() - this.startedAt)} ms after it was started`));
  }

  writeLine(line: string): void {
    if (!this.running || !this.child?.stdin?.writable) throw new IutUnreachable(`cannot send '${line}' to the IUT: it is not running (${this.exited ?? 'stdin closed'})`);
    this.child.stdin.write(line + '\n');
  }

  output(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  /** Calls `watcher` with every complete line the IUT writes to standard error from now on; returns the unsubscribe. */
  onStderrLine(watcher: (line: string) => void): () => void {
    this.lineWatchers.add(watcher);
    return () => this.lineWatchers.delete(watcher);
  }

  /**
   * One message about a launch that went wrong: what happened, the launch command, the last
   * lines of its standard error, and why a bind may have failed. Never longer than a few lines.
   */
  describeFailure(what: string, hint?: string): string {
    const lines = [what, `  launch command: ${this.config.launch?.command ?? '(none)'}`];
    const tail = this.stderrTail();
    lines.push(tail.length > 0 ? '  last lines of its standard error:' : '  it wrote nothing on standard error');
    for (const l of tail) lines.push(`    ${l}`);
    if (tail.some((l) => ADDRESS_IN_USE.test(l))) {
      lines.push(
        `  it could not bind ${this.config.host}:${this.config.port}: another program holds that port, or, after a restart, the previous instance's connections still do (TIME_WAIT, when the IUT binds without SO_REUSEADDR); \`launch.restart: once\` avoids restarting the IUT`,
      );
    } else if (hint) {
      lines.push(`  ${hint}`);
    }
    return lines.join('\n');
  }

  /**
   * Stops the IUT: SIGTERM to its process group, then waits until every process of the group
   * has exited and, when `release` is given, until its port can be bound again. Past the grace
   * time the group gets SIGKILL. Returns what went wrong, or null.
   */
  async stop(release?: ListenAddress): Promise<string | null> {
    const child = this.child;
    if (!child || this.stopping) return null;
    this.stopping = true;
    const problems: string[] = [];
    this.signal('SIGTERM');
    const gone = (): boolean => this.exited !== null && !this.groupAlive();
    const done = async (): Promise<boolean> => gone() && (!release || (await portIsFree(release.host, release.port)));
    if (!(await this.waitFor(done, STOP_GRACE_MS))) {
      if (!gone()) {
        this.signal('SIGKILL');
        if (await this.waitFor(async () => gone(), KILL_WAIT_MS)) problems.push(`the IUT's process group was still running ${STOP_GRACE_MS} ms after SIGTERM and was killed`);
        else problems.push(`the IUT's process group was still running ${KILL_WAIT_MS} ms after SIGKILL`);
      }
      if (release && !(await waitPortReleased(release.host, release.port, RELEASE_AFTER_KILL_MS))) {
        problems.push(
          `${release.host}:${release.port} was still in use ${RELEASE_AFTER_KILL_MS} ms after the IUT's process group ended: a process outside the group listens there, or connections the IUT closed sit in TIME_WAIT and it binds without SO_REUSEADDR`,
        );
      }
    }
    if (gone()) process.removeListener('exit', this.killOnExit);
    child.stdout?.destroy();
    child.stderr?.destroy();
    child.stdin?.destroy();
    return problems.length > 0 ? problems.join('; ') : null;
  }

  /** Polls `check` every POLL_MS until it holds or `ms` passes. */
  private async waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    for (;;) {
      if (await check()) return true;
      if (performance.now() >= deadline) return false;
      await delay(POLL_MS);
    }
  }

  /**
   * Whether any process of the IUT's process group (its id is the launch command's pid) is still
   * running. Zombies do not count: they hold no socket, and an orphan's zombie waits for init,
   * which may reap it late.
   */
  private groupAlive(): boolean {
    const pid = this.child?.pid;
    if (pid === undefined) return false;
    try {
      process.kill(-pid, 0);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    return runningInGroup(pid) !== 0;
  }

  private readonly killOnExit = (): void => {
    this.signal('SIGKILL');
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

  /** The last lines of standard error, each cut to a readable length. */
  private stderrTail(): string[] {
    const lines = this.partialLine.trim() ? [...this.stderrLines, this.partialLine] : this.stderrLines;
    return lines.slice(-STDERR_LINES).map((l) => (l.length > STDERR_LINE_CHARS ? `${l.slice(0, STDERR_LINE_CHARS)}...` : l));
  }

  private splitStderr(b: Buffer): void {
    const parts = (this.partialLine + b.toString('utf8')).split('\n');
    this.partialLine = parts.pop() ?? '';
    if (this.partialLine.length > MAX_PARTIAL_LINE) {
      parts.push(this.partialLine);
      this.partialLine = '';
    }
    for (const raw of parts) {
      const line = raw.replace(/\r$/, '');
      if (!line.trim()) continue;
      this.stderrLines.push(line.length > MAX_PARTIAL_LINE ? line.slice(0, MAX_PARTIAL_LINE) : line);
      if (this.stderrLines.length > STDERR_LINES) this.stderrLines.shift();
      for (const w of this.lineWatchers) w(line);
    }
  }

  private keep(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > MAX_OUTPUT && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
}
