import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { encodeFrame } from '../src/protocol/header';
import * as msg from '../src/protocol/messages';
import { TesterConnection } from '../src/harness/tester-connection';
import { WireTrace } from '../src/harness/wire-trace';

/**
 * The tester's bounded waits on a loaded host. An IUT that shares the tester's CPU (the embedded
 * peer shares even its event loop) is held up whenever the tester is: a wait for a message the IUT
 * must send stretches by the time the tester could not run, and reads what is already in the
 * socket before it calls a time-out. A wait whose silence is the expected answer ends on time.
 * The stall is made here by blocking the event loop, so the outcome does not depend on the host.
 */

/** Blocks the event loop for `ms`, as a descheduled or overloaded process is. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/**
 * A server on 127.0.0.1 that answers the first bytes it reads with a Linktest.rsp `answerAfterMs`
 * later, written `holdMs` after that (a Nagle-like hold, as the 'nagle-writes' variant does).
 */
async function slowResponder(answerAfterMs: number, holdMs: number): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      // Unref'd: a test that is done with the answer does not wait for it to be written.
      setTimeout(() => setTimeout(() => socket.write(encodeFrame(msg.linktestRsp(msg.linktestReq(7).header))), holdMs).unref(), answerAfterMs).unref();
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as net.AddressInfo).port };
}

async function withConnection(answerAfterMs: number, holdMs: number, work: (c: TesterConnection) => Promise<void>): Promise<void> {
  const { server, port } = await slowResponder(answerAfterMs, holdMs);
  const c = await TesterConnection.connect('127.0.0.1', port, new WireTrace(), 'main', 2000);
  try {
    await work(c);
  } finally {
    c.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('a wait for a response stretches by the time the tester stood still, so the answer it held up still counts', async () => {
  // The responder's 850 ms timer and the tester's 1000 ms deadline both fall inside a 1000 ms
  // stall; the answer then goes out 40 ms after the stall, past the deadline. The stretch may
  // reach 1000 ms, so the host's own load may hold the answer up another 800 ms or so.
  await withConnection(850, 40, async (c) => {
    c.send(msg.linktestReq(7));
    setTimeout(() => stall(1000), 100);
    const r = await c.expect((f) => f, 1000);
    assert.equal(r.kind, 'frame');
  });
});

test('a wait that ends in silence still ends: no answer within the wait and its stretch is a time-out', async () => {
  await withConnection(5000, 0, async (c) => {
    c.send(msg.linktestReq(7));
    setTimeout(() => stall(100), 50);
    const r = await c.expect((f) => f, 300);
    assert.equal(r.kind, 'timeout');
  });
});

test('a wait whose silence is the expected answer is not stretched', async () => {
  await withConnection(250, 40, async (c) => {
    c.send(msg.linktestReq(7));
    setTimeout(() => stall(300), 100);
    const r = await c.next(300);
    assert.equal(r.kind, 'timeout');
  });
});

test('a connection the tester saw form only after a stall says how late it may have seen it', async () => {
  const server = net.createServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const pending = TesterConnection.connect('127.0.0.1', (server.address() as net.AddressInfo).port, new WireTrace(), 'main', 2000);
    // Node makes the connect call on the next tick; the kernel then completes the handshake
    // while the tester stands still.
    await new Promise<void>((resolve) => process.nextTick(resolve));
    stall(300);
    const c = await pending;
    c.destroy();
    assert.ok(c.openedLateMs >= 250, `openedLateMs ${c.openedLateMs.toFixed(1)} ms after a 300 ms stall`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
