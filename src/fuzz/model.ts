import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { SType, sTypeName } from '../protocol/constants';
import { encodeFrame, type Frame } from '../protocol/header';
import * as msg from '../protocol/messages';
import type { TesterConnection } from '../harness/tester-connection';
import { WireTrace } from '../harness/wire-trace';
import { fuzzInputArb } from './arbitraries';
import { isIutInitiated, judge, type Finding, type ModelState } from './oracle';
import { ClauseScope, type LiveFuzzOptions, type LiveFuzzReport, type LiveTarget } from './live-properties';
import { encodeToken } from './token';

/**
 * Model-based property (fc.commands): random sequences of select, deselect, linktest, separate,
 * data and garbage on one connection, each answer checked by the oracle against the model state.
 * A state the IUT did not leave (Deselect / Separate ignored) shows up later as data answered
 * "in NOT SELECTED"; a Select.req probe then blames the procedure that should have changed it.
 * A finding on a clause not asked for ends that sequence and stops the command that drew it
 * (or the procedure blamed) from being generated again; later sequences go on without it.
 */

interface Model {
  state: ModelState;
  /** Clause of the procedure that last left SELECTED. */
  leftBy: string | null;
  /** Class of the command that last left SELECTED. */
  leftByClass: string | null;
  done: boolean;
}

interface Real {
  readonly conn: TesterConnection;
  readonly trace: WireTrace;
  readonly findings: Finding[];
  nextSys: number;
}

type Build = (m: Model, r: Real) => Frame;

class SendCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly name: string,
    /** The class of command a finding on another clause stops (the name without its random bytes). */
    readonly commandClass: string,
    private readonly build: Build,
    private readonly t: LiveTarget,
    private readonly scope: ClauseScope,
  ) {}
  check(m: Readonly<Model>): boolean {
    return !m.done && !this.scope.suppressed(this.commandClass);
  }
  async run(m: Model, r: Real): Promise<void> {
    const frame = this.build(m, r);
    const barrier = msg.linktestReq((r.nextSys = (r.nextSys + 1) >>> 0));
    const bytes = Buffer.concat([encodeFrame(frame), encodeFrame(barrier)]);
    const start = r.conn.received.length;
    r.trace.event('fuzz', `command ${this.name}`);
    r.conn.sendRaw(bytes);
    await r.conn.expect((f) => (f.header.sType === SType.LinktestRsp && f.header.systemBytes === barrier.header.systemBytes ? f : undefined), this.t.responseWait);
    const frames: Frame[] = [];
    for (const x of r.conn.received.slice(start)) {
      if (isIutInitiated(x.frame)) continue;
      frames.push(x.frame);
      if (x.frame.header.sType === SType.LinktestRsp && x.frame.header.systemBytes === barrier.header.systemBytes) break;
    }
    const j = judge(this.t.env, m.state, bytes, { frames, closed: !r.conn.isOpen, iutFramingError: r.conn.framingError?.message ?? null });
    let findings = j.findings;
    let culprit = this.commandClass;
    if (findings.some((f) => f.clause === 'E37-7.3') && m.leftBy && r.conn.isOpen) {
      // Probe: did the IUT stay SELECTED (the earlier procedure's fault) or answer data in NOT SELECTED?
      r.conn.drain();
      const probe = msg.selectReq(this.t.controlSessionId, (r.nextSys = (r.nextSys + 1) >>> 0));
      r.conn.send(probe, 'probe: is the IUT still SELECTED?');
      const p = await r.conn.expect((f) => (f.header.sType === SType.SelectRsp ? f : undefined), this.t.responseWait);
      if (p.kind === 'frame' && p.value.header.byte3 === 1) {
        const leftBy = m.leftBy;
        culprit = m.leftByClass ?? culprit;
        findings = findings.map((f) => (f.clause === 'E37-7.3' ? { ...f, clause: leftBy, message: `the IUT stayed SELECTED after the procedure that ends the session: ${f.message}` } : f));
      }
    }
    if (j.state !== m.state && j.state === 'NOT_SELECTED') {
      m.leftBy = frame.header.sType === SType.SeparateReq ? 'E37-7.6.2' : 'E37-7.4.2';
      m.leftByClass = this.commandClass;
    }
    m.state = j.state;
    if (!r.conn.isOpen) m.done = true;
    if (findings.length > 0) {
      r.findings.push(...findings);
      if (findings.some((f) => this.scope.inScope(f))) {
        m.done = true;
        throw new Error(findings.map((f) => `${f.clause}: ${f.message}`).join('; '));
      }
      const fails = findings.filter((f) => f.severity === 'fail');
      const barrierAt = bytes.length - encodeFrame(barrier).length;
      if (fails.length > 0 && fails.every((f) => f.at === barrierAt)) {
        // About the tester's own barrier only: it still did its job; noted once, the sequence goes on.
        this.scope.note('barrier Linktest.req', fails, `command ${this.name}`, false);
      } else {
        m.done = true;
        if (fails.length > 0) this.scope.note(culprit, fails, `command ${this.name}`);
      }
    }
  }
  toString(): string {
    return this.name;
  }
}

export async function runModelProperty(t: LiveTarget, o: LiveFuzzOptions): Promise<LiveFuzzReport> {
  const scope = new ClauseScope(o.clauses);
  const inScope = (f: Finding): boolean => scope.inScope(f);
  const sid = t.controlSessionId;
  const cmd = (name: string, b: Build, commandClass = name): SendCommand => new SendCommand(name, commandClass, b, t, scope);
  const sys = (r: Real): number => (r.nextSys = (r.nextSys + 1) >>> 0);
  const commands = [
    fc.constant(cmd('select', (_m, r) => msg.selectReq(sid, sys(r)))),
    fc.constant(cmd('deselect', (_m, r) => msg.deselectReq(sid, sys(r)))),
    fc.constant(cmd('linktest', (_m, r) => msg.linktestReq(sys(r)))),
    fc.constant(cmd('separate', (_m, r) => msg.separateReq(sid, sys(r)))),
    fc.boolean().map((w) => cmd(`data S1F1${w ? ' W' : ''}`, (_m, r) => msg.dataMessage({ sessionId: t.ctx.sessionId, stream: 1, function: 1, wBit: w, systemBytes: sys(r) }))),
    fuzzInputArb(t.ctx)
      .filter((i) => i.label.startsWith('PType') || i.label.startsWith('SType') || i.label === 'valid frame')
      .map((i) =>
        cmd(`garbage ${i.label}: ${i.bytes.toString('hex')}`, () => ({ header: { ...i.base.header, ...readBack(i.bytes) }, text: i.base.text }), `garbage ${i.kind === 'valid' ? sTypeName(i.base.header.sType) : i.kind}`),
      ),
  ];
  const started = performance.now();
  const hash = createHash('sha256');
  let casesRun = 0;
  let skipped = 0;
  let last: Real | null = null;
  const prop = fc.asyncProperty(fc.commands(commands, { maxCommands: 12, ...(o.replayPath ? { replayPath: o.replayPath } : {}) }), async (cmds) => {
    const line = [...cmds].map(String).join(' ; ');
    hash.update(line + '\n');
    casesRun++;
    o.onCase?.(line);
    const trace = new WireTrace();
    if (scope.suppressed(SETUP_CLASS)) {
      skipped++;
      return;
    }
    const opened = await t.open(trace, 'model', false);
    if (!('conn' in opened)) {
      const finding: Finding = { clause: 'E37-7.2.1', severity: 'fail', message: `could not open a NOT SELECTED connection: ${opened.problem}` };
      if (inScope(finding)) throw new Error(finding.message);
      scope.note(SETUP_CLASS, [finding], 'set-up');
      return;
    }
    const real: Real = { conn: opened.conn, trace, findings: [], nextSys: 0x4d000000 };
    try {
      await fc.asyncModelRun(() => ({ model: { state: 'NOT_SELECTED' as ModelState, leftBy: null, leftByClass: null, done: false }, real }), cmds);
    } catch (err) {
      last = real;
      throw err;
    } finally {
      opened.conn.destroy();
    }
  });
  const details = await fc.check(prop, { seed: o.seed, numRuns: o.path ? 1 : o.runs, ...(o.path ? { path: o.path, endOnFailure: true } : {}) });
  const elapsedMs = performance.now() - started;
  let failure: LiveFuzzReport['failure'] = null;
  if (details.failed) {
    const r = last as Real | null;
    const cmds = details.counterexample?.[0];
    const replayPath = /replayPath="([^"]*)"/.exec(String(cmds))?.[1] ?? (cmds as unknown as { replayPath?: string } | undefined)?.replayPath;
    failure = {
      findings: (r?.findings ?? []).filter(inScope),
      input: `commands (those run): ${cmds ? String(cmds).replace(/\s*\/\*replayPath=.*\*\//, '') : '?'}`,
      trace: r?.trace.render() ?? '',
      notes: [],
      path: details.counterexamplePath ?? '',
      token: encodeToken({ property: 'model', seed: o.seed, path: details.counterexamplePath ?? '', runs: o.runs, ...(replayPath ? { replayPath } : {}) }),
      shrinks: details.numShrinks,
    };
  }
  return {
    property: 'model',
    seed: o.seed,
    numRuns: o.runs,
    casesRun,
    skipped,
    elapsedMs,
    caseDigest: hash.digest('hex').slice(0, 16),
    failure,
    otherClauses: scope.notes,
    unconfirmed: [],
  };
}

/** Class noted when no sequence can start (a NOT SELECTED connection cannot be had). */
const SETUP_CLASS = 'every sequence (set-up)';

function readBack(bytes: Buffer): { pType: number; sType: number } {
  return { pType: bytes[8] ?? 0, sType: bytes[9] ?? 0 };
}
