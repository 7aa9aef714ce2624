import { HEADER_LENGTH, LENGTH_PREFIX, SType } from '../protocol/constants';
import { describeHeader } from '../protocol/header';
import type { StreamStats } from '../capture/tcp-stream';
import type { ConnectionHandler, ConnectionInfo, Direction } from '../capture/tcp-connections';
import { formatEndpoint } from '../capture/tcp-segment';
import type { Timeline, TimelineMark, TimelineMessage } from '../report/timeline-svg';
import { ConnectionJudge } from './connection-judge';
import type { Measure, Side, StateView, TrafficFinding } from './judge-types';
import { HeaderScanner, MessageStream, plausibleHeaderAt, type ObservedMessage } from './message-stream';
import type { SideRules } from './side-rules';
import { Transcript } from './transcript';

/**
 * One TCP connection seen as HSMS: both directions cut into messages, the judge fed in capture
 * order, and what the reports need kept on the side (transcript lines, a timeline, counters).
 * Without `--port` a connection is kept only if its first bytes are a plausible HSMS header.
 */

export interface ConnectionEvents {
  message(dir: Direction, m: ObservedMessage): void;
  /** The server accepted the connection (SYN-ACK). */
  accepted(timeMs: number): void;
  finding(side: Side, f: TrafficFinding): void;
  exercised(side: Side, clause: string): void;
  measured(side: Side, what: Measure, ms: number): void;
  stateChanged(state: StateView): void;
  /** The connection is over; `summary` describes it for the reports. */
  ended(summary: ConnectionSummary): void;
}

export interface ConnectionSummary {
  readonly info: ConnectionInfo;
  readonly label: string;
  readonly endMs: number;
  readonly lastFrame: number;
  readonly messages: { readonly c2s: number; readonly s2c: number };
  readonly findings: number;
  readonly notes: readonly string[];
  readonly transcript: Transcript;
  readonly timeline: Timeline;
  readonly closedBy: Side | null;
  /** When the connection's attempt ended (the end of the connection for T5, E37-9.2.1). */
  readonly attempt: { readonly startMs: number; readonly endMs: number; readonly accepted: boolean };
}

export interface HsmsConnectionOptions {
  readonly info: ConnectionInfo;
  readonly rules: Readonly<Record<Side, SideRules>>;
  /** True when the connection was chosen by --port: no plausibility test. */
  readonly known: boolean;
  readonly originMs: number;
  readonly frameRef: (frame: number) => string;
  readonly events: ConnectionEvents;
  readonly siblingAcceptedAfter: (sinceMs: number) => boolean;
  readonly otherConnectionSelected: () => boolean;
  readonly otherConnectionOpen: () => boolean;
}

/** Timeline budget per connection. */
const MAX_TIMELINE_MESSAGES = 400;
const MAX_MARKS = 100;
/** Bytes a connection of unknown kind may show before it is judged not to be HSMS. */
const CLASSIFY_WINDOW = 64 * 1024;

export class HsmsConnection implements ConnectionHandler {
  private readonly streams: Record<Direction, MessageStream>;
  private readonly judge: ConnectionJudge;
  private readonly transcript: Transcript;
  private readonly label: string;
  private classified: boolean;
  private pending: Array<{ dir: Direction; bytes: Buffer; offset: number; frame: number; timeMs: number }> = [];
  private pendingBytes = 0;
  private readonly messageCount = { c2s: 0, s2c: 0 };
  private findings = 0;
  private readonly notes: string[] = [];
  private readonly tl = {
    messages: [] as TimelineMessage[],
    states: [] as Array<{ from: number; to: number; state: string }>,
    windows: [] as Array<{ from: number; to: number; dir: Direction; label: string }>,
    closes: [] as Array<{ t: number; side: Side; how: string }>,
    marks: [] as TimelineMark[],
    omitted: 0,
  };
  private state: { state: StateView; since: number };
  private lastTimeMs: number;
  private closedBy: Side | null = null;
  private acceptedAt: number | null = null;
  /** Open requests per direction for the timeline's waiting windows: system bytes to start time. */
  private readonly waiting: Record<Direction, Map<number, number>> = { c2s: new Map(), s2c: new Map() };

  constructor(private readonly o: HsmsConnectionOptions) {
    const { info } = o;
    this.classified = o.known;
    this.label = `${formatEndpoint(info.client.address, info.client.port)} -> ${formatEndpoint(info.server.address, info.server.port)}`;
    this.transcript = new Transcript(o.originMs, o.frameRef);
    this.lastTimeMs = info.firstTimeMs;
    this.state = { state: info.rolesFromSyn ? 'NOT_SELECTED' : 'UNKNOWN', since: info.firstTimeMs };
    const sink = (dir: Direction): ConstructorParameters<typeof MessageStream>[0] => ({
      message: (m) => this.onMessage(dir, m),
      announced: (length, _offset, frame, timeMs) => this.judge.announced(senderOf(dir), length, frame, timeMs),
      framingError: (length, _offset, frame, timeMs) => {
        this.note(frame, timeMs, `${this.arrowText(dir)}: message length ${length}, below 10: the stream is out of step`);
        this.judge.framingError(senderOf(dir), length, frame, timeMs);
      },
      cut: (_offset, have, frame, timeMs) => this.event(frame, timeMs, `${this.arrowText(dir)}: a message cut by the hole (${have} bytes of it seen)`),
      resynced: (reason, skipped, _offset, frame, timeMs) => {
        if (skipped > 0 || reason !== 'mid-stream') this.note(frame, timeMs, `${this.arrowText(dir)}: resynchronised ${reason} on the first plausible HSMS header, ${skipped} bytes skipped`);
        this.judge.incomplete(senderOf(dir), timeMs);
      },
    });
    this.streams = { c2s: new MessageStream(sink('c2s'), info.rolesFromSyn), s2c: new MessageStream(sink('s2c'), info.rolesFromSyn) };
    this.judge = new ConnectionJudge(
      info.rolesFromSyn,
      info.firstTimeMs,
      o.rules,
      {
        finding: (f) => this.onFinding(f),
        exercised: (side, clause) => o.events.exercised(side, clause),
        measured: (side, what, ms) => o.events.measured(side, what, ms),
        stateChanged: (state, frame, timeMs) => this.onState(state, frame, timeMs),
        note: (text, frame, timeMs) => this.transcript.event(frame, timeMs, text),
      },
      {
        partialSince: (from) => this.streams[from === 'client' ? 'c2s' : 's2c'].partialSince,
        siblingAcceptedAfter: o.siblingAcceptedAfter,
        otherConnectionSelected: o.otherConnectionSelected,
        otherConnectionOpen: o.otherConnectionOpen,
      },
    );
    if (!info.rolesFromSyn) this.note(info.firstFrame, info.firstTimeMs, 'the capture starts in the middle of this connection: roles guessed, state unknown until a procedure shows it');
  }

  // ---- ConnectionHandler ----------------------------------------------------------------------

  data(dir: Direction, bytes: Buffer, offset: number, frame: number, timeMs: number): boolean {
    this.lastTimeMs = timeMs;
    if (!this.classified) return this.classify(dir, bytes, offset, frame, timeMs);
    this.streams[dir].push(bytes, offset, frame, timeMs);
    return true;
  }

  hole(dir: Direction, offset: number, missing: number, frame: number, timeMs: number): void {
    this.lastTimeMs = timeMs;
    this.note(frame, timeMs, `${this.arrowText(dir)}: ${missing} bytes missing from the capture (a hole at stream byte ${offset}); messages around it are judged only where whole`);
    this.judge.incomplete(senderOf(dir), timeMs);
    this.streams[dir].hole(offset, missing, frame, timeMs);
  }

  accepted(_frame: number, timeMs: number): void {
    this.acceptedAt = timeMs;
    this.o.events.accepted(timeMs);
    if (this.classified) this.judge.accepted();
  }

  closed(dir: Direction, how: 'fin' | 'rst', frame: number, timeMs: number): void {
    this.lastTimeMs = timeMs;
    const side = senderOf(dir);
    this.closedBy ??= side;
    this.tl.closes.push({ t: timeMs, side, how: how === 'fin' ? 'FIN' : 'RST' });
    if (this.classified) this.judge.closed(side, how, frame, timeMs);
  }

  end(frame: number, timeMs: number, stats: { readonly c2s: StreamStats; readonly s2c: StreamStats }): void {
    // A connection still open when the capture ends lasts until the end of the capture.
    const endMs = Math.max(this.closedBy !== null ? this.lastTimeMs : timeMs, this.o.info.firstTimeMs);
    if (this.classified) this.judge.end(frame, endMs);
    for (const dir of ['c2s', 's2c'] as const) {
      const s = stats[dir];
      if (s.duplicateBytes > 0 || s.outOfOrderSegments > 0) this.notes.push(`${this.arrowText(dir)}: ${s.duplicateBytes} bytes retransmitted or overlapping (counted once), ${s.outOfOrderSegments} segments out of order`);
      if (s.holes > 0) this.notes.push(`${this.arrowText(dir)}: ${s.holes} holes, ${s.holeBytes} bytes missing from the capture`);
    }
    this.tl.states.push({ from: this.state.since, to: endMs, state: this.state.state });
    this.o.events.ended({
      info: this.o.info,
      label: this.label,
      endMs,
      lastFrame: frame,
      messages: { ...this.messageCount },
      findings: this.findings,
      notes: this.notes,
      transcript: this.transcript,
      timeline: {
        title: `connection ${this.o.info.id}: ${this.label}`,
        clientName: formatEndpoint(this.o.info.client.address, this.o.info.client.port),
        serverName: formatEndpoint(this.o.info.server.address, this.o.info.server.port),
        startMs: this.o.info.firstTimeMs,
        endMs: Math.max(endMs, this.o.info.firstTimeMs + 1),
        originMs: this.o.originMs,
        ...this.tl,
      },
      closedBy: this.closedBy,
      attempt: { startMs: this.o.info.firstTimeMs, endMs, accepted: this.acceptedAt !== null },
    });
  }

  get isHsms(): boolean {
    return this.classified;
  }

  // ---- inside -------------------------------------------------------------------------------

  /** Without --port: keep bytes until a plausible HSMS header shows the connection is HSMS (or shows it is not). */
  private classify(dir: Direction, bytes: Buffer, offset: number, frame: number, timeMs: number): boolean {
    this.pending.push({ dir, bytes: Buffer.from(bytes), offset, frame, timeMs });
    this.pendingBytes += bytes.length;
    const all = Buffer.concat(this.pending.filter((p) => p.dir === dir).map((p) => p.bytes));
    let verdict: boolean | null;
    if (this.o.info.rolesFromSyn) verdict = all.length >= LENGTH_PREFIX + HEADER_LENGTH ? plausibleHeaderAt(all, 0) !== null : null;
    else verdict = new HeaderScanner().next(all) >= 0 ? true : this.pendingBytes >= CLASSIFY_WINDOW ? false : null;
    if (verdict === null) return true;
    if (!verdict) return false;
    this.classified = true;
    if (this.acceptedAt !== null) this.judge.accepted();
    const replay = this.pending;
    this.pending = [];
    for (const p of replay) this.streams[p.dir].push(p.bytes, p.offset, p.frame, p.timeMs);
    return true;
  }

  private onMessage(dir: Direction, m: ObservedMessage): void {
    this.messageCount[dir]++;
    this.o.events.message(dir, m);
    this.transcript.message(this.arrowText(dir), m);
    const h = m.header;
    if (this.tl.messages.length < MAX_TIMELINE_MESSAGES) this.tl.messages.push({ t: m.lastTimeMs, dir, label: describeHeader(h), control: h.sType !== SType.Data });
    else this.tl.omitted++;
    this.timelineWindow(dir, m);
    this.judge.message(senderOf(dir), m);
  }

  /** A request waiting for its answer, as a shaded window on the timeline. */
  private timelineWindow(dir: Direction, m: ObservedMessage): void {
    const h = m.header;
    const back: Direction = dir === 'c2s' ? 's2c' : 'c2s';
    const start = this.waiting[back].get(h.systemBytes);
    if (start !== undefined && (h.sType === SType.SelectRsp || h.sType === SType.DeselectRsp || h.sType === SType.LinktestRsp || h.sType === SType.RejectReq || (h.sType === SType.Data && (h.byte3 & 1) === 0))) {
      this.waiting[back].delete(h.systemBytes);
      if (this.tl.windows.length < MAX_TIMELINE_MESSAGES) this.tl.windows.push({ from: start, to: m.firstTimeMs, dir: back, label: `${describeHeader(h)} answered after` });
      return;
    }
    const request = h.sType === SType.SelectReq || h.sType === SType.DeselectReq || h.sType === SType.LinktestReq || (h.sType === SType.Data && (h.byte3 & 1) === 1 && (h.byte2 & 0x80) !== 0);
    if (request && this.waiting[dir].size < 64) this.waiting[dir].set(h.systemBytes, m.lastTimeMs);
  }

  private onFinding(f: TrafficFinding): void {
    this.findings++;
    this.transcript.event(f.frame, f.timeMs, `${f.severity.toUpperCase()} ${f.clause} (${f.side}): ${f.message}`);
    if (this.tl.marks.length < MAX_MARKS) this.tl.marks.push({ t: f.timeMs, side: f.side, severity: f.severity, text: `${f.clause}: ${f.message}` });
    this.o.events.finding(f.side, f);
  }

  private onState(state: StateView, frame: number, timeMs: number): void {
    this.tl.states.push({ from: this.state.since, to: timeMs, state: this.state.state });
    this.state = { state, since: timeMs };
    this.transcript.event(frame, timeMs, `state: ${state.replace('_', ' ')}`);
    this.o.events.stateChanged(state);
  }

  private note(frame: number, timeMs: number, text: string): void {
    if (this.notes.length < 20) this.notes.push(text);
    this.transcript.event(frame, timeMs, text);
  }

  private event(frame: number, timeMs: number, text: string): void {
    this.transcript.event(frame, timeMs, text);
  }

  private arrowText(dir: Direction): string {
    return dir === 'c2s' ? 'client -> server' : 'server -> client';
  }
}

function senderOf(dir: Direction): Side {
  return dir === 'c2s' ? 'client' : 'server';
}
