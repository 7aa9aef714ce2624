import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A limit on suite runs at a time across the test files `npm test` runs side by side (each file
 * is its own process). A suite run mostly waits on the reference peer's short timers, so many
 * run at once; too many and the tester's own timers run late, which turns timer verdicts
 * inconclusive. One slot is one file, `slot-<i>`, created exclusively and holding the owner's
 * pid, in a folder shared by the processes of one test run (keyed by the checkout and the test
 * runner's pid, so an earlier run that was killed leaves nothing in the way).
 *
 * SUITE_SLOTS sets the number of slots (default DEFAULT_SLOTS; README, "How npm test runs").
 */

/** Suite runs at a time by default. */
const DEFAULT_SLOTS = 12;
/** How often a process waiting for a slot looks again. */
const POLL_MS = 100;

export const SUITE_SLOTS = Math.max(1, Number(process.env.SUITE_SLOTS) || DEFAULT_SLOTS);

const ROOT = path.resolve(__dirname, '../../..');
const folder = path.join(os.tmpdir(), `hsms-conformance-suite-slots-${crypto.createHash('sha256').update(`${ROOT}:${process.ppid}`).digest('hex').slice(0, 16)}`);
const held = new Set<string>();

// Slots held at exit (a test failing on an exception) are given back, so the other files go on.
process.on('exit', () => {
  for (const file of held) fs.rmSync(file, { force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process holding the slot `file` still runs (a slot being taken or just given back counts as held). */
function ownerAlive(file: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return true;
  }
  const owner = Number(text);
  return text === '' || !Number.isInteger(owner) || alive(owner);
}

/**
 * Whether a live process waits for a slot with a higher priority than `priority`: the slot is
 * then left to it. A want file is named `want-<pid>-<n>` and holds the priority.
 */
function outranked(priority: number): boolean {
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return false;
  }
  return names.some((name) => {
    const m = /^want-(\d+)-\d+$/.exec(name);
    if (!m || !alive(Number(m[1]))) return false;
    try {
      return Number(fs.readFileSync(path.join(folder, name), 'utf8')) > priority;
    } catch {
      return false;
    }
  });
}

/** Takes a free slot, or frees one whose owner died without giving it back (killed); null when all are in use or outranked. */
function tryTake(priority: number): string | null {
  fs.mkdirSync(folder, { recursive: true });
  if (outranked(priority)) return null;
  for (let i = 0; i < SUITE_SLOTS; i++) {
    const file = path.join(folder, `slot-${i}`);
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      held.add(file);
      return file;
    } catch (err) {
      // ENOENT: the last holder removed the folder just now; the next look makes it again.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // Two processes may both find a dead owner and both take the slot: one run too many for a
    // while, which is harmless; a slot lost for good would stall the other files.
    if (!ownerAlive(file)) fs.rmSync(file, { force: true });
  }
  return null;
}

let wants = 0;

/** Says that this process waits for a slot with `priority`; returns how to take it back. */
function want(priority: number): () => void {
  const file = path.join(folder, `want-${process.pid}-${wants++}`);
  for (;;) {
    fs.mkdirSync(folder, { recursive: true });
    try {
      fs.writeFileSync(file, String(priority));
      break;
    } catch (err) {
      // ENOENT: the last holder removed the folder between the two calls; make it again.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  held.add(file);
  return () => {
    held.delete(file);
    fs.rmSync(file, { force: true });
  };
}

/**
 * Runs `work` once a slot is free, holding the slot until it ends. A waiter with a higher
 * `priority` gets the next free slot first: the longest runs ask for one, so that they do not
 * start last and hold up the end of the whole test run.
 */
export async function withSuiteSlot<T>(work: () => Promise<T>, priority = 0): Promise<T> {
  let file = tryTake(priority);
  if (!file) {
    const unwant = priority > 0 ? want(priority) : null;
    try {
      while (!file) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        file = tryTake(priority);
      }
    } finally {
      unwant?.();
    }
  }
  try {
    return await work();
  } finally {
    held.delete(file);
    fs.rmSync(file, { force: true });
    // The last one out removes the folder; one still in use is not empty and stays.
    try {
      fs.rmdirSync(folder);
    } catch {
      // not empty, or already gone
    }
  }
}
