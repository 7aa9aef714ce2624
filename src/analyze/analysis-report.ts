import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeProfile, type IutProfile } from '../harness/profile';
import { requirementById } from '../harness/requirements';
import type { ScenarioResult } from '../harness/suite-runner';
import { isFailing, type Verdict } from '../harness/verdict';
import { compareBaseline, type BaselineEntry } from '../report/baseline';
import { buildCompliance, type ComplianceReport } from '../report/compliance';
import { renderComplianceHtml, renderComplianceMarkdown } from '../report/compliance-html';
import { slugify } from '../report/evidence';
import { buildJunit } from '../report/junit';
import type { AnalysisResult } from './analyzer';
import type { ConnectionArchive } from './connection-archive';
import type { EntityLedger, EntityMeasure } from './entity-ledger';

/**
 * The reports of a traffic analysis, with the report layer of a run: per entity a
 * compliance.json / .html / .md in `<report-dir>/<entity>/`, one junit.xml for all entities, the
 * transcripts under `<report-dir>/traces/`. Each clause the traffic exercised becomes one result
 * (pass, or the worst finding, citing capture frames and times); every other clause of the
 * catalogue is `not-tested`, "not exercised in the capture", or says which limit was not
 * declared and what was measured.
 */

/** Where each measured timer is reported. */
const MEASURE_CLAUSE: Readonly<Record<EntityMeasure, { clause: string; timer: string; what: string }>> = {
  'T3 reply time': { clause: 'E37-9.4.1.1', timer: 't3', what: 'time the other side took to reply to its primaries' },
  'T6 response time': { clause: 'E37-9.3.1', timer: 't6', what: 'time the other side took to answer its control requests' },
  'T7 connect to select': { clause: 'E37-9.2.2', timer: 't7', what: 'TCP connect to SELECTED (or to its close)' },
  'T8 largest gap inside a message': { clause: 'E37-9.2.3', timer: 't8', what: 'largest gap between the bytes of a message it received' },
  'T5 reconnect gap': { clause: 'E37-9.2.1', timer: 't5', what: 'end of one connect attempt to its next' },
  'Linktest interval': { clause: 'E37-7.5.1', timer: '', what: 'time between its Linktest.req' },
};

const NOT_EXERCISED = 'not exercised in the capture';
const KEPT_REASONS = 5;

export interface AnalysisReportOptions {
  readonly files: readonly string[];
  readonly version: string;
  readonly profiles: readonly IutProfile[];
  readonly frameRef: (frame: number) => string;
  readonly originMs: number;
  readonly strict: boolean;
  readonly baseline: { readonly file: string; readonly entries: readonly BaselineEntry[] } | null;
  /** Further notes for every entity's capture section. */
  readonly notes?: readonly string[];
}

export interface EntityReport {
  readonly entity: EntityLedger;
  readonly report: ComplianceReport;
  readonly results: ScenarioResult[];
  /** Declared in a profile: the side under test. */
  readonly underTest: boolean;
  /** Folder name under the report folder. */
  readonly folder: string;
}

export function buildEntityReports(result: AnalysisResult, archive: ConnectionArchive, o: AnalysisReportOptions): EntityReport[] {
  const underTest = (e: EntityLedger): boolean => (o.profiles.length === 0 ? true : e.rules.profileName !== null);
  const folders = new Set<string>();
  return result.entities.map((e) => {
    let folder = slugify(`${e.role}-${e.key}`);
    for (let n = 2; folders.has(folder); n++) folder = `${slugify(`${e.role}-${e.key}`)}-${n}`;
    folders.add(folder);
    const results = clauseResults(e, archive, o);
    const profile = o.profiles.find((p) => p.name === e.rules.profileName);
    const report = buildCompliance({
      iut: e.name,
      standard: e.rules.standard,
      seed: 0,
      started: new Date(Number.isFinite(result.firstMs) ? result.firstMs : 0),
      finished: new Date(Number.isFinite(result.lastMs) ? result.lastMs : 0),
      version: o.version,
      profile: profile ? describeProfile(profile) : { profile: 'none given: timer limits, maximum length and session id are not declared, so they are measured, not judged' },
      results,
      notTestedReason: (id) => notTestedReason(e, id),
    });
    report.capture = {
      files: o.files,
      entity: e.name,
      role: e.role,
      peers: [...(result.peers.get(e.key) ?? [])],
      packets: result.packets,
      connections: e.connections,
      messagesSent: e.messagesSent,
      measurements: [...e.measures.entries()].map(([what, s]) => `${what}${MEASURE_CLAUSE[what] ? ` (${MEASURE_CLAUSE[what].what})` : ''}: ${s.describe()}`),
      notes: [...captureNotes(result), ...(o.notes ?? [])],
      connectionList: archive.connectionsOf(e.key).map((c) => ({ id: c.id, label: c.label, started: new Date(c.startMs).toISOString(), findings: c.findings, transcript: c.transcript ? `../${c.transcript}` : '(not written)' })),
      timelines: archive.timelinesOf(e.key),
    };
    if (o.baseline && underTest(e)) report.baseline = compareBaseline(o.baseline.file, o.baseline.entries, results, report.clauses, o.strict);
    return { entity: e, report, results, underTest: underTest(e), folder };
  });
}

/** Writes every entity's compliance files and the junit.xml; returns the folders written. */
export function writeEntityReports(reportDir: string, reports: readonly EntityReport[], files: readonly string[]): void {
  fs.mkdirSync(reportDir, { recursive: true });
  for (const r of reports) {
    const dir = path.join(reportDir, r.folder);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'compliance.json'), JSON.stringify(r.report, null, 2) + '\n');
    fs.writeFileSync(path.join(dir, 'compliance.html'), renderComplianceHtml(r.report));
    fs.writeFileSync(path.join(dir, 'compliance.md'), renderComplianceMarkdown(r.report));
  }
  fs.writeFileSync(path.join(reportDir, 'junit.xml'), buildJunit(reports.flatMap((r) => r.results), `HSMS traffic analysis: ${files.join(', ')}`));
}

/** Exit code of an analysis: 1 when an entity under test fails (or the baseline says so), else 0. */
export function analysisExitCode(reports: readonly EntityReport[], strict: boolean): number {
  for (const r of reports) {
    if (!r.underTest) continue;
    if (r.report.baseline) {
      if (r.report.baseline.failsRun) return 1;
      continue;
    }
    if (r.report.clauses.some((c) => isFailing(c.verdict, strict))) return 1;
  }
  return 0;
}

function clauseResults(e: EntityLedger, archive: ConnectionArchive, o: AnalysisReportOptions): ScenarioResult[] {
  const out: ScenarioResult[] = [];
  const measurementsOf = (clause: string): string[] =>
    [...e.measures.entries()].filter(([what]) => MEASURE_CLAUSE[what]?.clause === clause).map(([what, s]) => `${what}: ${s.describe()}`);
  const rel = (t: number): string => `+${((t - o.originMs) / 1000).toFixed(6)} s`;
  for (const [clause, c] of e.clauses) {
    const verdict: Verdict = c.fails > 0 ? 'fail' : c.warns > 0 ? 'warn' : 'pass';
    const shown = c.findings.filter((f) => f.severity === (verdict === 'warn' ? 'warn' : 'fail')).slice(0, KEPT_REASONS);
    const lines = shown.map((f) => `frame ${o.frameRef(f.frame)} (${rel(f.timeMs)}${f.connection ? `, connection ${f.connection}` : ''}${f.relatedFrame !== undefined ? `, about frame ${o.frameRef(f.relatedFrame)}` : ''}): ${f.message}`);
    const total = c.fails + c.warns;
    if (total > shown.length) lines.push(`(${total} findings in all: ${c.fails} fail, ${c.warns} warn; each is in its connection's transcript)`);
    const evidenceConnection = (shown[0]?.connection || c.firstConnection) ?? 0;
    const transcript = archive.transcriptOf(evidenceConnection);
    const req = requirementById(clause);
    out.push({
      id: `${e.key}:${clause}`,
      name: `${req?.title ?? clause}: ${c.exercised + total} observations in the capture`,
      feature: e.name,
      uri: o.files.join(', '),
      tags: [`@${clause}`],
      clauses: [clause],
      strength: req?.strength ?? null,
      role: e.role,
      verdict,
      reason: lines.join('\n'),
      measurements: measurementsOf(clause),
      unreachable: false,
      trace: '',
      traceFile: transcript ? `../${transcript}` : '',
      unavoidableWaitMs: 0,
      durationMs: 0,
    });
  }
  return out;
}

function notTestedReason(e: EntityLedger, id: string): string | undefined {
  const req = requirementById(id);
  if (req?.notTestedReason) return undefined;
  const measured = Object.entries(MEASURE_CLAUSE).filter(([, m]) => m.clause === id);
  for (const [what, m] of measured) {
    const stats = e.measures.get(what as EntityMeasure);
    if (!stats || stats.count === 0) continue;
    const declared = m.timer === '' || e.rules.timers !== null;
    return `${declared ? NOT_EXERCISED : `no ${m.timer.toUpperCase()} declared for this entity (give --profile), so the limit is not tested`}; measured ${what} (${m.what}): ${stats.describe()}`;
  }
  return NOT_EXERCISED;
}

function captureNotes(r: AnalysisResult): string[] {
  const notes: string[] = [];
  for (const [why, n] of Object.entries(r.skipped)) notes.push(`${n} frames skipped: ${why}`);
  if (r.tracker.ignoredConnections > 0) notes.push(`${r.tracker.ignoredConnections} TCP connections not judged: not HSMS by their first bytes`);
  return notes;
}

/** The lines a person reads at the end of an analysis: per entity its verdict, counts and worst findings. */
export function describeEntityReports(reports: readonly EntityReport[], frameRef: (frame: number) => string): string {
  const lines: string[] = [];
  for (const r of reports) {
    const c = r.report.counts;
    lines.push(`${r.entity.name}${r.underTest ? '' : ' (not under test)'}: ${r.report.verdict.toUpperCase()}   ${r.entity.connections} connections, ${r.entity.messagesSent} messages sent; clauses pass ${c.pass}  warn ${c.warn}  fail ${c.fail}  not-tested ${c['not-tested']}`);
    for (const cl of r.report.clauses.filter((x) => x.verdict === 'fail' || x.verdict === 'warn' || x.verdict === 'error')) {
      const f = r.entity.clauses.get(cl.id)?.findings.find((x) => x.severity === cl.verdict) ?? r.entity.clauses.get(cl.id)?.findings[0];
      lines.push(`  ${cl.verdict.toUpperCase().padEnd(4)} ${cl.id.padEnd(16)} ${f ? `frame ${frameRef(f.frame)}: ${f.message}` : (cl.reason ?? '')}`);
    }
  }
  return lines.join('\n');
}
