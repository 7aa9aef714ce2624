/**
 * The reference peer under load and abuse, on 127.0.0.1 only, every wait bounded:
 * - many concurrent connections to one passive entity in multiple-connection mode, each selects
 *   and answers a Linktest;
 * - a slow-loris client on every connection (a partial message, then silence): T8 frees them all;
 * - a connect/close storm;
 * - 10 million frames of mixed valid and invalid input fed in-process to SessionMachine (in a
 *   child process run with --expose-gc): no exception escapes and memory returns to its baseline.
 *
 * The file is also the child of the last test: `node --expose-gc peer-load.test.js --frame-storm N`.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execSync } from 'node:child_process';
import * as net from 'node:net';
import { SType } from '../src/protocol/constants';
import { encodeFrame, type Frame } from '../src/protocol/header';
import { dataMessage, deselectReq, linktestReq, selectReq, separateReq } from '../src/protocol/messages';
import { defaultResponder } from '../src/peer/default-responder';
import { HsmsEntity, type PeerEvent } from '../src/peer/entity';
import { DEFAULT_PARAMETERS, type PeerParameters, type TimerSeconds } from '../src/peer/parameters';
import { SessionMachine } from '../src/peer/session-machine';
import { LOCALHOST, now, RawSocket, waitUntil, withTimeout } from './support/raw-socket';
import { seededRandom } from '../bench/util';

const STORM_FLAG = '--frame-storm';

// ---------------------------------------------------------------------------------------------
// The child: 10 million frames through SessionMachine, memory measured after forced GCs.

interface StormResult {
  readonly frames: number;
  readonly bytes: number;
  readonly machines: number;
  readonly framingErrors: number;
  readonly closes: number;
  readonly ms: number;
  readonly baseline: { heapUsed: number; arrayBuffers: number; rss: number };
  readonly afterRun: { heapUsed: number; arrayBuffers: number; rss: number };
  readonly error: string | null;
}



/**
 * One connection's worth of input, as the chunks the socket would deliver: a run of frames
 * (valid control and data messages, and frames whose header is garbage but whose length is
 * legal), cut at random boundaries, sometimes ended by an illegal length (the machine closes).
 */
function buildScript(rand: () => number): { chunks: Buffer[]; frames: number } {
  const frames: Buffer[] = [];
  const count = 200 + Math.floor(rand() * 800);
  let sys = 1;
  for (let i = 0; i < count; i++) {
    const r = rand();
    let f: Frame;
    if (i === 0 && r < 0.8) f = selectReq(0, sys++);
    else if (r < 0.3) f = linktestReq(sys++);
    else if (r < 0.45) f = dataMessage({ sessionId: 0, stream: 1 + Math.floor(rand() * 10), function: 1 + 2 * Math.floor(rand() * 5), wBit: rand() < 0.5, systemBytes: sys++, text: Buffer.alloc(Math.floor(rand() * 64), 0xa5) });
    else if (r < 0.5) f = dataMessage({ sessionId: 0, stream: 1, function: 2, wBit: false, systemBytes: sys++ });
    else if (r < 0.55) f = selectReq(0, sys++);
    else if (r < 0.57) f = deselectReq(0, sys++);
    else {
      // Garbage header, legal length: unknown PType / SType, odd byte values, random text.
      const text = Buffer.alloc(Math.floor(rand() * 32));
      for (let k = 0; k < text.length; k++) text[k] = Math.floor(rand() * 256);
      f = {
        header: {
          sessionId: Math.floor(rand() * 0x10000),
          byte2: Math.floor(rand() * 256),
          byte3: Math.floor(rand() * 256),
          pType: rand() < 0.5 ? 0 : Math.floor(rand() * 256),
          // Never Separate.req (it ends the connection): that is the script's last frame below.
          sType: [SType.Data, 2, 4, 6, 8, 10, 11, 12, 13, 200][Math.floor(rand() * 10)]!,
          systemBytes: Math.floor(rand() * 0x100000000),
        },
        text,
      };
      // A control message with text ends the connection (E37-9.3.3): keep that for the script's end.
      if (f.header.pType === 0 && f.header.sType !== SType.Data && f.header.sType < 10) f = { header: f.header, text: Buffer.alloc(0) };
    }
    frames.push(encodeFrame(f));
  }
  const end = rand();
  if (end < 0.1) {
    const bad = Buffer.alloc(8);
    bad.writeUInt32BE(Math.floor(rand() * 10), 0); // below the minimum length of 10
    frames.push(bad);
  } else if (end < 0.2) {
    const bad = Buffer.alloc(4);
    bad.writeUInt32BE(0xfffffff0, 0); // beyond the configured maximum
    frames.push(bad);
  } else if (end < 0.3) {
    frames.push(encodeFrame(separateReq(0, sys++)));
  } else if (end < 0.35) {
    frames.push(encodeFrame({ header: linktestReq(sys++).header, text: Buffer.from('control message with text') }));
  }
  const all = Buffer.concat(frames);
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset < all.length) {
    const size = rand() < 0.2 ? 1 + Math.floor(rand() * 16) : 1 + Math.floor(rand() * 4096);
    chunks.push(Buffer.from(all.subarray(offset, Math.min(all.length, offset + size))));
    offset += size;
  }
  return { chunks, frames: count };
}

function runStormChild(target: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  const mem = (): { heapUsed: number; arrayBuffers: number; rss: number } => {
    for (let i = 0; i < 3; i++) gc?.();
    const m = process.memoryUsage();
    return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, rss: m.rss };
  };
  const rand = seededRandom(0x5eed);
  const scripts = Array.from({ length: 64 }, () => buildScript(rand));
  let frames = 0;
  let bytes = 0;
  let machines = 0;
  let framingErrors = 0;
  let closes = 0;
  let error: string | null = null;
  const options = { sessionId: 0, standard: 'e37' as const, maxLength: 1024 * 1024, t3: 45000, t6: 5000, t7: 10000, t8: 5000 };
  const run = (limit: number): void => {
    let i = 0;
    while (frames < limit) {
      const script = scripts[i++ % scripts.length]!;
      const m = new SessionMachine(options);
      machines++;
      m.connected();
      for (const chunk of script.chunks) {
        bytes += chunk.length;
        for (const a of m.receive(chunk)) {
          if (a.type === 'event' && a.event.type === 'frame-in') frames++;
          else if (a.type === 'close') closes++;
          else if (a.type === 'event' && a.event.type === 'framing-error') framingErrors++;
          else if (a.type === 'event' && a.event.type === 'primary' && (a.event.frame.header.byte2 & 0x80) !== 0 && m.state === 'SELECTED') m.reply(a.event.frame.header);
        }
      }
      m.disconnected('script ended');
    }
  };
  let baseline = mem();
  const started = performance.now();
  try {
    // Warm-up: the JIT, the scripts and the first machines are part of the baseline.
    run(Math.min(target, 200_000));
    baseline = mem();
    run(target);
  } catch (err) {
    error = (err as Error).stack ?? String(err);
  }
  const ms = performance.now() - started;
  const afterRun = mem();
  const result: StormResult = { frames, bytes, machines, framingErrors, closes, ms, baseline, afterRun, error };
  process.stdout.write(JSON.stringify(result) + '\n');
}

// ---------------------------------------------------------------------------------------------
// The tests.

/** File descriptors this process may hold (node raises the soft limit to the hard one at start-up). */
function fdLimit(): number {
  try {
    const n = Number(execSync('ulimit -n', { shell: '/bin/sh', encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 1024;
  } catch {
    return 1024;
  }
}

/** Each connection holds two descriptors here (client and server end); keep 200 spare. */
const WANTED = 1000;
const LIMIT = fdLimit();
const CONNECTIONS = Math.max(10, Math.min(WANTED, Math.floor((LIMIT - 200) / 2)));
const SCALE_NOTE = CONNECTIONS < WANTED ? ` (only ${CONNECTIONS}: ulimit -n is ${LIMIT})` : '';

function registerTests(): void {
  const entities: HsmsEntity[] = [];
  const sockets: RawSocket[] = [];

  async function startEntity(timers: Partial<TimerSeconds>): Promise<{ entity: HsmsEntity; port: number; errors: string[] }> {
    const errors: string[] = [];
    const p: PeerParameters = {
      ...DEFAULT_PARAMETERS,
      host: LOCALHOST,
      port: 0,
      multipleConnections: true,
      timers: { t3: 5, t5: 0.2, t6: 5, t7: 20, t8: 5, ...timers },
    };
    const onEvent = (e: PeerEvent): void => {
      if (e.event.type === 'error') errors.push(e.event.message);
    };
    const entity = new HsmsEntity(p, { responder: defaultResponder, onEvent });
    await entity.start();
    entities.push(entity);
    return { entity, port: entity.port!, errors };
  }

  /** Opens `n` raw connections, `batch` at a time (the listen backlog is finite). */
  async function connectMany(port: number, n: number, batch = 200): Promise<RawSocket[]> {
    const out: RawSocket[] = [];
    for (let i = 0; i < n; i += batch) {
      const part = await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => RawSocket.connect(port, 5000)));
      out.push(...part);
      sockets.push(...part);
    }
    return out;
  }

  after(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(entities.splice(0).map((e) => withTimeout('entity.stop()', 5000, e.stop())));
  });

  describe('reference peer under load', () => {
    test(`${CONNECTIONS} concurrent connections each select and answer a Linktest${SCALE_NOTE}`, { timeout: 30_000 }, async (t) => {
      const { entity, port, errors } = await startEntity({});
      const t0 = now();
      const clients = await connectMany(port, CONNECTIONS);
      const connectMs = now() - t0;
      await waitUntil(`${CONNECTIONS} live connections at the entity`, 5000, () => (entity.connections.size === CONNECTIONS ? true : undefined));
      const t1 = now();
      await Promise.all(
        clients.map(async (c, i) => {
          await c.send(selectReq(0, i + 1));
          const rsp = await c.nextFrame(10_000);
          assert.equal(rsp.header.sType, SType.SelectRsp);
          assert.equal(rsp.header.byte3, 0, `connection ${i}: select status ${rsp.header.byte3}`);
          await c.send(linktestReq(100_000 + i));
          const lt = await c.nextFrame(10_000);
          assert.equal(lt.header.sType, SType.LinktestRsp);
          assert.equal(lt.header.systemBytes, 100_000 + i);
        }),
      );
      const txMs = now() - t1;
      const selected = [...entity.connections].filter((c) => c.state === 'SELECTED').length;
      assert.equal(selected, CONNECTIONS);
      for (const c of clients) c.destroy();
      await waitUntil('the entity to drop every closed connection', 5000, () => (entity.connections.size === 0 ? true : undefined));
      assert.deepEqual(errors, []);
      t.diagnostic(`${CONNECTIONS} connections opened in ${connectMs.toFixed(0)} ms; ${2 * CONNECTIONS} transactions in ${txMs.toFixed(0)} ms (${((2 * CONNECTIONS) / (txMs / 1000)).toFixed(0)}/s); fd limit ${LIMIT}`);
    });

    test(`a slow-loris client on each of ${CONNECTIONS} connections: T8 frees them all${SCALE_NOTE}`, { timeout: 30_000 }, async (t) => {
      const t8 = 0.5;
      const tolerance = 1500;
      const { entity, port, errors } = await startEntity({ t8 });
      const clients = await connectMany(port, CONNECTIONS);
      await waitUntil(`${CONNECTIONS} live connections at the entity`, 5000, () => (entity.connections.size === CONNECTIONS ? true : undefined));
      // Half of them select first, so T8 is exercised in both states; then each sends 7 bytes of a Linktest.req and stalls.
      const partial = encodeFrame(linktestReq(7)).subarray(0, 7);
      let lastPartial = 0;
      await Promise.all(
        clients.map(async (c, i) => {
          if (i % 2 === 0) {
            await c.send(selectReq(0, i + 1));
            await c.nextFrame(10_000);
          }
          await c.send(partial);
          lastPartial = Math.max(lastPartial, now());
        }),
      );
      const budget = t8 * 1000 + tolerance;
      const left = lastPartial + budget - now();
      await waitUntil(`every stalled connection freed within T8 + ${tolerance} ms`, Math.max(0, left), () => (entity.connections.size === 0 ? true : undefined));
      const freedAfter = now() - lastPartial;
      await Promise.all(clients.map((c) => c.waitClosed(2000)));
      for (const c of clients) assert.equal(c.frames.filter((f) => f.header.sType !== SType.SelectRsp).length, 0, 'a stalled connection was answered');
      assert.deepEqual(errors, []);
      t.diagnostic(`${CONNECTIONS} stalled connections freed ${freedAfter.toFixed(0)} ms after the last partial message (T8 ${t8 * 1000} ms)`);
    });

    test('a storm of 2000 connect + immediate close leaves the entity serving and empty', { timeout: 30_000 }, async (t) => {
      const { entity, port, errors } = await startEntity({});
      const total = 2000;
      const parallel = 50;
      let connected = 0;
      let failed = 0;
      const t0 = now();
      const one = (): Promise<void> =>
        new Promise((resolve) => {
          const s = net.connect({ host: LOCALHOST, port });
          const timer = setTimeout(() => {
            s.destroy();
            failed++;
            resolve();
          }, 5000);
          s.once('connect', () => {
            connected++;
            // Alternate FIN and RST.
            if (connected % 2 === 0) s.resetAndDestroy();
            else s.destroy();
          });
          s.once('error', () => {
            failed++;
          });
          s.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      for (let i = 0; i < total; i += parallel) await Promise.all(Array.from({ length: Math.min(parallel, total - i) }, one));
      const stormMs = now() - t0;
      await waitUntil('the entity to drop every storm connection', 5000, () => (entity.connections.size === 0 ? true : undefined));
      const c = await RawSocket.connect(port, 2000);
      sockets.push(c);
      await c.send(selectReq(0, 1));
      assert.equal((await c.nextFrame(2000)).header.byte3, 0);
      await c.send(linktestReq(2));
      assert.equal((await c.nextFrame(2000)).header.sType, SType.LinktestRsp);
      assert.ok(connected >= total * 0.99, `only ${connected} of ${total} connects succeeded (${failed} failed)`);
      assert.deepEqual(errors, []);
      t.diagnostic(`${total} connect+close in ${stormMs.toFixed(0)} ms (${connected} connected, ${failed} errors); the entity still serves`);
      c.destroy();
    });

    test('10 million frames of mixed valid and invalid input: no exception, memory back to baseline', { timeout: 90_000 }, async (t) => {
      const target = 10_000_000;
      const out = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['--expose-gc', __filename, STORM_FLAG, String(target)], { timeout: 80_000, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`storm child failed: ${err.message}\n${stderr.slice(-2000)}`));
          else resolve(stdout);
        });
      });
      const r = JSON.parse(out.trim().split('\n').pop()!) as StormResult;
      assert.equal(r.error, null, `an exception escaped: ${r.error}`);
      assert.ok(r.frames >= target, `only ${r.frames} frames`);
      const mb = (n: number): string => (n / 1048576).toFixed(1);
      const heapGrowth = r.afterRun.heapUsed - r.baseline.heapUsed;
      const abGrowth = r.afterRun.arrayBuffers - r.baseline.arrayBuffers;
      t.diagnostic(
        `${r.frames} frames (${mb(r.bytes)} MB) through ${r.machines} machines in ${(r.ms / 1000).toFixed(1)} s (${((r.frames / r.ms) * 1000).toFixed(0)} frames/s); ` +
          `${r.framingErrors} framing errors, ${r.closes} closes; heapUsed ${mb(r.baseline.heapUsed)} -> ${mb(r.afterRun.heapUsed)} MB, arrayBuffers ${mb(r.baseline.arrayBuffers)} -> ${mb(r.afterRun.arrayBuffers)} MB`,
      );
      assert.ok(heapGrowth < 8 * 1048576, `heap grew by ${mb(heapGrowth)} MB`);
      assert.ok(abGrowth < 4 * 1048576, `arrayBuffers grew by ${mb(abGrowth)} MB`);
    });
  });
}

const stormIndex = process.argv.indexOf(STORM_FLAG);
if (stormIndex >= 0) {
  runStormChild(Number(process.argv[stormIndex + 1] ?? 10_000_000));
} else {
  registerTests();
}
