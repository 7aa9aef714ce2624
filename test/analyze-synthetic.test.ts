import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CaptureError, readCaptureFile } from '../src/capture/capture-file';
import { dataMessage, linktestReq, linktestRsp, replyTo, selectReq, selectRsp, separateReq } from '../src/protocol/messages';
import { A, L, encodeItem } from '../src/protocol/secs2';
import { TrafficAnalyzer, type AnalysisResult } from '../src/analyze/analyzer';
import { forceGc } from '../bench/util';
import { analyzeFiles, execText, findings, haveTshark, NO_TSHARK, ourHeaders, tsharkHeaders } from './support/analyze-helpers';
import { LINK, ScriptedConnection, writePcap, writePcapng, type Packet } from './support/capture-builder';

/**
 * Synthetic captures: every format and link layer the reader claims, TCP reassembly under
 * retransmission, reordering, holes and a mid-stream start, IPv6, VLAN tags, SLL2, a 64 MiB
 * message and 100 000 connections in one file (memory measured, not time). Each capture that
 * Wireshark can read is cross-checked against its HSMS dissector: the same messages, in the same
 * order, with the same session id, SType and system bytes.
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'analyze-synthetic-'));
const T0 = Date.UTC(2026, 0, 15, 8, 30, 0);
const PORT = 5000;
/** Offset of the HSMS header in a synthesized IPv4 Ethernet frame (14 + 20 + 20, then the 4-byte length). */
const HSMS = 14 + 20 + 20 + 4;
process.on('exit', () => { if (!process.env.KEEP_CAPTURES) fs.rmSync(dir, { recursive: true, force: true }); });

/** A correct session: select, linktest, a host primary and its reply, an equipment event and its reply, separate, close. */
function session(client = '10.1.1.10', server = '10.1.1.20', start = T0, clientPort = 49152): ScriptedConnection {
  const c = new ScriptedConnection({ address: client, port: clientPort }, { address: server, port: PORT }, start);
  const sel = selectReq(0, 1);
  const lt = linktestReq(2);
  const s1f1 = dataMessage({ sessionId: 0, stream: 1, function: 1, wBit: true, systemBytes: 3 });
  const s6f11 = dataMessage({ sessionId: 0, stream: 6, function: 11, wBit: true, systemBytes: 0x100, text: encodeItem(L(A('EVENT'), A('LOT-<7>'))) });
  c.open();
  c.send(true, [sel], 2).send(false, [selectRsp(sel.header, 0)], 5);
  c.send(true, [lt], 2).send(false, [linktestRsp(lt.header)], 5);
  c.send(true, [s1f1], 3).send(false, [replyTo(s1f1.header, encodeItem(L(A('MDLN'), A('1.0'))))], 5);
  c.send(false, [s6f11], 2).send(true, [replyTo(s6f11.header)], 5);
  c.send(true, [separateReq(0, 4)], 3);
  c.close(true);
  return c;
}
const SESSION_MESSAGES = 9;

function write(name: string, data: Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, data);
  return file;
}

function assertClean(file: string, expectMessages: number): ReturnType<typeof analyzeFiles> {
  const a = analyzeFiles([file]);
  assert.deepEqual(findings(a.result), [], `${path.basename(file)}: no finding on either side`);
  assert.equal(a.messages.length, expectMessages, `${path.basename(file)}: messages decoded`);
  assert.equal(a.result.hsmsConnections, 1);
  return a;
}

async function crossCheck(file: string, a: ReturnType<typeof analyzeFiles>): Promise<void> {
  if (!haveTshark()) return;
  assert.deepEqual(await tsharkHeaders(file, [PORT]), ourHeaders(a), `${path.basename(file)}: Wireshark's HSMS dissector decodes the same messages`);
}

test('pcap and pcapng in every byte order and time resolution read the same packets at the same times as tshark', { skip: haveTshark() ? false : NO_TSHARK }, async () => {
  const packets = session().packets;
  const half = Math.floor(packets.length / 2);
  const files = {
    'be-micro.pcap': writePcap(packets, {}),
    'le-nano.pcap': writePcap(packets, { littleEndian: true, nanoseconds: true }),
    'sll2.pcapng': writePcapng([{ littleEndian: true, interfaces: [{ linkType: LINK.LINUX_SLL2, tsresol: 9 }], packets: packets.map((p) => ({ iface: 0, packet: p })) }]),
    // Two sections (the second big-endian), three interfaces with their own link types and resolutions.
    'sections.pcapng': writePcapng([
      { littleEndian: true, interfaces: [{ linkType: LINK.ETHERNET }, { linkType: LINK.RAW, tsresol: 9 }], packets: packets.slice(0, half).map((p, i) => ({ iface: i % 2, packet: p })) },
      { littleEndian: false, interfaces: [{ linkType: LINK.NULL, tsresol: 0x80 | 20 }], packets: packets.slice(half).map((p) => ({ iface: 0, packet: p })) },
    ]),
  };
  for (const [name, data] of Object.entries(files)) {
    const file = write(name, data);
    const times: number[] = [];
    const summary = readCaptureFile(file, (p) => times.push(p.timeMs));
    assert.equal(summary.packets, packets.length, name);
    assert.equal(summary.truncated, null);
    const theirs = (await execText('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch'])).trim().split('\n').map((l) => Number(l) * 1000);
    assert.equal(theirs.length, times.length, `${name}: tshark counts the same packets`);
    times.forEach((t, i) => assert.ok(Math.abs(t - theirs[i]!) < 0.002, `${name} frame ${i + 1}: ${t} ms here, ${theirs[i]} ms in tshark`));
    await crossCheck(file, assertClean(file, SESSION_MESSAGES));
  }
});

test('unreadable and cut-short files: a clear error, or the packets before the cut', () => {
  assert.throws(() => readCaptureFile(write('text.pcap', Buffer.from('GET / HTTP/1.1\r\n\r\n')), () => undefined), (e: unknown) => e instanceof CaptureError && /neither a pcap nor a pcapng/.test(e.message));
  assert.throws(() => readCaptureFile(path.join(dir, 'missing.pcap'), () => undefined), (e: unknown) => e instanceof CaptureError && /cannot open/.test(e.message));
  const whole = writePcap(session().packets);
  let n = 0;
  const summary = readCaptureFile(write('cut.pcap', whole.subarray(0, whole.length - 7)), () => n++);
  assert.equal(n, session().packets.length - 1);
  assert.match(summary.truncated ?? '', /ends inside record/);
});

test('link layers: Ethernet with 802.1Q tags, Linux SLL and SLL2, BSD null, raw IP, IPv6', async () => {
  const v4 = session().packets;
  const tagged: Packet[] = v4.map((p) => ({ ...p, vlan: 42 }));
  const v6 = session('fd00::10', 'fd00::20').packets;
  const cases: Array<[string, Buffer]> = [
    ['vlan.pcap', writePcap(tagged, { linkType: LINK.ETHERNET })],
    ['sll.pcap', writePcap(v4, { linkType: LINK.LINUX_SLL })],
    ['sll2.pcap', writePcap(v4, { linkType: LINK.LINUX_SLL2 })],
    ['null.pcap', writePcap(v4, { linkType: LINK.NULL, littleEndian: true })],
    ['raw.pcap', writePcap(v4, { linkType: LINK.RAW })],
    ['ipv6.pcap', writePcap(v6, { linkType: LINK.ETHERNET })],
    ['ipv6-sll2.pcap', writePcap(v6.map((p) => ({ ...p, vlan: 7 })), { linkType: LINK.LINUX_SLL2 })],
  ];
  for (const [name, data] of cases) {
    const file = write(name, data);
    const a = assertClean(file, SESSION_MESSAGES);
    if (name.startsWith('ipv6')) assert.ok(a.result.entities.some((e) => e.name === '[fd00::20]:5000 (accepting)'), a.result.entities.map((e) => e.name).join(', '));
    await crossCheck(file, a);
  }
});

test('retransmissions, overlaps and reordering are counted once', async () => {
  const p = session().packets;
  const data = (x: Packet): boolean => x.ether.length > 54;
  const out: Packet[] = [];
  for (const x of p) {
    out.push(x);
    if (data(x)) out.push({ ...x, timeMs: x.timeMs + 0.2 }); // every data segment twice
  }
  // Swap the host's reply to S6F11 (and its copy) with its Separate.req (and copy): out of order on the wire.
  const a = out.findIndex((x) => x.ether.length === 68 && x.ether.readUInt8(HSMS + 3) === 12);
  [out[a], out[a + 1], out[a + 2], out[a + 3]] = [out[a + 2]!, out[a + 3]!, out[a]!, out[a + 1]!];
  const file = write('retransmit.pcap', writePcap(out));
  const r = assertClean(file, SESSION_MESSAGES);
  assert.ok(r.connections[0]!.notes.some((n) => /retransmitted or overlapping/.test(n)), r.connections[0]!.notes.join('\n'));
  await crossCheck(file, r);
});

test('a hole in the capture: reported, and nothing is judged from the missing part', () => {
  const p = session().packets;
  // Drop the server's Linktest.rsp: the client's request looks unanswered, but the answer may be in the hole.
  const rsp = p.findIndex((x) => x.ether.length === 68 && x.ether.readUInt8(HSMS + 5) === 6);
  const holed = p.filter((_, i) => i !== rsp);
  const a = analyzeFiles([write('hole.pcap', writePcap(holed))]);
  assert.deepEqual(findings(a.result), []);
  assert.equal(a.messages.length, SESSION_MESSAGES - 1);
  assert.ok(a.connections[0]!.notes.some((n) => /14 bytes missing from the capture/.test(n)), a.connections[0]!.notes.join('\n'));
});

test('a capture that starts mid-connection resynchronises on the first plausible header', async () => {
  const c = session();
  // Start inside the host's S1F1 segment: the handshake, select, linktest and the first 9 bytes of S1F1 are not in the file.
  const i = c.packets.findIndex((x) => x.ether.length === 68 && x.ether.readUInt8(HSMS + 5) === 0);
  const s1f1 = c.packets[i]!;
  const cut: Packet = { ...s1f1, ether: Buffer.concat([s1f1.ether.subarray(0, 54), s1f1.ether.subarray(54 + 9)]) };
  cut.ether.writeUInt16BE(cut.ether.length - 14, 16);
  cut.ether.writeUInt32BE((cut.ether.readUInt32BE(38) + 9) >>> 0, 38);
  const file = write('midstream.pcap', writePcap([cut, ...c.packets.slice(i + 1)]));
  const a = analyzeFiles([file]);
  assert.deepEqual(findings(a.result), []);
  assert.equal(a.messages.length, 4, 'S1F2, S6F11, S6F12, Separate.req after the resync');
  const notes = a.connections[0]!.notes.join('\n');
  assert.match(notes, /starts in the middle/);
  assert.match(notes, /resynchronised mid-stream on the first plausible HSMS header, 5 bytes skipped/);
  assert.ok(a.result.entities.some((e) => e.name === '10.1.1.20:5000 (accepting)'), 'roles guessed from the lower port');
});

test('a 64 MiB message is decoded whole, its text counted, not kept', async () => {
  const c = new ScriptedConnection({ address: '10.1.1.10', port: 40000 }, { address: '10.1.1.20', port: PORT }, T0);
  const sel = selectReq(0, 1);
  const big = dataMessage({ sessionId: 0, stream: 6, function: 11, wBit: true, systemBytes: 7, text: Buffer.alloc(64 * 1024 * 1024, 0xa5) });
  c.open().send(true, [sel]).send(false, [selectRsp(sel.header, 0)]);
  c.send(false, [big], 0.01).send(true, [replyTo(big.header)]).send(true, [separateReq(0, 8)]).close(false);
  const file = write('big.pcap', writePcap(c.packets));
  const a = analyzeFiles([file]);
  assert.deepEqual(findings(a.result), []);
  const m = a.messages.find((x) => x.m.header.sType === 0 && x.m.header.byte3 === 11)!;
  assert.equal(m.m.textLength, 64 * 1024 * 1024);
  assert.ok(m.m.text.length <= 4096, 'only a prefix of the text is kept');
  assert.ok(m.m.lastFrame - m.m.firstFrame > 1000, 'spread over more than a thousand segments');
  await crossCheck(file, a);
});

test('100 000 connections in one file: every one judged, memory flat', () => {
  const file = path.join(dir, 'many.pcap');
  const N = 100_000;
  writeManyConnections(file, N);
  const heap: number[] = [];
  let ended = 0;
  const a = analyzeFilesSampling(file, () => {
    ended++;
    if (ended === 10_000 || ended === N) {
      forceGc();
      heap.push(process.memoryUsage().heapUsed);
    }
  });
  assert.equal(a.hsmsConnections, N);
  const server = a.entities.find((e) => e.role === 'accepting')!;
  assert.equal(server.connections, N);
  assert.equal(server.clauses.get('E37-7.2.2')?.exercised, N, 'every Select.req judged');
  assert.deepEqual(findings(a), []);
  const growth = heap[1]! - heap[0]!;
  assert.ok(growth < 16 * 1024 * 1024, `heap grew ${(growth / 1048576).toFixed(1)} MiB from 10 000 to 100 000 connections`);
});

/**
 * N short connections (connect, select, separate, close), one after the other: one template
 * connection is synthesized, then copied with its client port, sequence numbers and times patched
 * (the reader does not verify checksums), so writing 100 000 of them takes a moment.
 */
function writeManyConnections(file: string, n: number): void {
  const CLIENT_PORT = 1024;
  const c = new ScriptedConnection({ address: '10.1.1.10', port: CLIENT_PORT }, { address: '10.1.1.20', port: PORT }, 0, 1000);
  const sel = selectReq(0, 1);
  c.open(0.01).send(true, [sel], 0.01).send(false, [selectRsp(sel.header, 0)], 0.01).send(true, [separateReq(0, 2)], 0.01).close(true, 0.01);
  const template = writePcap(c.packets).subarray(24);
  const span = c.t + 0.01;
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, writePcap([]));
  const batch = 1000;
  for (let first = 0; first < n; first += batch) {
    const out = Buffer.allocUnsafe(template.length * Math.min(batch, n - first));
    for (let k = 0; k < batch && first + k < n; k++) {
      const i = first + k;
      const base = k * template.length;
      template.copy(out, base);
      // Ports cycle, so a 4-tuple comes back: new sequence numbers make it a new connection.
      const port = CLIENT_PORT + (i % 60000);
      const shift = Math.floor(i / 60000) * 0x10000000;
      const micros = Math.round((T0 + i * span) * 1000);
      for (let at = base; at < base + template.length; ) {
        const len = out.readUInt32BE(at + 8);
        const t = micros + out.readUInt32BE(at) * 1e6 + out.readUInt32BE(at + 4);
        out.writeUInt32BE(Math.floor(t / 1e6), at);
        out.writeUInt32BE(t % 1e6, at + 4);
        const tcp = at + 16 + 34;
        const fromClient = out.readUInt16BE(tcp) === CLIENT_PORT;
        out.writeUInt16BE(port, fromClient ? tcp : tcp + 2);
        const seqAt = fromClient ? tcp + 4 : tcp + 8;
        out.writeUInt32BE((out.readUInt32BE(seqAt) + shift) >>> 0, seqAt);
        at += 16 + len;
      }
    }
    fs.writeSync(fd, out);
  }
  fs.closeSync(fd);
}

/** An analysis that reports each connection's end without keeping any of them. */
function analyzeFilesSampling(file: string, onEnd: () => void): AnalysisResult {
  const a = new TrafficAnalyzer({ ports: null, profiles: [], standard: 'e37', onConnection: onEnd });
  a.startSource(file);
  readCaptureFile(file, (p) => a.packet(p));
  return a.finish();
}
