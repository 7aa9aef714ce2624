/**
 * The reference entity (src/peer/entity.ts) over real sockets and the real clock: every
 * connect mode pair, every procedure, every timer, the refusal options of E37-9.2.4.1 and
 * framing faults. Timers are short (0.2-0.6 s); every wait is bounded.
 */
import * as net from 'node:net';
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LINKTEST_SESSION_ID, SelectStatus, SType } from '../src/protocol/constants';
import { type Frame } from '../src/protocol/header';
import { dataMessage, linktestReq, linktestRsp, selectReq } from '../src/protocol/messages';
import { encodeItem, L } from '../src/protocol/secs2';
import { defaultResponder } from '../src/peer/default-responder';
import { HsmsEntity, type PeerEvent } from '../src/peer/entity';
import type { HsmsConnection } from '../src/peer/connection';
import { DEFAULT_PARAMETERS, type PeerParameters, type TimerSeconds } from '../src/peer/parameters';
import type { ConnectionState, TransactionOutcome } from '../src/peer/session-machine';
import { delay, freePort, LOCALHOST, now, RawServer, RawSocket, withTimeout } from './support/raw-socket';

/** How late a timer may act, in ms (scheduling on a loaded CI machine). */
const LATE = 400;
/** How early a timer may appear to act, in ms (clock granularity between processes and libuv). */
const EARLY = 15;

// ---------------------------------------------------------------------------------------------
// Entities under test, stopped after every test whatever happened.

interface Running {
  readonly entity: HsmsEntity;
  readonly events: PeerEvent[];
}

const running: Running[] = [];
const rawSockets: RawSocket[] = [];
const rawServers: RawServer[] = [];

afterEach(async () => {
  const entities = running.splice(0);
  await Promise.all(entities.map((r) => withTimeout('entity.stop()', 3000, r.entity.stop())));
  for (const s of rawSockets.splice(0)) s.destroy();
  await Promise.all(rawServers.splice(0).map((s) => s.close()));
});

const FAST: TimerSeconds = { t3: 0.5, t5: 0.2, t6: 0.5, t7: 2, t8: 0.5 };

function params(overrides: Partial<Omit<PeerParameters, 'timers'>> & { timers?: Partial<TimerSeconds> }): PeerParameters {
  const { timers, ...rest } = overrides;
  return { ...DEFAULT_PARAMETERS, host: LOCALHOST, port: 0, ...rest, timers: { ...FAST, ...timers } };
}

async function startEntity(p: PeerParameters): Promise<Running> {
  const events: PeerEvent[] = [];
  const entity = new HsmsEntity(p, { responder: defaultResponder, onEvent: (e) => events.push(e) });
  const r = { entity, events };
  running.push(r);
  await entity.start();
  return r;
}

async function connectRaw(port: number): Promise<RawSocket> {
  const s = await RawSocket.connect(port);
  rawSockets.push(s);
  return s;
}

/** Connects to an alternating entity's published port once its passive phase listens (within 3 s). */
async function connectInPassivePhase(port: number): Promise<RawSocket> {
  const deadline = now() + 3000;
  for (;;) {
    try {
      return await connectRaw(port);
    } catch (err) {
      if (now() > deadline) throw err;
      await delay(20);
    }
  }
}

async function listenRaw(port = 0, onAccept?: (s: RawSocket) => void): Promise<RawServer> {
  const s = await RawServer.listen(port, onAccept);
  rawServers.push(s);
  return s;
}

/** Waits for an event of `r` (from index `from` on) that satisfies `pred`. */
async function waitEvent(r: Running, what: string, timeoutMs: number, pred: (e: PeerEvent) => boolean, from = 0): Promise<PeerEvent> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const hit = r.events.slice(from).find(pred);
    if (hit) return hit;
    if (now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${r.events.map((e) => e.event.type).join(', ')}`);
    await delay(5);
  }
}

/** A passive entity with `timers`, SELECTED by a raw socket: the entity, the socket and the entity's connection. */
async function selectedPassive(timers: Partial<TimerSeconds>): Promise<{ e: Running; s: RawSocket; conn: HsmsConnection }> {
  const e = await startEntity(params({ mode: 'passive', timers }));
  const s = await connectRaw(e.entity.port!);
  await selectRaw(s);
  return { e, s, conn: await waitState(e, 'SELECTED', 1000) };
}

/** Waits until the entity's current connection is in `state` and returns it. */
async function waitState(r: Running, state: ConnectionState, timeoutMs = 3000): Promise<HsmsConnection> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const c = r.entity.current;
    if (c && c.state === state) return c;
    if (now() >= deadline) throw new Error(`entity (${r.entity.params.mode}) did not reach ${state} within ${timeoutMs} ms (now ${c?.state ?? 'no connection'})`);
    await delay(5);
  }
}

function isResponse(o: TransactionOutcome | null): Frame {
  assert.ok(o, 'a transaction outcome');
  assert.equal(o.result, 'response', `outcome ${JSON.stringify(o)}`);
  if (o.result !== 'response') throw new Error('unreachable');
  return o.response;
}

async function selectRaw(s: RawSocket, sessionId = 0, systemBytes = 0x101): Promise<void> {
  await s.send(selectReq(sessionId, systemBytes));
  const rsp = await s.nextFrame(1000);
  assert.equal(rsp.header.sType, SType.SelectRsp);
  assert.equal(rsp.header.byte3, SelectStatus.CommunicationEstablished);
  assert.equal(rsp.header.systemBytes, systemBytes);
}

/** S1F1 W from a raw socket; the entity must answer S1F2 <L[0]> with the same system bytes. */
async function areYouThere(s: RawSocket, systemBytes: number): Promise<void> {
  await s.send(dataMessage({ sessionId: 0, stream: 1, function: 1, wBit: true, systemBytes }));
  const reply = await s.nextFrame(1000);
  assert.equal(reply.header.sType, SType.Data);
  assert.equal(reply.header.byte2, 1);
  assert.equal(reply.header.byte3, 2);
  assert.equal(reply.header.systemBytes, systemBytes);
  assert.deepEqual(reply.text, encodeItem(L()));
}

async function linktestRaw(s: RawSocket, systemBytes: number): Promise<void> {
  await s.send(linktestReq(systemBytes));
  const rsp = await s.nextFrame(1000);
  assert.equal(rsp.header.sType, SType.LinktestRsp);
  assert.equal(rsp.header.sessionId, LINKTEST_SESSION_ID);
  assert.equal(rsp.header.systemBytes, systemBytes);
}

function lengthPrefixOnly(length: number, extra: number): Buffer {
  const b = Buffer.alloc(4 + extra);
  b.writeUInt32BE(length, 0);
  return b;
}

// ---------------------------------------------------------------------------------------------

/** Every procedure of E37-7 between two reference entities, initiated by `a` (and linktest by both). */
async function exerciseProcedures(a: Running, b: Running): Promise<void> {
  const ca = await waitState(a, 'SELECTED');
  const cb = await waitState(b, 'SELECTED');

  // E37-7.5: Linktest, both ways.
  const lt = isResponse(await withTimeout('linktest a->b', 2000, ca.linktest()));
  assert.equal(lt.header.sType, SType.LinktestRsp);
  assert.equal(lt.header.sessionId, LINKTEST_SESSION_ID);
  isResponse(await withTimeout('linktest b->a', 2000, cb.linktest()));

  // E37-7.3 / 9.4.1: S1F1 W -> S1F2 <L[0]>.
  const reply = isResponse(await withTimeout('S1F1 W', 2000, ca.send({ stream: 1, function: 1, wBit: true })));
  assert.equal(reply.header.sType, SType.Data);
  assert.equal(reply.header.byte2, 1, 'stream 1, W-bit 0');
  assert.equal(reply.header.byte3, 2, 'function 2');
  assert.deepEqual(reply.text, encodeItem(L()));

  // A primary without the W-bit gets no reply.
  const bFrom = b.events.length;
  const aFrom = a.events.length;
  assert.equal(await ca.send({ stream: 1, function: 3, wBit: false }), null);
  await waitEvent(b, 'the S1F3 primary at b', 1000, (e) => e.event.type === 'primary' && e.event.frame.header.byte3 === 3, bFrom);
  await delay(250);
  const dataIn = a.events.slice(aFrom).filter((e) => e.event.type === 'frame-in' && e.event.frame.header.sType === SType.Data);
  assert.deepEqual(dataIn, [], 'no reply to a primary without the W-bit');
  const outB = b.events.slice(bFrom).filter((e) => e.event.type === 'frame-out');
  assert.deepEqual(outB, [], 'b sent nothing');

  // E37-7.4: Deselect -> both NOT SELECTED.
  const ds = isResponse(await withTimeout('deselect', 2000, ca.deselect()));
  assert.equal(ds.header.sType, SType.DeselectRsp);
  assert.equal(ds.header.byte3, 0);
  assert.equal(ca.state, 'NOT_SELECTED');
  await waitState(b, 'NOT_SELECTED', 1000);

  // E37-7.2: Select again -> both SELECTED.
  const sel = isResponse(await withTimeout('select', 2000, ca.select()));
  assert.equal(sel.header.sType, SType.SelectRsp);
  assert.equal(sel.header.byte3, 0);
  assert.equal(ca.state, 'SELECTED');
  await waitState(b, 'SELECTED', 1000);

  // E37-7.6: Separate -> both NOT SELECTED, no response.
  ca.separate();
  assert.equal(ca.state, 'NOT_SELECTED');
  await waitState(b, 'NOT_SELECTED', 1000);

  // E37-6.4: disconnect -> both NOT CONNECTED.
  ca.disconnect('test disconnect');
  await withTimeout('a connection closed', 2000, ca.closed);
  await withTimeout('b connection closed', 2000, cb.closed);
  assert.equal(ca.state, 'NOT_CONNECTED');
  assert.equal(cb.state, 'NOT_CONNECTED');
}

describe('mode pairs connect, select and run every procedure (E37-6.3, 7, A1-3)', () => {
  test('passive / active', async () => {
    const passive = await startEntity(params({ mode: 'passive' }));
    const active = await startEntity(params({ mode: 'active', port: passive.entity.port! }));
    await exerciseProcedures(active, passive);
  });

  test('active / passive (the passive side initiates the procedures)', async () => {
    const passive = await startEntity(params({ mode: 'passive' }));
    const active = await startEntity(params({ mode: 'active', port: passive.entity.port! }));
    await exerciseProcedures(passive, active);
  });

  test('alternating / alternating with different T5 (A1-3.1), same host:port', async () => {
    const port = await freePort();
    const a = await startEntity(params({ mode: 'alternating', port, timers: { t5: 0.2 } }));
    const b = await startEntity(params({ mode: 'alternating', port, timers: { t5: 0.3 } }));
    await waitState(a, 'SELECTED', 5000);
    await waitState(b, 'SELECTED', 5000);
    const outbound = [a, b].filter((r) => r.events.some((e) => e.event.type === 'connected' && e.event.direction === 'outbound'));
    const inbound = [a, b].filter((r) => r.events.some((e) => e.event.type === 'connected' && e.event.direction === 'inbound'));
    assert.equal(outbound.length, 1, 'exactly one end connected actively');
    assert.equal(inbound.length, 1, 'and the other accepted in its passive phase');
    await exerciseProcedures(a, b);
  });

  test('alternating accepting in its passive phase sends Select.req by itself (CONTRACTS 1)', async () => {
    const port = await freePort();
    await startEntity(params({ mode: 'alternating', port, timers: { t5: 0.3 } }));
    // Its first active attempt fails (nobody listens); then it listens on the published port.
    const s = await connectInPassivePhase(port);
    const req = await s.nextFrame(1000);
    assert.equal(req.header.sType, SType.SelectReq);
  });

  test('alternating with a remote host: connects to it, and listens on its own host at the same port (A1-3)', async () => {
    const port = await freePort();
    // The remote entity listens on a second loopback address, at the port the alternating one publishes.
    const remote = net.createServer();
    const inbound: net.Socket[] = [];
    remote.on('connection', (socket) => inbound.push(socket));
    await new Promise<void>((resolve, reject) => {
      remote.once('error', reject);
      remote.listen({ host: '127.0.0.2', port, exclusive: true }, () => resolve());
    });
    try {
      const e = await startEntity(params({ mode: 'alternating', host: LOCALHOST, remoteHost: '127.0.0.2', port, timers: { t5: 0.3 } }));
      const deadline = now() + 3000;
      while (inbound.length === 0 && now() < deadline) await delay(10);
      assert.equal(inbound[0]?.localAddress, '127.0.0.2', 'the active attempt went to the remote host');
      assert.ok(e.events.some((ev) => ev.event.type === 'connect-attempt' && ev.event.target === `127.0.0.2:${port}`));
      // With the remote gone, its next active attempt fails and it listens on its own host.
      await new Promise<void>((resolve) => {
        for (const socket of inbound) socket.destroy();
        remote.close(() => resolve());
      });
      const s = await connectInPassivePhase(port);
      assert.equal((await s.nextFrame(1000)).header.sType, SType.SelectReq);
      assert.ok(e.events.some((ev) => ev.event.type === 'listening' && ev.event.address === `${LOCALHOST}:${port}`));
    } finally {
      if (remote.listening) await new Promise<void>((resolve) => remote.close(() => resolve()));
    }
  });
});

describe('timers over real sockets (E37-9.2, 9.3.1, 9.4.1.1)', () => {
  test('T7: a connection that never selects is closed after T7 (9.2.2)', async () => {
    const t7 = 0.4;
    const e = await startEntity(params({ mode: 'passive', timers: { t7 } }));
    const s = await connectRaw(e.entity.port!);
    const closed = await s.waitClosed(t7 * 1000 + LATE + 500);
    const elapsed = closed.at - s.connectedAt;
    assert.ok(elapsed >= t7 * 1000 - EARLY, `closed after ${elapsed.toFixed(0)} ms, before T7`);
    assert.ok(elapsed <= t7 * 1000 + LATE, `closed after ${elapsed.toFixed(0)} ms, T7 + tolerance exceeded`);
    await waitEvent(e, 'T7 expiry', 500, (ev) => ev.event.type === 'timer-expired' && ev.event.timer === 'T7');
  });

  test('T8: 5 bytes of a message then a stall closes the connection (9.2.3)', async () => {
    const t8 = 0.3;
    const e = await startEntity(params({ mode: 'passive', timers: { t8, t7: 5 } }));
    const s = await connectRaw(e.entity.port!);
    await selectRaw(s);
    await s.send(Buffer.from([0, 0, 0, 10, 0]));
    const sentAt = now();
    const closed = await s.waitClosed(t8 * 1000 + LATE + 500);
    const elapsed = closed.at - sentAt;
    assert.ok(elapsed >= t8 * 1000 - EARLY, `closed ${elapsed.toFixed(0)} ms after the stall, before T8`);
    assert.ok(elapsed <= t8 * 1000 + LATE, `closed ${elapsed.toFixed(0)} ms after the stall, T8 + tolerance exceeded`);
    await waitEvent(e, 'T8 expiry', 500, (ev) => ev.event.type === 'timer-expired' && ev.event.timer === 'T8');
  });

  test('T8 times the gap between bytes, not the message: byte-by-byte with gaps < T8 is served', async () => {
    const t8 = 0.3;
    const e = await startEntity(params({ mode: 'passive', timers: { t8, t7: 5 } }));
    const s = await connectRaw(e.entity.port!);
    // 14 bytes, 40 ms apart: 520 ms in all, longer than T8, every gap shorter.
    await s.sendSlowly(selectReq(0, 77), 40);
    const rsp = await s.nextFrame(1000);
    assert.equal(rsp.header.sType, SType.SelectRsp);
    assert.equal(rsp.header.byte3, 0);
    assert.equal(s.isClosed, false);
  });

  test('T6: an unanswered Select.req makes the active peer close after T6 (9.3.1)', async () => {
    const t6 = 0.4;
    const server = await listenRaw();
    const e = await startEntity(params({ mode: 'active', port: server.port, timers: { t6, t5: 2 } }));
    const s = await server.nextConnection(2000);
    const req = await s.nextFrame(1000);
    const reqAt = now();
    assert.equal(req.header.sType, SType.SelectReq);
    const closed = await s.waitClosed(t6 * 1000 + LATE + 500);
    const elapsed = closed.at - reqAt;
    assert.ok(elapsed >= t6 * 1000 - EARLY - 5, `closed ${elapsed.toFixed(0)} ms after Select.req, before T6`);
    assert.ok(elapsed <= t6 * 1000 + LATE, `closed ${elapsed.toFixed(0)} ms after Select.req, T6 + tolerance exceeded`);
    await waitEvent(e, 'T6 expiry', 500, (ev) => ev.event.type === 'timer-expired' && ev.event.timer === 'T6');
  });

  test('T3: an unanswered S1F1 W times out, the connection stays (9.4.1.1)', async () => {
    const t3 = 0.3;
    const { s, conn } = await selectedPassive({ t3 });
    const started = now();
    const outcome = await withTimeout('T3 outcome', t3 * 1000 + LATE + 500, conn.send({ stream: 1, function: 1, wBit: true }));
    const elapsed = now() - started;
    assert.deepEqual(outcome, { result: 'timeout', timer: 'T3' });
    assert.ok(elapsed >= t3 * 1000 - EARLY, `T3 outcome after ${elapsed.toFixed(0)} ms`);
    assert.ok(elapsed <= t3 * 1000 + LATE, `T3 outcome after ${elapsed.toFixed(0)} ms`);
    const primary = await s.nextFrame(500);
    assert.equal(primary.header.byte2, 0x81);
    assert.equal(primary.header.byte3, 1);
    assert.equal(conn.state, 'SELECTED');
    assert.equal(s.isClosed, false);
    await linktestRaw(s, 0x202);
  });

  test('T5: an active peer against a closed port waits at least T5 between attempts (9.2.1)', async () => {
    const t5 = 0.25;
    const port = await freePort();
    const e = await startEntity(params({ mode: 'active', port, timers: { t5 } }));
    await waitEvent(e, 'four connect failures', 4 * (t5 * 1000 + LATE), () => e.events.filter((x) => x.event.type === 'connect-failed').length >= 4);
    const attempts = e.events.filter((x) => x.event.type === 'connect-attempt').map((x) => x.time);
    const failures = e.events.filter((x) => x.event.type === 'connect-failed').map((x) => x.time);
    assert.ok(attempts.length >= 4);
    for (let i = 0; i + 1 < attempts.length && i < failures.length; i++) {
      const gap = attempts[i + 1]! - failures[i]!;
      assert.ok(gap >= t5 * 1000 - EARLY, `attempt ${i + 2} came ${gap.toFixed(0)} ms after attempt ${i + 1} failed (T5 ${t5 * 1000} ms)`);
      assert.ok(failures[i]! >= attempts[i]!, 'a failure follows its attempt');
    }
  });
});

describe('the peer on a host that holds the process up', () => {
  test('T6: a Linktest.rsp the remote sent in the stall in which T6 came due completes the transaction (E37-9.3.1)', async () => {
    const t6 = 0.3;
    const { e, s, conn } = await selectedPassive({ t6 });
    // The remote answers as soon as it reads the request; the read and the answer happen only
    // after the stall, in which T6 comes due.
    const answered = s.nextFrame(3000).then((req) => s.send(linktestRsp(req.header)));
    const outcome = conn.linktest();
    const until = now() + t6 * 1000 + 200;
    while (now() < until);
    assert.equal((await withTimeout('Linktest outcome', 3000, outcome)).result, 'response');
    await answered;
    assert.equal(conn.state, 'SELECTED');
    assert.deepEqual(e.events.filter((x) => x.event.type === 'timer-expired').map((x) => x.event), []);
  });

  test('a connection that completed while the process stood still past the attempt\'s bound is kept and selected, not dropped (E37-6.3.3)', async () => {
    const t5 = 0.1;
    const server = await listenRaw();
    const e = await startEntity(params({ mode: 'active', port: server.port, timers: { t5 } }));
    // start() has made the connect call (Node makes it on the next tick, before this test
    // resumes); the kernel completes the handshake while the process does not run, and the
    // attempt's T5 bound comes due in the same stall.
    const until = now() + t5 * 1000 + 200;
    while (now() < until);
    const s = await server.nextConnection(2000);
    const req = await s.nextFrame(1000);
    assert.equal(req.header.sType, SType.SelectReq);
    assert.deepEqual(e.events.filter((x) => x.event.type === 'connect-failed').map((x) => x.event), []);
  });
});

describe('a further connection to a single-connection passive entity (E37-9.2.4.1)', () => {
  async function firstSession(refusal: 'a' | 'b' | 'c'): Promise<{ e: Running; first: RawSocket }> {
    const e = await startEntity(params({ mode: 'passive', refusal, multipleConnections: false }));
    const first = await connectRaw(e.entity.port!);
    await selectRaw(first, 0, 1);
    return { e, first };
  }

  async function firstIntact(first: RawSocket): Promise<void> {
    assert.equal(first.isClosed, false, 'first connection still open');
    await linktestRaw(first, 0x301);
    await areYouThere(first, 0x302);
  }

  test('option a: the second Select.req gets status 1, the first session is intact', async () => {
    const { e, first } = await firstSession('a');
    const second = await connectRaw(e.entity.port!);
    await second.send(selectReq(0, 0x55));
    const rsp = await second.nextFrame(1000);
    assert.equal(rsp.header.sType, SType.SelectRsp);
    assert.equal(rsp.header.byte3, SelectStatus.CommunicationAlreadyActive);
    assert.equal(rsp.header.systemBytes, 0x55);
    await firstIntact(first);
    await waitEvent(e, 'refused event', 500, (ev) => ev.event.type === 'refused' && ev.event.option === 'a');
  });

  test('option b: the second connection is reset at once, the first session is intact', async () => {
    const { e, first } = await firstSession('b');
    // The reset may even beat the connect completion to the client: either way it is refused.
    const started = now();
    let second: RawSocket | null = null;
    try {
      second = await connectRaw(e.entity.port!);
    } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, 'ECONNRESET', `connect failed with ${(err as Error).message}`);
    }
    if (second) {
      const closed = await second.waitClosed(1000);
      assert.ok(closed.at - started < 500, 'closed at once, not at T7');
      assert.deepEqual(second.frames, []);
    }
    await waitEvent(e, 'refused event', 500, (ev) => ev.event.type === 'refused' && ev.event.option === 'b');
    await firstIntact(first);
  });

  test('option c: the second connection is never answered, the first session is intact', async () => {
    const { e, first } = await firstSession('c');
    const second = await connectRaw(e.entity.port!);
    await second.send(selectReq(0, 0x66));
    assert.deepEqual(await second.framesWithin(400), [], 'no answer');
    assert.equal(second.isClosed, false);
    await firstIntact(first);
  });

  test('multipleConnections: two independent sessions (E37-9.2.4)', async () => {
    const e = await startEntity(params({ mode: 'passive', multipleConnections: true }));
    const one = await connectRaw(e.entity.port!);
    const two = await connectRaw(e.entity.port!);
    await selectRaw(one, 0, 1);
    await selectRaw(two, 0, 1);
    await areYouThere(one, 10);
    await areYouThere(two, 10);
    assert.equal(e.entity.connections.size, 2);
    one.end();
    await one.waitClosed(1000);
    await linktestRaw(two, 11);
    await areYouThere(two, 12);
  });
});

describe('framing faults close that connection only (E37-8.1.3, NOTES.md)', () => {
  const maxLength = 1024;

  async function closesAndStillServes(bytes: Buffer): Promise<void> {
    const e = await startEntity(params({ mode: 'passive', maxLength }));
    const bad = await connectRaw(e.entity.port!);
    await bad.send(bytes);
    const closed = await bad.waitClosed(1000);
    assert.ok(closed.at - bad.connectedAt < 800, 'closed on the fault, not at T7');
    assert.deepEqual(bad.frames, [], 'garbage is never answered');
    await waitEvent(e, 'framing error', 500, (ev) => ev.event.type === 'framing-error');
    const good = await connectRaw(e.entity.port!);
    await selectRaw(good);
    await areYouThere(good, 2);
  }

  test('length < 10 closes the connection; a new connection is served', async () => {
    await closesAndStillServes(lengthPrefixOnly(5, 5));
  });

  test('length > maxLength closes the connection; a new connection is served', async () => {
    await closesAndStillServes(lengthPrefixOnly(maxLength + 1, 10));
  });

  test('length = maxLength is still accepted', async () => {
    const e = await startEntity(params({ mode: 'passive', maxLength }));
    const s = await connectRaw(e.entity.port!);
    await selectRaw(s);
    const text = Buffer.alloc(maxLength - 10, 0);
    await s.send({ header: { sessionId: 0, byte2: 0x81, byte3: 1, pType: 0, sType: 0, systemBytes: 9 }, text });
    const reply = await s.nextFrame(1000);
    assert.equal(reply.header.byte3, 2);
    assert.equal(reply.header.systemBytes, 9);
  });
});
