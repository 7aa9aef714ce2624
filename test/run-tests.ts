import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

/**
 * `npm test`: every dist/test/*.test.js, each in its own process as `node --test` runs them,
 * TEST_CONCURRENCY files at a time (default DEFAULT_CONCURRENCY), the longest first so that they
 * do not end up alone at the end. Most of the time of the long files is suite runs waiting on
 * the reference peer's short timers; how many of those run at once across all files is bounded
 * separately (support/suite-slots.ts). A file may also be run alone:
 * `node --test dist/test/NAME.test.js`.
 */

/** Files at a time by default (README, "How npm test runs"). */
const DEFAULT_CONCURRENCY = 6;

/** The files that take longest, longest first; the rest follow in name order. */
const LONGEST_FIRST = ['teeth', 'no-false-fail', 'parallel-workers', 'secs4js-interop', 'packaging', 'analyze-suite', 'iut-lifecycle', 'analyze-synthetic', 'hostile-iuts', 'fuzz', 'alternating-iut', 'analyze-live-capture'];

const dir = __dirname;
const concurrency = Math.max(1, Number(process.env.TEST_CONCURRENCY) || DEFAULT_CONCURRENCY);
const names = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.test.js'))
  .map((f) => f.slice(0, -'.test.js'.length));
const rank = (name: string): number => {
  const i = LONGEST_FIRST.indexOf(name);
  return i < 0 ? LONGEST_FIRST.length : i;
};
const files = names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((n) => path.join(dir, `${n}.test.js`));

// No test reads the Allure HTML report but the packaging test, which asks for it; building it
// starts a JVM for seconds of CPU per run (src/cli/hsms-conformance.ts, ALLURE_HTML_ENV).
process.env.HSMS_CONFORMANCE_ALLURE_HTML ??= 'off';

const started = performance.now();
/** Wall time of each file, from its start to its end (the runner's file-level `test:complete`). */
const fileMs = new Map<string, number>();
const stream = run({ files, concurrency });
stream.on('test:fail', () => {
  process.exitCode = 1;
});
stream.on('test:complete', (data: { readonly name: string; readonly details: { readonly duration_ms: number } }) => {
  if (files.includes(data.name)) fileMs.set(path.basename(data.name), data.details.duration_ms);
});
stream.compose(new spec()).pipe(process.stdout);
stream.on('end', () => {
  const lines = [...fileMs.entries()].sort((a, b) => b[1] - a[1]).map(([f, ms]) => `${(ms / 1000).toFixed(1).padStart(7)} s  ${f}`);
  process.stdout.write(`\nnpm test: ${files.length} files, ${concurrency} at a time, ${((performance.now() - started) / 1000).toFixed(1)} s; each file's wall time:\n${lines.join('\n')}\n`);
});
