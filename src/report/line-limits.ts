/**
 * Size limits for what reports carry, so that no report file grows a line a viewer, a diff or a
 * CI log chokes on, whatever an IUT writes or however a reason was built: a scenario's reason is
 * bounded where it is recorded, and text that comes from outside (wire traces, the IUT's own
 * output) is folded into lines of bounded length.
 */

/** Longest reason a scenario carries into the reports; the decoded trace holds the details. */
export const REASON_LIMIT = 1200;

/** Longest line a text report file holds; longer lines are folded. */
export const LINE_LIMIT = 2000;

/** Longest one-line summary of a reason (an XML attribute, a status message). */
export const SUMMARY_LIMIT = 500;

/** Marks the continuation of a folded line. */
const CONTINUATION = '    ... ';

/** `text` cut to `limit` characters, saying how much was left out. */
export function boundText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}... (${text.length - limit} more characters not shown)`;
}

/** The first line of `text`, escaped with `escape` (per character) and cut to SUMMARY_LIMIT characters without splitting an escape. */
export function summaryLine(text: string, escape: (c: string) => string): string {
  const first = text.split('\n')[0] ?? '';
  const pieces = foldLongLines(first, SUMMARY_LIMIT, escape).split('\n');
  return pieces.length > 1 ? `${pieces[0]}...` : (pieces[0] ?? '');
}

/**
 * Folds every line longer than `limit` into several, each continuation marked; nothing is
 * dropped. With `escape` (a per-character escaping such as XML's), the text is escaped and the
 * limit holds for the escaped lines, without splitting an escape sequence.
 */
export function foldLongLines(text: string, limit = LINE_LIMIT, escape?: (c: string) => string): string {
  if (!escape && text.length <= limit) return text;
  return text
    .split('\n')
    .map((line) => foldLine(line, limit, escape))
    .join('\n');
}

function foldLine(line: string, limit: number, escape?: (c: string) => string): string {
  if (!escape) {
    if (line.length <= limit) return line;
    const piece = limit - CONTINUATION.length;
    const parts = [line.slice(0, limit)];
    for (let i = limit; i < line.length; i += piece) parts.push(CONTINUATION + line.slice(i, i + piece));
    return parts.join('\n');
  }
  const parts: string[] = [];
  let current = '';
  for (const c of line) {
    const e = escape(c);
    if (current.length + e.length > limit) {
      parts.push(current);
      current = CONTINUATION;
    }
    current += e;
  }
  parts.push(current);
  return parts.join('\n');
}
