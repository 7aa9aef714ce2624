import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { LINKTEST_SESSION_ID, SType } from '../protocol/constants';
import { encodeFrame, type Frame } from '../protocol/header';
import * as msg from '../protocol/messages';
import { describeFrame } from '../peer/event-format';
import type { IutSession } from '../harness/iut';
import { TesterConnection, delay } from '../harness/tester-connection';
import { WireTrace } from '../harness/wire-trace';
import { VerdictSignal } from '../harness/verdict';
import { cutPlan, framingCaseArb, validFrameArb, type DeliveryPlan, type FramingCase, type FuzzContext } from './arbitraries';
import { completion, isIutInitiated, judge, parseStream, type Finding, type ModelState, type OracleEnv } from './oracle';
import { encodeToken, type ReplayToken } from './token';

/**
 * Properties checked against a live IUT over TCP, reached through the suite's IutSession (the
 * embedded reference peer, a launched IUT or one at an address, as the profile says).
 *
 * - `framing`: after any single fuzzed input (a valid frame or a mutation of one, delivered in
 *   arbitrary pieces) the IUT answers as E37 requires or closes; it never sends a malformed or
 *   mismatched frame; and a new connection still completes Select and Linktest.
 * - `gaps`: one pause beyond T8 inside a message ends in a close (E37-9.2.3); the same pause
 *   between two whole messages does not.
 * - `model`: random sequences of select, deselect, linktest, separate, data and garbage on one
 *   connection, checked against a model of the E37 state machine (fc.commands).
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
  /** Only findings on these clauses fail the property; others make the run inconclusive. Default: all. */
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

export interface LiveFuzzReport {
  readonly property: PropertyName;
  readonly seed: number;
  readonly numRuns: number;
  readonly casesRun: number;
  readonly elapsedMs: number;
  /** Time the cases spent on the IUT's silence or close and in deliberate pauses (suite efficiency). */
  readonly blockedMs?: number;
  /** SHA-256 over the case descriptions: equal for two runs with the same seed. */
  readonly caseDigest: string;
  readonly failure: (FuzzFailure & { readonly path: string; readonly token: string; readonly shrinks: number }) | null;
  /** A finding outside the clauses asked for (another scenario's business): the run stopped there. */
  readonly outOfScope: (FuzzFailure & { readonly token: string | null }) | null;
}

interface CaseResult {
  readonly findings: Finding[];
  readonly notes: string[];
  readonly trace: WireTrace;
}

/** Everything a property needs to reach the IUT. */
export class LiveTarget {
  readonly env: OracleEnv;
  readonly ctx: FuzzContext;
  constructor(readonly iut: IutSession) {
    const c = iut.config;
    this.env = { standard: c.standard, maxLength: c.capabilities.maxMessageLength };
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
  get shortGap(): number {
    return Math.max(1, Math.min(3, this.ms.t8 / 4));
  }
  get controlSessionId(): number {
    return this.iut.config.standard === 'hsms-ss' ? LINKTEST_SESSION_ID : this.iut.config.sessionId;
  }

  /**
   * A new connection, SELECTED or not. A single-connection passive IUT may not have dropped the
   * previous connection yet (it then answers Select with status 1 or 3, E37-9.2.4.1 a): the
   * tester retries, and reaches NOT SELECTED through Select and Deselect (Separate under
   * HSMS-SS) so the state is certain.
   */
  async open(trace: WireTrace, name: string, selected: boolean): Promise<{ conn: TesterConnection } | { problem: string }> {
    const c = this.iut.config;
    if (c.role !== 'passive') return this.openActive(trace, name, selected);
    let viaSelect = selected || !c.capabilities.multipleConnections;
    const deadline = performance.now() + Math.max(2000, this.ms.t6 * 2);
    for (let attempt = 0; ; attempt++) {
      const conn = await this.iut.connect(trace, attempt === 0 ? name : `${name}${attempt}`);
      if (!viaSelect) return { conn };
      const req = msg.selectReq(this.controlSessionId, conn.allocateSystemBytes());
      conn.send(req);
      const r = await conn.expect((f) => (f.header.sType === SType.SelectRsp ? f : undefined), this.responseWait);
      let problem = r.kind !== 'frame' ? `no Select.rsp (${r.kind === 'closed' ? 'connection closed' : 'timeout'})` : r.value.header.byte3 !== 0 ? `Select.rsp status ${r.value.header.byte3}` : null;
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
          continue;
        }
      }
      if (problem === null) {
        if (selected) conn.autoAnswer.primaries = true;
        return { conn };
      }
      conn.destroy();
      const retry = r.kind === 'closed' || (r.kind === 'frame' && (r.value.header.byte3 === 1 || r.value.header.byte3 === 3));
      if (!retry || performance.now() > deadline) return { problem };
      await delay(Math.min(20, 1 + attempt));
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

  /** Liveness: a new connection completes Select and Linktest (a single-connection IUT may need a moment to drop the old one). */
  async liveness(trace: WireTrace): Promise<Finding | null> {
    let last: string;
    try {
      const o = await this.open(trace, 'live', true);
      if ('conn' in o) {
        const conn = o.conn;
        const req = msg.linktestReq(conn.allocateSystemBytes());
        conn.send(req);
        const r = await conn.expect((f) => (f.header.sType === SType.LinktestRsp && f.header.systemBytes === req.header.systemBytes ? f : undefined), this.responseWait);
        conn.destroy();
        if (r.kind === 'frame') return null;
        last = `Linktest.req unanswered (${r.kind})`;
      } else {
        last = o.problem;
      }
    } catch (err) {
      if (!(err instanceof VerdictSignal)) throw err;
      last = err.reason;
    }
    return { clause: 'E37-8.1.3', severity: 'fail', message: `after the input, a new connection no longer completes Select and Linktest: ${last}` };
  }
}

/** Pause between a case's bytes and the barrier Linktest.req behind them. */
const BARRIER_SETTLE_MS = 20;

function describeCase(c: FramingCase): string {
  const pieces = c.plan.pieces.length ? ` in pieces ${c.plan.pieces.map((p) => `@${p.cut}${p.gap === 'none' ? '' : `/${p.gap}`}`).join(',')}` : '';
  return `${c.selected ? 'SELECTED' : 'NOT SELECTED'}: ${c.input.label}: ${c.input.bytes.toString('hex')}${pieces}`;
}

/** Hex and decoded form of an input, for reports. */
export function describeInput(c: FramingCase): string {
  const lines = [`state before: ${c.selected ? 'SELECTED' : 'NOT SELECTED'}`, `mutation: ${c.input.label}`, `bytes (${c.input.bytes.length}): ${c.input.bytes.toString('hex').replace(/(.{8})/g, '$1 ').trim()}`];
  for (const item of parseStream(c.input.bytes, Number.MAX_SAFE_INTEGER)) {
    if (item.kind === 'frame') lines.push(`decoded: ${describeFrame(item.frame)}`);
    else if (item.kind === 'partial') lines.push(`decoded: partial message, ${item.have} bytes${item.length !== null ? ` of ${item.length + 4}` : ''}`);
    else lines.push(`decoded: length ${item.length}`);
  }
  if (c.plan.pieces.length) lines.push(`delivery: ${JSON.stringify(c.plan.pieces)}`);
  return lines.join('\n');
}

/** One framing case on a fresh connection, then liveness. */
export async function runFramingCase(t: LiveTarget, c: FramingCase, checkLiveness = true): Promise<CaseResult> {
  const trace = new WireTrace();
  const findings: Finding[] = [];
  const o = await t.open(trace, 'fuzz', c.selected);
  if (!('conn' in o)) return { findings: [{ clause: c.selected ? 'E37-7.2.2' : 'E37-7.2.1', severity: 'fail', message: `could not set up the case: ${o.problem}` }], notes: [], trace };
  const conn = o.conn;
  const connectedAt = performance.now();
  const budget = Math.min(t.env.maxLength, 16 * 1024 * 1024) + 4;
  let stream = c.input.bytes;
  for (let i = 0; i < 3; i++) {
    const fill = completion(stream, t.env.maxLength, budget);
    if (!fill) break;
    stream = Buffer.concat([stream, fill]);
  }
  const barrier = msg.linktestReq(conn.allocateSystemBytes());
  // The barrier goes out in a segment of its own, a moment after the case: whether bytes behind a
  // message in the same segment are kept is E37-8.1.2's own scenario, not every fuzz case's.
  const barrierStart = stream.length;
  stream = Buffer.concat([stream, encodeFrame(barrier)]);
  const items = parseStream(stream, t.env.maxLength);
  const broken = items.some((i) => i.kind !== 'frame');
  const start = conn.received.length;
  trace.event('fuzz', `case: ${describeCase(c)}`);
  let sentUpTo: number | undefined;
  let idleClose = false;
  let sent = 0;
  for (const { piece, gap } of cutPlan(stream, c.plan as DeliveryPlan)) {
    if (gap !== 'none') {
      const ms = gap === 'long' ? t.longGap : t.shortGap;
      trace.event('fuzz', `tester pauses ${ms} ms after byte ${sent}`);
      await delay(ms);
      trace.blockedMs += ms;
      if (gap === 'long') {
        const inside = items.some((i) => i.start < sent && (i.kind === 'frame' ? i.end > sent : true));
        if (inside && conn.isOpen) findings.push({ clause: 'E37-9.2.3', severity: 'fail', message: `a pause of ${ms} ms (T8 ${t.ms.t8} ms) after byte ${sent}, inside a message, did not close the connection` });
        if (!conn.isOpen) {
          sentUpTo = sent;
          idleClose = !inside;
          break;
        }
        if (inside) break;
      }
    }
    if (!conn.isOpen) {
      sentUpTo = sent;
      break;
    }
    if (sent <= barrierStart && sent + piece.length > barrierStart) {
      conn.sendRaw(piece.subarray(0, barrierStart - sent));
      await delay(BARRIER_SETTLE_MS);
      if (!conn.isOpen) {
        sentUpTo = barrierStart;
        break;
      }
      conn.sendRaw(piece.subarray(barrierStart - sent));
    } else {
      conn.sendRaw(piece);
    }
    sent += piece.length;
  }
  if (findings.length === 0) {
    if (sentUpTo === undefined && !broken) {
      await conn.expect((f) => (f.header.sType === SType.LinktestRsp && f.header.systemBytes === barrier.header.systemBytes ? f : undefined), t.responseWait);
    } else if (sentUpTo === undefined) {
      await conn.waitClosed(items[items.length - 1]!.kind === 'partial' ? t.ms.t8 + t.ms.tolerance + 100 : t.closeWait);
    }
    const frames: Frame[] = [];
    for (const r of conn.received.slice(start)) {
      if (isIutInitiated(r.frame)) continue;
      frames.push(r.frame);
      if (r.frame.header.sType === SType.LinktestRsp && r.frame.header.systemBytes === barrier.header.systemBytes) break;
    }
    const closeAlwaysOk = performance.now() - connectedAt >= t.ms.t7 - t.ms.tolerance;
    const j = judge(t.env, c.selected ? 'SELECTED' : 'NOT_SELECTED', stream, {
      frames,
      closed: !conn.isOpen,
      iutFramingError: conn.framingError?.message ?? null,
      ...(sentUpTo !== undefined ? { sentUpTo } : {}),
      closeAlwaysOk,
    });
    findings.push(...j.findings);
    if (idleClose && !closeAlwaysOk && j.findings.length === 0) {
      findings.push({ clause: 'E37-9.2.3', severity: 'fail', message: `the IUT closed during a pause between whole messages (after byte ${sentUpTo}); idle time is not T8` });
    }
    conn.destroy();
    if (findings.length === 0 && checkLiveness) {
      const l = await t.liveness(trace);
      if (l) findings.push(l);
    }
    return { findings, notes: j.notes, trace };
  }
  conn.destroy();
  return { findings, notes: [], trace };
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
    { selected: true, input: { label: 'length 0xFFFFFFFF', base: lt, bytes: withLength(0xffffffff) }, plan: none },
    { selected: true, input: { label: `length ${ctx.maxLength + 1} (above-max)`, base: lt, bytes: withLength(ctx.maxLength + 1) }, plan: none },
    { selected: true, input: { label: 'length 9 (too-small)', base: lt, bytes: withLength(9) }, plan: none },
    { selected: true, input: { label: 'SType 200', base: lt, bytes: unknown }, plan: none },
    { selected: false, input: { label: 'valid frame', base: lt, bytes: enc }, plan: { pieces: [{ cut: 2, gap: 'short' }] } },
  ];
}

/** A gap case: a valid frame, one pause beyond T8 somewhere in (or right after) it. */
function gapCaseArb(ctx: FuzzContext): fc.Arbitrary<FramingCase> {
  return fc.record({ selected: fc.boolean(), frame: validFrameArb(ctx).filter((f) => f.header.sType === SType.Data || f.header.sType === SType.LinktestReq), cut: fc.integer({ min: 1, max: 80 }) }).map(({ selected, frame, cut }) => {
    const bytes = encodeFrame(frame);
    return { selected, input: { label: 'valid frame', base: frame, bytes }, plan: { pieces: [{ cut: Math.min(cut, bytes.length), gap: 'long' as const }] } };
  });
}

/** Runs one property against the live IUT; shrinks a failure and returns the report. */
export async function runLiveProperty(target: LiveTarget, o: LiveFuzzOptions): Promise<LiveFuzzReport> {
  if (o.property === 'model') {
    const { runModelProperty } = await import('./model');
    return runModelProperty(target, o);
  }
  const inScope = (f: Finding): boolean => !o.clauses || o.clauses.includes(f.clause);
  const started = performance.now();
  const hash = createHash('sha256');
  let casesRun = 0;
  let blockedMs = 0;
  let outOfScope: { result: CaseResult; c: FramingCase } | null = null;
  let lastFailure: { result: CaseResult; c: FramingCase } | null = null;
  const arb = o.property === 'gaps' ? gapCaseArb(target.ctx) : framingCaseArb(target.ctx, { longGaps: true });
  const prop = fc.asyncProperty(arb, async (c) => {
    if (outOfScope) return true;
    const line = describeCase(c);
    hash.update(line + '\n');
    casesRun++;
    o.onCase?.(line);
    const result = await runFramingCase(target, c);
    blockedMs += result.trace.blockedMs;
    const mine = result.findings.filter(inScope);
    if (mine.length > 0) {
      lastFailure = { result, c };
      return false;
    }
    // A failure on another clause stops the run (nothing after it can be trusted); a SHOULD-level
    // finding there does not: its own scenario reports it.
    if (result.findings.some((f) => f.severity === 'fail') && !lastFailure) outOfScope = { result, c };
    return true;
  });
  const details = await fc.check(prop, {
    seed: o.seed,
    // A replay runs the one case of the path (and its shrinks), nothing after it.
    numRuns: o.path ? 1 : o.runs,
    ...(o.path ? { path: o.path, endOnFailure: true } : {}),
    ...(o.property === 'framing' ? { examples: framingExamples(target.ctx).map((c) => [c] as [FramingCase]) } : {}),
  });
  const elapsedMs = performance.now() - started;
  const token = (path: string): string => encodeToken({ property: o.property, seed: o.seed, path, runs: o.runs } satisfies ReplayToken);
  let failure: LiveFuzzReport['failure'] = null;
  if (details.failed && details.counterexample) {
    const c = details.counterexample[0];
    let r = lastFailure as { result: CaseResult; c: FramingCase } | null;
    if (!r || r.c !== c) r = { result: await runFramingCase(target, c), c };
    failure = {
      findings: r.result.findings.filter(inScope),
      input: describeInput(c),
      trace: r.result.trace.render(),
      notes: r.result.notes,
      path: details.counterexamplePath ?? '',
      token: token(details.counterexamplePath ?? ''),
      shrinks: details.numShrinks,
    };
  } else if (details.failed) {
    throw new Error(`fuzzing failed: ${String(details.errorInstance)}`);
  }
  const oos = outOfScope as { result: CaseResult; c: FramingCase } | null;
  return {
    property: o.property,
    seed: o.seed,
    numRuns: o.runs,
    casesRun,
    elapsedMs,
    blockedMs,
    caseDigest: hash.digest('hex').slice(0, 16),
    failure,
    outOfScope: oos ? { findings: oos.result.findings, input: describeInput(oos.c), trace: oos.result.trace.render(), notes: oos.result.notes, token: null } : null,
  };
}

/** Preflight: the barrier and the liveness check need Linktest (both states) and Select to work. */
export async function preflight(t: LiveTarget): Promise<Finding[]> {
  const lt = msg.linktestReq(0x10000001);
  const sel = msg.selectReq(t.controlSessionId, 0x10000002);
  const cases: FramingCase[] = [];
  if (t.iut.config.role === 'passive') cases.push({ selected: false, input: { label: 'preflight Linktest.req in NOT SELECTED', base: lt, bytes: encodeFrame(lt) }, plan: { pieces: [] } });
  if (t.iut.config.role === 'passive') cases.push({ selected: false, input: { label: 'preflight Select.req', base: sel, bytes: encodeFrame(sel) }, plan: { pieces: [] } });
  const data = msg.dataMessage({ sessionId: t.ctx.sessionId, stream: 1, function: 1, wBit: true, systemBytes: 0x10000003 });
  cases.push({ selected: false, input: { label: 'preflight S1F1 W in NOT SELECTED', base: data, bytes: encodeFrame(data) }, plan: { pieces: [] } });
  cases.push({ selected: true, input: { label: 'preflight Linktest.req in SELECTED', base: lt, bytes: encodeFrame(lt) }, plan: { pieces: [] } });
  for (const c of cases) {
    const r = await runFramingCase(t, c, false);
    const via = !c.selected && !t.iut.config.capabilities.multipleConnections ? ' (NOT SELECTED was reached through Select and Deselect: a Deselect that does not end the session, E37-7.4.2, shows up here too)' : '';
    if (r.findings.length > 0) return r.findings.map((f) => ({ ...f, message: `${c.input.label}: ${f.message}${f.clause === 'E37-7.3' ? via : ''}` }));
  }
  return [];
}

export type { ModelState };
