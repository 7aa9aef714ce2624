import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatEndpoint } from '../capture/tcp-segment';
import type { Timeline } from '../report/timeline-svg';
import type { ConnectionSummary } from './hsms-connection';

/**
 * What the reports keep of the connections as they end: each one's decoded transcript written to
 * `traces/conn-<id>.txt` (the first MAX_TRANSCRIPTS, and every one with findings up to as many
 * again), a short list per entity for the report, and the timelines worth drawing (those with
 * findings first). Bounded, so 100 000 connections cost no more than a few hundred.
 */

const MAX_TRANSCRIPTS = 1000;
const MAX_LISTED = 200;
const MAX_TIMELINES = 12;

export interface ArchivedConnection {
  readonly id: number;
  readonly label: string;
  readonly startMs: number;
  readonly findings: number;
  /** Relative to the report folder, '' when not written. */
  readonly transcript: string;
  /** Entity keys of its two sides. */
  readonly server: string;
  readonly client: string;
}

export class ConnectionArchive {
  private readonly listed: ArchivedConnection[] = [];
  private readonly transcripts = new Map<number, string>();
  private written = 0;
  private writtenWithFindings = 0;
  private timelines: Array<{ readonly timeline: Timeline; readonly findings: number; readonly client: string; readonly server: string }> = [];
  total = 0;

  constructor(
    /** Folder the transcripts go to (`<report-dir>/traces`), or null to write none. */
    private readonly tracesDir: string | null,
    private readonly header: (s: ConnectionSummary) => string[],
  ) {
    if (tracesDir) fs.mkdirSync(tracesDir, { recursive: true });
  }

  add(s: ConnectionSummary): void {
    this.total++;
    const server = formatEndpoint(s.info.server.address, s.info.server.port);
    const client = `${s.info.client.address} -> ${server}`;
    let transcript = '';
    const worth = this.written < MAX_TRANSCRIPTS || (s.findings > 0 && this.writtenWithFindings < MAX_TRANSCRIPTS);
    if (this.tracesDir && worth) {
      const file = `conn-${s.info.id}.txt`;
      fs.writeFileSync(path.join(this.tracesDir, file), s.transcript.render(this.header(s)));
      transcript = `traces/${file}`;
      this.transcripts.set(s.info.id, transcript);
      if (this.written < MAX_TRANSCRIPTS) this.written++;
      else this.writtenWithFindings++;
    }
    this.list({ id: s.info.id, label: s.label, startMs: s.info.firstTimeMs, findings: s.findings, transcript, server, client });
    this.keepTimeline(s, client, server);
  }

  /** The first MAX_LISTED connections, then those with findings, up to twice as many in all. */
  private list(c: ArchivedConnection): void {
    if (this.listed.length < MAX_LISTED) {
      this.listed.push(c);
      return;
    }
    if (c.findings === 0) return;
    if (this.listed.length >= 2 * MAX_LISTED) {
      const i = this.listed.findIndex((x) => x.findings === 0);
      if (i < 0) return;
      this.listed.splice(i, 1);
    }
    this.listed.push(c);
  }

  private keepTimeline(s: ConnectionSummary, client: string, server: string): void {
    if (s.messages.c2s + s.messages.s2c === 0 && s.findings === 0) return;
    const entry = { timeline: s.timeline, findings: s.findings, client, server };
    if (this.timelines.length < MAX_TIMELINES) {
      this.timelines.push(entry);
      return;
    }
    if (s.findings === 0) return;
    const i = this.timelines.findIndex((t) => t.findings === 0);
    if (i >= 0) this.timelines.splice(i, 1, entry);
  }

  transcriptOf(connection: number): string {
    return this.transcripts.get(connection) ?? '';
  }

  /** The connections of one entity, as listed in its report. */
  connectionsOf(entityKey: string): ArchivedConnection[] {
    return this.listed.filter((c) => c.server === entityKey || c.client === entityKey);
  }

  timelinesOf(entityKey: string): Timeline[] {
    return this.timelines.filter((t) => t.server === entityKey || t.client === entityKey).map((t) => t.timeline);
  }
}
