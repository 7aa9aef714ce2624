import { htmlEscape } from './html-escape';

/**
 * A timeline picture of one HSMS connection, as inline SVG for compliance.html: messages over
 * time on one lane per direction, the session state as a band between them (NOT SELECTED /
 * SELECTED), timer windows (a request waiting for its answer, connect to select) as shaded
 * spans, closes, and the findings marked where they happened. Self-contained (no scripts, no
 * external references); every text from the traffic is escaped. Pure: data in, markup out.
 */

export interface TimelineMessage {
  readonly t: number;
  readonly dir: 'c2s' | 's2c';
  readonly label: string;
  readonly control: boolean;
}

export interface TimelineMark {
  readonly t: number;
  readonly side: 'client' | 'server';
  readonly severity: 'fail' | 'warn';
  readonly text: string;
}

export interface Timeline {
  readonly title: string;
  readonly clientName: string;
  readonly serverName: string;
  /** Capture times, milliseconds since the epoch. */
  readonly startMs: number;
  readonly endMs: number;
  /** Capture time the axis labels count from (the first packet of the capture). */
  readonly originMs: number;
  readonly messages: readonly TimelineMessage[];
  readonly states: ReadonlyArray<{ readonly from: number; readonly to: number; readonly state: string }>;
  readonly windows: ReadonlyArray<{ readonly from: number; readonly to: number; readonly dir: 'c2s' | 's2c'; readonly label: string }>;
  readonly closes: ReadonlyArray<{ readonly t: number; readonly side: 'client' | 'server'; readonly how: string }>;
  readonly marks: readonly TimelineMark[];
  /** Messages beyond the drawing budget, counted but not drawn. */
  readonly omitted: number;
}

const WIDTH = 760;
const LEFT = 150;
const RIGHT = 16;
const LANE_C2S = 34;
const BAND = 58;
const LANE_S2C = 92;
const AXIS = 122;
const HEIGHT = 140;
const STATE_COLOURS: Record<string, string> = { SELECTED: '#1a7f37', NOT_SELECTED: '#d0d7de', UNKNOWN: '#f6f8fa' };

export function renderTimelineSvg(tl: Timeline): string {
  const span = Math.max(1, tl.endMs - tl.startMs);
  const x = (t: number): number => LEFT + ((Math.min(Math.max(t, tl.startMs), tl.endMs) - tl.startMs) / span) * (WIDTH - LEFT - RIGHT);
  const f = (n: number): string => n.toFixed(1);
  const e = htmlEscape;
  const rel = (t: number): string => `${((t - tl.originMs) / 1000).toFixed(3)} s`;
  const out: string[] = [];
  out.push(`<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${e(tl.title)}">`);
  out.push(`<title>${e(tl.title)}</title>`);
  out.push(`<text x="4" y="${LANE_C2S + 4}" class="tl-lane">${e(truncate(tl.clientName, 22))} &#8594;</text>`);
  out.push(`<text x="4" y="${LANE_S2C + 4}" class="tl-lane">&#8592; ${e(truncate(tl.serverName, 22))}</text>`);
  out.push(`<text x="4" y="${BAND + 4}" class="tl-lane">state</text>`);
  for (const s of tl.states) {
    const x0 = x(s.from);
    const w = Math.max(0.5, x(s.to) - x0);
    out.push(`<rect x="${f(x0)}" y="${BAND - 6}" width="${f(w)}" height="12" fill="${STATE_COLOURS[s.state] ?? '#eee'}"><title>${e(`${s.state.replace('_', ' ')} ${rel(s.from)} to ${rel(s.to)}`)}</title></rect>`);
  }
  for (const w of tl.windows) {
    const y = w.dir === 'c2s' ? LANE_C2S - 12 : LANE_S2C - 12;
    out.push(`<rect x="${f(x(w.from))}" y="${y}" width="${f(Math.max(0.5, x(w.to) - x(w.from)))}" height="24" fill="#0969da" fill-opacity="0.10"><title>${e(`${w.label}: ${((w.to - w.from) / 1000).toFixed(3)} s`)}</title></rect>`);
  }
  out.push(`<line x1="${LEFT}" y1="${LANE_C2S}" x2="${WIDTH - RIGHT}" y2="${LANE_C2S}" stroke="#8c959f" stroke-width="0.5"/>`);
  out.push(`<line x1="${LEFT}" y1="${LANE_S2C}" x2="${WIDTH - RIGHT}" y2="${LANE_S2C}" stroke="#8c959f" stroke-width="0.5"/>`);
  for (const m of tl.messages) {
    const y = m.dir === 'c2s' ? LANE_C2S : LANE_S2C;
    const colour = m.control ? '#57606a' : '#0969da';
    const tip = m.dir === 'c2s' ? y + 7 : y - 7;
    out.push(`<path d="M${f(x(m.t))} ${y - (m.dir === 'c2s' ? 7 : -7)} L${f(x(m.t))} ${tip}" stroke="${colour}" stroke-width="1.4"><title>${e(`${rel(m.t)} ${m.label}`)}</title></path>`);
  }
  for (const c of tl.closes) {
    const y = c.side === 'client' ? LANE_C2S : LANE_S2C;
    out.push(`<text x="${f(x(c.t))}" y="${y + 4}" class="tl-close" text-anchor="middle">&#215;<title>${e(`${rel(c.t)} ${c.side} closes (${c.how})`)}</title></text>`);
  }
  for (const mk of tl.marks) {
    const y = mk.side === 'client' ? LANE_C2S - 14 : LANE_S2C + 14;
    const colour = mk.severity === 'fail' ? '#cf222e' : '#9a6700';
    out.push(`<circle cx="${f(x(mk.t))}" cy="${y}" r="4" fill="${colour}"><title>${e(`${rel(mk.t)} ${mk.severity.toUpperCase()} ${mk.side}: ${mk.text}`)}</title></circle>`);
  }
  out.push(`<line x1="${LEFT}" y1="${AXIS}" x2="${WIDTH - RIGHT}" y2="${AXIS}" stroke="#57606a" stroke-width="0.7"/>`);
  for (let i = 0; i <= 4; i++) {
    const t = tl.startMs + (span * i) / 4;
    out.push(`<text x="${f(x(t))}" y="${AXIS + 13}" class="tl-axis" text-anchor="${i === 0 ? 'start' : i === 4 ? 'end' : 'middle'}">${e(rel(t))}</text>`);
  }
  if (tl.omitted > 0) out.push(`<text x="${WIDTH - RIGHT}" y="12" class="tl-axis" text-anchor="end">${tl.omitted} further messages not drawn</text>`);
  out.push('</svg>');
  return out.join('');
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** CSS for the timeline's classes, added to compliance.html's style sheet. */
export const TIMELINE_CSS = `
.timeline { display: block; margin: 4px 0 14px; max-width: 100%; break-inside: avoid; }
.tl-lane { font: 9px system-ui, sans-serif; fill: #57606a; }
.tl-axis { font: 8.5px ui-monospace, monospace; fill: #57606a; }
.tl-close { font: bold 12px system-ui, sans-serif; fill: #cf222e; }
`;
