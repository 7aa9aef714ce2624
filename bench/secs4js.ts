import * as net from 'node:net';
import { HsmsCommunicator, HsmsMessage, HsmsPassiveCommunicator, L } from 'secs4js';

/**
 * The comparison peer: secs4js (npm), an ESM package loaded through Node's require(esm)
 * (Node >= 20.19).
 *
 * secs4js has no standalone HSMS decoder. Framing lives in the private method
 * `HsmsCommunicator.prototype.processBuffer`, fed by the socket 'data' handler that
 * `handleSocketEvents` installs: `this.buffer = Buffer.concat([this.buffer, data])`, then
 * `processBuffer()` reads the 4-byte length, waits for `4 + length` bytes, slices the message and
 * parses it with `HsmsMessage.fromBuffer` (header fields plus the SECS-II body, through
 * `Secs2ItemParser`), then hands it to `processHsmsMessage`.
 *
 * `Secs4jsDecoder` runs exactly that code (`processBuffer` and `HsmsMessage.fromBuffer` of the
 * installed package, called on a minimal host object) and reproduces the two lines of the data
 * handler. Left out: the socket, the T8 timer reset per chunk and the logger (secs4js disables it
 * by default, so its calls are no-ops anyway). The host's `processHsmsMessage` only counts, where
 * secs4js would dispatch the message. This favours secs4js slightly.
 */

interface FramingHost {
  buffer: Buffer;
  socket: null;
  logger: { logBytes(direction: string, protocol: string, buffer: Buffer, meta?: Record<string, unknown>): void };
  emit(event: string, error: Error): boolean;
  processHsmsMessage(msg: HsmsMessage): void;
}

type ProcessBuffer = (this: FramingHost) => void;

const processBuffer: ProcessBuffer = (HsmsCommunicator.prototype as unknown as { processBuffer: ProcessBuffer }).processBuffer;
if (typeof processBuffer !== 'function') throw new Error('secs4js: HsmsCommunicator.prototype.processBuffer not found; the adapter needs updating for this version');

export class Secs4jsDecoder {
  frames = 0;
  errors = 0;
  /** Sum of the system bytes of the decoded messages, so nothing can be optimised away. */
  check = 0;
  private readonly host: FramingHost;

  constructor() {
    const self = this;
    this.host = {
      buffer: Buffer.alloc(0),
      socket: null,
      logger: { logBytes: () => undefined },
      emit: () => {
        self.errors++;
        return true;
      },
      processHsmsMessage: (msg) => {
        self.frames++;
        self.check = (self.check + msg.systemBytes) >>> 0;
      },
    };
  }

  /** Bytes held by secs4js's accumulation buffer. */
  get buffered(): number {
    return this.host.buffer.length;
  }

  /** The two lines of secs4js's socket 'data' handler (HsmsCommunicator.handleSocketEvents). */
  push(chunk: Buffer): void {
    this.host.buffer = Buffer.concat([this.host.buffer, chunk]);
    processBuffer.call(this.host);
  }
}

/**
 * A secs4js passive HSMS-SS communicator that answers S1F1 W with S1F2 <L[0]>, as the reference
 * peer's default responder does. Resolves with the port it listens on.
 */
export async function startSecs4jsResponder(): Promise<{ port: number; close(): Promise<void> }> {
  const port = await freePort();
  const comm = new HsmsPassiveCommunicator({
    ip: '127.0.0.1',
    port,
    deviceId: 0,
    isEquip: true,
    name: 'bench-secs4js',
    timeoutT3: 45,
    timeoutT6: 5,
    timeoutT7: 10,
    timeoutT8: 5,
  });
  comm.on('message', (msg) => {
    if (msg.stream === 1 && msg.func === 1 && msg.wBit) void comm.reply(msg, 1, 2, L()).catch(() => undefined);
  });
  comm.on('error', () => undefined);
  await comm.open();
  return { port, close: () => comm.close() };
}

/** A port free on 127.0.0.1 now (secs4js listens on a configured port and does not report port 0's). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
