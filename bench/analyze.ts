import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeFrame } from '../src/protocol/header';
import { dataMessage, linktestReq, linktestRsp, replyTo, selectReq, selectRsp } from '../src/protocol/messages';
import { ipBytes, pcapHeader, pcapRecord, TcpFlow } from '../src/report/pcap';
import { fmtBytes, fmtMBs, fmtRatio, seededRandom, type Row } from './util';

/**
 * `hsms-conformance analyze` on a large generated capture, side by side with Wireshark's HSMS
 * dissector on the same file (`tshark -r FILE -d tcp.port==P,hsms`, its default one-line-per-packet
 * output to /dev/null). Both run as child processes from a cold start; MB/s is capture file
 * bytes per second of wall time.
 *
 * The capture: one connection carrying a realistic mix (host primaries and replies, equipment
 * events of 100 B to 8 KiB, linktests), generated once as a block of messages and repeated with
 * its sequence numbers, system bytes and times shifted, so generating a gigabyte takes seconds.
 */

const PORT = 5000;
/** Offsets in a synthesized IPv4 Ethernet frame: TCP sequence and acknowledgement, HSMS system bytes. */
const SEQ = 14 + 20 + 4;
const ACK = 14 + 20 + 8;
const SYSTEM_BYTES = 14 + 20 + 20 + 4 + 6;

export function writeCapture(file: string, targetBytes: number): { bytes: number; messages: number } {
  const rnd = seededRandom(37);
  const flow = new TcpFlow({ ip: ipBytes('10.20.0.1'), port: 49200, isn: 1 }, { ip: ipBytes('10.20.0.2'), port: PORT, isn: 1_000_000 });
  const fd = fs.openSync(file, 'w');
  let t = Date.UTC(2026, 0, 15, 8, 0, 0);
  const put = (frames: readonly Buffer[]): void => {
    for (const f of frames) for (const b of pcapRecord(t, f)) fs.writeSync(fd, b);
    t += 0.05;
  };
  fs.writeSync(fd, pcapHeader());
  put(flow.handshake());
  const sel = selectReq(0, 1);
  put(flow.data(true, encodeFrame(sel)));
  put(flow.data(false, encodeFrame(selectRsp(sel.header, 0))));
  // One block: each message in its own segment, client and server frames tagged.
  const block: Array<{ frame: Buffer; fromClient: boolean }> = [];
  let clientBytes = 0;
  let serverBytes = 0;
  let sys = 2;
  const send = (fromClient: boolean, bytes: Buffer): void => {
    for (const frame of flow.data(fromClient, bytes)) block.push({ frame, fromClient });
    if (fromClient) clientBytes += bytes.length;
    else serverBytes += bytes.length;
  };
  let messages = 0;
  while (clientBytes + serverBytes < 4 * 1024 * 1024) {
    const r = rnd();
    if (r < 0.05) {
      const lt = linktestReq(sys++);
      send(true, encodeFrame(lt));
      send(false, encodeFrame(linktestRsp(lt.header)));
    } else if (r < 0.4) {
      const p = dataMessage({ sessionId: 0, stream: 2, function: 41, wBit: true, systemBytes: sys++, text: Buffer.alloc(64 + Math.floor(rnd() * 1024), 0x41) });
      send(true, encodeFrame(p));
      send(false, encodeFrame(replyTo(p.header, Buffer.from([0x21, 0x01, 0x00]))));
    } else {
      const e = dataMessage({ sessionId: 0, stream: 6, function: 11, wBit: true, systemBytes: 0x8000_0000 + sys++, text: Buffer.alloc(100 + Math.floor(rnd() * 8000), 0x42) });
      send(false, encodeFrame(e));
      send(true, encodeFrame(replyTo(e.header, Buffer.from([0x21, 0x01, 0x00]))));
    }
    messages += 2;
  }
  const span = sys;
  const blockBytes = block.reduce((n, b) => n + 16 + b.frame.length, 0);
  const blocks = Math.max(1, Math.floor(targetBytes / blockBytes));
  const out = Buffer.allocUnsafe(blockBytes);
  for (let k = 0; k < blocks; k++) {
    let at = 0;
    for (const b of block) {
      const f = b.frame;
      const [h] = pcapRecord(t, f);
      t += 0.01;
      h.copy(out, at);
      f.copy(out, at + 16);
      const frame = at + 16;
      // Shift this block's stream positions and system bytes past the previous blocks'.
      const own = b.fromClient ? clientBytes : serverBytes;
      const other = b.fromClient ? serverBytes : clientBytes;
      out.writeUInt32BE((out.readUInt32BE(frame + SEQ) + k * own) >>> 0, frame + SEQ);
      out.writeUInt32BE((out.readUInt32BE(frame + ACK) + k * other) >>> 0, frame + ACK);
      if (f.length >= SYSTEM_BYTES + 4) out.writeUInt32BE((out.readUInt32BE(frame + SYSTEM_BYTES) + k * span) >>> 0, frame + SYSTEM_BYTES);
      at += 16 + f.length;
    }
    fs.writeSync(fd, out);
  }
  fs.closeSync(fd);
  return { bytes: fs.statSync(file).size, messages: messages * blocks };
}

function timed(cmd: string, args: readonly string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 1024 * 1024 * 1024, timeout: 30 * 60_000 }, (err) => (err && err.code !== 1 ? reject(err) : resolve(performance.now() - started)));
  });
}

export async function benchAnalyze(targetMB: number): Promise<{ rows: Row[]; notes: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-analyze-'));
  try {
    const file = path.join(dir, 'large.pcap');
    const { bytes, messages } = writeCapture(file, targetMB * 1024 * 1024);
    const cli = path.join(__dirname, '..', '..', 'bin', 'hsms-conformance.js');
    const ours = await timed(process.execPath, [cli, 'analyze', file, '--port', String(PORT), '--report-dir', path.join(dir, 'reports')]);
    const theirs = await timed('sh', ['-c', `tshark -r '${file}' -d tcp.port==${PORT},hsms > /dev/null 2>&1`]);
    const rate = bytes / (ours / 1000);
    const ref = bytes / (theirs / 1000);
    return {
      rows: [
        {
          section: 'analyze',
          figure: `analyze throughput, ${fmtBytes(bytes)} pcap, ${(messages / 1e6).toFixed(2)} M messages`,
          value: `${fmtMBs(rate)} (${(ours / 1000).toFixed(1)} s)`,
          reference: `tshark -d tcp.port==${PORT},hsms ${fmtMBs(ref)} (${(theirs / 1000).toFixed(1)} s)`,
          ratio: `${fmtRatio(rate / ref)} tshark`,
          target: 'faster than tshark',
          status: rate > ref ? 'met' : 'missed',
        },
      ],
      notes: [`analyze bench capture: ${fmtBytes(bytes)} (BENCH_ANALYZE_MB=${targetMB}), one HSMS connection, data messages of 14 B to 8 KiB, both tools started cold as child processes`],
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
