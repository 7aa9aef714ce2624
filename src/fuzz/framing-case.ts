import { SType, sTypeName } from '../protocol/constants';
import { encodeFrame, type Frame } from '../protocol/header';
import * as msg from '../protocol/messages';
import { describeFrame } from '../peer/event-format';
import { delay, type TesterConnection } from '../harness/tester-connection';
import { WireTrace } from '../harness/wire-trace';
import { cutPlan, type DeliveryPlan, type FramingCase } from './arbitraries';
import { completion, isIutInitiated, judge, parseStream, type Finding, type ModelState } from './oracle';
import type { LiveTarget } from './live-properties';

/**
 * One framing case against the live IUT: set the state, write the (possibly mutated) bytes in
 * the planned pieces, a Linktest.req barrier behind them, and judge what came back with the
 * oracle. Two ways to run it:
 *
 * - careful (no lane): a fresh connection for the case and a liveness check after it, exactly
 *   reproducible on its own. Shrinking and replay use it.
 * - on a lane: the connection the previous case left usable is kept; a new one is opened only
 *   after a close, and liveness (a new connection completes Select and Linktest) is checked
 *   after every close and every LIVENESS_EVERY cases. The barrier follows the case's bytes at
 *   once, and the lane records no wire trace. A finding on a lane counts only if the careful run
 *   of the same case shows it too (so an IUT that, say, loses the bytes behind a Select.req in
 *   one segment, E37-8.1.2's business, costs time here but never a false finding).
 */

export interface CaseResult {
  readonly findings: Finding[];
  readonly notes: string[];
  readonly trace: WireTrace;
  /** Byte offset of the barrier in what was written (findings `at` it are about the barrier). */
  readonly barrierAt: number;
  /** The case could not be set up (the finding is about reaching the state, not the input). */
  readonly setupFailed: boolean;
  /** Time this case spent on the IUT's silence or close and in pauses (a lane's trace spans many cases). */
  readonly blockedMs: number;
}

/** Cases between two liveness checks on a lane whose connection stays usable. */
export const LIVENESS_EVERY = 32;
/** Careful mode: pause between a case's bytes and the barrier behind them, so it arrives in a read of its own. */
const CAREFUL_SETTLE_MS = 20;

/**
 * A lane's trace keeps time and the blocked-time account but no wire entries: nobody reads them
 * (a finding is reported from its careful run), and recording every chunk of thousands of cases
 * would cost more than the cases.
 */
class LaneTrace extends WireTrace {
  override bytes(): void {}
  override frame(): void {}
  override event(): void {}
}

/**
 * A connection kept across cases and what the tester knows about it: the E37 state the oracle
 * judged it to be in, and when it last entered NOT SELECTED (T7 runs from there).
 */
export class Lane {
  conn: TesterConnection | null = null;
  state: ModelState = 'NOT_SELECTED';
  notSelectedSince = 0;
  sinceLiveness = 0;
  readonly trace: WireTrace = new LaneTrace();

  constructor(readonly name = 'lane') {}

  drop(): void {
    this.conn?.destroy();
    this.conn = null;
  }

  adopt(conn: TesterConnection, state: ModelState): void {
    this.conn = conn;
    this.state = state;
    this.notSelectedSince = performance.now();
    this.sinceLiveness = 0;
  }

  /**
   * A connection in the wanted state: the kept one, moved there by Select or Deselect when it is
   * not; a new one when there is none, when HSMS-SS has no Deselect, or when the kept connection
   * has been NOT SELECTED for half of T7 (a close at T7 must not land inside a case).
   */
  async prepare(t: LiveTarget, trace: WireTrace, selected: boolean): Promise<{ conn: TesterConnection } | { problem: string }> {
    const conn = this.conn;
    if (conn && conn.isOpen) {
      const fresh = performance.now() - this.notSelectedSince < t.ms.t7 / 2;
      if (selected && this.state === 'SELECTED') return { conn };
      if (!selected && this.state === 'NOT_SELECTED' && fresh) return { conn };
      if (selected && this.state === 'NOT_SELECTED' && (await this.control(t, conn, msg.selectReq(t.controlSessionId, conn.allocateSystemBytes()), SType.SelectRsp))) {
        this.state = 'SELECTED';
        conn.autoAnswer.primaries = true;
        return { conn };
      }
      if (!selected && this.state === 'SELECTED' && t.iut.config.standard !== 'hsms-ss' && (await this.control(t, conn, msg.deselectReq(t.controlSessionId, conn.allocateSystemBytes()), SType.DeselectRsp))) {
        this.state = 'NOT_SELECTED';
        this.notSelectedSince = performance.now();
        conn.autoAnswer.primaries = false;
        return { conn };
      }
    }
    this.drop();
    const o = await t.open(trace, this.name, selected);
    if ('conn' in o) this.adopt(o.conn, selected ? 'SELECTED' : 'NOT_SELECTED');
    return o;
  }

  /** Sends a Select.req or Deselect.req on the kept connection; true when it was accepted (status 0). */
  private async control(t: LiveTarget, conn: TesterConnection, req: Frame, rsp: SType): Promise<boolean> {
    conn.send(req, 'fuzz: set the state for the next case');
    const r = await conn.expect((f) => (f.header.sType === rsp && f.header.systemBytes === req.header.systemBytes ? f : undefined), t.responseWait);
    return r.kind === 'frame' && r.value.header.byte3 === 0;
  }
}

export function describeCase(c: FramingCase): string {
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

/**
 * The class of input a defect is tied to (E37 answers depend on it): the mutation kind, and for
 * the kinds whose answer depends on them, the base SType and the state. A finding on another
 * clause stops the generation of its class only, so a scenario goes on judging its own clause
 * on every other class.
 */
export function caseClass(c: FramingCase): string {
  const k = c.input.kind;
  if (k === 'ptype' || k === 'stype' || k === 'control-text' || k.startsWith('length ')) return k;
  return `${k} ${sTypeName(c.input.base.header.sType)} in ${c.selected ? 'SELECTED' : 'NOT SELECTED'}`;
}

/** Runs one case: on the lane when one is given, carefully (fresh connection, liveness after) when not. */
export async function runFramingCase(t: LiveTarget, c: FramingCase, lane: Lane | null = null, checkLiveness = true): Promise<CaseResult> {
  const trace = lane ? lane.trace : new WireTrace();
  const blockedBefore = trace.blockedMs;
  const blocked = (): number => trace.blockedMs - blockedBefore;
  const findings: Finding[] = [];
  const o = lane ? await lane.prepare(t, trace, c.selected) : await t.open(trace, 'fuzz', c.selected);
  if (!('conn' in o)) {
    return { findings: [{ clause: c.selected ? 'E37-7.2.2' : 'E37-7.2.1', severity: 'fail', message: `could not set up the case: ${o.problem}` }], notes: [], trace, barrierAt: -1, setupFailed: true, blockedMs: blocked() };
  }
  const conn = o.conn;
  const since = lane ? lane.notSelectedSince : performance.now();
  const budget = Math.min(t.env.maxLength, 16 * 1024 * 1024) + 4;
  let stream = c.input.bytes;
  for (let i = 0; i < 3; i++) {
    const fill = completion(stream, t.env.maxLength, budget);
    if (!fill) break;
    stream = Buffer.concat([stream, fill]);
  }
  const barrier = msg.linktestReq(conn.allocateSystemBytes());
  const barrierStart = stream.length;
  stream = Buffer.concat([stream, encodeFrame(barrier)]);
  const items = parseStream(stream, t.env.maxLength);
  const broken = items.some((i) => i.kind !== 'frame');
  // Where the bytes that follow go out in a segment of their own, a moment later (careful mode):
  // the barrier, and whatever follows a Select.req (an IUT that loses the bytes behind a Select.req
  // in its segment is E37-8.1.2's finding, not one on every clause such an input touches).
  const splits: number[] = [];
  for (const i of items) if (i.kind === 'frame' && i.end < barrierStart && i.frame.header.pType === 0 && i.frame.header.sType === SType.SelectReq) splits.push(i.end);
  splits.push(barrierStart);
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
    let at = 0;
    for (const split of splits) {
      if (split < sent + at || split >= sent + piece.length) continue;
      if (split > sent + at) conn.sendRaw(piece.subarray(at, split - sent));
      at = split - sent;
      if (!lane) await delay(CAREFUL_SETTLE_MS);
      if (!conn.isOpen) {
        sentUpTo = split;
        break;
      }
    }
    if (sentUpTo !== undefined) break;
    conn.sendRaw(piece.subarray(at));
    sent += piece.length;
  }
  let barrierAnswered = false;
  if (findings.length > 0) {
    conn.destroy();
    lane?.drop();
    return { findings, notes: [], trace, barrierAt: barrierStart, setupFailed: false, blockedMs: blocked() };
  }
  if (sentUpTo === undefined && !broken) {
    const r = await conn.expect((f) => (f.header.sType === SType.LinktestRsp && f.header.systemBytes === barrier.header.systemBytes ? f : undefined), t.responseWait);
    barrierAnswered = r.kind === 'frame';
  } else if (sentUpTo === undefined) {
    await conn.waitClosed(items[items.length - 1]!.kind === 'partial' ? t.ms.t8 + t.ms.tolerance + 100 : t.closeWait);
  }
  const frames: Frame[] = [];
  for (const r of conn.received.slice(start)) {
    if (isIutInitiated(r.frame)) continue;
    frames.push(r.frame);
    if (r.frame.header.sType === SType.LinktestRsp && r.frame.header.systemBytes === barrier.header.systemBytes) break;
  }
  const closeAlwaysOk = !c.selected && performance.now() - since >= t.ms.t7 - t.ms.tolerance;
  const j = judge(t.env, c.selected ? 'SELECTED' : 'NOT_SELECTED', stream, {
    frames,
    closed: !conn.isOpen,
    iutFramingError: conn.framingError?.message ?? null,
    ...(sentUpTo !== undefined ? { sentUpTo } : {}),
    closeAlwaysOk,
  });
  findings.push(...j.findings);
  if (idleClose && !closeAlwaysOk && !j.closeLegal && j.findings.length === 0) {
    findings.push({ clause: 'E37-9.2.3', severity: 'fail', message: `the IUT closed during a pause between whole messages (after byte ${sentUpTo}); idle time is not T8` });
  }
  const reusable = lane !== null && conn.isOpen && barrierAnswered && findings.length === 0;
  if (reusable) {
    if (lane.state !== j.state && j.state === 'NOT_SELECTED') lane.notSelectedSince = performance.now();
    lane.state = j.state;
    conn.autoAnswer.primaries = j.state === 'SELECTED';
  } else {
    conn.destroy();
    lane?.drop();
  }
  if (findings.length === 0 && checkLiveness && t.livenessWorks && (!lane || !reusable || ++lane.sinceLiveness >= LIVENESS_EVERY)) {
    lane?.drop();
    const l = await t.liveness(trace, lane !== null);
    if (l.finding) findings.push(l.finding);
    if (lane && l.conn) lane.adopt(l.conn, 'SELECTED');
  }
  return { findings, notes: j.notes, trace, barrierAt: barrierStart, setupFailed: false, blockedMs: blocked() };
}
