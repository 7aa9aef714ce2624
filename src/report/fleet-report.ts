import * as fs from 'node:fs';
import * as path from 'node:path';
import { worst, type ClauseVerdict } from '../harness/verdict';
import { overall, type ComplianceReport } from './compliance';
import { badge, markdownCell, REPORT_CSS } from './compliance-html';
import { htmlEscape } from './html-escape';

/**
 * `hsms-conformance report --merge DIR...`: several runs' compliance.json in one fleet summary,
 * one row per IUT (fleet.json, fleet.html, fleet.md). A fleet is certified by one run per
 * equipment type (a CI matrix job each), so the rows are the equipment types; runs of the same
 * IUT and standard (e.g. one job per role) make one row, each clause judged by the worst verdict
 * any of those runs gave it, exactly as one run rolls up its scenarios (compliance.ts).
 */

export type RunVerdict = ComplianceReport['verdict'];

export interface FleetRun {
  /** The run's report folder, as given. */
  readonly dir: string;
  readonly seed: number;
  readonly started: string;
  readonly finished: string;
  readonly verdict: RunVerdict;
  /** Why the run stopped early, when it did (stopped-run.ts). */
  readonly stopped?: string;
}

export interface FleetRow {
  readonly iut: string;
  readonly standard: string;
  /** The roles the IUT was certified in (the self-certification has three). */
  readonly roles: readonly string[];
  readonly verdict: RunVerdict;
  /** Clauses per verdict. */
  readonly counts: Readonly<Record<ClauseVerdict, number>>;
  /** Clauses that failed or broke the harness: the reasons the row is not a pass. */
  readonly failedClauses: readonly string[];
  readonly runs: readonly FleetRun[];
}

export interface FleetReport {
  readonly generated: string;
  /** The fleet's verdict: the worst of its IUTs', ranked as a run ranks its clauses. */
  readonly verdict: RunVerdict;
  /** IUTs per verdict. */
  readonly counts: Readonly<Record<RunVerdict, number>>;
  readonly iuts: FleetRow[];
}

/** A run folder without a readable compliance.json: the message names it. */
export class FleetInputError extends Error {
  override readonly name = 'FleetInputError';
}

/** Reads `<dir>/compliance.json` (or the file itself, when `dir` names a .json file). */
export function readRunReport(dir: string): ComplianceReport {
  const file = dir.endsWith('.json') ? dir : path.join(dir, 'compliance.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new FleetInputError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give the report folder of a finished run`);
  }
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch (err) {
    throw new FleetInputError(`${file}: not JSON (${(err as Error).message})`);
  }
  const r = report as Partial<ComplianceReport> | null;
  if (!r || typeof r.iut !== 'string' || typeof r.standard !== 'string' || !Array.isArray(r.clauses)) {
    throw new FleetInputError(`${file}: not a compliance.json of hsms-conformance (needs iut, standard and clauses)`);
  }
  return r as ComplianceReport;
}

const VERDICT_RANK: Record<RunVerdict, number> = { fail: 3, inconclusive: 2, warn: 1, pass: 0 };

export function buildFleet(runs: ReadonlyArray<{ readonly dir: string; readonly report: ComplianceReport }>, generated: Date): FleetReport {
  const groups = new Map<string, Array<{ dir: string; report: ComplianceReport }>>();
  for (const run of runs) {
    const key = JSON.stringify([run.report.iut, run.report.standard]);
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const iuts: FleetRow[] = [];
  for (const group of groups.values()) {
    const clauseVerdicts = new Map<string, ClauseVerdict[]>();
    for (const { report } of group) for (const c of report.clauses) clauseVerdicts.set(c.id, [...(clauseVerdicts.get(c.id) ?? []), c.verdict]);
    const clauses = [...clauseVerdicts].map(([id, vs]) => ({ id, verdict: worst<ClauseVerdict>(vs, 'not-tested') }));
    const counts = { pass: 0, warn: 0, fail: 0, inconclusive: 0, 'not-applicable': 0, 'not-tested': 0, error: 0 } as Record<ClauseVerdict, number>;
    for (const c of clauses) counts[c.verdict]++;
    const roles = new Set<string>();
    for (const { report } of group) {
      for (const c of report.clauses) for (const s of c.scenarios) roles.add(s.role);
      if (roles.size === 0 && report.profile?.role) roles.add(report.profile.role);
    }
    const first = group[0]!.report;
    iuts.push({
      iut: first.iut,
      standard: first.standard,
      roles: [...roles],
      verdict: overall(clauses.map((c) => c.verdict)),
      counts,
      failedClauses: clauses.filter((c) => c.verdict === 'fail' || c.verdict === 'error').map((c) => c.id),
      runs: group.map(({ dir, report }) => ({
        dir,
        seed: report.seed,
        started: report.started,
        finished: report.finished,
        verdict: report.verdict,
        ...(report.stopped ? { stopped: report.stopped } : {}),
      })),
    });
  }
  iuts.sort((a, b) => a.iut.localeCompare(b.iut) || a.standard.localeCompare(b.standard));
  const counts: Record<RunVerdict, number> = { pass: 0, warn: 0, fail: 0, inconclusive: 0 };
  for (const row of iuts) counts[row.verdict]++;
  const verdict = iuts.reduce<RunVerdict>((w, row) => (VERDICT_RANK[row.verdict] > VERDICT_RANK[w] ? row.verdict : w), 'pass');
  return { generated: generated.toISOString(), verdict, counts, iuts };
}

/** A row's clause counts, the verdicts that occur, worst first. */
function countList(row: FleetRow): Array<[ClauseVerdict, number]> {
  const order: ClauseVerdict[] = ['fail', 'error', 'inconclusive', 'warn', 'pass', 'not-applicable', 'not-tested'];
  return order.filter((v) => row.counts[v] > 0).map((v) => [v, row.counts[v]]);
}

/** Link from the fleet report in `outDir` to a run's compliance.html. */
function runHref(outDir: string, run: FleetRun): string {
  const dir = run.dir.endsWith('.json') ? path.dirname(run.dir) : run.dir;
  return path.relative(outDir, path.join(dir, 'compliance.html')).split(path.sep).map(encodeURIComponent).join('/');
}

export function renderFleetHtml(f: FleetReport, outDir: string): string {
  const e = htmlEscape;
  const out: string[] = ['<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', '<title>HSMS conformance: fleet summary</title>'];
  out.push(`<style>${REPORT_CSS}</style>`, '</head>', '<body>', '<h1>HSMS conformance: fleet summary</h1>');
  out.push('<table class="meta">');
  out.push(`<tr><td>Generated</td><td>${e(f.generated)}</td></tr>`);
  out.push(`<tr><td>Overall verdict</td><td><span class="overall">${badge(f.verdict)}</span></td></tr>`);
  out.push(`<tr><td>IUTs</td><td><span class="counts">${(Object.keys(f.counts) as RunVerdict[]).map((v) => `<span>${badge(v)} ${f.counts[v]}</span>`).join(' ')}</span></td></tr>`);
  out.push('</table>', '<h2>One row per IUT</h2>');
  out.push('<table class="clauses"><thead><tr><th>IUT</th><th>Standard</th><th>Role(s)</th><th>Verdict</th><th>Clauses</th><th>Failed clauses</th><th>Runs</th></tr></thead><tbody>');
  for (const row of f.iuts) {
    const counts = countList(row).map(([v, n]) => `<div>${badge(v)} ${n}</div>`).join('');
    const failed = row.failedClauses.map((id) => `<div class="id">${e(id)}</div>`).join('') || '-';
    const runs = row.runs
      .map((r) => `<div class="ev"><a href="${e(runHref(outDir, r))}">${e(path.basename(r.dir.endsWith('.json') ? path.dirname(r.dir) : r.dir))}</a> seed ${r.seed}${r.stopped ? ' (stopped early)' : ''}</div>`)
      .join('');
    out.push(`<tr><td class="title">${e(row.iut)}</td><td>${e(row.standard)}</td><td>${e(row.roles.join(', '))}</td><td>${badge(row.verdict)}</td><td>${counts}</td><td>${failed}</td><td>${runs}</td></tr>`);
  }
  out.push('</tbody></table>', '</body>', '</html>');
  return out.join('\n') + '\n';
}

export function renderFleetMarkdown(f: FleetReport): string {
  const cell = markdownCell;
  const out: string[] = ['# HSMS conformance: fleet summary', ''];
  out.push(`Generated ${f.generated}. Overall verdict: **${f.verdict.toUpperCase()}**. IUTs: ${(Object.keys(f.counts) as RunVerdict[]).map((v) => `${v} ${f.counts[v]}`).join(', ')}.`, '');
  out.push('| IUT | Standard | Role(s) | Verdict | Clauses | Failed clauses | Runs |', '|---|---|---|---|---|---|---|');
  for (const row of f.iuts) {
    const counts = countList(row).map(([v, n]) => `${v} ${n}`).join(', ');
    const runs = row.runs.map((r) => `${r.dir} (seed ${r.seed}${r.stopped ? ', stopped early' : ''})`).join('; ');
    out.push(`| ${cell(row.iut)} | ${cell(row.standard)} | ${cell(row.roles.join(', '))} | ${row.verdict} | ${counts} | ${cell(row.failedClauses.join(', ') || '-')} | ${cell(runs)} |`);
  }
  return out.join('\n') + '\n';
}

/** Writes fleet.json, fleet.html and fleet.md into `outDir`; returns the fleet. */
export function writeFleet(dirs: readonly string[], outDir: string, generated = new Date()): FleetReport {
  const fleet = buildFleet(
    dirs.map((dir) => ({ dir, report: readRunReport(dir) })),
    generated,
  );
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'fleet.json'), JSON.stringify(fleet, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'fleet.html'), renderFleetHtml(fleet, outDir));
  fs.writeFileSync(path.join(outDir, 'fleet.md'), renderFleetMarkdown(fleet));
  return fleet;
}
