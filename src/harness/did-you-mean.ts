/**
 * Suggestions for a misspelt key: the one allowed key closest to what was written, by edit
 * distance. A misspelt key must be reported, not ignored (it would silently fall back to a
 * default and change verdicts), and the report should say what was probably meant.
 */

/** Levenshtein distance; case differences count half, so `SessionId` is closer to `sessionId` than `version`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const x = a[i - 1]!;
      const y = b[j - 1]!;
      const substitution = x === y ? 0 : x.toLowerCase() === y.toLowerCase() ? 0.5 : 1;
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The allowed key `written` most probably stands for, or null when none is close (at most a
 * third of the word's letters changed, at least one) or two are equally close.
 */
export function closestKey(written: string, allowed: readonly string[]): string | null {
  const limit = Math.max(1, Math.floor(written.length / 3));
  let best: string | null = null;
  let bestDistance = Infinity;
  let tie = false;
  for (const key of allowed) {
    const d = editDistance(written, key);
    if (d < bestDistance) {
      best = key;
      bestDistance = d;
      tie = false;
    } else if (d === bestDistance) {
      tie = true;
    }
  }
  return best !== null && !tie && bestDistance <= limit ? best : null;
}
