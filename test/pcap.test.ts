import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildPcap, checksum, MAX_SEGMENT, type PcapBytes, type PcapEndpoints } from '../src/report/pcap';
import { encodeFrame } from '../src/protocol/header';
import { dataMessage, linktestReq, linktestRsp, selectReq, selectRsp, separateReq } from '../src/protocol/messages';
import { A, L, U4, encodeItem } from '../src/protocol/secs2';

/** Two connections, both directions: frames split across chunks, several in one chunk, one larger than a segment. */
function scenario(): { chunks: PcapBytes[]; endpoints: Map<string, PcapEndpoints>; stypes: number[] } {
  const sel = selectReq(0, 1);
  const s1f1 = dataMessage({ sessionId: 0, stream: 1, function: 1, wBit: true, systemBytes: 2 });
  const s1f2 = dataMessage({ sessionId: 0, stream: 1, function: 2, wBit: false, systemBytes: 2, text: encodeItem(L(A('MDLN-<script>'), A('1.0'))) });
  const big = dataMessage({ sessionId: 0, stream: 6, function: 11, wBit: false, systemBytes: 3, text: encodeItem(L(U4(...Array.from({ length: 40000 }, (_, i) => i)))) });
  const lt = linktestReq(4);
  const chunks: PcapBytes[] = [];
  const stypes: number[] = [];
  const push = (t: number, conn: string, dir: 'in' | 'out', frames: ReturnType<typeof selectReq>[], split?: number): void => {
    const bytes = Buffer.concat(frames.map(encodeFrame));
    for (const f of frames) stypes.push(f.header.sType);
    if (split === undefined) chunks.push({ t, conn, dir, bytes });
    else chunks.push({ t, conn, dir, bytes: bytes.subarray(0, split) }, { t: t + 0.5, conn, dir, bytes: bytes.subarray(split) });
  };
  push(1, 'main', 'out', [sel], 2); // length prefix split over two chunks
  push(2, 'main', 'in', [selectRsp(sel.header, 0)]);
  push(3, 'main', 'out', [s1f1, lt]); // two frames in one chunk
  push(4, 'main', 'in', [s1f2, linktestRsp(lt.header)]);
  push(5, 'main', 'in', [big]); // > MAX_SEGMENT bytes
  push(6, 'second', 'in', [selectReq(0, 9)]);
  push(7, 'second', 'out', [separateReq(0, 10)]);
  const endpoints = new Map<string, PcapEndpoints>([
    ['main', { testerPort: 40001, iutPort: 5555, testerInitiated: true }],
    ['second', { testerPort: 6666, iutPort: 40002, testerInitiated: false }],
  ]);
  return { chunks, endpoints, stypes };
}

test('pcap: libpcap header, Ethernet/IPv4/TCP framing with valid checksums and handshakes', () => {
  const { chunks, endpoints } = scenario();
  const pcap = buildPcap({ chunks, endpoints, origin: Date.UTC(2026, 0, 1) });
  assert.equal(pcap.readUInt32BE(0), 0xa1b2c3d4);
  assert.equal(pcap.readUInt32BE(20), 1, 'linktype Ethernet');
  let off = 24;
  const flags: number[] = [];
  let maxPayload = 0;
  while (off < pcap.length) {
    const len = pcap.readUInt32BE(off + 8);
    const frame = pcap.subarray(off + 16, off + 16 + len);
    off += 16 + len;
    assert.equal(frame.readUInt16BE(12), 0x0800);
    const ip = frame.subarray(14, 34);
    assert.equal(checksum([ip]), 0, 'IPv4 header checksum');
    const total = ip.readUInt16BE(2);
    assert.ok(total <= 65535);
    const tcp = frame.subarray(34, 14 + total);
    const pseudo = Buffer.alloc(12);
    ip.copy(pseudo, 0, 12, 20);
    pseudo.writeUInt8(6, 9);
    pseudo.writeUInt16BE(tcp.length, 10);
    assert.equal(checksum([pseudo, tcp]), 0, 'TCP checksum');
    flags.push(tcp.readUInt8(13));
    maxPayload = Math.max(maxPayload, tcp.length - 20);
  }
  assert.equal(off, pcap.length);
  assert.deepEqual(flags.slice(0, 3), [0x02, 0x12, 0x10], 'SYN, SYN-ACK, ACK');
  assert.equal(flags.filter((f) => f & 0x01).length, 4, 'FIN from both ends of both connections');
  assert.equal(maxPayload, MAX_SEGMENT, 'the large message is split at the segment limit');
});

function haveTshark(): boolean {
  return spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
}

test('pcap: tshark decodes every HSMS message in order, none malformed', { skip: haveTshark() ? false : 'tshark is not installed (.ci/run installs it)' }, () => {
  const { chunks, endpoints, stypes } = scenario();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-'));
  const file = path.join(dir, 'scenario.pcap');
  fs.writeFileSync(file, buildPcap({ chunks, endpoints, origin: Date.UTC(2026, 0, 1) }));
  const args = ['-r', file, '-d', 'tcp.port==5555,hsms', '-d', 'tcp.port==6666,hsms'];
  const fields = execFileSync('tshark', [...args, '-T', 'fields', '-e', 'hsms.header.stype', '-e', 'hsms.header.stream', '-e', 'hsms.header.function'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const decoded = fields
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => l.split('\t')[0]!.split(','))
    .filter((s) => s !== '')
    .map(Number);
  assert.deepEqual(decoded, stypes);
  const malformed = execFileSync('tshark', [...args, '-Y', '_ws.malformed || tcp.analysis.flags'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  assert.equal(malformed.trim(), '', 'no malformed packet and no TCP analysis warning');
  const text = execFileSync('tshark', [...args, '-T', 'fields', '-e', 'hsms.data.item.value.string'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  assert.match(text, /MDLN-<script>/, 'the SECS-II body is decoded');
  fs.rmSync(dir, { recursive: true, force: true });
});
