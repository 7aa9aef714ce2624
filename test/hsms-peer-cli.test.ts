/**
 * `hsms-peer` as a real process (CONTRACTS.md section 1), checked byte for byte from raw
 * sockets on 127.0.0.1. Runs after `tsc`, from dist/test: the repository root is two levels up.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SType } from '../src/protocol/constants';
import { encodeFrame, type Frame, type Header } from '../src/protocol/header';
import { dataMessage, deselectReq, deselectRsp, linktestReq, linktestRsp, replyTo, selectReq, selectRsp, separateReq } from '../src/protocol/messages';
import { A, encodeItem, L } from '../src/protocol/secs2';
import { parseItem } from '../src/protocol/secs2-text';
import { delay, freePort, now, RawServer, RawSocket } from './support/raw-socket';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'hsms-peer.js');

/** How late a timer may act, in ms. */
const LATE = 400;
/** How early it may appear to act (clocks of two processes, libuv granularity), in ms. */
const EARLY = 20;

const T7 = 0.6;
const T8 = 0.4;
const T6 = 0.5;

// ---------------------------------------------------------------------------------------------

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One hsms-peer child process with its standard error split into lines. */
class PeerProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  private exitInfo: Exit | null = null;
  private partial = '';

  constructor(readonly child: ChildProcess) {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    child.stdout!.resume();
    this.exited = new Promise((resolve) => {
      // 'close' comes after 'exit' once standard error has been read to its end.
      child.once('close', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  get exit(): Exit | null {
    return this.exitInfo;
  }

  /** The first stderr line at index `from` or later that matches; rejects after `timeoutMs`. */
  async waitLine(re: RegExp, timeoutMs = 2000, from = 0): Promise<string> {
    const deadline = now() + timeoutMs;
    for (;;) {
      const hit = this.lines.slice(from).find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (this.exitInfo) throw new Error(`hsms-peer exited (${JSON.stringify(this.exitInfo)}) before a line matching ${re}; stderr:\n${this.lines.join('\n')}`);
      if (now() >= deadline) throw new Error(`no stderr line matching ${re} within ${timeoutMs} ms; stderr:\n${this.lines.join('\n')}`);
      await delay(5);
    }
  }

  command(line: string): void {
    this.child.stdin!.write(line + '\n');
  }

  /** Resolves with the exit, or rejects after `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`hsms-peer still running after ${timeoutMs} ms; stderr:\n${this.lines.join('\n')}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL if it has not gone after a while. */
  async kill(): Promise<void> {
    if (this.exitInfo) return;
    this.child.kill('SIGTERM');
    try {
      await this.waitExit(3000);
    } catch {
      this.child.kill('SIGKILL');
      await this.waitExit(2000).catch(() => undefined);
    }
  }
}

const processes: PeerProcess[] = [];
const sockets: RawSocket[] = [];
const servers: RawServer[] = [];
const tempDirs: string[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(processes.splice(0).map((p) => p.kill()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function run(args: readonly string[]): PeerProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const p = new PeerProcess(child);
  processes.push(p);
  return p;
}

/** The acceptance command line: passive, T7 0.6, T8 0.4, T6 0.5, listening before it returns. */
async function startPassive(extra: readonly string[] = []): Promise<{ peer: PeerProcess; port: number }> {
  const port = await freePort();
  const peer = run(['--mode', 'passive', '--port', String(port), '--t7', String(T7), '--t8', String(T8), '--t6', String(T6), ...extra]);
  await peer.waitLine(/listening/, 10000);
  return { peer, port };
}

async function connect(port: number): Promise<RawSocket> {
  const s = await RawSocket.connect(port);
  sockets.push(s);
  return s;
}

async function listenRaw(port = 0, onAccept?: (s: RawSocket) => void): Promise<RawServer> {
  const s = await RawServer.listen(port, onAccept);
  servers.push(s);
  return s;
}

/** The frame exactly as it was on the wire (the header is kept raw, so this is lossless). */
function wire(frame: Frame): string {
  return encodeFrame(frame).toString('hex');
}

/** Length prefix 10 plus the ten header bytes, written out field by field. */
function controlBytes(sessionId: number, byte2: number, byte3: number, pType: number, sType: number, systemBytes: number): string {
  const b = Buffer.alloc(14);
  b.writeUInt32BE(10, 0);
  b.writeUInt16BE(sessionId, 4);
  b[6] = byte2;
  b[7] = byte3;
  b[8] = pType;
  b[9] = sType;
  b.writeUInt32BE(systemBytes, 10);
  return b.toString('hex');
}

function header(h: Partial<Header>): Frame {
  return { header: { sessionId: 0, byte2: 0, byte3: 0, pType: 0, sType: 0, systemBytes: 1, ...h }, text: Buffer.alloc(0) };
}

async function exchange(s: RawSocket, frame: Frame, timeoutMs = 1000): Promise<string> {
  await s.send(frame);
  return wire(await s.nextFrame(timeoutMs));
}

async function selectNow(s: RawSocket, systemBytes = 0x100): Promise<void> {
  assert.equal(await exchange(s, selectReq(0, systemBytes)), controlBytes(0, 0, 0, 0, SType.SelectRsp, systemBytes));
}

function within(what: string, elapsedMs: number, expectedMs: number): void {
  assert.ok(elapsedMs >= expectedMs - EARLY, `${what} after ${elapsedMs.toFixed(0)} ms, sooner than ${expectedMs} ms`);
  assert.ok(elapsedMs <= expectedMs + LATE, `${what} after ${elapsedMs.toFixed(0)} ms, later than ${expectedMs} + ${LATE} ms`);
}

// ---------------------------------------------------------------------------------------------

describe('hsms-peer --mode passive answers byte for byte', () => {
  test('Select.rsp echoes session id and system bytes (E37-8.2.3)', async () => {
    const { port } = await startPassive();
    const s = await connect(port);
    assert.equal(await exchange(s, selectReq(0, 0x12345678)), controlBytes(0, 0, 0, 0, SType.SelectRsp, 0x12345678));
  });

  test('Select.rsp echoes session id 0x8001', async () => {
    const { port } = await startPassive();
    const s = await connect(port);
    assert.equal(await exchange(s, selectReq(0x8001, 0xcafebabe)), controlBytes(0x8001, 0, 0, 0, SType.SelectRsp, 0xcafebabe));
  });

  test('Reject reasons 4, 1, 2 and 3 with byte 2 as E37-8.2.8 says', async () => {
    const { port } = await startPassive();
    const s = await connect(port);
    // Data before select: reason 4, byte 2 = SType 0.
    assert.equal(await exchange(s, dataMessage({ sessionId: 0, stream: 1, function: 1, wBit: true, systemBytes: 5 })), controlBytes(0, 0, 4, 0, SType.RejectReq, 5));
    // SType 11: reason 1, byte 2 = 11.
    assert.equal(await exchange(s, header({ sType: 11, systemBytes: 6 })), controlBytes(0, 11, 1, 0, SType.RejectReq, 6));
    // PType 5: reason 2, byte 2 = 5.
    assert.equal(await exchange(s, header({ pType: 5, sType: SType.SelectReq, systemBytes: 7 })), controlBytes(0, 5, 2, 0, SType.RejectReq, 7));
    // An unsolicited Linktest.rsp: reason 3, byte 2 = 6.
    assert.equal(await exchange(s, linktestRsp(linktestReq(8).header)), controlBytes(0xffff, SType.LinktestRsp, 3, 0, SType.RejectReq, 8));
    assert.equal(s.isClosed, false, 'a Reject keeps the connection');
  });

  test('Linktest.rsp carries 0xFFFF in NOT SELECTED and in SELECTED (E37-8.2.7)', async () => {
    const { port } = await startPassive();
    const s = await connect(port);
    assert.equal(await exchange(s, linktestReq(0x10)), controlBytes(0xffff, 0, 0, 0, SType.LinktestRsp, 0x10));
    await selectNow(s);
    assert.equal(await exchange(s, linktestReq(0x11)), controlBytes(0xffff, 0, 0, 0, SType.LinktestRsp, 0x11));
  });

  test('Separate.req in NOT SELECTED is ignored and the connection stays (E37-7.6.2)', async () => {
    const { port } = await startPassive();
    const s = await connect(port);
    await s.send(separateReq(0, 0x20));
    assert.deepEqual(await s.framesWithin(300), []);
    assert.equal(s.isClosed, false);
    // Still before T7 (0.6 s): the connection is alive and answers.
    assert.equal(await exchange(s, linktestReq(0x21)), controlBytes(0xffff, 0, 0, 0, SType.LinktestRsp, 0x21));
  });

  test('Deselect.rsp status 1 in NOT SELECTED (E37-7.4.2)', async () => {
    const { port } = await startPassive();
    const s = await connect(port);
    assert.equal(await exchange(s, deselectReq(0, 0x30)), controlBytes(0, 0, 1, 0, SType.DeselectRsp, 0x30));
  });

  test('closes at T7 counted from connect (E37-9.2.2)', async () => {
    const { port } = await startPassive();
    const s = await connect(port);
    const closed = await s.waitClosed(T7 * 1000 + LATE + 1000);
    within('closed', closed.at - s.connectedAt, T7 * 1000);
    assert.deepEqual(s.frames, []);
  });

  test('closes on a T8 stall inside a message (E37-9.2.3)', async () => {
    const { port } = await startPassive();
    const s = await connect(port);
    await selectNow(s); // T7 no longer runs: only T8 can close it
    await s.send(Buffer.from([0, 0, 0, 10, 0]));
    const stalled = now();
    const closed = await s.waitClosed(T8 * 1000 + LATE + 1000);
    within('closed', closed.at - stalled, T8 * 1000);
  });

  test('closes on length < 10 and still serves a new connection', async () => {
    const { port } = await startPassive();
    const bad = await connect(port);
    await bad.send(Buffer.from([0, 0, 0, 4, 1, 2, 3, 4]));
    const closed = await bad.waitClosed(1000);
    assert.ok(closed.at - bad.connectedAt < T7 * 1000 - 100, 'closed on the fault, not at T7');
    assert.deepEqual(bad.frames, []);
    const good = await connect(port);
    await selectNow(good);
  });

  test('closes on a length above --max-length and still serves a new connection', async () => {
    const { port } = await startPassive(['--max-length', '1000']);
    const bad = await connect(port);
    const prefix = Buffer.alloc(14);
    prefix.writeUInt32BE(1001, 0);
    await bad.send(prefix);
    const closed = await bad.waitClosed(1000);
    assert.ok(closed.at - bad.connectedAt < T7 * 1000 - 100, 'closed on the fault, not at T7');
    assert.deepEqual(bad.frames, []);
    const good = await connect(port);
    await selectNow(good);
    // The limit itself is accepted: 1000 = 10 header bytes + 990 bytes of text.
    const primary = dataMessage({ sessionId: 0, stream: 1, function: 1, wBit: true, systemBytes: 0x40, text: Buffer.alloc(990) });
    await good.send(primary);
    const s1f2 = await good.nextFrame(1000);
    assert.equal(wire(s1f2), wire(replyTo(primary.header, Buffer.from([0x01, 0x00]))));
  });
});

describe('hsms-peer --mode active', () => {
  test('connects and sends Select.req by itself; after a break it waits T5 (E37-9.2.1)', async () => {
    const t5 = 0.4;
    const server = await listenRaw();
    run(['--mode', 'active', '--port', String(server.port), '--t5', String(t5), '--t7', '2']);
    const first = await server.nextConnection(10000);
    const req = await first.nextFrame(1000);
    assert.equal(req.header.sType, SType.SelectReq);
    assert.equal(wire(req), controlBytes(0, 0, 0, 0, SType.SelectReq, req.header.systemBytes));
    first.destroy();
    const brokeAt = now();
    const second = await server.nextConnection(t5 * 1000 + LATE + 1000);
    assert.ok(second.connectedAt - brokeAt >= t5 * 1000 - EARLY, `reconnected ${(second.connectedAt - brokeAt).toFixed(0)} ms after the break`);
    // This time it is answered: the peer is SELECTED and answers like one.
    const again = await second.nextFrame(1000);
    assert.equal(again.header.sType, SType.SelectReq);
    await second.send(selectRsp(again.header, 0));
    await second.send(dataMessage({ sessionId: 0, stream: 1, function: 1, wBit: true, systemBytes: 3 }));
    const reply = await second.nextFrame(1000);
    assert.equal(reply.header.byte3, 2);
  });

  test('--remote-host is where it connects; a passive peer rejects it (exit 2)', async () => {
    const server = await listenRaw();
    // --host names an address nothing listens on: the attempt goes to --remote-host.
    run(['--mode', 'active', '--host', '127.0.0.9', '--remote-host', '127.0.0.1', '--port', String(server.port)]);
    const conn = await server.nextConnection(10000);
    assert.equal((await conn.nextFrame(1000)).header.sType, SType.SelectReq);
    const passive = run(['--mode', 'passive', '--port', String(await freePort()), '--remote-host', '127.0.0.2']);
    assert.equal((await passive.waitExit(10000)).code, 2);
    assert.ok(passive.lines.some((l) => /remote-host: applies to active and alternating modes/.test(l)), passive.lines.join('\n'));
  });

  test('connections refused at once are retried no sooner than T5 apart', async () => {
    const t5 = 0.3;
    const server = await listenRaw(0, (s) => s.reset());
    run(['--mode', 'active', '--port', String(server.port), '--t5', String(t5)]);
    const a = await server.nextConnection(10000);
    const b = await server.nextConnection(t5 * 1000 + LATE + 1000);
    const c = await server.nextConnection(t5 * 1000 + LATE + 1000);
    assert.ok(b.connectedAt - a.connectedAt >= t5 * 1000 - EARLY, `second attempt ${(b.connectedAt - a.connectedAt).toFixed(0)} ms after the first`);
    assert.ok(c.connectedAt - b.connectedAt >= t5 * 1000 - EARLY, `third attempt ${(c.connectedAt - b.connectedAt).toFixed(0)} ms after the second`);
  });
});

describe('hsms-peer standard input commands', () => {
  test('select, linktest, send 1 1 W, deselect, select, separate, disconnect put the right frames on the wire', async () => {
    const { peer, port } = await startPassive();
    const s = await connect(port);

    peer.command('select');
    const sel = await s.nextFrame(1000);
    assert.equal(wire(sel), controlBytes(0, 0, 0, 0, SType.SelectReq, sel.header.systemBytes));
    await s.send(selectRsp(sel.header, 0));
    await peer.waitLine(/^hsms-peer: select: Select\.rsp status=0/);

    peer.command('linktest');
    const lt = await s.nextFrame(1000);
    assert.equal(wire(lt), controlBytes(0xffff, 0, 0, 0, SType.LinktestReq, lt.header.systemBytes));
    await s.send(linktestRsp(lt.header));
    await peer.waitLine(/^hsms-peer: linktest: Linktest\.rsp/);

    peer.command('send 1 1 W');
    const s1f1 = await s.nextFrame(1000);
    assert.equal(wire(s1f1), controlBytes(0, 0x81, 1, 0, SType.Data, s1f1.header.systemBytes));
    await s.send(replyTo(s1f1.header, Buffer.from([0x01, 0x00])));
    await peer.waitLine(/^hsms-peer: send 1 1 W: S1F2/);

    peer.command('deselect');
    const ds = await s.nextFrame(1000);
    assert.equal(wire(ds), controlBytes(0, 0, 0, 0, SType.DeselectReq, ds.header.systemBytes));
    await s.send(deselectRsp(ds.header, 0));
    await peer.waitLine(/^hsms-peer: deselect: Deselect\.rsp status=0/);

    const from = peer.lines.length;
    peer.command('select');
    const sel2 = await s.nextFrame(1000);
    assert.equal(sel2.header.sType, SType.SelectReq);
    await s.send(selectRsp(sel2.header, 0));
    await peer.waitLine(/^hsms-peer: select: Select\.rsp status=0/, 2000, from);

    peer.command('separate');
    const sep = await s.nextFrame(1000);
    assert.equal(wire(sep), controlBytes(0, 0, 0, 0, SType.SeparateReq, sep.header.systemBytes));

    peer.command('disconnect');
    const closed = await s.waitClosed(1000);
    assert.ok(closed.at - s.connectedAt < 2000);
  });

  test('a malformed line gives one stderr line and nothing on the wire', async () => {
    const { peer, port } = await startPassive();
    const s = await connect(port);
    await selectNow(s);
    await peer.waitLine(/-> SELECTED/);
    for (const bad of ['send x', 'bogus']) {
      const from = peer.lines.length;
      peer.command(bad);
      assert.deepEqual(await s.framesWithin(300), [], `'${bad}' put nothing on the wire`);
      const added = peer.lines.slice(from);
      assert.equal(added.length, 1, `one stderr line for '${bad}', got ${JSON.stringify(added)}`);
      assert.match(added[0]!, /^hsms-peer: /);
    }
    assert.equal(s.isClosed, false);
  });

  test('--log json: every stderr line is one JSON object', async () => {
    const { peer, port } = await startPassive(['--log', 'json']);
    const s = await connect(port);
    await selectNow(s);
    assert.equal(await exchange(s, linktestReq(0x50)), controlBytes(0xffff, 0, 0, 0, SType.LinktestRsp, 0x50));
    peer.command('linktest');
    const lt = await s.nextFrame(1000);
    await s.send(linktestRsp(lt.header));
    peer.command('send x');
    await delay(300);
    await peer.kill();
    assert.ok(peer.lines.length >= 6, `stderr: ${peer.lines.join('\n')}`);
    const records = peer.lines.filter((l) => l.length > 0).map((l) => {
      let v: unknown;
      assert.doesNotThrow(() => (v = JSON.parse(l)), `not JSON: ${l}`);
      assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), `not an object: ${l}`);
      return v as Record<string, unknown>;
    });
    const types = records.map((r) => r.type);
    for (const t of ['listening', 'connected', 'frame-in', 'frame-out', 'state']) assert.ok(types.includes(t), `a '${t}' record`);
    assert.ok(records.some((r) => r.type === 'command' && String(r.detail).startsWith('linktest: Linktest.rsp')), 'the linktest outcome as a record');
    assert.equal(records.filter((r) => r.type === 'error').length, 1, 'one record for the malformed line');
  });
});

describe('hsms-peer process contract', () => {
  test('SIGTERM closes the connection and exits 0', async () => {
    const { peer, port } = await startPassive();
    const s = await connect(port);
    await selectNow(s);
    peer.child.kill('SIGTERM');
    const exit = await peer.waitExit(5000);
    assert.deepEqual(exit, { code: 0, signal: null });
    await s.waitClosed(1000);
  });

  for (const [flag, value] of [
    ['--t7', 'abc'],
    ['--mode', 'sideways'],
  ] as const) {
    test(`a bad flag (${flag} ${value}) exits 2 naming the option`, async () => {
      const port = await freePort();
      const peer = run(['--port', String(port), flag, value]);
      const exit = await peer.waitExit(10000);
      assert.equal(exit.code, 2);
      assert.ok(peer.lines.some((l) => l.includes(flag)), `stderr names ${flag}: ${peer.lines.join('\n')}`);
    });
  }

  test('--config FILE is read and flags override it (E37-10.1)', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'hsms-peer-cli-'));
    tempDirs.push(dir);
    const file = path.join(dir, 'peer.json');
    writeFileSync(file, JSON.stringify({ mode: 'passive', port, sessionId: 7, timers: { t7: 5, t8: 1 } }));
    const t7 = 0.5;
    const peer = run(['--config', file, '--t7', String(t7)]);
    await peer.waitLine(/listening/, 10000);
    // The port and the session id come from the file...
    const s = await connect(port);
    peer.command('select');
    const req = await s.nextFrame(1000);
    assert.equal(wire(req), controlBytes(7, 0, 0, 0, SType.SelectReq, req.header.systemBytes));
    // ...and T7 from the flag (0.5 s, not the file's 5 s).
    const closed = await s.waitClosed(t7 * 1000 + LATE + 1000);
    within('closed at T7', closed.at - s.connectedAt, t7 * 1000);
  });

  test('a reply table in --config answers the primaries it names with their SECS-II text', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'hsms-peer-cli-'));
    tempDirs.push(dir);
    const file = path.join(dir, 'peer.json');
    const s1f14 = '<L[2] <B 0x00> <L[2] <A "REFPEER"> <A "1.0">>>';
    writeFileSync(file, JSON.stringify({ mode: 'passive', port, replies: { S1F13: s1f14, S2F17: '<A "2024010112000000">', S5F1: '' } }));
    const peer = run(['--config', file]);
    await peer.waitLine(/listening/, 10000);
    const s = await connect(port);
    await selectNow(s);
    const ask = async (stream: number, fn: number, sys: number): Promise<string> => exchange(s, dataMessage({ sessionId: 0, stream, function: fn, wBit: true, systemBytes: sys, text: encodeItem(L()) }));
    const reply = (stream: number, fn: number, sys: number, text: Buffer): string => wire(replyTo(dataMessage({ sessionId: 0, stream, function: fn, wBit: true, systemBytes: sys }).header, text));
    assert.equal(await ask(1, 13, 0x201), reply(1, 13, 0x201, encodeItem(parseItem(s1f14))));
    assert.equal(await ask(2, 17, 0x202), reply(2, 17, 0x202, encodeItem(A('2024010112000000'))));
    assert.equal(await ask(5, 1, 0x203), reply(5, 1, 0x203, Buffer.alloc(0)));
    // Primaries the table does not name keep the default answers (CONTRACTS.md section 1).
    assert.equal(await ask(1, 1, 0x204), reply(1, 1, 0x204, encodeItem(L())));
    assert.equal(await ask(6, 11, 0x205), reply(6, 11, 0x205, Buffer.alloc(0)));
  });

  for (const [replies, message] of [
    [{ S1F13: '<L[2] <B 0x00>>' }, /replies\.S1F13: not a SECS-II item: line 1, column 1: <L\[2\]> holds 1 items/],
    [{ S1F14: '<L>' }, /replies\.S1F14: function 14 is not a primary's/],
    [{ 'S1 F13': '<L>' }, /replies\.S1 F13: must name a primary message as SxFy/],
    [{ S1F13: 7 }, /replies\.S1F13: must be the reply's SECS-II text as a string/],
  ] as const) {
    test(`a bad reply table entry exits 2 naming it (${Object.keys(replies)[0]})`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'hsms-peer-cli-'));
      tempDirs.push(dir);
      const file = path.join(dir, 'peer.json');
      writeFileSync(file, JSON.stringify({ port: await freePort(), replies }));
      const peer = run(['--config', file]);
      const exit = await peer.waitExit(10000);
      assert.equal(exit.code, 2);
      assert.ok(peer.lines.some((l) => message.test(l)), `stderr matches ${message}: ${peer.lines.join('\n')}`);
    });
  }

  test('a port already in use exits 3', async () => {
    const holder = await listenRaw();
    const peer = run(['--mode', 'passive', '--port', String(holder.port)]);
    const exit = await peer.waitExit(10000);
    assert.equal(exit.code, 3);
    assert.ok(peer.lines.some((l) => l.includes(String(holder.port))), `stderr names the port: ${peer.lines.join('\n')}`);
  });
});
