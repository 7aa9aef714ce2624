import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeFrame, type Frame } from '../src/protocol/header';
import { defaultResponder } from '../src/peer/default-responder';
import { HsmsEntity } from '../src/peer/entity';
import type { Fault } from '../src/peer/faults';
import { DEFAULT_PARAMETERS, type PeerParameters, type Standard, type TimerSeconds } from '../src/peer/parameters';
import { Monitor } from '../src/monitor/monitor';
import { analyzeFiles, findings, profileFor } from './support/analyze-helpers';
import { delay, freePort, waitUntil } from './support/raw-socket';

/**
 * The monitor between two real HSMS entities on loopback: every byte arrives unchanged on the
 * other side (compared by hash at both ends), the findings it prints live are exactly those an
 * offline analysis of its own pcap makes, and the CLI writes its reports on SIGINT. Also between
 * secs4js (a third-party implementation) and the reference peer.
 */

const ROOT = path.resolve(__dirname, '../..');
const HOST = '127.0.0.1';
const TIMERS: TimerSeconds = { t3: 2, t5: 0.3, t6: 1, t7: 2, t8: 1 };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monitor-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

/** Frames one entity sent and received, in order, as wire bytes (encodeFrame of a decoded frame is its bytes). */
class Wire {
  readonly out = createHash('sha256');
  readonly in = createHash('sha256');
  sent = 0;
  received = 0;
  add(dir: 'in' | 'out', f: Frame): void {
    (dir === 'out' ? this.out : this.in).update(encodeFrame(f));
    if (dir === 'out') this.sent++;
    else this.received++;
  }
}

function entity(mode: 'passive' | 'active', port: number, wire: Wire, standard: Standard = 'e37', faults: Fault[] = []): HsmsEntity {
  const params: PeerParameters = { ...DEFAULT_PARAMETERS, mode, host: HOST, port, timers: TIMERS, standard };
  return new HsmsEntity(params, {
    responder: defaultResponder,
    faults: new Set(faults),
    onEvent: (e) => {
      if (e.event.type === 'frame-in') wire.add('in', e.event.frame);
      if (e.event.type === 'frame-out') wire.add('out', e.event.frame);
    },
  });
}

/** Findings as comparable lines (entity, clause, severity, frame, message). */
function lines(f: ReturnType<typeof findings>): string[] {
  return [...f].sort();
}

test('monitor between two reference peers: byte-exact, live findings equal the offline analysis of its pcap', { timeout: 120_000 }, async () => {
  const equipmentPort = await freePort();
  const eqWire = new Wire();
  const hostWire = new Wire();
  // The equipment answers a Select.req while SELECTED with status 0: a finding (E37-7.2, warn) for the monitor to make.
  const equipment = entity('passive', equipmentPort, eqWire, 'e37', ['reselect-status-0']);
  await equipment.start();
  const pcap = path.join(dir, 'pair.pcap');
  const printed: string[] = [];
  const profiles = [profileFor('passive', equipmentPort, TIMERS, 0.3)];
  const monitor = new Monitor({ listen: { host: HOST, port: 0 }, upstream: { host: HOST, port: equipmentPort }, pcapFile: pcap, pcapMaxBytes: 1 << 30, pcapKeep: 2, reportDir: path.join(dir, 'pair-reports'), profiles, standard: 'e37', version: 'test', print: (l) => printed.push(l) });
  const port = await monitor.start();
  const host = entity('active', port, hostWire);
  await host.start();
  try {
    const conn = await waitUntil('the host selected through the monitor', 10_000, () => (host.current?.state === 'SELECTED' ? host.current : undefined));
    await conn.linktest();
    await conn.select();
    for (let i = 0; i < 20; i++) await conn.send({ stream: 1, function: 1, wBit: true });
    // A 256 KiB message: many segments through the relay.
    await conn.send({ stream: 6, function: 11, wBit: true, text: Buffer.alloc(256 * 1024, 7) });
    const eq = equipment.current!;
    for (let i = 0; i < 5; i++) await eq.send({ stream: 5, function: 1, wBit: true });
    conn.separate();
    await delay(200);
  } finally {
    await host.stop();
    await delay(100);
    await equipment.stop();
  }
  const reports = await monitor.writeReports(true);
  assert.equal(hostWire.out.digest('hex'), eqWire.in.digest('hex'), 'what the host sent is what the equipment received');
  assert.equal(eqWire.out.digest('hex'), hostWire.in.digest('hex'), 'what the equipment sent is what the host received');
  assert.ok(hostWire.sent >= 24 && eqWire.sent >= 28, `traffic flowed: host sent ${hostWire.sent}, equipment ${eqWire.sent}`);
  const live = printed.filter((l) => /^(FAIL|WARN) /.test(l));
  assert.ok(live.some((l) => /WARN E37-7\.2 /.test(l)), `the fault is printed live:\n${printed.join('\n')}`);
  const offline = analyzeFiles([pcap], { ports: new Set([equipmentPort]), profiles });
  const liveFindings = reports.flatMap((r) => [...r.entity.clauses].flatMap(([clause, c]) => c.findings.map((f) => `${f.severity} ${clause} ${r.entity.name}: ${f.message}`)));
  assert.deepEqual(lines(liveFindings), lines(findings(offline.result)), 'live findings equal the offline analysis of the pcap');
  const total = reports.reduce((n, r) => n + r.entity.findingCount, 0);
  assert.equal(live.length, total, 'each finding was printed once, as it happened');
  assert.ok(fs.existsSync(path.join(dir, 'pair-reports', 'junit.xml')));
});

test('monitor between an alternating entity and a passive peer: its profile names the connecting side by address, nothing flagged, live equals offline', { timeout: 120_000 }, async () => {
  const equipmentPort = await freePort();
  const eqWire = new Wire();
  const equipment = entity('passive', equipmentPort, eqWire);
  await equipment.start();
  const pcap = path.join(dir, 'alternating.pcap');
  const printed: string[] = [];
  // The alternating host would listen at 127.0.0.3 in its passive phase (E37 A1-3); through the
  // monitor it is seen connecting to the equipment, the remote entity listening at HOST.
  const ALTERNATING_HOST = '127.0.0.3';
  const profiles = [profileFor('alternating', equipmentPort, TIMERS, 0.3, { host: ALTERNATING_HOST, testerHost: HOST })];
  const monitor = new Monitor({ listen: { host: HOST, port: 0 }, upstream: { host: HOST, port: equipmentPort }, pcapFile: pcap, pcapMaxBytes: 1 << 30, pcapKeep: 2, reportDir: path.join(dir, 'alternating-reports'), profiles, standard: 'e37', version: 'test', print: (l) => printed.push(l) });
  const port = await monitor.start();
  const hostWire = new Wire();
  const host = new HsmsEntity({ ...DEFAULT_PARAMETERS, mode: 'alternating', host: ALTERNATING_HOST, remoteHost: HOST, port, timers: TIMERS, standard: 'e37' }, { responder: defaultResponder, onEvent: (e) => {
    if (e.event.type === 'frame-in') hostWire.add('in', e.event.frame);
    if (e.event.type === 'frame-out') hostWire.add('out', e.event.frame);
  } });
  await host.start();
  try {
    const conn = await waitUntil('the alternating host selected through the monitor', 10_000, () => (host.current?.state === 'SELECTED' && equipment.current?.state === 'SELECTED' ? host.current : undefined));
    await conn.linktest();
    for (let i = 0; i < 5; i++) await conn.send({ stream: 1, function: 1, wBit: true });
    await equipment.current!.send({ stream: 6, function: 11, wBit: true });
    conn.separate();
    await delay(200);
  } finally {
    await host.stop();
    await equipment.stop();
  }
  const reports = await monitor.writeReports(true);
  assert.equal(hostWire.out.digest('hex'), eqWire.in.digest('hex'), 'what the host sent is what the equipment received');
  const offline = analyzeFiles([pcap], { ports: new Set([equipmentPort]), profiles });
  assert.deepEqual(offline.result.entities.filter((e) => e.rules.profileName !== null).map((e) => e.role), ['connecting'], 'the profile names the alternating host, not the equipment');
  assert.deepEqual(findings(offline.result), [], 'nothing flagged on either side');
  const liveFindings = reports.flatMap((r) => [...r.entity.clauses].flatMap(([clause, c]) => c.findings.map((f) => `${f.severity} ${clause} ${r.entity.name}: ${f.message}`)));
  assert.deepEqual(lines(liveFindings), lines(findings(offline.result)), 'live findings equal the offline analysis of the pcap');
});

function launchSecs4js(port: number): ChildProcess {
  return spawn(process.execPath, [path.join(ROOT, 'examples', 'iuts', 'secs4js', 'launch.mjs')], {
    cwd: path.join(ROOT, 'examples', 'iuts', 'secs4js'),
    env: { ...process.env, HSMS_ROLE: 'passive', HSMS_HOST: HOST, HSMS_PORT: String(port), HSMS_SESSION_ID: '0', HSMS_T3: '2', HSMS_T5: '0.3', HSMS_T6: '1', HSMS_T7: '2', HSMS_T8: '1' },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
}

test('monitor between secs4js and the reference peer: the session works through it, live findings equal the offline analysis', { timeout: 120_000 }, async () => {
  const equipmentPort = await freePort();
  const child = launchSecs4js(equipmentPort);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const pcap = path.join(dir, 'secs4js.pcap');
  const printed: string[] = [];
  const profiles = [profileFor('passive', equipmentPort, TIMERS, 0.3, { standard: 'hsms-ss' })];
  let monitor: Monitor | null = null;
  const hostWire = new Wire();
  let host: HsmsEntity | null = null;
  try {
    await waitUntil('secs4js listening', 15_000, () => (/listening on/.test(stderr) ? true : undefined), 20);
    monitor = new Monitor({ listen: { host: HOST, port: 0 }, upstream: { host: HOST, port: equipmentPort }, pcapFile: pcap, pcapMaxBytes: 1 << 30, pcapKeep: 2, reportDir: path.join(dir, 'secs4js-reports'), profiles, standard: 'hsms-ss', version: 'test', print: (l) => printed.push(l) });
    const port = await monitor.start();
    host = entity('active', port, hostWire, 'hsms-ss');
    await host.start();
    const conn = await waitUntil('the host selected secs4js through the monitor', 15_000, () => (host!.current?.state === 'SELECTED' ? host!.current : undefined), 20);
    await conn.linktest();
    for (let i = 0; i < 10; i++) assert.equal((await conn.send({ stream: 1, function: 1, wBit: true }))?.result, 'response');
    conn.separate();
    await delay(300);
  } finally {
    await host?.stop();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  const reports = await monitor!.writeReports(true);
  assert.ok(hostWire.received >= 12, `secs4js answered through the monitor (${hostWire.received} frames)`);
  const offline = analyzeFiles([pcap], { ports: new Set([equipmentPort]), profiles, standard: 'hsms-ss' });
  const liveFindings = reports.flatMap((r) => [...r.entity.clauses].flatMap(([clause, c]) => c.findings.map((f) => `${f.severity} ${clause} ${r.entity.name}: ${f.message}`)));
  assert.deepEqual(lines(liveFindings), lines(findings(offline.result)));
  assert.deepEqual(findings(offline.result, (name) => name.includes(`:${equipmentPort} (accepting)`)), [], 'secs4js does nothing wrong in an ordinary session');
});

test('monitor CLI: relays, prints findings, and SIGINT writes the reports', { timeout: 120_000 }, async () => {
  const equipmentPort = await freePort();
  const eqWire = new Wire();
  const equipment = entity('passive', equipmentPort, eqWire, 'e37', ['reply-wrong-system-bytes']);
  await equipment.start();
  const reportDir = path.join(dir, 'cli-reports');
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'hsms-conformance.js'), 'monitor', '--listen', `${HOST}:0`, '--upstream', `${HOST}:${equipmentPort}`, '--pcap', path.join(dir, 'cli.pcap'), '--report-dir', reportDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const hostWire = new Wire();
  let host: HsmsEntity | null = null;
  try {
    const port = Number(await waitUntil('the monitor listening', 30_000, () => /listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1], 20));
    host = entity('active', port, hostWire);
    await host.start();
    const conn = await waitUntil('selected through the CLI monitor', 10_000, () => (host!.current?.state === 'SELECTED' ? host!.current : undefined));
    await conn.send({ stream: 1, function: 1, wBit: true });
    await waitUntil('the finding printed live', 10_000, () => (/FAIL E37-9\.4\.1/.test(out) ? true : undefined), 20);
    conn.separate();
    await delay(100);
  } finally {
    await host?.stop();
    await equipment.stop();
  }
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 1, `exit code 1: without a profile every entity is under test, and the equipment failed\n${out}`);
  assert.match(out, /SIGINT: closing the relayed connections and writing the reports/);
  const folders = fs.readdirSync(reportDir).filter((d) => fs.existsSync(path.join(reportDir, d, 'compliance.json')));
  assert.equal(folders.length, 2, `a report per entity: ${folders.join(', ')}`);
  const equipmentReport = JSON.parse(fs.readFileSync(path.join(reportDir, folders.find((d) => d.startsWith('accepting'))!, 'compliance.json'), 'utf8')) as { verdict: string; clauses: Array<{ id: string; verdict: string }> };
  assert.equal(equipmentReport.clauses.find((c) => c.id === 'E37-9.4.1')?.verdict, 'fail');
  assert.ok(fs.existsSync(path.join(reportDir, 'junit.xml')));
  assert.ok(fs.statSync(path.join(dir, 'cli.pcap')).size > 24, 'the pcap holds what was relayed');
});
