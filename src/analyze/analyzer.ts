import type { IutProfile } from '../harness/profile';
import type { Standard } from '../peer/parameters';
import type { CapturedPacket } from '../capture/capture-file';
import { ConnectionTracker, type ConnectionInfo, type Direction, type TrackerStats } from '../capture/tcp-connections';
import { decodeFrame, formatEndpoint, type SkipReason } from '../capture/tcp-segment';
import type { Side, TrafficFinding } from './judge-types';
import { EntityLedger, type EntityRole } from './entity-ledger';
import { HsmsConnection, type ConnectionSummary } from './hsms-connection';
import type { ObservedMessage } from './message-stream';
import { profiledSide, rulesFromProfile, undeclared, type SideRules } from './side-rules';

/**
 * Judges E37 from traffic: packets in (from a capture file or the monitor's relay), one
 * HsmsConnection per TCP connection carrying HSMS, and one EntityLedger per entity. An entity is
 * the side that accepted (`address:port`) or the side that connected (its address, per server it
 * connects to: its own port changes with every connection).
 *
 * A profile (`--profile`) declares one entity's values: a passive profile the entity accepting
 * on its port, an active one the entity connecting to its port, an alternating one both, told
 * apart by its addresses (side-rules.ts, profiledSide).
 */

export interface AnalyzerOptions {
  /** Only these TCP ports; null finds HSMS connections by their first bytes. */
  readonly ports: ReadonlySet<number> | null;
  readonly profiles: readonly IutProfile[];
  /** Rules for entities without a profile. */
  readonly standard: Standard;
  /** Called as each connection ends (for transcripts written as the analysis goes). */
  readonly onConnection?: (summary: ConnectionSummary) => void;
  /** Called for each message decoded, in capture order (the Wireshark cross-check compares them). */
  readonly onMessage?: (connection: number, dir: Direction, m: ObservedMessage) => void;
  /** Called for each finding as it is made (the monitor prints them). */
  readonly onFinding?: (entity: EntityLedger, connection: { readonly id: number; readonly label: string }, f: TrafficFinding) => void;
}

export interface CaptureSource {
  readonly file: string;
  readonly firstFrame: number;
  readonly frames: number;
}

export interface AnalysisResult {
  readonly entities: readonly EntityLedger[];
  readonly sources: readonly CaptureSource[];
  readonly packets: number;
  readonly firstMs: number;
  readonly lastMs: number;
  readonly hsmsConnections: number;
  readonly tracker: TrackerStats;
  readonly skipped: Readonly<Partial<Record<SkipReason, number>>>;
  /** Profiles that matched no entity of the capture. */
  readonly unmatchedProfiles: readonly string[];
  /** Each entity's key and the keys of the entities it talked to. */
  readonly peers: ReadonlyMap<string, ReadonlySet<string>>;
}

interface Attempt {
  readonly startMs: number;
  readonly endMs: number;
  readonly frame: number;
}

/** Attempts kept per connecting entity before the oldest are judged (bounded memory over any number of connections). */
const ATTEMPT_WINDOW = 32;

interface ServerState {
  /** Accept times of its connections, most recent last (bounded). */
  readonly accepts: Array<{ readonly id: number; readonly timeMs: number }>;
  readonly selected: Set<number>;
  /** Its connections not yet ended. */
  readonly open: Set<number>;
}

export class TrafficAnalyzer {
  private readonly tracker: ConnectionTracker;
  private readonly entities = new Map<string, EntityLedger>();
  private readonly peers = new Map<string, Set<string>>();
  private readonly servers = new Map<string, ServerState>();
  private readonly hsmsServers = new Set<string>();
  /** Connect attempts of each connecting entity, for T5 (E37-9.2.1). */
  private readonly attempts = new Map<string, Attempt[]>();
  private readonly skipped: Partial<Record<SkipReason, number>> = {};
  private readonly sources: CaptureSource[] = [];
  private readonly usedProfiles = new Set<IutProfile>();
  private packets = 0;
  private firstMs = NaN;
  private lastMs = NaN;
  private lastFrame = 0;
  private hsmsConnections = 0;
  private finished = false;

  constructor(private readonly options: AnalyzerOptions) {
    this.tracker = new ConnectionTracker({ ports: options.ports, open: (info) => this.open(info) });
  }

  /** Starts the next capture file: its frames are numbered from 1 in reports. */
  startSource(file: string): void {
    this.sources.push({ file, firstFrame: this.lastFrame + 1, frames: 0 });
  }

  /** One captured packet; `frame` counts within the current source. */
  packet(p: CapturedPacket): void {
    const source = this.sources[this.sources.length - 1];
    const frame = (source ? source.firstFrame - 1 : 0) + p.frame;
    if (source) (source as { frames: number }).frames = p.frame;
    this.lastFrame = frame;
    this.packets++;
    if (Number.isNaN(this.firstMs)) this.firstMs = p.timeMs;
    this.lastMs = p.timeMs;
    const s = decodeFrame(p.linkType, p.data);
    if (typeof s === 'string') {
      this.skipped[s] = (this.skipped[s] ?? 0) + 1;
      return;
    }
    this.tracker.segment(s, frame, p.timeMs);
  }

  /** How reports cite a frame: its number in its own file (with the file when there are several). */
  frameRef(frame: number): string {
    if (this.sources.length <= 1) return String(frame);
    for (let i = this.sources.length - 1; i >= 0; i--) {
      const s = this.sources[i]!;
      if (frame >= s.firstFrame) return `${i + 1}:${frame - s.firstFrame + 1}`;
    }
    return String(frame);
  }

  get originMs(): number {
    return this.firstMs;
  }

  /** Ends every open connection at the end of the capture and returns the result. */
  finish(): AnalysisResult {
    if (!this.finished) {
      this.finished = true;
      this.tracker.end(this.lastFrame, this.lastMs);
      this.judgeReconnects();
    }
    return this.snapshot();
  }

  /** What the analysis holds so far, connections still open included only as far as they went (the monitor's periodic reports). */
  snapshot(): AnalysisResult {
    const entities = [...this.entities.values()].sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === 'accepting' ? -1 : 1));
    return {
      entities,
      sources: this.sources,
      packets: this.packets,
      firstMs: this.firstMs,
      lastMs: this.lastMs,
      hsmsConnections: this.hsmsConnections,
      tracker: this.tracker.stats,
      skipped: this.skipped,
      unmatchedProfiles: this.options.profiles.filter((p) => !this.usedProfiles.has(p)).map((p) => `${p.name} (${p.role}, port ${p.port})`),
      peers: this.peers,
    };
  }

  private open(info: ConnectionInfo): HsmsConnection | null {
    const serverKey = formatEndpoint(info.server.address, info.server.port);
    const clientKey = `${info.client.address} -> ${serverKey}`;
    const origin = Number.isNaN(this.firstMs) ? info.firstTimeMs : this.firstMs;
    let server: ServerState | undefined = this.servers.get(serverKey);
    const conn: HsmsConnection = new HsmsConnection({
      info,
      rules: { client: this.rulesFor('connecting', info.server), server: this.rulesFor('accepting', info.server) },
      // A server already seen speaking HSMS speaks it on every connection, even a silent one.
      known: this.options.ports !== null || this.hsmsServers.has(serverKey),
      originMs: origin,
      frameRef: (f) => this.frameRef(f),
      siblingAcceptedAfter: (since) => (server?.accepts ?? []).some((a) => a.id !== info.id && a.timeMs > since),
      otherConnectionSelected: () => [...(server?.selected ?? [])].some((id) => id !== info.id),
      otherConnectionOpen: () => [...(server?.open ?? [])].some((id) => id !== info.id),
      events: {
        message: (dir, m) => this.options.onMessage?.(info.id, dir, m),
        accepted: (timeMs) => {
          server ??= this.serverState(serverKey);
          server.accepts.push({ id: info.id, timeMs });
          server.open.add(info.id);
          if (server.accepts.length > 8) server.accepts.shift();
        },
        finding: (side, f) => {
          const e = this.entity(side, info, serverKey, clientKey);
          e.finding({ ...f, connection: info.id });
          this.options.onFinding?.(e, { id: info.id, label: `${formatEndpoint(info.client.address, info.client.port)} -> ${serverKey}` }, f);
        },
        exercised: (side, clause) => this.entity(side, info, serverKey, clientKey).exercised(clause, info.id),
        measured: (side, what, ms) => this.entity(side, info, serverKey, clientKey).measured(what, ms),
        stateChanged: (state) => {
          server ??= this.serverState(serverKey);
          if (state === 'SELECTED') server.selected.add(info.id);
          else server.selected.delete(info.id);
        },
        ended: (summary) => {
          server?.selected.delete(info.id);
          server?.open.delete(info.id);
          if (conn.isHsms) {
            this.hsmsConnections++;
            this.hsmsServers.add(serverKey);
            const c = this.entity('client', info, serverKey, clientKey);
            const s = this.entity('server', info, serverKey, clientKey);
            c.connections++;
            s.connections++;
            c.messagesSent += summary.messages.c2s;
            s.messagesSent += summary.messages.s2c;
            this.link(c.key, s.key);
          }
          if (conn.isHsms || this.options.ports !== null) this.recordAttempt(clientKey, summary);
          this.options.onConnection?.(summary);
        },
      },
    });
    return conn;
  }

  private serverState(key: string): ServerState {
    let s = this.servers.get(key);
    if (!s) {
      s = { accepts: [], selected: new Set(), open: new Set() };
      this.servers.set(key, s);
    }
    return s;
  }

  private entity(side: Side, info: ConnectionInfo, serverKey: string, clientKey: string): EntityLedger {
    const role: EntityRole = side === 'server' ? 'accepting' : 'connecting';
    const key = side === 'server' ? serverKey : clientKey;
    let e = this.entities.get(key);
    if (!e) {
      const name = side === 'server' ? `${serverKey} (accepting)` : `${info.client.address} (connecting to ${serverKey})`;
      e = new EntityLedger(key, name, role, this.rulesFor(role, info.server));
      this.entities.set(key, e);
    }
    return e;
  }

  private link(a: string, b: string): void {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      let set = this.peers.get(x);
      if (!set) this.peers.set(x, (set = new Set()));
      set.add(y);
    }
  }

  private rulesFor(role: EntityRole, server: ConnectionInfo['server']): SideRules {
    const p = this.options.profiles.find((x) => profiledSide(x, server) === role);
    if (!p) return undeclared(this.options.standard);
    this.usedProfiles.add(p);
    return rulesFromProfile(p);
  }

  /** Keeps the latest attempts of each connecting entity, ordered by start; older pairs are judged as they leave the window. */
  private recordAttempt(clientKey: string, s: ConnectionSummary): void {
    if (!s.info.rolesFromSyn) return;
    const serverKey = formatEndpoint(s.info.server.address, s.info.server.port);
    this.entity('client', s.info, serverKey, clientKey);
    let list = this.attempts.get(clientKey);
    if (!list) this.attempts.set(clientKey, (list = []));
    const a: Attempt = { startMs: s.attempt.startMs, endMs: s.attempt.endMs, frame: s.info.firstFrame };
    let i = list.length;
    while (i > 0 && list[i - 1]!.startMs > a.startMs) i--;
    list.splice(i, 0, a);
    while (list.length > ATTEMPT_WINDOW) {
      this.judgeGap(clientKey, list[0]!, list[1]!);
      list.shift();
    }
  }

  private judgeReconnects(): void {
    for (const [key, list] of this.attempts) for (let i = 1; i < list.length; i++) this.judgeGap(key, list[i - 1]!, list[i]!);
    this.attempts.clear();
  }

  /** E37-9.2.1: the gap between the end of one connect attempt and the next SYN of the same entity. */
  private judgeGap(key: string, prev: Attempt, next: Attempt): void {
    const e = this.entities.get(key);
    const gap = next.startMs - prev.endMs;
    if (!e || gap < 0) return;
    e.measured('T5 reconnect gap', gap);
    const t5 = e.rules.timers?.t5 ?? null;
    if (t5 === null) return;
    if (gap < t5 - e.rules.toleranceMs) {
      e.finding({ side: 'client', connection: 0, clause: 'E37-9.2.1', severity: 'warn', message: `connected again ${(gap / 1000).toFixed(3)} s after the previous attempt ended; T5 is ${(t5 / 1000).toFixed(3)} s`, frame: next.frame, timeMs: next.startMs });
    } else {
      e.exercised('E37-9.2.1', 0);
    }
  }
}
