import * as path from 'node:path';
import type { IutProfile } from '../harness/profile';
import type { Standard } from '../peer/parameters';
import { LINKTYPE } from '../capture/tcp-segment';
import { TrafficAnalyzer } from '../analyze/analyzer';
import { buildEntityReports, writeEntityReports, type EntityReport } from '../analyze/analysis-report';
import { ConnectionArchive } from '../analyze/connection-archive';
import type { TrafficFinding } from '../analyze/judge-types';
import type { EntityLedger } from '../analyze/entity-ledger';
import { TRACES_DIR } from '../report/evidence';
import { PcapRotation } from './pcap-rotation';
import { Relay, type HostPort } from './relay';

/**
 * `hsms-conformance monitor`: the relay, the same analyzer `analyze` uses, judging both
 * directions as the traffic passes, and the capture file of what was relayed.
 *
 * The relay forwards first; the packets describing what it forwarded are queued and analyzed in
 * small slices between I/O events, so a finding never alters, drops or delays traffic. If the
 * queue grows past `MAX_QUEUED_BYTES` (analysis falling behind), further packets are written to the
 * capture but not analyzed, and the reports say how many: the analysis then sees holes, which it
 * reports and does not judge across.
 */

export interface MonitorOptions {
  readonly listen: HostPort;
  readonly upstream: HostPort;
  readonly pcapFile: string | null;
  readonly pcapMaxBytes: number;
  readonly pcapKeep: number;
  readonly reportDir: string;
  readonly profiles: readonly IutProfile[];
  readonly standard: Standard;
  readonly version: string;
  /** Prints one line per finding as it is made, and notices. */
  readonly print: (line: string) => void;
}

/** Packets queued for analysis before new ones are left unjudged. */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** Work per slice before yielding back to the relay's I/O. */
const SLICE_MS = 2;

interface Queued {
  readonly epochMs: number;
  readonly frame: number;
  readonly data: Buffer;
}

export class Monitor {
  private readonly relay: Relay;
  private readonly pcap: PcapRotation | null;
  private readonly analyzer: TrafficAnalyzer;
  private readonly archive: ConnectionArchive;
  /** Packets waiting for analysis, from `head` on (an index, not shift(): the queue may hold many). */
  private queue: Queued[] = [];
  private head = 0;
  private queuedBytes = 0;
  private draining = false;
  private frame = 0;
  private unjudgedPackets = 0;
  private unjudgedBytes = 0;
  private findings = 0;
  readonly startedMs = Date.now();

  constructor(private readonly o: MonitorOptions) {
    this.pcap = o.pcapFile ? new PcapRotation(o.pcapFile, o.pcapMaxBytes, o.pcapKeep) : null;
    this.archive = new ConnectionArchive(path.join(o.reportDir, TRACES_DIR), (s) => [`# connection ${s.info.id}: ${s.label}, relayed by the monitor`, `# capture: ${this.captureName()}; times are seconds since the first relayed packet`, ...s.notes.map((n) => `# ${n}`)]);
    this.analyzer = new TrafficAnalyzer({
      ports: new Set([o.upstream.port]),
      profiles: o.profiles,
      standard: o.standard,
      onConnection: (s) => this.archive.add(s),
      onFinding: (e, c, f) => this.printFinding(e, c, f),
    });
    this.analyzer.startSource(this.captureName());
    this.relay = new Relay({ listen: o.listen, upstream: o.upstream, onPacket: (t, f) => this.packet(t, f), onEvent: (text) => o.print(`monitor: ${text}`) });
  }

  /** Starts relaying; resolves with the port listened on. */
  start(): Promise<number> {
    return this.relay.start();
  }

  get findingCount(): number {
    return this.findings;
  }

  /** How reports cite a frame of the monitor's capture. */
  frameRef(frame: number): string {
    return this.analyzer.frameRef(frame);
  }

  /** The reports of everything so far (periodic) or, with `final`, after closing the relay and ending every connection. */
  async writeReports(final: boolean): Promise<EntityReport[]> {
    if (final) {
      await this.relay.stop();
      this.drain(Infinity);
    }
    const result = final ? this.analyzer.finish() : this.analyzer.snapshot();
    const reports = buildEntityReports(result, this.archive, {
      files: [this.captureName()],
      version: this.o.version,
      profiles: this.o.profiles,
      frameRef: (f) => this.analyzer.frameRef(f),
      originMs: this.analyzer.originMs,
      strict: false,
      baseline: null,
      notes: [
        `relayed from ${this.o.listen.host}:${this.o.listen.port} to ${this.o.upstream.host}:${this.o.upstream.port} since ${new Date(this.startedMs).toISOString()}${final ? '' : ' (an interim report: connections still open are judged as far as they went)'}`,
        ...(this.unjudgedPackets > 0 ? [`${this.unjudgedPackets} packets (${this.unjudgedBytes} bytes) were relayed and captured but not judged: the analysis fell behind the traffic`] : []),
      ],
    });
    writeEntityReports(this.o.reportDir, reports, [this.captureName()]);
    if (final) await this.pcap?.close();
    return reports;
  }

  private captureName(): string {
    return this.o.pcapFile ?? '(relayed traffic, no --pcap file)';
  }

  private packet(epochMs: number, data: Buffer): void {
    if (this.pcap?.rotatesNext) {
      // A new capture file: frames count from 1 again, in reports as the next source.
      this.drain(Infinity);
      this.analyzer.startSource(`${this.captureName()} (file ${this.pcap.currentSegment + 1})`);
      this.frame = 0;
    }
    this.frame = this.pcap ? this.pcap.write(epochMs, data) : this.frame + 1;
    if (this.queuedBytes + data.length > MAX_QUEUED_BYTES) {
      this.unjudgedPackets++;
      this.unjudgedBytes += data.length;
      return;
    }
    this.queue.push({ epochMs, frame: this.frame, data });
    this.queuedBytes += data.length;
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => this.drain(SLICE_MS));
    }
  }

  /** Analyzes queued packets for at most `budgetMs`, then yields to I/O. */
  private drain(budgetMs: number): void {
    const until = performance.now() + budgetMs;
    while (this.head < this.queue.length && performance.now() < until) {
      const q = this.queue[this.head++]!;
      this.queuedBytes -= q.data.length;
      this.analyzer.packet({ frame: q.frame, timeMs: q.epochMs, linkType: LINKTYPE.ETHERNET, data: q.data, originalLength: q.data.length });
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      this.draining = false;
    } else {
      if (this.head > 4096) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      setImmediate(() => this.drain(SLICE_MS));
    }
  }

  private printFinding(e: EntityLedger, c: { readonly id: number; readonly label: string }, f: TrafficFinding): void {
    this.findings++;
    const t = ((f.timeMs - this.analyzer.originMs) / 1000).toFixed(3);
    this.o.print(`${f.severity.toUpperCase().padEnd(4)} ${f.clause.padEnd(14)} ${e.name}: ${f.message} [frame ${this.analyzer.frameRef(f.frame)}, +${t} s, connection ${c.id} ${c.label}]`);
  }
}
