import { LINKTEST_SESSION_ID, RejectReason, SType, sTypeName } from '../protocol/constants';
import { describeHeader, hex16, hex32, isPrimary, stream, wBit, type Frame, type Header } from '../protocol/header';
import * as msg from '../protocol/messages';
import { describeFrame } from '../peer/event-format';
import type { ControlCommand, IutSession } from './iut';
import type { Expectation, ReceivedFrame, TesterConnection } from './tester-connection';
import { delay } from './tester-connection';
import { Failure, HarnessError, Inconclusive, JudgedElsewhere, ScenarioRecorder } from './verdict';
import { measureStalls } from './stall-meter';
import { WireTrace } from './wire-trace';

/**
 * Everything one scenario does to the IUT, as named harness functions. Steps stay thin and call
 * these; each check states what it expected and what it saw, and accepts every outcome the
 * standard (and NOTES.md) allows.
 */

export type ConnName = string;

/** Everything one scenario does to the IUT (see the module comment). Step definitions receive it through `step`. */
export class ScenarioContext {
  readonly trace = new WireTrace();
  readonly recorder = new ScenarioRecorder();
  private readonly conns = new Map<ConnName, TesterConnection>();
  /** The last message the tester sent on each connection, which "it" refers to in steps. */
  private readonly lastSent = new Map<ConnName, Frame>();
  /** The last frame the IUT sent that a step consumed. */
  lastReceived: Frame | null = null;

  /** `tags`: the scenario's cucumber tags, which name the clauses it judges (`@E37-8.2.8`). */
  constructor(
    readonly iut: IutSession,
    readonly tags: readonly string[] = [],
  ) {}

  /** Whether this scenario judges `clause` (is tagged with it). */
  judges(clause: string): boolean {
    return this.tags.includes(`@${clause}`);
  }

  /** The profile's timers and tolerance in milliseconds. */
  get ms(): IutSession['timersMs'] {
    return this.iut.timersMs;
  }

  /** T3, T5, T6, T7 or T8 of the profile in milliseconds. */
  timerMs(timer: number): number {
    const ms = this.ms;
    switch (timer) {
      case 3:
        return ms.t3;
      case 5:
        return ms.t5;
      case 6:
        return ms.t6;
      case 7:
        return ms.t7;
      case 8:
        return ms.t8;
      default:
        throw new HarnessError(`E37 has no timer T${timer}`);
    }
  }

  /** Ends the step with verdict fail and this reason. */
  fail(reason: string): never {
    throw new Failure(reason);
  }

  /** The scenario's connection of that name ("main" unless a step opened another). */
  conn(name: ConnName = 'main'): TesterConnection {
    const c = this.conns.get(name);
    if (!c) throw new HarnessError(`no connection named '${name}' in this scenario`);
    return c;
  }

  /** Bounded wait for a response: T6 (the IUT's own limit for control transactions) plus tolerance. */
  get responseWait(): number {
    return this.ms.t6 + this.ms.tolerance;
  }

  /**
   * Bounded wait for whatever answers a data message (its reply, or a Reject): the tester's T3,
   * taken as the profile's, plus tolerance. An IUT may reply at any time within T3
   * (E37-9.4.1.1), so a shorter wait would fail a slow but conforming reply.
   */
  get replyWait(): number {
    return Math.max(this.ms.t3, this.ms.t6) + this.ms.tolerance;
  }

  /**
   * The next frame or close on `c` before `until` (trace clock), or a timeout then. Meanwhile a
   * keep-alive Linktest.req every half T8 of silence keeps a SELECTED connection from being
   * idle, so that the IUT's handling of idle time (E37-9.2.3, judged on its own) cannot pass for
   * what the scenario watches for.
   */
  async nextKeptAlive(c: TesterConnection, until: number): Promise<Expectation<true>> {
    const every = Math.max(10, this.ms.t8 / 2);
    for (;;) {
      const left = until - this.trace.elapsed();
      if (left <= 0) return { kind: 'timeout' };
      const r = await c.next(Math.min(every, left));
      if (r.kind !== 'timeout') return r;
      if (until - this.trace.elapsed() > 0) c.sendKeepAlive();
    }
  }

  // ---- connections -------------------------------------------------------------------------

  /** Forms a TCP connection in the IUT's role (connects to a passive IUT, accepts an active one) and names it. */
  async openConnection(name: ConnName = 'main'): Promise<TesterConnection> {
    const c = await this.iut.connect(this.trace, name);
    this.conns.set(name, c);
    return c;
  }

  /** Names a connection the tester opened by other means (e.g. to an IUT's published port outside the usual role); the IUT session closes it at the end. */
  adoptConnection(conn: TesterConnection, name: ConnName = 'main'): TesterConnection {
    this.iut.track(conn);
    this.conns.set(name, conn);
    return conn;
  }

  /** A connection in NOT SELECTED. An active IUT's own Select.req is refused with status 2 so it stays there (E37-7.2.1 step 3). */
  async notSelectedConnection(name: ConnName = 'main'): Promise<TesterConnection> {
    const c = await this.openConnection(name);
    const own = await this.iutSelectReq(c);
    if (own) c.send(msg.selectRsp(own.header, 2), 'tester keeps the connection NOT SELECTED');
    return c;
  }

  /** A SELECTED connection: the tester selects a passive IUT, or accepts an active IUT's Select.req. */
  async selectedConnection(name: ConnName = 'main'): Promise<TesterConnection> {
    const c = await this.openConnection(name);
    const own = await this.iutSelectReq(c);
    if (!own) {
      const req = msg.selectReq(this.controlSessionId, c.allocateSystemBytes());
      c.send(req);
      const r = await c.expect((f) => (f.header.sType === SType.SelectRsp ? f : undefined), this.responseWait);
      if (r.kind !== 'frame') throw new JudgedElsewhere(['E37-7.2.2'], `the IUT did not select: ${this.describeNoFrame(r, 'Select.rsp')}`);
      if (r.value.header.byte3 !== 0) throw new JudgedElsewhere(['E37-7.2.2'], `the IUT refused Select.req with status ${r.value.header.byte3}`);
    } else {
      c.send(msg.selectRsp(own.header, 0), 'tester accepts the select');
      // The IUT may not have read the Select.rsp yet; one Linktest round trip proves it has, so a
      // procedure the scenario asks of it next runs in SELECTED.
      const probe = this.build('Linktest.req', name);
      c.send(probe, 'confirms the IUT has read the Select.rsp');
      const r = await c.expect((f) => (f.header.sType === SType.LinktestRsp && f.header.systemBytes === probe.header.systemBytes ? f : undefined), this.responseWait);
      if (r.kind !== 'frame') throw new JudgedElsewhere(['E37-7.5.2'], `after the select the IUT did not answer Linktest.req: ${this.describeNoFrame(r, 'Linktest.rsp')}`);
    }
    c.autoAnswer.primaries = true;
    return c;
  }

  /**
   * The Select.req the IUT sends after connecting, left for the caller to answer: an active IUT
   * (or an alternating one in its active phase) must send it; an alternating IUT in its passive
   * phase may (the reference peer does) or may wait for the tester's; a passive IUT is not
   * waited for.
   */
  private async iutSelectReq(c: TesterConnection): Promise<Frame | null> {
    if (!this.iut.connectsActively && !this.iut.inPassivePhase) return null;
    const wait = this.iut.connectsActively ? this.ms.t5 + this.responseWait : this.responseWait;
    const r = await c.expect((f) => (f.header.sType === SType.SelectReq ? f : undefined), wait);
    if (r.kind === 'frame') return r.value;
    if (this.iut.connectsActively) throw new JudgedElsewhere(['E37-6.3.3'], `the ${this.iut.config.role} IUT did not send Select.req after connecting: ${this.describeNoFrame(r, 'Select.req')}`);
    if (r.kind === 'closed') throw new Inconclusive(`the IUT closed the connection (${r.close.how}) right after accepting it`);
    return null;
  }

  /** E37-6.3.1: a passive IUT accepted the tester's connection; an active one opened it itself. */
  expectDeclaredConnectMode(name: ConnName = 'main'): void {
    const ep = this.trace.endpoints.get(name);
    if (!ep) throw new HarnessError(`no connection named '${name}' was formed`);
    const role = this.iut.config.role;
    const expected = role === 'passive';
    if (role !== 'alternating' && ep.testerInitiated !== expected) {
      throw new Failure(`the profile declares connect mode ${role}, but the ${ep.testerInitiated ? 'tester' : 'IUT'} opened the connection`);
    }
    this.recorder.measure(`connection opened by the ${ep.testerInitiated ? 'tester (the IUT accepted it on its published port)' : 'IUT (it connected to the tester)'}`);
  }

  /** Session id the tester uses on its control messages: 0xFFFF under HSMS-SS, else the profile's. */
  get controlSessionId(): number {
    return this.iut.config.standard === 'hsms-ss' ? LINKTEST_SESSION_ID : this.iut.config.sessionId;
  }

  // ---- sending -----------------------------------------------------------------------------

  /** Sends a message on the connection; it becomes the message "it" refers to in later checks. */
  send(frame: Frame, name: ConnName = 'main', note?: string): void {
    this.conn(name).send(frame, note);
    this.lastSent.set(name, frame);
  }

  /** Writes raw bytes (a malformed or partial message) on the connection. */
  sendRaw(bytes: Buffer, name: ConnName = 'main', note?: string): void {
    this.conn(name).sendRaw(bytes, undefined, note);
  }

  /** Records a frame the tester wrote by other means (raw, split or coalesced) as the one "it" refers to. */
  recordSent(frame: Frame, name: ConnName = 'main'): void {
    this.lastSent.set(name, frame);
  }

  /** The last message the tester sent on the connection. */
  lastSentFrame(name: ConnName = 'main'): Frame {
    const f = this.lastSent.get(name);
    if (!f) throw new HarnessError('the scenario has not sent a message yet');
    return f;
  }

  /** Builds the named message with fresh system bytes (E37-8.2 table values). */
  build(kind: string, name: ConnName = 'main'): Frame {
    const sys = this.conn(name).allocateSystemBytes();
    const sid = this.controlSessionId;
    switch (kind) {
      case 'Select.req':
        return msg.selectReq(sid, sys);
      case 'Deselect.req':
        return msg.deselectReq(sid, sys);
      case 'Linktest.req':
        return msg.linktestReq(sys);
      case 'Separate.req':
        return msg.separateReq(sid, sys);
      case 'Select.rsp':
        return msg.selectRsp({ sessionId: sid, byte2: 0, byte3: 0, pType: 0, sType: SType.SelectReq, systemBytes: sys }, 0);
      case 'Deselect.rsp':
        return msg.deselectRsp({ sessionId: sid, byte2: 0, byte3: 0, pType: 0, sType: SType.DeselectReq, systemBytes: sys }, 0);
      case 'Linktest.rsp':
        return msg.linktestRsp({ sessionId: LINKTEST_SESSION_ID, byte2: 0, byte3: 0, pType: 0, sType: SType.LinktestReq, systemBytes: sys });
      case 'Reject.req':
        return msg.rejectReq({ sessionId: sid, byte2: 0, byte3: 0, pType: 0, sType: SType.SelectReq, systemBytes: sys }, RejectReason.TransactionNotOpen);
      default: {
        const m = /^S(\d+)F(\d+)( W)?$/.exec(kind);
        if (!m) throw new HarnessError(`unknown message '${kind}'`);
        return msg.dataMessage({ sessionId: this.iut.config.sessionId, stream: Number(m[1]), function: Number(m[2]), wBit: m[3] !== undefined, systemBytes: sys });
      }
    }
  }

  // ---- expectations ------------------------------------------------------------------------

  /** Says why no message came: a close, malformed framing, a time-out, or another message. */
  describeNoFrame(r: Expectation<unknown>, what: string): string {
    if (r.kind === 'closed' && r.close.framing) return `the IUT sent malformed framing (${r.close.framing}) instead of ${what}`;
    if (r.kind === 'closed') return `the IUT closed the connection (${r.close.how}) at ${(r.close.at / 1000).toFixed(3)} s instead of sending ${what}`;
    if (r.kind === 'timeout') return `no ${what} within the bounded wait`;
    return `got ${describeFrame(r.frame.frame)}`;
  }

  /** The next frame the IUT sends on the connection (traffic unrelated to the scenario is answered aside). */
  async nextFrame(what: string, name: ConnName = 'main', timeoutMs = this.responseWait): Promise<Frame> {
    const r = await this.conn(name).next(timeoutMs, true);
    if (r.kind !== 'frame') throw new Failure(this.describeNoFrame(r, what));
    this.lastReceived = r.frame.frame;
    return r.frame.frame;
  }

  /** Expects the next message to be a response control message of `sType` (its header fields are checked by the caller). */
  async expectResponse(sType: SType, name: ConnName = 'main'): Promise<Frame> {
    const f = await this.nextFrame(sTypeName(sType), name);
    const h = f.header;
    if (h.sType === SType.RejectReq) throw new Failure(`expected ${sTypeName(sType)}, the IUT rejected the request: ${describeHeader(h)}`);
    if (h.sType !== sType || h.pType !== 0) throw new Failure(`expected ${sTypeName(sType)}, got ${describeFrame(f)}`);
    return f;
  }

  /**
   * For scenarios that check a response's format: the next message must be a response of
   * `sType`. Any other answer leaves nothing to check: inconclusive, since whether the IUT had to
   * give that response is judged under `judgedUnder`.
   */
  async expectResponseToCheck(sType: SType, judgedUnder: string, name: ConnName = 'main'): Promise<Frame> {
    const f = await this.nextFrame(sTypeName(sType), name);
    if (f.header.sType !== sType || f.header.pType !== 0) {
      throw new Inconclusive(`no ${sTypeName(sType)} to check: the IUT answered with ${describeFrame(f)} (whether it had to answer with ${sTypeName(sType)} is judged under ${judgedUnder})`);
    }
    return f;
  }

  /** Fails unless the response header has the system bytes of the request. */
  checkEcho(req: Header, rsp: Header, field: 'systemBytes' | 'sessionId'): void {
    if (rsp[field] !== req[field]) {
      const fmt = field === 'systemBytes' ? hex32 : hex16;
      throw new Failure(`${sTypeName(rsp.sType)} ${field === 'systemBytes' ? 'system bytes' : 'session id'} ${fmt(rsp[field])} do not equal the request's ${fmt(req[field])}`);
    }
  }

  /**
   * Expects the next message to be a Reject.req with one of `reasons`, answering the last message
   * sent. Its header fields (byte 2, session id, system bytes) are E37-8.2.8's business: `checkRejectDetails`.
   */
  async expectReject(reasons: readonly number[], name: ConnName = 'main'): Promise<Frame> {
    const f = await this.nextFrame('Reject.req', name);
    const h = f.header;
    if (h.sType !== SType.RejectReq) throw new Failure(`expected Reject.req with reason ${reasons.join(' or ')}, got ${describeFrame(f)}`);
    this.checkRejectDetails(this.lastSentFrame(name).header, f);
    if (!reasons.includes(h.byte3)) throw new Failure(`Reject.req reason ${h.byte3}, expected ${reasons.join(' or ')}`);
    return f;
  }

  /**
   * Every Reject.req the IUT sends is checked against E37-8.2.8 wherever it arrives. A wrong
   * detail is one defect with one clause: it fails a scenario that judges E37-8.2.8 and is only
   * noted in any other, whose own clause it does not concern (the E37-8.2.8 scenarios exercise
   * every kind of Reject the suite draws, so nothing is lost).
   */
  checkRejectDetails(rejected: Header, reject: Frame): void {
    const problems = rejectProblems(rejected, reject, this.iut.config.standard === 'hsms-ss');
    if (problems.length === 0) return;
    const what = `Reject.req for ${sTypeName(rejected.sType)}${rejected.pType !== 0 ? ` (PType ${rejected.pType})` : ''}: ${problems.join('; ')}`;
    if (this.judges('E37-8.2.8')) throw new Failure(what);
    this.recorder.measure(`${what} (judged under E37-8.2.8)`);
  }

  /** Expects nothing from the IUT within `ms`: no frame and no close. */
  async expectSilence(ms: number, name: ConnName = 'main', allowClose = false): Promise<'silent' | 'closed'> {
    const r = await this.conn(name).next(ms);
    if (r.kind === 'frame') throw new Failure(`expected no message, the IUT sent ${describeFrame(r.frame.frame)}`);
    if (r.kind === 'closed') {
      if (allowClose) return 'closed';
      throw new Failure(`expected the connection to stay open, the IUT closed it (${r.close.how})`);
    }
    return 'silent';
  }

  /**
   * Makes the IUT initiate `kind` (Linktest.req, Deselect.req, Separate.req or S<s>F<f> W, through
   * the profile's control) and waits for it. The request is held from the answers on the side, so
   * the scenario answers it (or not) itself; other traffic of the IUT is still answered. An active
   * IUT learns it is SELECTED only when it has read the tester's Select.rsp: a Linktest round trip
   * first guarantees that (TCP keeps order). Inconclusive when the IUT does not send it.
   */
  async commandIut(kind: string, name: ConnName = 'main'): Promise<ReceivedFrame> {
    const c = this.conn(name);
    if (this.iut.config.role !== 'passive') {
      const req = this.build('Linktest.req', name);
      c.send(req, 'sync: the IUT has read everything sent before');
      const r = await c.expect((f) => (f.header.sType === SType.LinktestRsp && f.header.systemBytes === req.header.systemBytes ? f : undefined), this.responseWait);
      if (r.kind !== 'frame') throw new JudgedElsewhere(['E37-7.5.2'], `the IUT did not answer a synchronising Linktest.req: ${this.describeNoFrame(r, 'Linktest.rsp')}`);
    }
    const data = /^S(\d+)F(\d+) W$/.exec(kind);
    const controls: Record<string, { readonly cmd: 'linktest' | 'deselect' | 'separate'; readonly sType: SType }> = {
      'Linktest.req': { cmd: 'linktest', sType: SType.LinktestReq },
      'Deselect.req': { cmd: 'deselect', sType: SType.DeselectReq },
      'Separate.req': { cmd: 'separate', sType: SType.SeparateReq },
    };
    const control = controls[kind];
    if (!data && !control) throw new HarnessError(`the tester cannot make the IUT send '${kind}'`);
    const match = data
      ? (f: Frame): boolean => f.header.sType === SType.Data && isPrimary(f.header) && stream(f.header) === Number(data[1]) && f.header.byte3 === Number(data[2])
      : (f: Frame): boolean => f.header.sType === control!.sType;
    c.holdNext(match);
    const command: ControlCommand = data ? { kind: 'send', stream: Number(data[1]), function: Number(data[2]), wBit: true, text: Buffer.alloc(0) } : { kind: control!.cmd };
    await this.iut.command(command, `make the IUT send ${kind}`);
    const r = await c.expect((f) => (match(f) ? f : undefined), this.iut.config.control === 'manual' ? 60_000 : this.responseWait + this.ms.tolerance);
    if (r.kind !== 'frame') {
      c.releaseHolds();
      throw new Inconclusive(`the IUT was told to send ${kind}: ${this.describeNoFrame(r, kind)}`);
    }
    this.lastReceived = r.value;
    return r.frame;
  }

  /** Waits for a request the IUT initiates (after connecting, or when told to by control), within T5 + T6. */
  async expectIutRequest(sType: SType, name: ConnName = 'main', timeoutMs?: number): Promise<Frame> {
    const c = this.conn(name);
    const r = await c.expect((f) => (f.header.sType === sType ? f : undefined), timeoutMs ?? this.ms.t5 + this.responseWait);
    if (r.kind !== 'frame') throw new Failure(this.describeNoFrame(r, sTypeName(sType)));
    this.lastReceived = r.value;
    return r.value;
  }

  /** Answers the IUT's last Select.req or Deselect.req with `status`. */
  answerLastRequest(status: number, name: ConnName = 'main'): void {
    const req = this.lastResponse().header;
    if (req.sType === SType.SelectReq) {
      this.send(msg.selectRsp(req, status), name);
      if (status === 0) this.conn(name).autoAnswer.primaries = true;
    } else if (req.sType === SType.DeselectReq) {
      this.send(msg.deselectRsp(req, status), name);
    } else {
      throw new HarnessError(`cannot answer ${sTypeName(req.sType)} with a status`);
    }
  }

  /**
   * NOTES.md: Select.req in SELECTED: status 1 passes, status 0 is WARN, anything else fails;
   * under HSMS-SS an active IUT may reject the tester's Select.req with reason 1 instead.
   */
  async expectReselectAnswer(name: ConnName = 'main'): Promise<void> {
    const f = await this.nextFrame('Select.rsp', name);
    const h = f.header;
    if (h.sType === SType.SelectRsp && h.byte3 === 1) return;
    if (h.sType === SType.RejectReq && h.byte3 === RejectReason.STypeNotSupported && this.iut.config.standard === 'hsms-ss' && this.iut.config.role !== 'passive') {
      this.checkRejectDetails(this.lastSentFrame(name).header, f);
      this.recorder.measure('the active HSMS-SS IUT rejects the remote Select.req with reason 1 (NOTES.md: the active entity initiates Select)');
      return;
    }
    if (h.sType === SType.SelectRsp && h.byte3 === 0) {
      this.recorder.add('warn', 'Select.req in SELECTED answered with status 0; status 1 (Communication Already Active) expected');
      return;
    }
    if (h.sType === SType.SelectRsp) throw new Failure(`Select.req in SELECTED answered with status ${h.byte3}; status 1 expected`);
    throw new Failure(`Select.req in SELECTED drew ${describeFrame(f)}; Select.rsp status 1 expected`);
  }

  /**
   * The last procedure message that changes the session state on `name` (Select, Deselect or
   * Separate, either direction), named for a verdict: "the tester's Separate.req".
   */
  lastProcedure(name: ConnName = 'main'): string {
    const procedure = new Set<number>([SType.SelectReq, SType.SelectRsp, SType.DeselectReq, SType.DeselectRsp, SType.SeparateReq]);
    for (let i = this.trace.entries.length - 1; i >= 0; i--) {
      const e = this.trace.entries[i]!;
      if (e.kind !== 'frame' || e.conn !== name || !procedure.has(e.frame.header.sType)) continue;
      const h = e.frame.header;
      const status = h.sType === SType.SelectRsp || h.sType === SType.DeselectRsp ? ` status ${h.byte3}` : '';
      return `${e.dir === 'out' ? "the tester's" : "the IUT's"} ${sTypeName(h.sType)}${status}`;
    }
    return 'the procedure';
  }

  /** The last frame a step consumed from the IUT. */
  lastResponse(): Frame {
    if (!this.lastReceived) throw new HarnessError('no message from the IUT has been examined yet');
    return this.lastReceived;
  }

  /** E37-8.2 and 9.3.3: PType 0, no text, byte 2 zero (and byte 3 zero where it carries no status). */
  checkControlFormat(f: Frame): void {
    const h = f.header;
    if (h.pType !== 0) throw new Failure(`${sTypeName(h.sType)} with PType ${h.pType}; control messages carry PType 0 (E37-9.3.3)`);
    if (f.text.length > 0) throw new Failure(`${sTypeName(h.sType)} carries ${f.text.length} bytes of text; control messages carry none (E37-9.3.3)`);
    if (h.byte2 !== 0) throw new Failure(`${sTypeName(h.sType)} header byte 2 is ${h.byte2}, E37-8.2 requires 0`);
    const hasStatus = h.sType === SType.SelectRsp || h.sType === SType.DeselectRsp;
    if (!hasStatus && h.byte3 !== 0) throw new Failure(`${sTypeName(h.sType)} header byte 3 is ${h.byte3}, E37-8.2 requires 0`);
  }

  /** Expects the IUT's reply to the last primary sent: a data message with an even function (E37-7.3). */
  async expectReply(s: number, fn: number, name: ConnName = 'main'): Promise<Frame> {
    const f = await this.nextFrame(`S${s}F${fn}`, name);
    const h = f.header;
    if (h.sType === SType.RejectReq) throw new Failure(`expected the reply S${s}F${fn}, the IUT rejected the primary: ${describeHeader(h)}`);
    if (h.sType !== SType.Data || isPrimary(h)) throw new Failure(`expected the reply S${s}F${fn}, got ${describeFrame(f)}`);
    return f;
  }

  /**
   * E37-9.4.1: the reply carries the primary's session id, stream and system bytes (fail
   * otherwise), function + 1 or 0 and the W-bit clear (WARN otherwise, NOTES.md).
   */
  checkReplyMatching(primary: Header, reply: Header): void {
    this.checkEcho(primary, reply, 'systemBytes');
    this.checkEcho(primary, reply, 'sessionId');
    if (stream(reply) !== stream(primary)) throw new Failure(`reply stream ${stream(reply)} differs from the primary's ${stream(primary)}`);
    if (reply.byte3 !== ((primary.byte3 + 1) & 0xff) && reply.byte3 !== 0) this.recorder.add('warn', `reply function ${reply.byte3} is neither ${primary.byte3 + 1} nor 0 (E37-9.4.1)`);
    if (wBit(reply)) this.recorder.add('warn', 'the reply has the W-bit set (E37-8.2.1: a reply should not)');
  }

  /** Linktest on the connection: the IUT answers (E37-7.5.2). */
  async expectLinktestAnswered(name: ConnName = 'main'): Promise<void> {
    const req = this.build('Linktest.req', name);
    this.send(req, name);
    const rsp = await this.expectResponse(SType.LinktestRsp, name);
    this.checkEcho(req.header, rsp.header, 'systemBytes');
  }

  /**
   * Waits for the IUT to close the connection; returns when it did, as ms on the trace clock, or
   * null. `stretch` for a close the IUT must make (TesterConnection.waitClosed).
   */
  async waitClose(ms: number, name: ConnName = 'main', stretch = false): Promise<number | null> {
    const info = await this.conn(name).waitClosed(ms, stretch);
    return info ? info.at : null;
  }

  /**
   * Waits up to `ms` with a keep-alive Linktest every half T8, so a SELECTED connection is never
   * idle while a scenario waits on another timer. Returns when the IUT closed, or null.
   */
  async waitWithTraffic(ms: number, name: ConnName = 'main'): Promise<number | null> {
    const c = this.conn(name);
    const until = this.trace.elapsed() + ms;
    const step = Math.max(10, this.ms.t8 / 2);
    for (;;) {
      const left = until - this.trace.elapsed();
      if (left <= 0) return null;
      const closed = await c.waitClosed(Math.min(step, left));
      if (closed) return closed.at;
      if (until - this.trace.elapsed() > 0) c.sendKeepAlive();
    }
  }

  /** Waits `ms` while the connection must stay open and send nothing but legal unrelated traffic. */
  async expectStaysOpen(ms: number, name: ConnName = 'main'): Promise<void> {
    const closedAt = await this.waitClose(ms, name);
    if (closedAt !== null) throw new Failure(`the IUT closed the connection after ${(closedAt / 1000).toFixed(3)} s although it had to stay open`);
  }

  /** A pause the scenario needs (timer scenarios); counted as unavoidable waiting. */
  async delay(ms: number): Promise<void> {
    await delay(ms);
    this.trace.blockedMs += Math.max(0, ms);
  }

  /**
   * Time the scenario spent in waits it cannot end sooner, whatever the harness's speed: waits on
   * the IUT that ended in silence or in a close (a timer of the IUT, a required quiet period) and
   * explicit pauses. Waits that a frame ended are the IUT's response time, not counted.
   */
  get unavoidableWaitMs(): number {
    return this.trace.blockedMs;
  }
}

/**
 * Awaits `work` while measuring how late the tester's own timers run (stall-meter.ts): the jitter
 * stated with every timer verdict, and the margin below which a verdict would be a guess.
 */
export async function withJitter<T>(work: Promise<T>): Promise<{ value: T; jitterMs: number }> {
  const stalls = measureStalls();
  try {
    return { value: await work, jitterMs: stalls.worstMs };
  } finally {
    stalls.end();
  }
}

/**
 * E37-8.2.8: what is wrong with `reject` as the Reject.req of `rejected`: a non-zero reason, byte 2
 * the rejected PType for reason 2 and its SType otherwise (either for the reasons E37 leaves to
 * subsidiary standards or to the entity), the rejected message's session id and system bytes,
 * PType 0 and no text. Under HSMS-SS a control message carries session id 0xFFFF (NOTES.md), so
 * that passes as well as the echo.
 */
export function rejectProblems(rejected: Header, reject: Frame, hsmsSs: boolean): string[] {
  const h = reject.header;
  const out: string[] = [];
  if (h.byte3 === 0) out.push('reason code 0; E37-8.2.8 requires a non-zero reason');
  const byte2 = h.byte3 === RejectReason.PTypeNotSupported ? [rejected.pType] : h.byte3 >= 1 && h.byte3 <= 4 ? [rejected.sType] : [rejected.sType, rejected.pType];
  if (!byte2.includes(h.byte2)) out.push(`byte 2 is ${h.byte2}; for reason ${h.byte3} it must be ${byte2.join(' or ')} (the ${h.byte3 === RejectReason.PTypeNotSupported ? 'PType' : 'SType'} of the rejected message)`);
  if (h.systemBytes !== rejected.systemBytes) out.push(`system bytes ${hex32(h.systemBytes)} are not the rejected message's ${hex32(rejected.systemBytes)}`);
  if (h.sessionId !== rejected.sessionId && !(hsmsSs && h.sessionId === LINKTEST_SESSION_ID)) out.push(`session id ${hex16(h.sessionId)} is not the rejected message's ${hex16(rejected.sessionId)}`);
  if (h.pType !== 0) out.push(`PType ${h.pType}; control messages carry 0`);
  if (reject.text.length > 0) out.push(`${reject.text.length} bytes of text; a Reject.req is a header only`);
  return out;
}
