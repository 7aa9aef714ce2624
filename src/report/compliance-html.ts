import type { ClauseVerdict } from '../harness/verdict';
import type { CaptureSection, ComplianceClause, ComplianceReport } from './compliance';
import { htmlEscape } from './html-escape';
import { boundText, foldLongLines } from './line-limits';
import { renderTimelineSvg, TIMELINE_CSS } from './timeline-svg';

/**
 * compliance.html and compliance.md: compliance.json for people. The HTML is one self-contained
 * file (inline CSS, no scripts, no external assets) that prints on A4. Everything that comes from
 * the IUT, its profile or its traffic is escaped: a hostile IUT cannot inject markup. Each
 * scenario, reason and measurement starts a line of its own, so no line of either file grows
 * with the number of scenarios (see line-limits.ts).
 */

export { htmlEscape };

/**
 * Only relative links into the report folder are linked (`traces/...`, or `../traces/...` for the
 * per-entity reports of a traffic analysis); anything else is shown as text.
 */
function evidenceHref(file: string): string | null {
  if (!/^(\.\.\/)?traces\/[A-Za-z0-9._-]+$/.test(file)) return null;
  return file.split('/').map((p) => (p === '..' ? p : encodeURIComponent(p))).join('/');
}

/** The evidence links of a trace: a run's decoded trace and pcap, or a capture's transcript. */
function evidenceLinks(href: string): Array<[string, string]> {
  if (href.endsWith('.txt')) return [['transcript', href]];
  return [
    ['decoded trace', href.replace(/\.pcap$/, '.txt')],
    ['pcap', href],
  ];
}

const COLOURS: Record<ClauseVerdict, string> = {
  pass: '#1a7f37',
  warn: '#9a6700',
  fail: '#cf222e',
  error: '#8250df',
  inconclusive: '#bc4c00',
  'not-applicable': '#57606a',
  'not-tested': '#8c959f',
};

/** A verdict as a coloured label (fleet-report.ts shows verdicts the same way). */
export function badge(v: ClauseVerdict): string {
  return `<span class="badge" style="background:${COLOURS[v]}">${htmlEscape(v)}</span>`;
}

/** The reports' style sheet, shared with fleet-report.ts. */
export const REPORT_CSS = `
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1f2328; margin: 24px; }
h1 { font-size: 18pt; margin: 0 0 4px; }
h2 { font-size: 13pt; margin: 22px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 3px; }
.sub { color: #57606a; margin: 0 0 14px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 5px 7px; border-bottom: 1px solid #d8dee4; }
th { background: #f6f8fa; font-weight: 600; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
.meta td:first-child, .profile td:first-child { width: 190px; color: #57606a; white-space: nowrap; }
.badge { display: inline-block; color: #fff; border-radius: 10px; padding: 1px 8px; font-size: 9pt; font-weight: 600; white-space: nowrap; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.overall .badge { font-size: 12pt; padding: 3px 12px; }
.counts span { margin-right: 12px; white-space: nowrap; }
.clauses th:nth-child(1) { width: 11%; } .clauses th:nth-child(2) { width: 33%; } .clauses th:nth-child(3) { width: 8%; } .clauses th:nth-child(4) { width: 11%; }
.id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: nowrap; font-size: 9.5pt; }
.title { font-weight: 600; }
.stmt { color: #57606a; font-size: 9pt; }
.scn { margin: 2px 0 6px; }
.why { color: #57606a; font-size: 9pt; white-space: pre-wrap; word-break: break-word; }
.meas { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 8.5pt; }
a { color: #0969da; }
.ev { font-size: 9pt; white-space: nowrap; }
.baseline td { font-size: 9.5pt; }
@media print { body { margin: 0; } a { color: inherit; } }
.capture td:first-child { width: 190px; color: #57606a; }
.tlhead { font-size: 9.5pt; margin: 10px 0 0; }
${TIMELINE_CSS}`;

export function renderComplianceHtml(r: ComplianceReport): string {
  const out: string[] = [];
  const e = htmlEscape;
  out.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">');
  out.push(`<title>HSMS conformance: ${e(r.iut)}</title>`);
  out.push(`<style>${REPORT_CSS}</style>`, '</head>', '<body>');
  out.push(`<h1>HSMS conformance report</h1>`);
  out.push(`<p class="sub">${e(r.iut)}</p>`);
  out.push('<table class="meta">');
  const meta: Array<[string, string]> = [
    ['IUT', e(r.iut)],
    ['Standard', e(r.standard === 'hsms-ss' ? 'SEMI E37 with HSMS-SS (E37.1) rules' : 'SEMI E37 (HSMS generic services)')],
    ['Harness', e(`${r.harness.name} ${r.harness.version} (Node ${r.harness.node})`)],
    [r.capture ? 'Traffic' : 'Date', e(`${r.started} to ${r.finished}`)],
    r.capture ? ['Judged from', e(`capture ${r.capture.files.join(', ')} (${r.capture.role} side)`)] : ['Seed', e(String(r.seed))],
    ['Overall verdict', `<span class="overall">${badge(r.verdict)}</span>`],
    ...(r.stopped ? ([['Run stopped', `<div class="why">${foldLongLines(r.stopped, 1500, e)}</div>`]] as Array<[string, string]>) : []),
    ['Clauses', `<span class="counts">${(Object.keys(r.counts) as ClauseVerdict[]).map((k) => `<span>${badge(k)} ${r.counts[k]}</span>`).join(' ')}</span>`],
  ];
  for (const [k, v] of meta) out.push(`<tr><td>${k}</td><td>${v}</td></tr>`);
  out.push('</table>');

  if (r.baseline) {
    const b = r.baseline;
    out.push('<h2>Against the known-failure baseline</h2>', `<p class="sub">${e(b.file)}</p>`, '<table class="baseline"><thead><tr><th>status</th><th>entry</th><th>comment</th></tr></thead><tbody>');
    const rows: Array<[string, { id: string; comment?: string }[]]> = [
      ['new failure', b.newFailures.map((id) => ({ id }))],
      ['fixed: stale entry, remove it', b.fixed],
      ['still failing (known)', b.stillFailing],
      ['not run', b.notRun],
    ];
    for (const [label, list] of rows) for (const x of list) out.push(`<tr><td>${e(label)}</td><td class="id">${e(x.id)}</td><td>${e(x.comment ?? '')}</td></tr>`);
    out.push('</tbody></table>');
  }

  out.push('<h2>Capability statement (profile)</h2>', '<table class="profile">');
  for (const [k, v] of Object.entries(r.profile)) out.push(`<tr><td>${e(k)}</td><td>${e(v)}</td></tr>`);
  out.push('</table>');
  if (r.capture) out.push(captureSection(r.capture));

  out.push('<h2>Verdict per clause</h2>');
  out.push('<table class="clauses"><thead><tr><th>Clause</th><th>Requirement</th><th>Strength</th><th>Verdict</th><th>Scenarios, measurements and reasons</th></tr></thead><tbody>');
  for (const c of r.clauses) out.push(clauseRow(c));
  out.push('</tbody></table>');
  out.push('</body>', '</html>');
  return out.join('\n') + '\n';
}

function clauseRow(c: ComplianceClause): string {
  const e = htmlEscape;
  const details: string[] = [];
  // Text inside .why keeps its line breaks (pre-wrap); folding adds breaks only to lines too long to read anyway.
  const text = (s: string): string => foldLongLines(s, 1500, e);
  if (c.reason) details.push(`<div class="why">${text(c.reason)}</div>`);
  for (const s of c.scenarios) {
    const parts = [`<div class="scn">${badge(s.verdict)} ${e(s.name)} <span class="why">(IUT ${e(s.role)})</span>`];
    if (s.verdict !== 'pass' && s.reason) parts.push(`<div class="why">${text(s.reason)}</div>`);
    if (s.measurements.length > 0) parts.push(`<div class="meas">${s.measurements.map(text).join('<br>\n')}</div>`);
    const href = evidenceHref(s.trace);
    if (href) {
      parts.push(`<div class="ev">evidence: ${evidenceLinks(href).map(([label, h]) => `<a href="${h}">${label}</a>`).join(' · ')}</div>`);
    } else if (s.trace) parts.push(`<div class="ev">evidence: ${e(s.trace)}</div>`);
    details.push(parts.join('\n') + '</div>');
  }
  // A user's own clause says where it comes from; E37 and E37.1 rows say so in their statements.
  const source = c.source.startsWith('E37') ? '' : `<div class="stmt">Source: ${e(c.source)}</div>`;
  return [
    `<tr id="${e(c.id)}"><td class="id">${e(c.id)}</td><td><div class="title">${e(c.title)}</div><div class="stmt">${e(c.statement)}</div>${source}</td><td>${e(c.strength)}</td><td>${badge(c.verdict)}</td><td>`,
    ...details,
    '</td></tr>',
  ].join('\n');
}

/** Where a traffic analysis's evidence came from, and a timeline per drawn connection. */
function captureSection(c: CaptureSection): string {
  const e = htmlEscape;
  const out: string[] = ['<h2>Capture</h2>', '<table class="capture">'];
  const rows: Array<[string, string]> = [
    ['Entity', e(c.entity)],
    ['Talked to', e(c.peers.join(', ') || 'nobody')],
    ['Files', e(c.files.join(', '))],
    ['Traffic', e(`${c.packets} packets, ${c.connections} HSMS connections, ${c.messagesSent} messages sent by this entity`)],
    ...c.measurements.map((m): [string, string] => ['Measured', e(m)]),
    ...c.notes.map((n): [string, string] => ['Note', e(n)]),
  ];
  for (const [k, v] of rows) out.push(`<tr><td>${k}</td><td>${v}</td></tr>`);
  out.push('</table>');
  if (c.timelines.length > 0) {
    out.push('<h2>Timelines</h2>', '<p class="sub">Messages per direction over time, the session state between them (green: SELECTED, grey: NOT SELECTED), requests waiting for their answer (shaded), closes (&#215;) and findings (red: fail, amber: warn; hover for details).</p>');
    for (const t of c.timelines) out.push(`<div class="tlhead">${e(t.title)}</div>`, renderTimelineSvg(t));
  }
  if (c.connectionList.length > 0) {
    out.push('<h2>Connections</h2>', '<table class="capture"><thead><tr><th>connection</th><th>first packet</th><th>findings</th><th>transcript</th></tr></thead><tbody>');
    for (const x of c.connectionList) {
      const href = evidenceHref(x.transcript);
      out.push(`<tr><td>${e(`${x.id}: ${x.label}`)}</td><td>${e(x.started)}</td><td>${x.findings}</td><td>${href ? `<a href="${href}">transcript</a>` : e(x.transcript)}</td></tr>`);
    }
    out.push('</tbody></table>');
  }
  return out.join('\n');
}

/** Text as one markdown table cell: pipes and backslashes escaped, markup neutralised, lines joined. */
export function markdownCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, '<br>');
}

/**
 * Markdown: the same content, for pull requests and wikis. The table has one short row per
 * clause (a table row cannot span lines); each scenario's verdict, reason, measurements and
 * evidence follow under "Scenarios", one line each. Table cells are escaped.
 */
export function renderComplianceMarkdown(r: ComplianceReport): string {
  const cell = markdownCell;
  // Free text outside tables: one source line per line of text, each bounded (line-limits.ts).
  const angle = (c: string): string => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c);
  const lines = (s: string, indent: string): string => foldLongLines(s.replace(/\r\n/g, '\n'), 1500, angle).split('\n').join(`<br>\n${indent}`);
  const out: string[] = [];
  out.push(`# HSMS conformance report`, '');
  out.push(`| | |`, `|---|---|`);
  out.push(`| IUT | ${cell(r.iut)} |`);
  out.push(`| Standard | ${cell(r.standard)} |`);
  out.push(`| Harness | ${cell(`${r.harness.name} ${r.harness.version} (Node ${r.harness.node})`)} |`);
  out.push(`| Date | ${cell(`${r.started} to ${r.finished}`)} |`);
  out.push(r.capture ? `| Judged from | ${cell(`capture ${r.capture.files.join(', ')}`)} |` : `| Seed | ${r.seed} |`);
  out.push(`| Overall verdict | **${r.verdict.toUpperCase()}** |`);
  out.push(`| Clauses | ${(Object.keys(r.counts) as ClauseVerdict[]).map((k) => `${k} ${r.counts[k]}`).join(', ')} |`, '');
  if (r.stopped) out.push('## Run stopped', '', lines(r.stopped, ''), '');
  if (r.baseline) {
    const b = r.baseline;
    out.push(`## Against the known-failure baseline (${cell(b.file)})`, '');
    out.push(`- new failures: ${b.newFailures.length > 0 ? b.newFailures.map(cell).join(', ') : 'none'}`);
    out.push(`- fixed (stale entries, remove them): ${b.fixed.length > 0 ? b.fixed.map((x) => cell(x.id)).join(', ') : 'none'}`);
    out.push(`- still failing (known): ${b.stillFailing.length > 0 ? b.stillFailing.map((x) => cell(x.id)).join(', ') : 'none'}`);
    out.push(`- not run: ${b.notRun.length > 0 ? b.notRun.map((x) => cell(x.id)).join(', ') : 'none'}`, '');
  }
  out.push('## Capability statement (profile)', '', '| key | value |', '|---|---|');
  for (const [k, v] of Object.entries(r.profile)) out.push(`| ${cell(k)} | ${cell(v)} |`);
  if (r.capture) {
    const c = r.capture;
    out.push('', '## Capture', '', `- entity: ${cell(c.entity)}, talked to ${cell(c.peers.join(', ') || 'nobody')}`, `- files: ${cell(c.files.join(', '))}`);
    out.push(`- traffic: ${c.packets} packets, ${c.connections} HSMS connections, ${c.messagesSent} messages sent by this entity`);
    for (const m of c.measurements) out.push(`- measured: ${cell(m)}`);
    for (const n of c.notes) out.push(`- note: ${cell(n)}`);
  }
  out.push('', '## Verdict per clause', '', '| Clause | Requirement | Strength | Verdict | Scenarios |', '|---|---|---|---|---|');
  for (const c of r.clauses) {
    const counts = new Map<string, number>();
    for (const s of c.scenarios) counts.set(s.verdict, (counts.get(s.verdict) ?? 0) + 1);
    const summary = [...counts].map(([v, n]) => `${n} ${v}`).join(', ');
    const details = [summary, c.reason ? boundText(c.reason, 600) : ''].filter((d) => d !== '');
    const title = c.source.startsWith('E37') ? c.title : `${c.title} (${c.source})`;
    out.push(`| ${cell(c.id)} | ${cell(title)} | ${c.strength} | ${c.verdict} | ${cell(details.join('; '))} |`);
  }
  out.push('', '## Scenarios');
  for (const c of r.clauses) {
    if (c.scenarios.length === 0) continue;
    out.push('', `### ${c.id}: ${lines(c.title, '')}`, '');
    for (const s of c.scenarios) {
      out.push(`- **${s.verdict}** ${lines(s.name, '  ')} (IUT ${lines(s.role, '  ')})`);
      if (s.verdict !== 'pass' && s.reason) out.push(`  ${lines(s.reason, '  ')}`);
      for (const m of s.measurements) out.push(`  - ${lines(m, '    ')}`);
      const href = evidenceHref(s.trace);
      if (href) out.push(`  - evidence: ${evidenceLinks(href).map(([label, x]) => `[${label}](${x})`).join(' · ')}`);
    }
  }
  return out.join('\n') + '\n';
}

