import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { LINKTEST_SESSION_ID, SType } from '../protocol/constants';
import { encodeFrame } from '../protocol/header';
import * as msg from '../protocol/messages';
import type { IutSession } from '../harness/iut';
import { TesterConnection, delay } from '../harness/tester-connection';
import { WireTrace } from '../harness/wire-trace';
import { IutUnreachable, VerdictSignal } from '../harness/verdict';
import { framingCaseArb, validFrameArb, type DeliveryPlan, type FramingCase, type FuzzContext } from './arbitraries';
import { caseClass, describeCase, describeInput, Lane, runFramingCase, type CaseResult } from './framing-case';
import type { Finding, ModelState, OracleEnv } from './oracle';
import { encodeToken, type ReplayToken } from './token';

/**
 * Properties checked against a live IUT over TCP, reached through the suite's IutSession (the
 * embedded reference peer, a launched IUT or one at an address, as the profile says).
 *
 * - `framing`: after any single fuzzed input (a valid frame or a mutation of one, delivered in
 *   arbitrary pieces, with short pauses) the IUT answers as E37 requires or closes; it never
 *   sends a malformed or mismatched frame; and a new connection still completes Select and
 *   Linktest. Cases run on a kept connection (framing-case.ts); a finding is confirmed, shrunk
 *   and replayed case by case on fresh connections.
 * - `gaps`: one pause beyond T8 inside a message ends in a close (E37-9.2.3); the same pause
 *   between two whole messages does not. Each case costs T8: an IUT that serves several
 *   connections (`multipleConnections`) gets several cases at once.
 * - `model`: random sequences of select, deselect, linktest, separate, data and garbage on one
 *   connection, checked against a model of the E37 state machine (fc.commands).
 *
 * With `clauses` (a scenario judging one clause), a finding on another clause does not stop the
 * run: it is recorded as a note, the class of input that drew it is no longer generated, and the
 * run goes on judging its own clause on the other classes (one defect, one flagged clause). A
 * SHOULD-level finding on its own clause does not stop it either: the run goes on looking for a
 * MUST-level one, and reports the first warning only if none comes (so the verdict does not
 * depend on which of the two the seed meets first).
 */

export type PropertyName = 'framing' | 'gaps' | 'model';
export const PROPERTY_NAMES: readonly PropertyName[] = ['framing', 'gaps', 'model'];

export interface LiveFuzzOptions {
  readonly property: PropertyName;
  readonly runs: number;
  readonly seed: number;
  /** Replay: the fast-check path of a reported failure. */
  readonly path?: string;
  readonly replayPath?: string;
  /** Only findings on these clauses fail the property; others are notes (see above). Default: all. */
  readonly clauses?: readonly string[];
  /** Called with a one-line description of every case, in order. */
  readonly onCase?: (line: string) => void;
}

export interface FuzzFailure {
  readonly findings: readonly Finding[];
  readonly input: string;
  readonly trace: string;
  readonly notes: readonly string[];
}

/** A finding on a clause other than those asked for, and the class of input no longer generated. */
export interface OtherClauseNote {
  /** The class of input, or 'barrier Linktest.req in STATE' for the tester's own barrier (noted, never stopped). */
  readonly inputClass: string;
  readonly findings: readonly Finding[];
  readonly input: string;
}

export interface LiveFuzzReport {
  readonly property: PropertyName;
  readonly seed: number;
  readonly numRuns: number;
  /** Cases generated (shrink attempts included), those skipped for their class among them. */
  readonly casesRun: number;
  /** Cases not run because an earlier case of their class met a finding on another clause. */
  readonly skipped: number;
  readonly elapsedMs: number;
  /** Time the cases spent on the IUT's silence or close and in deliberate pauses (suite efficiency). */
  readonly blockedMs?: number;
  /** SHA-256 over the case descriptions: equal for two runs with the same seed. */
  readonly caseDigest: string;
  readonly failure: (FuzzFailure & { readonly path: string; readonly token: string; readonly shrinks: number }) | null;
  /** Findings on clauses other than those asked for: recorded, their class of input no longer generated. */
  readonly otherClauses: readonly OtherClauseNote[];
  /** Findings seen on a kept connection that the case alone, on a fresh connection, did not show. */
  readonly unconfirmed: readonly string[];
}

/** After a Separate closed the connection, how long a new one is watched for an immediate reset. */
const REACCEPT_MS = 20;

/** Everything a property needs to reach the IUT. */
export class LiveTarget {
  readonly env: OracleEnv;
  readonly ctx: FuzzContext;
  /**
   * Whether a new connection completed Select and Linktest before any input: only then does a
   * liveness check that fails after an input blame the input (E37-8.1.3).
   */
  livenessWorks = true;
  constructor(readonly iut: IutSession) {
    const c = iut.config;
    // An alternating IUT connects by itself while the tester listens: the active entity, as an active IUT is.
    this.env = { standard: c.standard, maxLength: c.capabilities.maxMessageLength, activeIut: c.role !== 'passive' };
    this.ctx = { maxLength: c.capabilities.maxMessageLength, sessionId: c.sessionId };
  }

  get ms(): IutSession['timersMs'] {
    return this.iut.timersMs;
  }
  get responseWait(): number {
    return this.ms.t6 + this.ms.tolerance;
  }
  get closeWait(): number {
    return Math.min(this.ms.t6, Math.max(200, this.ms.tolerance));
  }
  get longGap(): number {
    return this.ms.t8 + this.ms.tolerance + 100;
  }
  /** A pause that lets the IUT read one piece before the next arrives, far below T8 (E37-9.2.3). */
  get shortGap(): number {
    return 1;
  }
  get controlSessionId(): number {
    return this.iut.config.standard === 'hsms-ss' ? LINKTEST_SESSION_ID : this.iut.config.sessionId;
  }

  /**
   * A new connection, SELECTED or not. A single-connection passive IUT may not have dropped the
   * previous connection yet (it then answers Select with status 1 or 3, resets, or under option
   * c never answers, E37-9.2.4.1): the tester retries, and reaches NOT SELECTED through Select
   * and Deselect (Separate under HSMS-SS) so the state is certain.
   */
  async open(trace: WireTrace, name: string, selected: boolean): Promise<{ conn: TesterConnection } | { problem: string }> {
    const c = this.iut.config;
    if (c.role !== 'passive') return this.openActive(trace, name, selected);
    let viaSelect = selected || !c.capabilities.multipleConnections;
    let afterSeparate = false;
    const deadline = performance.now() + Math.max(2000, this.ms.t6 * 2, this.reconnectMs);
    for (let attempt = 0; ; attempt++) {
      const conn = await this.connect(trace, attempt === 0 ? name : `${name}${attempt}`);
      if (afterSeparate && (await conn.waitClosed(REACCEPT_MS)) && performance.now() < deadline) {
        // Reset right after the handshake: the IUT was still closing the listener that served the
        // separated session (secs4js re-listens after every session). Not the case's business: retry.
        continue;
      }
      if (!viaSelect) return { conn };
      const req = msg.selectReq(this.controlSessionId, conn.allocateSystemBytes());
      conn.send(req);
      const r = await conn.expect((f) => (f.header.sType === SType.SelectRsp ? f : undefined), this.responseWait);
      let problem = r.kind !== 'frame' ? `no Select.rsp (${r.kind === 'closed' ? 'connection closed' : 'timeout'})` : r.value.header.byte3 !== 0 ? `Select.rsp status ${r.value.header.byte3}` : null;
      // A Select refused for another reason than another connection being serviced (status 1 or 3,
      // E37-9.2.4.1 a) left this connection NOT SELECTED (E37-7.2): that is the state wanted.
      if (!selected && r.kind === 'frame' && problem !== null && r.value.header.byte3 !== 1 && r.value.header.byte3 !== 3) return { conn };
      if (problem === null && !selected) {
        const end = c.standard === 'hsms-ss' ? msg.separateReq(this.controlSessionId, conn.allocateSystemBytes()) : msg.deselectReq(this.controlSessionId, conn.allocateSystemBytes());
        conn.send(end, 'setup: back to NOT SELECTED');
        if (end.header.sType === SType.DeselectReq) {
          const d = await conn.expect((f) => (f.header.sType === SType.DeselectRsp ? f : undefined), this.responseWait);
          if (d.kind !== 'frame' || d.value.header.byte3 !== 0) problem = `setup: Deselect.req not accepted (${d.kind === 'frame' ? `status ${d.value.header.byte3}` : d.kind})`;
        } else if (await conn.waitClosed(Math.min(200, this.ms.t6))) {
          // HSMS-SS lets Separate end the connection (NOTES.md): the previous one is gone now, so
          // the next, fresh connection is the one this single-connection IUT services.
          viaSelect = false;
          afterSeparate = true;
          continue;
        }
      }
      if (problem === null) {
        if (selected) conn.autoAnswer.primaries = true;
        return { conn };
      }
      conn.destroy();
      // Each way a single-connection IUT refuses a further connection (E37-9.2.4.1) may meet this
      // one while the IUT has not yet seen the previous connection end: option a answers status 1
      // or 3, b resets, c never reads it (silence). A new connection gets past all three once it has.
      const ignored = r.kind === 'timeout' && !c.capabilities.multipleConnections && (c.capabilities.refusal ?? 'c') === 'c';
      const retry = ignored || r.kind === 'closed' || (r.kind === 'frame' && (r.value.header.byte3 === 1 || r.value.header.byte3 === 3));
      if (!retry || performance.now() > deadline) return { problem };
      await delay(Math.min(20, 1 + attempt));
    }
  }

  /**
   * How long a reconnect may take: a passive IUT may re-listen only some time after a connection
   * ends. Up to the launched IUT's readyTimeout, or T5 plus the tolerance for an IUT at an address.
   */
  get reconnectMs(): number {
    const launch = this.iut.config.launch;
    return launch ? launch.readyTimeout * 1000 : this.ms.t5 + this.ms.tolerance;
  }

  /** A new TCP connection to the passive IUT, retried while it refuses, for up to reconnectMs. */
  private async connect(trace: WireTrace, name: string): Promise<TesterConnection> {
    const deadline = performance.now() + this.reconnectMs;
    for (;;) {
      try {
        return await this.iut.connect(trace, name);
      } catch (err) {
        if (!(err instanceof IutUnreachable) || performance.now() >= deadline || this.iut.processExit) throw err;
        await delay(50);
      }
    }
  }

  private async openActive(trace: WireTrace, name: string, selected: boolean): Promise<{ conn: TesterConnection } | { problem: string }> {
    const conn = await this.iut.connect(trace, name);
    const r = await conn.expect((f) => (f.header.sType === SType.SelectReq && f.header.pType === 0 ? f : undefined), this.ms.t5 + this.responseWait);
    if (r.kind !== 'frame') return { problem: 'the active IUT sent no Select.req' };
    conn.send(msg.selectRsp(r.value.header, selected ? 0 : 2), selected ? 'tester accepts the select' : 'tester keeps the connection NOT SELECTED');
    if (selected) conn.autoAnswer.primaries = true;
    return { conn };
  }

  /**
   * Liveness: a new connection completes Select and Linktest (a single-connection IUT may need a
   * moment to drop the old one). With `keep`, the new, SELECTED connection is handed back for
   * the next cases instead of being closed.
   */
  async liveness(trace: WireTrace, keep = false): Promise<{ finding: Finding | null; conn: TesterConnection | null }> {
    let last: string;
    try {
      const o = await this.open(trace, 'live', true);
      if ('conn' in o) {
        const conn = o.conn;
        const req = msg.linktestReq(conn.allocateSystemBytes());
        conn.send(req);
        const r = await conn.expect((f) => (f.header.sType === SType.LinktestRsp && f.header.systemBytes === req.header.systemBytes ? f : undefined), this.responseWait);
        if (r.kind === 'frame') {
          if (keep) return { finding: null, conn };
          conn.destroy();
          return { finding: null, conn: null };
        }
        conn.destroy();
        last = `Linktest.req unanswered (${r.kind})`;
      } else {
        last = o.problem;
      }
    } catch (err) {
      if (!(err instanceof VerdictSignal)) throw err;
      last = err.reason;
    }
    return { finding: { clause: 'E37-8.1.3', severity: 'fail', message: `after the input, a new connection no longer completes Select and Linktest: ${last}` }, conn: null };
  }
}

/** Fixed first cases: the classic framing faults, so even a tiny budget tries them. */
function framingExamples(ctx: FuzzContext): FramingCase[] {
  const lt = msg.linktestReq(1);
  const enc = encodeFrame(lt);
  const withLength = (n: number): Buffer => {
    const b = Buffer.from(enc);
    b.writeUInt32BE(n >>> 0, 0);
    return b;
  };
  const none: DeliveryPlan = { pieces: [] };
  const unknown = encodeFrame({ header: { ...lt.header, sType: 200, sessionId: 0 }, text: Buffer.alloc(0) });
  return [
    { selected: true, input: { label: 'length 0xFFFFFFFF', kind: 'length max-u32', base: lt, bytes: withLength(0xffffffff) }, plan: none },
    { selected: true, input: { label: `length ${ctx.maxLength + 1} (above-max)`, kind: 'length above-max', base: lt, bytes: withLength(ctx.maxLength + 1) }, plan: none },
    { selected: true, input: { label: 'length 9 (too-small)', kind: 'length too-small', base: lt, bytes: withLength(9) }, plan: none },
    { selected: true, input: { label: 'SType 200', kind: 'stype', base: lt, bytes: unknown }, plan: none },
    { selected: false, input: { label: 'valid frame', kind: 'valid', base: lt, bytes: enc }, plan: { pieces: [{ cut: 2, gap: 'short' }] } },
  ];
}

/** A gap case: a valid frame, one pause beyond T8 somewhere in (or right after) it. */
function gapCaseArb(ctx: FuzzContext): fc.Arbitrary<FramingCase> {
  return fc.record({ selected: fc.boolean(), frame: validFrameArb(ctx).filter((f) => f.header.sType === SType.Data || f.header.sType === SType.LinktestReq), cut: fc.integer({ min: 1, max: 80 }) }).map(({ selected, frame, cut }) => {
    const bytes = encodeFrame(frame);
    return { selected, input: { label: 'valid frame', kind: 'valid', base: frame, bytes }, plan: { pieces: [{ cut: Math.min(cut, bytes.length), gap: 'long' as const }] } };
  });
}

/** Keeps the findings on other clauses, and the classes of input they stop, for one run. */
export class ClauseScope {
  readonly notes: OtherClauseNote[] = [];
  private readonly stopped = new Set<string>();

  constructor(private readonly clauses: readonly string[] | undefined) {}

  inScope(f: Finding): boolean {
    return !this.clauses || this.clauses.includes(f.clause);
  }

  /** Whether any of these classes (the input's, its state's) is no longer generated. */
  suppressed(...classes: string[]): boolean {
    return classes.some((k) => this.stopped.has(k));
  }

  /** Records a finding on another clause and stops its class of input (a barrier's class is only noted once). */
  note(inputClass: string, findings: readonly Finding[], input: string, stop = true): void {
    if (stop) this.stopped.add(inputClass);
    if (!this.notes.some((n) => n.inputClass === inputClass)) this.notes.push({ inputClass, findings, input });
  }
}

/** The class of every case in one state: stopped when that state cannot be set up. */
function stateClass(c: FramingCase): string {
  return `every case in ${c.selected ? 'SELECTED' : 'NOT SELECTED'}`;
}

/** Cases of the gaps property run at once on an IUT that serves several connections. */
const GAP_WIDTH = 4;

/**
 * The gaps property's cases wait T8 each: on an IUT that serves several connections
 * (`multipleConnections`), they run GAP_WIDTH at a time, each carefully on its own connection,
 * before fast-check walks them (fc.sample with the run's seed yields fast-check's sequence; a
 * case it does not find here simply runs then). Stops at the first finding on the clauses asked for.
 */
async function runConcurrently(t: LiveTarget, arb: fc.Arbitrary<FramingCase>, o: LiveFuzzOptions, scope: ClauseScope): Promise<{ results: Map<string, CaseResult>; blockedMs: number } | null> {
  const c = t.iut.config;
  if (!c.capabilities.multipleConnections || c.role !== 'passive') return null;
  const started = performance.now();
  const cases = fc.sample(arb, { seed: o.seed, numRuns: o.runs });
  const out = new Map<string, CaseResult>();
  let next = 0;
  let stop = false;
  await Promise.all(
    Array.from({ length: GAP_WIDTH }, async () => {
      while (!stop && next < cases.length) {
        const k = cases[next++]!;
        const r = await runFramingCase(t, k);
        out.set(describeCase(k), r);
        if (r.findings.some((f) => scope.inScope(f))) stop = true;
      }
    }),
  );
  // The cases waited side by side: the phase's wall time is what their pauses cost.
  return { results: out, blockedMs: performance.now() - started };
}

/** A case that drew only SHOULD-level findings, and its index among the property's runs. */
interface WarnedCase {
  readonly result: CaseResult;
  readonly c: FramingCase;
  readonly index: number;
}

/** Runs one property against the live IUT; shrinks a failure and returns the report. */
export async function runLiveProperty(target: LiveTarget, o: LiveFuzzOptions): Promise<LiveFuzzReport> {
  if (o.property === 'model') {
    const { runModelProperty } = await import('./model');
    return runModelProperty(target, o);
  }
  const scope = new ClauseScope(o.clauses);
  const started = performance.now();
  const hash = createHash('sha256');
  let casesRun = 0;
  let skipped = 0;
  let blockedMs = 0;
  const unconfirmed: string[] = [];
  const before = await target.liveness(new WireTrace());
  target.livenessWorks = before.finding === null;
  if (before.finding) {
    // Select or Linktest fails before any input: another clause's defect. Noted; liveness is not checked in this run.
    const message = before.finding.message.replace('after the input, a new connection no longer completes', 'before any input, a new connection does not complete');
    scope.note('liveness check (not made in this run)', [{ clause: 'E37-7.2.2', severity: 'fail', message }], '(before any input)', false);
  }
  let lastFailure: { result: CaseResult; c: FramingCase } | null = null;
  /** The first case whose findings on the clauses asked for are SHOULD-level only, and its run index (its replay path). */
  let warning: WarnedCase | null = null;
  // Pauses beyond T8 belong to the gaps property: in the framing property they would cost T8 each.
  const arb = o.property === 'gaps' ? gapCaseArb(target.ctx) : framingCaseArb(target.ctx, { longGaps: false });
  // A replay runs the one case of its path, carefully; so does every case once one has failed (shrinking).
  const lane = o.path ? null : new Lane();
  let shrinking = false;
  const prefetch = !o.path && o.property === 'gaps' ? await runConcurrently(target, arb, o, scope) : null;
  blockedMs += prefetch?.blockedMs ?? 0;
  const prop = fc.asyncProperty(arb, async (c) => {
    const line = describeCase(c);
    hash.update(line + '\n');
    casesRun++;
    o.onCase?.(line);
    const inputClass = caseClass(c);
    if (!shrinking && scope.suppressed(inputClass, stateClass(c))) {
      skipped++;
      return true;
    }
    const ranAlready = shrinking ? undefined : prefetch?.results.get(line);
    let result = ranAlready ?? (await runFramingCase(target, c, shrinking ? null : lane));
    if (!ranAlready) blockedMs += result.blockedMs;
    if (!ranAlready && !shrinking && lane && result.findings.some((f) => f.severity === 'fail' || scope.inScope(f))) {
      // Confirm on a fresh connection: a finding must not depend on what the kept connection went through.
      const careful = await runFramingCase(target, c);
      blockedMs += careful.blockedMs;
      if (!careful.findings.some((f) => f.severity === 'fail' || scope.inScope(f))) {
        unconfirmed.push(`${line}: ${result.findings.map((f) => `${f.clause}: ${f.message}`).join('; ')}`);
        return true;
      }
      result = careful;
    }
    const mine = result.findings.filter((f) => scope.inScope(f));
    if (mine.length > 0 && !mine.some((f) => f.severity === 'fail')) {
      // A SHOULD-level finding (warn) does not end the run: a MUST-level one on the same clause
      // may follow on another input, and it makes the verdict. Shrinking looks for that one only.
      if (!shrinking) warning ??= { result, c, index: casesRun - 1 };
      return true;
    }
    if (mine.length > 0) {
      lastFailure = { result, c };
      shrinking = true;
      lane?.drop();
      return false;
    }
    if (!shrinking) noteOtherClauses(scope, result, c, inputClass);
    return true;
  });
  const details = await fc.check(prop, {
    seed: o.seed,
    // A replay runs the one case of the path (and its shrinks), nothing after it.
    numRuns: o.path ? 1 : o.runs,
    ...(o.path ? { path: o.path, endOnFailure: true } : {}),
    ...(o.property === 'framing' ? { examples: framingExamples(target.ctx).map((c) => [c] as [FramingCase]) } : {}),
  });
  lane?.drop();
  const elapsedMs = performance.now() - started;
  const token = (path: string): string => encodeToken({ property: o.property, seed: o.seed, path, runs: o.runs } satisfies ReplayToken);
  let failure: LiveFuzzReport['failure'] = null;
  if (details.failed && details.counterexample) {
    const c = details.counterexample[0];
    let r = lastFailure as { result: CaseResult; c: FramingCase } | null;
    if (!r || r.c !== c) r = { result: await runFramingCase(target, c), c };
    failure = {
      findings: r.result.findings.filter((f) => scope.inScope(f)),
      input: describeInput(c),
      trace: r.result.trace.render(),
      notes: r.result.notes,
      path: details.counterexamplePath ?? '',
      token: token(details.counterexamplePath ?? ''),
      shrinks: details.numShrinks,
    };
  } else if (details.failed) {
    throw new Error(`fuzzing failed: ${String(details.errorInstance)}`);
  } else if (warning) {
    const w = warning as WarnedCase;
    const path = String(w.index);
    failure = { findings: w.result.findings.filter((f) => scope.inScope(f)), input: describeInput(w.c), trace: w.result.trace.render(), notes: w.result.notes, path, token: token(path), shrinks: 0 };
  }
  return {
    property: o.property,
    seed: o.seed,
    numRuns: o.runs,
    casesRun,
    skipped,
    elapsedMs,
    blockedMs,
    caseDigest: hash.digest('hex').slice(0, 16),
    failure,
    otherClauses: scope.notes,
    unconfirmed,
  };
}

/**
 * Findings of a case on other clauses: a set-up that failed stops every case in that state, a
 * finding about the tester's own barrier is noted once (the barrier still did its job), any
 * other stops the case's class of input. Warnings there are their own scenario's business.
 */
function noteOtherClauses(scope: ClauseScope, result: CaseResult, c: FramingCase, inputClass: string): void {
  const fails = result.findings.filter((f) => f.severity === 'fail' && !scope.inScope(f));
  if (fails.length === 0) return;
  const state = c.selected ? 'SELECTED' : 'NOT SELECTED';
  if (result.setupFailed) {
    scope.note(stateClass(c), fails, describeInput(c));
    return;
  }
  const aboutBarrier = fails.every((f) => f.at === result.barrierAt);
  if (aboutBarrier) scope.note(`barrier Linktest.req in ${state}`, fails, describeInput(c), false);
  else scope.note(inputClass, fails, describeInput(c));
}

/**
 * Preflight: the barrier and the liveness check need Linktest (both states) and Select to work;
 * `hsms-conformance fuzz` stops on a finding here (the fuzz scenarios only note it).
 */
export async function preflight(t: LiveTarget): Promise<Finding[]> {
  const lt = msg.linktestReq(0x10000001);
  const sel = msg.selectReq(t.controlSessionId, 0x10000002);
  const cases: FramingCase[] = [];
  const probe = (selected: boolean, label: string, base: FramingCase['input']['base']): FramingCase => ({ selected, input: { label, kind: 'valid', base, bytes: encodeFrame(base) }, plan: { pieces: [] } });
  if (t.iut.config.role === 'passive') cases.push(probe(false, 'preflight Linktest.req in NOT SELECTED', lt));
  if (t.iut.config.role === 'passive') cases.push(probe(false, 'preflight Select.req', sel));
  const data = msg.dataMessage({ sessionId: t.ctx.sessionId, stream: 1, function: 1, wBit: true, systemBytes: 0x10000003 });
  cases.push(probe(false, 'preflight S1F1 W in NOT SELECTED', data));
  cases.push(probe(true, 'preflight Linktest.req in SELECTED', lt));
  for (const c of cases) {
    const r = await runFramingCase(t, c, null, false);
    const via = !c.selected && !t.iut.config.capabilities.multipleConnections ? ' (NOT SELECTED was reached through Select and Deselect: a Deselect that does not end the session, E37-7.4.2, shows up here too)' : '';
    if (r.findings.length > 0) return r.findings.map((f) => ({ ...f, message: `${c.input.label}: ${f.message}${f.clause === 'E37-7.3' ? via : ''}` }));
  }
  return [];
}

export type { ModelState };
