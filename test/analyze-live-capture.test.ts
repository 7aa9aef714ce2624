import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultResponder } from '../src/peer/default-responder';
import { HsmsEntity } from '../src/peer/entity';
import { DEFAULT_PARAMETERS, type ConnectMode, type Standard, type TimerSeconds } from '../src/peer/parameters';
import { analyzeFiles, captureLoopback, findings, haveTshark, NO_TSHARK, ourHeaders, profileFor, tsharkHeaders } from './support/analyze-helpers';
import { delay, freePort, waitUntil } from './support/raw-socket';

/**
 * Captures made by a real capture tool: tshark (dumpcap underneath) on loopback, writing pcapng
 * and libpcap at once, while reference peers talk in every connect mode (a passive equipment
 * with an active host; an alternating entity with a passive one) and secs4js talks to the
 * reference host. Analyzed with every side's declared values, nothing is flagged on any side,
 * the procedures are judged (not merely skipped), and Wireshark's HSMS dissector decodes the same
 * messages.
 */

const ROOT = path.resolve(__dirname, '../..');
const HOST = '127.0.0.1';
/** Where the alternating entity's remote peer listens, as a profile's testerHost (E37 A1-3: both listen at the same port). */
const REMOTE_HOST = '127.0.0.2';
const TIMERS: TimerSeconds = { t3: 2, t5: 0.3, t6: 1, t7: 2, t8: 1 };
const TOLERANCE = 0.3;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-capture-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

function peer(mode: ConnectMode, port: number, standard: Standard = 'e37', hosts: { host?: string; remoteHost?: string } = {}): HsmsEntity {
  return new HsmsEntity({ ...DEFAULT_PARAMETERS, mode, host: HOST, port, timers: TIMERS, standard, ...hosts }, { responder: defaultResponder });
}

/**
 * Selected, then Linktest, primaries both ways, Separate, and both stopped at once: left running,
 * the active side would reconnect after T7 and T5, and stopping it later would close a SELECTED
 * session, which the analysis rightly flags (E37-6.4).
 */
async function converse(a: HsmsEntity, b: HsmsEntity, what: string): Promise<void> {
  const ca = await waitUntil(`${what}: selected`, 15_000, () => (a.current?.state === 'SELECTED' && b.current?.state === 'SELECTED' ? a.current : undefined), 10);
  await ca.linktest();
  for (let i = 0; i < 3; i++) await ca.send({ stream: 1, function: 1, wBit: true });
  await b.current!.send({ stream: 6, function: 11, wBit: true, text: Buffer.from([0x01, 0x00]) });
  ca.separate();
  await delay(100);
  await a.stop();
  await b.stop();
}

test('tshark captures (pcap and pcapng) of reference peers in every mode and of secs4js: nothing flagged, everything decoded as Wireshark does', { skip: haveTshark() ? false : NO_TSHARK, timeout: 120_000 }, async () => {
  const [pPassive, pAlternating, pSecs4js] = [await freePort(), await freePort(), await freePort()];
  const ports = [pPassive, pAlternating, pSecs4js];
  const files = { pcapng: path.join(dir, 'peers.pcapng'), pcap: path.join(dir, 'peers.pcap') };
  const captures = await Promise.all([captureLoopback(ports, files.pcapng, 'pcapng'), captureLoopback(ports, files.pcap, 'pcap')]);
  const equipment = peer('passive', pPassive);
  const host = peer('active', pPassive);
  const listener = peer('passive', pAlternating, 'e37', { host: REMOTE_HOST });
  const alternating = peer('alternating', pAlternating, 'e37', { remoteHost: REMOTE_HOST });
  const secs4js = spawn(process.execPath, [path.join(ROOT, 'examples', 'iuts', 'secs4js', 'launch.mjs')], {
    cwd: path.join(ROOT, 'examples', 'iuts', 'secs4js'),
    env: { ...process.env, HSMS_ROLE: 'passive', HSMS_HOST: HOST, HSMS_PORT: String(pSecs4js), HSMS_SESSION_ID: '0', HSMS_T3: '2', HSMS_T5: '0.3', HSMS_T6: '1', HSMS_T7: '2', HSMS_T8: '1' },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let secs4jsLog = '';
  secs4js.stderr!.setEncoding('utf8').on('data', (s: string) => (secs4jsLog += s));
  const ssHost = peer('active', pSecs4js, 'hsms-ss');
  try {
    await equipment.start();
    await host.start();
    await converse(host, equipment, 'passive equipment, active host');
    await listener.start();
    await alternating.start();
    await converse(alternating, listener, 'alternating entity, passive peer');
    await waitUntil('secs4js listening', 15_000, () => (/listening on/.test(secs4jsLog) ? true : undefined), 20);
    await ssHost.start();
    const c = await waitUntil('secs4js selected', 15_000, () => (ssHost.current?.state === 'SELECTED' ? ssHost.current : undefined), 10);
    await c.linktest();
    for (let i = 0; i < 3; i++) await c.send({ stream: 1, function: 1, wBit: true });
    c.separate();
    await delay(100);
    await ssHost.stop();
  } finally {
    for (const p of [host, equipment, alternating, listener, ssHost]) await p.stop();
    secs4js.kill('SIGTERM');
    await new Promise((r) => secs4js.once('exit', r));
    await Promise.all(captures.map((c) => c.stop()));
  }
  const profiles = [
    profileFor('passive', pPassive, TIMERS, TOLERANCE),
    profileFor('active', pPassive, TIMERS, TOLERANCE),
    // The alternating profile names the side connecting to REMOTE_HOST (its active phase) by address.
    profileFor('passive', pAlternating, TIMERS, TOLERANCE, { host: REMOTE_HOST }),
    profileFor('alternating', pAlternating, TIMERS, TOLERANCE, { host: HOST, testerHost: REMOTE_HOST }),
    profileFor('passive', pSecs4js, TIMERS, TOLERANCE, { standard: 'hsms-ss' }),
    profileFor('active', pSecs4js, TIMERS, TOLERANCE, { standard: 'hsms-ss' }),
  ];
  for (const file of [files.pcapng, files.pcap]) {
    const a = analyzeFiles([file], { ports: new Set(ports), profiles });
    assert.deepEqual(findings(a.result), [], `${path.basename(file)}: no finding on any side`);
    assert.ok(a.result.hsmsConnections >= 3, `${path.basename(file)}: ${a.result.hsmsConnections} HSMS connections`);
    assert.equal(a.result.unmatchedProfiles.length, 0, `every profile names an entity: ${a.result.unmatchedProfiles.join(', ')}`);
    for (const clause of ['E37-7.2.2', 'E37-7.5', 'E37-9.4.1', 'E37-7.6.1', 'E37-8.2.6']) {
      assert.ok(a.result.entities.some((e) => (e.clauses.get(clause)?.exercised ?? 0) > 0), `${path.basename(file)}: ${clause} judged`);
    }
    assert.deepEqual(await tsharkHeaders(file, ports), ourHeaders(a), `${path.basename(file)}: Wireshark decodes the same messages`);
  }
});
