import * as net from 'node:net';
import { HsmsEntity } from '../peer/entity';
import { defaultResponder } from '../peer/default-responder';
import { executePeerCommand } from '../peer/command-runner';
import type { PeerCommand } from '../cli/peer-commands';
import { parseFaults } from '../peer/faults';
import { parseVariants } from '../peer/variants';
import type { IutConfig } from './iut-config';
import { IutProcess, type ListenAddress } from './iut-process';
import { TesterConnection, delay } from './tester-connection';
import type { WireTrace } from './wire-trace';
import { NotApplicable, HarnessError, IutUnreachable } from './verdict';
import { UNREACHABLE_LIMIT } from './stopped-run';
import { PASSIVE_PHASE_TAG } from './applicability';
import { portIsFree } from './port-release';
import { onOwnPort, portTaken } from './own-port';
import { measureStalls } from './stall-meter';

/**
 * How the tester reaches the IUT and makes it act, whatever the IUT is: the embedded reference
 * peer, an IUT the harness launches, or one already running at an address.
 */

export type ControlCommand = PeerCommand;

/**
 * How long the embedded reference peer may take to listen again: its variants re-listen 0.5 s
 * after a connection ends, on a port of the harness's own (own-port.ts), and the peer shares the
 * tester's process, whose stalls stretch the window besides (connectToPassive).
 */
const EMBEDDED_READY_MS = 2000;

/** Kinds of handle (process.getActiveResourcesInfo) a scenario must not leave behind. */
const WATCHED_RESOURCES = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'ProcessWrap', 'PipeWrap'] as const;
/** How long closed handles get to disappear before a leftover is reported. */
const SETTLE_MS = 2000;
/** The longest pause between two looks at the handles while they settle. */
const SETTLE_POLL_MS = 20;

function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** What a scenario opened and afterScenario closed, checked by checkResources(). */
interface ScenarioResources {
  readonly baseline: Map<string, number>;
  connections: TesterConnection[];
  entity: HsmsEntity | null;
  process: IutProcess | null;
  listener: TesterListener | null;
}

/** Connections an active IUT opens to the tester, queued until a scenario takes them. */
class TesterListener {
  private readonly server: net.Server;
  private readonly pending: Array<{ socket: net.Socket; at: number }> = [];
  private waiters: Array<() => void> = [];
  host = '';
  port = 0;
  closed = false;

  /** Connections an active IUT made that no scenario has taken yet (they are not leaks). */
  get pendingCount(): number {
    return this.pending.length;
  }

  constructor() {
    // Half-open, as TesterConnection.connect(): the tester decides how to answer the IUT's FIN.
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => undefined);
      this.pending.push({ socket, at: performance.now() });
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.removeListener('error', reject);
        const a = this.server.address();
        this.host = host;
        this.port = typeof a === 'object' && a ? a.port : port;
        resolve();
      });
    });
  }

  /** Drops connections that arrived before `since` (left over from an earlier scenario). */
  dropOlderThan(since: number): void {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      if (this.pending[i]!.at < since) {
        this.pending[i]!.socket.destroy();
        this.pending.splice(i, 1);
      }
    }
  }

  async next(timeoutMs: number): Promise<net.Socket | null> {
    const deadline = performance.now() + timeoutMs;
    while (this.pending.length === 0) {
      const left = deadline - performance.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.pending.shift()!.socket;
  }

  close(): Promise<void> {
    for (const p of this.pending) p.socket.destroy();
    this.pending.length = 0;
    return new Promise((resolve) =>
      this.server.close(() => {
        this.closed = true;
        resolve();
      }),
    );
  }
}

export interface ConnectOptions {
  /** Extra time allowed for the IUT to connect (active IUT) beyond its T5. */
  readonly timeoutMs?: number;
}

export class IutSession {
  private entity: HsmsEntity | null = null;
  private listener: TesterListener | null = null;
  private process: IutProcess | null = null;
  private scenarioStart = 0;
  private connections: TesterConnection[] = [];
  /** Until when (performance.now()) a launched IUT may still be starting: its readyTimeout after the launch. */
  private readyUntil = 0;
  /** Scenarios in a row in which the IUT could not be reached or started; at the limit the run stops. */
  private unreachableInARow = 0;
  /** Whether any scenario of the run has reached the IUT: a later failure to start is a failed restart. */
  private everReached = false;
  /** A launcher's answer that it cannot carry out a command of this scenario (see command()). */
  private refusal: string | null = null;
  private stopWatchingRefusals: Array<() => void> = [];
  /** What the per-scenario IUT stopped at the end of the scenario wrote, for that scenario's evidence. */
  private stoppedOutput = '';
  /** Set once the scenario's IUT is ready; checked and cleared by checkResources(). */
  private resources: ScenarioResources | null = null;
  /** An alternating IUT, in a scenario tagged @passive-phase: the tester does not listen and connects to its published port. */
  private passivePhase = false;

  constructor(readonly config: IutConfig) {}

  get timersMs(): { t3: number; t5: number; t6: number; t7: number; t8: number; tolerance: number } {
    const t = this.config.timers;
    return { t3: t.t3 * 1000, t5: t.t5 * 1000, t6: t.t6 * 1000, t7: t.t7 * 1000, t8: t.t8 * 1000, tolerance: this.config.tolerance * 1000 };
  }

  get hasControl(): boolean {
    return this.config.control !== 'none';
  }

  /** Output the launched IUT wrote, for the evidence (a per-scenario IUT's, after its stop too); empty for other IUTs. */
  output(): string {
    return this.process?.output() ?? this.stoppedOutput;
  }

  /**
   * True once the IUT could not be reached or started in UNREACHABLE_LIMIT scenarios in a row:
   * the run stops, and the remaining scenarios are reported as not run.
   */
  get gaveUp(): boolean {
    return this.unreachableInARow >= UNREACHABLE_LIMIT;
  }

  /** The launcher's answer that it cannot carry out a command the scenario gave, if it gave one. */
  get commandRefusal(): string | null {
    return this.refusal;
  }

  /**
   * True when the IUT forms the scenario's connections by connecting to the tester's listener:
   * an active IUT, or an alternating one in its active phase (every scenario not tagged @passive-phase).
   */
  get connectsActively(): boolean {
    return this.config.role === 'active' || (this.config.role === 'alternating' && !this.passivePhase);
  }

  /**
   * True for an alternating IUT in a scenario tagged @passive-phase (E37 A1-3 steps 3-4): the
   * tester does not listen, so the IUT's active attempts fail and it listens on its published
   * port, where the tester connects.
   */
  get inPassivePhase(): boolean {
    return this.passivePhase;
  }

  /**
   * Prepares the IUT for a scenario: starts it when it is embedded or launched per scenario.
   * `tags` are the scenario's: @passive-phase puts an alternating IUT in its passive phase.
   */
  async beforeScenario(tags: readonly string[] = []): Promise<void> {
    this.scenarioStart = performance.now();
    this.connections = [];
    this.resources = null;
    this.refusal = null;
    this.stoppedOutput = '';
    const c = this.config;
    this.passivePhase = c.role === 'alternating' && tags.includes(PASSIVE_PHASE_TAG);
    // The baseline for checkResources(): what exists before the scenario's own set-up, plus what
    // outlives scenarios (the tester's listener for a non-embedded active IUT, an IUT launched once).
    // Yield first: the test runner arms its hook time-out (a Timeout) only after the hook's first
    // synchronous part, and the check after the scenario runs while the After hook's one is armed.
    await new Promise<void>((resolve) => setImmediate(resolve));
    let baseline = resourceCounts();
    if (c.role !== 'passive' && !this.listener) this.listener = await this.openListener();
    this.listener?.dropOlderThan(this.scenarioStart);
    // Where the embedded IUT connects (and, alternating, the port it publishes): the listener's.
    const remote = this.listener ? { host: this.listener.host, port: this.listener.port } : null;
    if (this.passivePhase) await this.stopListening();
    if (c.control !== 'embedded') baseline = resourceCounts();
    if (c.control === 'embedded') {
      await this.startEmbedded(remote);
    } else if (c.launch && (c.launch.restart === 'per-scenario' || !this.process || !this.process.running)) {
      await this.process?.stop(this.listenAddress);
      if (c.launch.restart === 'per-scenario') baseline = resourceCounts();
      this.process = new IutProcess(c);
      this.readyUntil = performance.now() + c.launch.readyTimeout * 1000;
      await this.process.start();
      if (c.launch.restart !== 'per-scenario') baseline = resourceCounts();
    }
    this.resources = { baseline, connections: [], entity: null, process: null, listener: null };
  }

  /**
   * The tester's listener for the connections the IUT makes: at `host` for an active IUT, at
   * `testerHost` for an alternating one, whose own published port is `host`:`port` (A1-3), so the
   * two never collide. The embedded IUT gets a port of the harness's own (own-port.ts), for an
   * alternating one a port free at both addresses; where the second loopback address cannot be
   * bound (macOS configures only 127.0.0.1), the embedded alternating IUT is reached over ::1 instead.
   */
  private async openListener(): Promise<TesterListener> {
    const c = this.config;
    const embedded = c.control === 'embedded';
    const hosts = c.role !== 'alternating' ? [c.host] : embedded ? [c.testerHost, '::1'] : [c.testerHost];
    const listenAt = async (port: number): Promise<TesterListener> => {
      const listener = new TesterListener();
      let error: unknown = null;
      for (const host of hosts) {
        try {
          await listener.listen(host, port);
          return listener;
        } catch (err) {
          error = err;
          // Taken at this address: a new port, not the other address (which would change how the IUT is reached).
          if (portTaken(err)) break;
        }
      }
      throw error;
    };
    // The embedded alternating IUT listens at `host` on the same port in its passive phase: a port taken there is drawn again.
    const listenOwn = async (port: number): Promise<TesterListener> => {
      const listener = await listenAt(port);
      if (c.role !== 'alternating' || (await portIsFree(c.host, port))) return listener;
      await listener.close();
      throw Object.assign(new Error(`${c.host}:${port} is in use`), { code: 'EADDRINUSE' });
    };
    try {
      return embedded ? await onOwnPort(listenOwn) : await listenAt(c.port);
    } catch (err) {
      if (err instanceof HarnessError) throw err;
      const where = embedded ? hosts.join(' or ') : `${hosts.join(' or ')}:${c.port}`;
      const hint = c.role === 'alternating' ? ' (testerHost must be a loopback address of this machine other than host; on macOS, ::1)' : '';
      throw new HarnessError(`the tester cannot listen on ${where} for the ${c.role} IUT: ${(err as Error).message}${hint}`);
    }
  }

  /**
   * Closes what the scenario opened; stops a per-scenario IUT. Checked: nothing stays open.
   * The tester resets its connections before the IUT is stopped, so that no TIME_WAIT lands on
   * the IUT's port (E37-6.4 leaves the close to either side; a restart must be able to bind).
   * Returns what went wrong stopping the IUT (it outlived SIGTERM, its port stayed in use), or null.
   */
  async afterScenario(): Promise<string | null> {
    const r = this.resources;
    for (const stop of this.stopWatchingRefusals) stop();
    this.stopWatchingRefusals = [];
    for (const conn of this.connections) conn.destroy();
    if (r) r.connections = this.connections;
    this.connections = [];
    if (this.entity) {
      await this.entity.stop();
      if (r) r.entity = this.entity;
      this.entity = null;
    }
    if (this.config.control === 'embedded' && this.listener) {
      await this.listener.close();
      if (r) r.listener = this.listener;
      this.listener = null;
    }
    let stopProblem: string | null = null;
    if (this.process && this.config.launch?.restart === 'per-scenario') {
      stopProblem = await this.process.stop(this.listenAddress);
      this.stoppedOutput = this.process.output();
      if (r) r.process = this.process;
      this.process = null;
    }
    return stopProblem;
  }

  /** Where a launched IUT listens (passive and alternating IUTs), so a stop waits for that port to be released. */
  private get listenAddress(): ListenAddress | undefined {
    const c = this.config;
    return c.role !== 'active' && c.port > 0 ? { host: c.host, port: c.port } : undefined;
  }

  /**
   * After afterScenario(): checks that nothing the scenario opened is left behind (tester
   * connections, the embedded entity and its connections, the per-scenario IUT process, the
   * embedded IUT's tester listener) and that no more sockets, listeners, timers or child
   * processes are active than when the scenario started. Waits up to SETTLE_MS for closed
   * handles to go; returns what stayed, or null.
   */
  async checkResources(): Promise<string | null> {
    const r = this.resources;
    this.resources = null;
    if (!r) return null;
    const deadline = performance.now() + SETTLE_MS;
    // Closed handles go within a loop turn or two (the peer's side once the close arrives): look
    // again at once, then back off to SETTLE_POLL_MS, rather than paying a full poll per scenario.
    for (let pause = 0; ; pause = Math.min(SETTLE_POLL_MS, Math.max(1, pause * 2))) {
      const left: string[] = [];
      const open = r.connections.filter((c) => c.isOpen).length;
      if (open > 0) left.push(`${open} tester connection(s) still open`);
      if (r.entity && r.entity.connections.size > 0) left.push(`the embedded IUT kept ${r.entity.connections.size} connection(s) after stop()`);
      if (r.process?.running) left.push('the per-scenario IUT process is still running');
      if (r.listener && !r.listener.closed) left.push("the tester's listener for the embedded IUT is still open");
      const now = resourceCounts();
      for (const kind of WATCHED_RESOURCES) {
        // Connections an active IUT already made for the next scenario are queued, not leaked.
        const allowed = (r.baseline.get(kind) ?? 0) + (kind === 'TCPSocketWrap' ? (this.listener?.pendingCount ?? 0) : 0);
        const extra = (now.get(kind) ?? 0) - allowed;
        if (extra > 0) left.push(`${extra} more ${kind} than before the scenario`);
      }
      if (left.length === 0) return null;
      if (performance.now() >= deadline) return `${left.join(', ')} (${SETTLE_MS} ms after the scenario ended)`;
      await (pause === 0 ? new Promise<void>((resolve) => setImmediate(resolve)) : delay(pause));
    }
  }

  /** Records whether the scenario reached the IUT, so that a dead IUT stops the run instead of costing every scenario its full wait. */
  noteReachability(unreachable: boolean): void {
    if (!unreachable) {
      this.unreachableInARow = 0;
      this.everReached = true;
      return;
    }
    this.unreachableInARow++;
  }

  /** Ends the run: stops everything. */
  async shutdown(): Promise<void> {
    await this.afterScenario();
    await this.process?.stop(this.listenAddress);
    this.process = null;
    await this.listener?.close();
    this.listener = null;
  }

  /** The launched IUT died: the scenario's evidence says so. */
  get processExit(): string | null {
    return this.process?.exitDescription ?? null;
  }

  /**
   * A new TCP connection with the IUT: the tester connects to a passive IUT, or takes the next
   * connection an active IUT makes to the tester's listener.
   */
  async connect(trace: WireTrace, name: string, options: ConnectOptions = {}): Promise<TesterConnection> {
    const c = this.config;
    let conn: TesterConnection;
    if (!this.connectsActively) {
      conn = await this.connectToPassive(trace, name, options.timeoutMs ?? 3000);
    } else {
      const t5 = this.timersMs.t5;
      const ready = Math.max(0, this.readyUntil - performance.now());
      const wait = (options.timeoutMs ?? 2000) + t5 + ready + (c.control === 'manual' ? 60000 : 0);
      if (c.control === 'manual') process.stderr.write(`\nOPERATOR: make the IUT connect to ${this.listener?.host}:${this.listener?.port} now (waiting up to ${Math.round(wait / 1000)} s)\n`);
      const waitFrom = trace.elapsed();
      const socket = await this.listener!.next(wait);
      // E37-9.2.1: after a connection ends an active IUT lets T5 pass before it connects again,
      // so the wait up to then is the IUT's timer (counted as unavoidable), the rest overhead.
      const separationEnd = this.lastCloseAt(trace) + t5;
      trace.blockedMs += Math.max(0, Math.min(trace.elapsed(), separationEnd) - waitFrom);
      if (!socket) {
        const what = `the ${c.role} IUT did not connect to ${this.listener?.host}:${this.listener?.port} within ${Math.round(wait)} ms`;
        throw new IutUnreachable(this.process ? this.process.describeFailure(what, this.restartHint()) : what);
      }
      conn = TesterConnection.accepted(socket, trace, name);
    }
    this.connections.push(conn);
    return conn;
  }

  /** When the last closed connection recorded to `trace` closed (its clock), or -Infinity when none has. */
  private lastCloseAt(trace: WireTrace): number {
    return Math.max(-Infinity, ...this.connections.filter((c) => c.trace === trace).map((c) => c.closed?.at ?? -Infinity));
  }

  /**
   * How long the tester retries a refused connect to a passive IUT. A passive entity may take a
   * moment to listen again, after a start and after a connection ends alike (some libraries open a
   * new listener only then): the tester retries as an active entity would, for T5 (E37-9.2.1)
   * plus the tolerance, or for the launched IUT's ready time (the embedded peer's, EMBEDDED_READY_MS)
   * when that is longer.
   */
  get reconnectWindowMs(): number {
    const c = this.config;
    const { t5, t6, tolerance } = this.timersMs;
    const readyMs = c.launch ? c.launch.readyTimeout * 1000 : c.control === 'embedded' ? EMBEDDED_READY_MS : 0;
    // An alternating IUT in its passive phase listens only after its T5 separation and a failed
    // active attempt (A1-3 steps 1 and 3).
    const listenMs = this.passivePhase ? 3 * t5 + t6 + tolerance : t5 + tolerance;
    return Math.max(readyMs, listenMs);
  }

  /** The port the tester listens on for an active IUT. */
  get listenerPort(): number | null {
    return this.listener?.port ?? null;
  }

  /** The IUT's published port (where a passive or alternating IUT listens). */
  get iutPort(): number {
    // The embedded alternating IUT listens only in its passive phase, at the port it was given.
    return this.entity ? (this.entity.port ?? this.entity.params.port) : this.config.port;
  }

  /** Registers a connection the tester opened itself, so that it is closed when the scenario ends. */
  track(conn: TesterConnection): void {
    this.connections.push(conn);
  }

  /**
   * Stops the tester's listener for the rest of the scenario, so an active or alternating IUT's
   * connect attempts fail (A1-3: the IUT then enters its passive phase). The next scenario listens again.
   */
  async stopListening(): Promise<void> {
    const l = this.listener;
    this.listener = null;
    await l?.close();
  }

  /**
   * A passive entity may take a moment to listen again after a connection ends, and a launched
   * one to listen at all. The tester retries as an active entity would: for T5 (E37-9.2.1) plus
   * the tolerance, or until the launched IUT's readyTimeout has passed since its launch
   * (reconnectWindowMs, which gives an alternating IUT in its passive phase longer). The window
   * stretches by the time the tester's own process could not run (stall-meter.ts): the embedded
   * peer listens again on the tester's event loop, and a launched IUT shares its CPUs, so a
   * loaded host must not be taken for an IUT that stopped listening.
   */
  private async connectToPassive(trace: WireTrace, name: string, timeoutMs: number): Promise<TesterConnection> {
    const c = this.config;
    const port = this.iutPort;
    const started = performance.now();
    const deadline = Math.max(this.readyUntil, started + this.reconnectWindowMs);
    const pause = 50;
    const stalls = measureStalls();
    try {
      for (;;) {
        try {
          const conn = await TesterConnection.connect(c.host, port, trace, name, timeoutMs);
          if (this.process && !this.process.running) {
            // Whatever accepted is not the IUT the harness launched: judging it would blame the IUT.
            conn.destroy();
            throw new IutUnreachable(this.process.describeFailure(`the launched IUT ${this.process.exitDescription}, yet something else accepted a connection on ${c.host}:${port}`, this.restartHint()));
          }
          return conn;
        } catch (err) {
          if (err instanceof IutUnreachable) throw err;
          const code = (err as NodeJS.ErrnoException).code;
          if (this.process && !this.process.running) {
            throw new IutUnreachable(this.process.describeFailure(`the launched IUT ${this.process.exitDescription} before it listened on ${c.host}:${port}`, this.restartHint()));
          }
          if ((code === 'ECONNREFUSED' || code === 'ECONNRESET') && performance.now() < deadline + stalls.stalledMs) {
            await delay(pause);
            continue;
          }
          const stalled = stalls.stalledMs >= 100 ? `, ${(stalls.stalledMs / 1000).toFixed(1)} s of it with the tester stalled by the host's load` : '';
          const what = `cannot connect to the IUT at ${c.host}:${port}: ${(err as Error).message} (retried for ${((performance.now() - started) / 1000).toFixed(1)} s${stalled})`;
          throw new IutUnreachable(this.process ? this.process.describeFailure(what, this.restartHint()) : what);
        }
      }
    } finally {
      stalls.end();
    }
  }

  /** Said when a launched IUT that served earlier scenarios does not come back after a restart. */
  private restartHint(): string | undefined {
    if (!this.everReached || this.config.launch?.restart !== 'per-scenario') return undefined;
    return 'the IUT served earlier scenarios but not after this restart; `launch.restart: once` avoids restarting it';
  }

  /** Makes the IUT initiate a procedure (CONTRACTS.md section 1 command lines). */
  async command(cmd: ControlCommand, description: string): Promise<void> {
    const c = this.config;
    if (c.control !== 'none' && !c.initiates.includes(cmd.kind)) {
      // E37 requires no entity to initiate Deselect, Separate or Linktest: not a deviation.
      throw new NotApplicable(`the profile declares the IUT cannot initiate ${cmd.kind} (control.initiates: ${c.initiates.join(', ') || 'nothing'}); needed: ${description}`);
    }
    switch (c.control) {
      case 'none':
        throw new NotApplicable(`the profile offers no control of the IUT (control: none); needed: ${description}`);
      case 'embedded': {
        if (!this.entity) throw new HarnessError('the embedded IUT is not running');
        // The outcome is observed on the wire, not through the API.
        executePeerCommand(this.entity, cmd).catch(() => undefined);
        return;
      }
      case 'stdin': {
        if (!this.process) throw new NotApplicable('control: stdin needs a launched IUT');
        const line = commandLine(cmd);
        this.process.writeLine(line);
        this.watchForRefusal(this.process, line);
        return;
      }
      case 'manual':
        process.stderr.write(`\nOPERATOR: ${description} now (command: ${commandLine(cmd)})\n`);
        return;
    }
  }

  /**
   * A launcher that cannot carry out a command says so with a line on standard error containing
   * "cannot" followed by the command's verb ("cannot deselect: no API for it"). E37 requires no
   * entity to initiate every procedure, so that answer makes the scenario not applicable (the
   * After hook reads commandRefusal) rather than a failure of the IUT.
   */
  private watchForRefusal(p: IutProcess, line: string): void {
    const verb = line.split(' ')[0]!;
    const answer = new RegExp(`\\bcannot\\s+${verb}\\b`, 'i');
    this.stopWatchingRefusals.push(
      p.onStderrLine((l) => {
        if (this.refusal === null && answer.test(l)) this.refusal = `the IUT's launcher cannot carry out '${line}': ${l.trim().slice(0, 300)}`;
      }),
    );
  }

  /**
   * Starts the embedded reference peer: a passive one on a port of its own (own-port.ts); an
   * active one connecting to the tester's listener (`remote`); an alternating one connecting
   * there and listening on `host` at the same port in its passive phase.
   */
  private async startEmbedded(remote: { readonly host: string; readonly port: number } | null): Promise<void> {
    const c = this.config;
    const start = async (port: number): Promise<HsmsEntity> => {
      const entity = new HsmsEntity(
        {
          mode: c.role,
          host: c.role === 'active' ? (remote?.host ?? c.host) : c.host,
          ...(c.role === 'alternating' && remote ? { remoteHost: remote.host } : {}),
          port,
          sessionId: c.sessionId,
          timers: c.timers,
          maxLength: c.capabilities.maxMessageLength,
          standard: c.standard,
          multipleConnections: c.capabilities.multipleConnections,
          refusal: c.capabilities.refusal ?? 'a',
        },
        { responder: defaultResponder, faults: parseFaults(c.faults ?? []), variants: parseVariants(c.variants ?? [], c.standard, c.role) },
      );
      await entity.start();
      return entity;
    };
    this.entity = c.role === 'passive' ? await onOwnPort(start) : await start(remote?.port ?? 0);
  }
}

export function commandLine(cmd: ControlCommand): string {
  if (cmd.kind !== 'send') return cmd.kind;
  return `send ${cmd.stream} ${cmd.function}${cmd.wBit ? ' W' : ''}${cmd.text.length > 0 ? ' ' + cmd.text.toString('hex') : ''}`;
}
