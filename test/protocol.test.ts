import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HEADER_LENGTH, LENGTH_PREFIX, LINKTEST_SESSION_ID, PType, RejectReason, SType } from '../src/protocol/constants';
import {
  decodeFrame,
  encodeFrame,
  functionCode,
  isDataHeader,
  isPrimary,
  readHeader,
  stream,
  wBit,
  writeHeader,
  type Frame,
  type Header,
} from '../src/protocol/header';
import {
  dataMessage,
  deselectReq,
  deselectRsp,
  linktestReq,
  linktestRsp,
  rejectReq,
  replyTo,
  selectReq,
  selectRsp,
  separateReq,
} from '../src/protocol/messages';
import { FrameDecoder, type DecodeOutput } from '../src/protocol/frame-decoder';

const SEED = 0xe37;
const RUNS = 300;
const run = <T>(arb: fc.Arbitrary<T>, check: (v: T) => void, numRuns = RUNS): void => {
  fc.assert(fc.property(arb, check), { seed: SEED, numRuns });
};

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
// fc.record builds null-prototype objects; spread them into plain ones so that deepStrictEqual
// compares them with the decoder's output on values alone.
const headerArb: fc.Arbitrary<Header> = fc
  .record({ sessionId: u16, byte2: u8, byte3: u8, pType: u8, sType: u8, systemBytes: u32 })
  .map((h) => ({ ...h }));
const frameArb: fc.Arbitrary<Frame> = fc
  .record({ header: headerArb, text: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) })
  .map((f) => ({ ...f }));

const MiB = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

function frames(outputs: DecodeOutput[]): Frame[] {
  return outputs.map((o) => {
    assert.equal(o.kind, 'frame', o.kind === 'error' ? o.error.message : '');
    if (o.kind !== 'frame') throw new Error('unreachable');
    return o.frame;
  });
}

/** Splits `bytes` at the given offsets (any order, duplicates and 0 allowed). */
function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  return chunks;
}

function decodeAll(chunks: readonly Buffer[], maxLength = 16 * MiB): DecodeOutput[] {
  const decoder = new FrameDecoder({ maxLength });
  return chunks.flatMap((c) => decoder.push(c));
}

function prefix(length: number): Buffer {
  const b = Buffer.alloc(LENGTH_PREFIX);
  b.writeUInt32BE(length >>> 0, 0);
  return b;
}

/** Sizes of every Buffer allocation made while `fn` runs (Buffer's allocators are restored after). */
function recordAllocations(fn: () => void): number[] {
  const sizes: number[] = [];
  const { alloc, allocUnsafe, allocUnsafeSlow } = Buffer;
  Buffer.allocUnsafe = (size: number) => (sizes.push(size), allocUnsafe(size));
  Buffer.allocUnsafeSlow = (size: number) => (sizes.push(size), allocUnsafeSlow(size));
  Buffer.alloc = ((size: number, fill?: string | Buffer | number, encoding?: BufferEncoding) => (sizes.push(size), alloc(size, fill, encoding))) as typeof Buffer.alloc;
  try {
    fn();
  } finally {
    Buffer.alloc = alloc;
    Buffer.allocUnsafe = allocUnsafe;
    Buffer.allocUnsafeSlow = allocUnsafeSlow;
  }
  return sizes;
}

function expectHeader(frame: Frame, expected: Header): void {
  assert.deepStrictEqual(frame.header, expected);
}

describe('header codec (E37-8.1.4)', () => {
  test('writeHeader / readHeader round-trip every field value at any offset', () => {
    run(fc.tuple(headerArb, fc.integer({ min: 0, max: 16 })), ([h, offset]) => {
      const buf = Buffer.alloc(offset + HEADER_LENGTH + 3, 0xee);
      writeHeader(buf, offset, h);
      assert.deepStrictEqual(readHeader(buf, offset), h);
      // Nothing outside the ten header bytes is touched.
      assert.ok(buf.subarray(0, offset).every((b) => b === 0xee));
      assert.ok(buf.subarray(offset + HEADER_LENGTH).every((b) => b === 0xee));
    });
  });

  test('encodeFrame / decodeFrame round-trip; the length prefix counts header plus text (E37-8.1.3)', () => {
    run(frameArb, (frame) => {
      const bytes = encodeFrame(frame);
      assert.equal(bytes.length, LENGTH_PREFIX + HEADER_LENGTH + frame.text.length);
      assert.equal(bytes.readUInt32BE(0), HEADER_LENGTH + frame.text.length);
      assert.deepStrictEqual(decodeFrame(bytes), frame);
    });
  });

  test('byte layout: length, session id, bytes 2-5, system bytes, all MSB first (E37-8.1.2, 8.1.4)', () => {
    const bytes = encodeFrame({
      header: { sessionId: 0x1234, byte2: 0x81, byte3: 0x0d, pType: 0x00, sType: 0x00, systemBytes: 0xdeadbeef },
      text: Buffer.from([0x01, 0x00]),
    });
    assert.deepStrictEqual(bytes, Buffer.from('0000000c 1234 81 0d 00 00 deadbeef 0100'.replace(/ /g, ''), 'hex'));
  });

  test('readHeader needs 10 bytes; decodeFrame needs a length that matches the bytes', () => {
    assert.throws(() => readHeader(Buffer.alloc(9)), RangeError);
    assert.throws(() => readHeader(Buffer.alloc(12), 3), RangeError);
    assert.throws(() => decodeFrame(Buffer.alloc(13)), RangeError);
    const ok = encodeFrame(selectReq(1, 2));
    const wrong = Buffer.from(ok);
    wrong.writeUInt32BE(11, 0);
    assert.throws(() => decodeFrame(wrong), RangeError);
    assert.throws(() => decodeFrame(Buffer.concat([ok, Buffer.of(0)])), RangeError);
  });

  test('W-bit, stream, function and primary/reply from bytes 2 and 3 (E37-8.2.1)', () => {
    run(headerArb, (h) => {
      assert.equal(wBit(h), h.byte2 >= 0x80);
      assert.equal(stream(h), h.byte2 % 0x80);
      assert.equal(functionCode(h), h.byte3);
      assert.equal(isPrimary(h), h.byte3 % 2 === 1);
      assert.equal(isDataHeader(h), h.sType === 0);
    });
  });
});

describe('message constructors give the header values of the E37-8.2 table', () => {
  const control = (sessionId: number, byte2: number, byte3: number, sType: SType, systemBytes: number): Header => ({
    sessionId,
    byte2,
    byte3,
    pType: PType.SecsII,
    sType,
    systemBytes,
  });

  /** E37-8.2.2 to 8.2.9: every control message is header only, message length 10. */
  function expectControl(frame: Frame, expected: Header): void {
    expectHeader(frame, expected);
    assert.equal(frame.text.length, 0);
    assert.equal(encodeFrame(frame).readUInt32BE(0), 10);
  }

  test('Select.req (E37-8.2.2): SType 1, bytes 2 and 3 zero', () => {
    run(fc.tuple(u16, u32), ([s, sys]) => expectControl(selectReq(s, sys), control(s, 0, 0, SType.SelectReq, sys)));
  });

  test('Select.rsp (E37-8.2.3): session id and system bytes of the Select.req, status in byte 3', () => {
    run(fc.tuple(headerArb, u8), ([req, status]) =>
      expectControl(selectRsp(req, status), control(req.sessionId, 0, status, SType.SelectRsp, req.systemBytes)),
    );
  });

  test('Deselect.req (E37-8.2.4): SType 3', () => {
    run(fc.tuple(u16, u32), ([s, sys]) => expectControl(deselectReq(s, sys), control(s, 0, 0, SType.DeselectReq, sys)));
  });

  test('Deselect.rsp (E37-8.2.5): session id and system bytes of the Deselect.req, status in byte 3', () => {
    run(fc.tuple(headerArb, u8), ([req, status]) =>
      expectControl(deselectRsp(req, status), control(req.sessionId, 0, status, SType.DeselectRsp, req.systemBytes)),
    );
  });

  test('Linktest.req (E37-8.2.6): session id 0xFFFF', () => {
    run(u32, (sys) => expectControl(linktestReq(sys), control(0xffff, 0, 0, SType.LinktestReq, sys)));
    assert.equal(LINKTEST_SESSION_ID, 0xffff);
  });

  test('Linktest.rsp (E37-8.2.7): session id 0xFFFF whatever the request carried, system bytes of the request', () => {
    run(headerArb, (req) => expectControl(linktestRsp(req), control(0xffff, 0, 0, SType.LinktestRsp, req.systemBytes)));
  });

  test('Reject.req (E37-8.2.8): byte 2 is the PType for reason 2, else the SType; session id and system bytes of the rejected message', () => {
    run(fc.tuple(headerArb, fc.integer({ min: 1, max: 255 })), ([rejected, reason]) => {
      const byte2 = reason === 2 ? rejected.pType : rejected.sType;
      expectControl(rejectReq(rejected, reason), control(rejected.sessionId, byte2, reason, SType.RejectReq, rejected.systemBytes));
    });
    // The two cases side by side on one message whose PType and SType differ.
    const odd: Header = { sessionId: 7, byte2: 0, byte3: 0, pType: 5, sType: 11, systemBytes: 99 };
    assert.equal(rejectReq(odd, RejectReason.PTypeNotSupported).header.byte2, 5);
    assert.equal(rejectReq(odd, RejectReason.STypeNotSupported).header.byte2, 11);
    assert.equal(rejectReq(odd, RejectReason.TransactionNotOpen).header.byte2, 11);
    assert.equal(rejectReq(odd, RejectReason.EntityNotSelected).header.byte2, 11);
  });

  test('Separate.req (E37-8.2.9): as Deselect.req but SType 9', () => {
    run(fc.tuple(u16, u32), ([s, sys]) => {
      expectControl(separateReq(s, sys), control(s, 0, 0, SType.SeparateReq, sys));
      assert.deepStrictEqual({ ...separateReq(s, sys).header, sType: SType.DeselectReq }, deselectReq(s, sys).header);
    });
  });

  test('data message (E37-8.2.1): W-bit in bit 7 of byte 2, stream in bits 6-0, function in byte 3, PType and SType 0', () => {
    const fields = fc.record({
      sessionId: u16,
      stream: fc.integer({ min: 0, max: 127 }),
      function: u8,
      wBit: fc.boolean(),
      systemBytes: u32,
      text: fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b)),
    });
    run(fields, (f) => {
      const frame = dataMessage(f);
      expectHeader(frame, {
        sessionId: f.sessionId,
        byte2: (f.wBit ? 128 : 0) + f.stream,
        byte3: f.function,
        pType: 0,
        sType: 0,
        systemBytes: f.systemBytes,
      });
      assert.deepStrictEqual(frame.text, f.text);
      assert.equal(wBit(frame.header), f.wBit);
      assert.equal(stream(frame.header), f.stream);
    });
    assert.equal(dataMessage({ sessionId: 0, stream: 1, function: 1, wBit: true, systemBytes: 1 }).text.length, 0);
  });

  test('data message: stream and function outside their fields are refused', () => {
    const base = { sessionId: 0, stream: 1, function: 1, wBit: false, systemBytes: 0 };
    assert.throws(() => dataMessage({ ...base, stream: 128 }), RangeError);
    assert.throws(() => dataMessage({ ...base, stream: -1 }), RangeError);
    assert.throws(() => dataMessage({ ...base, function: 256 }), RangeError);
    assert.throws(() => dataMessage({ ...base, function: -1 }), RangeError);
  });

  test('replyTo (E37-8.1.4.6, 8.2.1): same session id, stream and system bytes, W-bit 0, function + 1 or 0', () => {
    const primaryArb = fc.record({
      sessionId: u16,
      stream: fc.integer({ min: 0, max: 127 }),
      // Primary messages have odd functions (E37-8.2.1).
      function: fc.integer({ min: 0, max: 126 }).map((n) => 2 * n + 1),
      wBit: fc.boolean(),
      systemBytes: u32,
    });
    run(fc.tuple(primaryArb, fc.uint8Array({ maxLength: 16 })), ([p, raw]) => {
      const primary = dataMessage(p).header;
      const text = Buffer.from(raw);
      const reply = replyTo(primary, text);
      expectHeader(reply, { sessionId: p.sessionId, byte2: p.stream, byte3: p.function + 1, pType: 0, sType: 0, systemBytes: p.systemBytes });
      assert.deepStrictEqual(reply.text, text);
      assert.equal(isPrimary(reply.header), false);
      const zero = replyTo(primary, EMPTY, true);
      expectHeader(zero, { sessionId: p.sessionId, byte2: p.stream, byte3: 0, pType: 0, sType: 0, systemBytes: p.systemBytes });
      assert.equal(zero.text.length, 0);
    });
    assert.equal(replyTo(dataMessage({ sessionId: 0, stream: 1, function: 1, wBit: true, systemBytes: 5 }).header).text.length, 0);
  });
});

describe('FrameDecoder (E37-8.1)', () => {
  test('chunking invariance: any split of any frame sequence decodes to the same frames', () => {
    const arb = fc.tuple(fc.array(frameArb, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 40 }));
    run(arb, ([input, cuts]) => {
      const bytes = Buffer.concat(input.map(encodeFrame));
      assert.deepStrictEqual(frames(decodeAll(split(bytes, cuts))), input);
    });
  });

  test('chunking invariance with 1-byte chunks, and with every cut inside each length prefix', () => {
    run(
      fc.array(frameArb, { minLength: 1, maxLength: 5 }),
      (input) => {
        const encoded = input.map(encodeFrame);
        const bytes = Buffer.concat(encoded);
        const ones = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
        assert.deepStrictEqual(frames(decodeAll(ones)), input);
        let start = 0;
        for (const e of encoded) {
          for (const inside of [1, 2, 3]) {
            assert.deepStrictEqual(frames(decodeAll(split(bytes, [start + inside]))), input);
          }
          // Cut after 1 byte, then after 3 more (whole prefix in two pieces, header in the third).
          assert.deepStrictEqual(frames(decodeAll(split(bytes, [start + 1, start + 4, start + 9]))), input);
          start += e.length;
        }
      },
      100,
    );
  });

  test('hasPartialMessage and partialBytes follow the message boundaries exactly (what T8 times, E37-9.2.3)', () => {
    const arb = fc.tuple(fc.array(frameArb, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 30 }));
    run(arb, ([input, cuts]) => {
      const encoded = input.map(encodeFrame);
      const boundaries: number[] = [0];
      for (const e of encoded) boundaries.push(boundaries[boundaries.length - 1]! + e.length);
      const decoder = new FrameDecoder({ maxLength: MiB });
      assert.equal(decoder.hasPartialMessage, false);
      let consumed = 0;
      let decoded = 0;
      for (const chunk of split(Buffer.concat(encoded), cuts)) {
        decoded += frames(decoder.push(chunk)).length;
        consumed += chunk.length;
        const lastBoundary = Math.max(...boundaries.filter((b) => b <= consumed));
        assert.equal(decoder.hasPartialMessage, consumed !== lastBoundary, `after ${consumed} bytes`);
        assert.equal(decoder.partialBytes, consumed - lastBoundary);
        assert.equal(decoded, boundaries.indexOf(lastBoundary));
      }
      assert.equal(decoder.hasPartialMessage, false);
    });
  });

  test('hasPartialMessage is true from the first prefix byte to the last message byte', () => {
    const bytes = encodeFrame(selectReq(1, 1));
    const decoder = new FrameDecoder({ maxLength: MiB });
    for (let i = 0; i < bytes.length - 1; i++) {
      assert.deepStrictEqual(decoder.push(bytes.subarray(i, i + 1)), []);
      assert.equal(decoder.hasPartialMessage, true, `after byte ${i}`);
    }
    assert.equal(frames(decoder.push(bytes.subarray(bytes.length - 1))).length, 1);
    assert.equal(decoder.hasPartialMessage, false);
  });

  test('a message length below 10 is the error length-too-small (E37-8.1.3)', () => {
    for (let length = 0; length < 10; length++) {
      for (const chunks of [[prefix(length)], [...prefix(length)].map((b) => Buffer.of(b))]) {
        const decoder = new FrameDecoder({ maxLength: MiB });
        const outputs = chunks.flatMap((c) => decoder.push(c));
        assert.equal(outputs.length, 1);
        const out = outputs[0]!;
        assert.equal(out.kind, 'error');
        if (out.kind !== 'error') return;
        assert.equal(out.error.code, 'length-too-small');
        assert.equal(out.error.length, length);
        assert.equal(out.error.limit, 10);
        assert.equal(decoder.isFailed, true);
      }
    }
  });

  test('a length of exactly 10 (header only) is a message', () => {
    const out = decodeAll([encodeFrame(linktestReq(3))]);
    assert.deepStrictEqual(frames(out), [linktestReq(3)]);
  });

  test('0xFFFFFFFF with maxLength 1 MiB is length-too-large from the 4 prefix bytes alone, with no large allocation', () => {
    const sizes = recordAllocations(() => {
      for (const chunks of [[prefix(0xffffffff)], [...prefix(0xffffffff)].map((b) => Buffer.of(b))]) {
        const decoder = new FrameDecoder({ maxLength: MiB });
        const outputs: DecodeOutput[] = [];
        for (const [i, c] of chunks.entries()) {
          const out = decoder.push(c);
          // Nothing before the fourth byte, the error on it.
          assert.equal(out.length, i === chunks.length - 1 ? 1 : 0);
          outputs.push(...out);
        }
        const out = outputs[0]!;
        assert.equal(out.kind, 'error');
        if (out.kind !== 'error') return;
        assert.equal(out.error.code, 'length-too-large');
        assert.equal(out.error.length, 0xffffffff);
        assert.equal(out.error.limit, MiB);
        assert.equal(decoder.hasPartialMessage, false);
      }
    });
    assert.ok(sizes.every((s) => s <= 64), `allocations: ${sizes.join(', ')}`);
  });

  test('0xFFFFFFFF accepted (maxLength 0xFFFFFFFF): memory follows the bytes that arrive, never the announced length', () => {
    // The header and 64 KiB of text of a message announcing 4 GiB - 1, in chunks of every size.
    const head = Buffer.concat([prefix(0xffffffff), encodeFrame(dataMessage({ sessionId: 1, stream: 6, function: 11, wBit: false, systemBytes: 1 })).subarray(4)]);
    const chunks = [head.subarray(0, 2), head.subarray(2, 9), head.subarray(9), Buffer.alloc(1, 7), Buffer.alloc(1000, 7), Buffer.alloc(64 * 1024 - 1001, 7)];
    const arrived = chunks.reduce((n, c) => n + c.length, 0);
    const decoder = new FrameDecoder({ maxLength: 0xffffffff });
    const buffersBefore = process.memoryUsage().arrayBuffers;
    const sizes = recordAllocations(() => {
      for (const c of chunks) assert.deepStrictEqual(decoder.push(c), []);
    });
    const grown = process.memoryUsage().arrayBuffers - buffersBefore;
    assert.equal(decoder.hasPartialMessage, true);
    assert.equal(decoder.partialBytes, arrived);
    // At most twice what arrived, by any allocation route (Buffer or bare ArrayBuffer).
    assert.ok(sizes.reduce((n, s) => n + s, 0) <= 2 * arrived, `allocations: ${sizes.join(', ')}`);
    assert.ok(grown <= 2 * arrived + MiB, `arrayBuffers grew by ${grown} bytes`);
  });

  test('maxLength is inclusive: length = maxLength decodes, maxLength + 1 is length-too-large', () => {
    const text = Buffer.alloc(90, 1);
    const frame = dataMessage({ sessionId: 1, stream: 1, function: 1, wBit: true, systemBytes: 1, text });
    assert.deepStrictEqual(frames(decodeAll([encodeFrame(frame)], 100)), [frame]);
    const [out] = decodeAll([encodeFrame(frame)], 99);
    assert.equal(out?.kind === 'error' && out.error.code, 'length-too-large');
  });

  test('frames before a framing error are delivered, nothing after it ever is', () => {
    const before = selectReq(1, 1);
    const after = linktestReq(2);
    const bytes = Buffer.concat([encodeFrame(before), prefix(3), encodeFrame(after)]);
    const decoder = new FrameDecoder({ maxLength: MiB });
    const out = decoder.push(bytes);
    assert.equal(out.length, 2);
    assert.deepStrictEqual(out[0], { kind: 'frame', frame: before });
    assert.equal(out[1]?.kind === 'error' && out[1].error.code, 'length-too-small');
    assert.deepStrictEqual(decoder.push(encodeFrame(after)), []);
    assert.deepStrictEqual(decoder.push(prefix(0xffffffff)), []);
    assert.equal(decoder.isFailed, true);
    assert.equal(decoder.hasPartialMessage, false);
  });

  test('an error prefix split over chunks after a partial frame still stops the decoder', () => {
    run(fc.array(fc.nat(), { maxLength: 10 }), (cuts) => {
      const bytes = Buffer.concat([encodeFrame(selectReq(1, 1)), prefix(2 * MiB), Buffer.alloc(50), encodeFrame(linktestReq(1))]);
      const out = decodeAll(split(bytes, cuts), MiB);
      assert.deepStrictEqual(
        out.map((o) => (o.kind === 'frame' ? 'frame' : o.error.code)),
        ['frame', 'length-too-large'],
      );
    });
  });

  test('a Select.req followed by a data message in the same chunk gives both frames', () => {
    const select = selectReq(0, 1);
    const data = dataMessage({ sessionId: 0, stream: 1, function: 1, wBit: true, systemBytes: 2, text: Buffer.from([0x01, 0x00]) });
    const bytes = Buffer.concat([encodeFrame(select), encodeFrame(data)]);
    assert.deepStrictEqual(frames(decodeAll([bytes])), [select, data]);
    // And with the data message completed by a later chunk.
    const decoder = new FrameDecoder({ maxLength: MiB });
    assert.deepStrictEqual(frames(decoder.push(bytes.subarray(0, 20))), [select]);
    assert.equal(decoder.hasPartialMessage, true);
    assert.deepStrictEqual(frames(decoder.push(bytes.subarray(20))), [data]);
  });

  test('an 8 MiB message fed in 1000-byte chunks decodes to the same bytes', () => {
    const text = Buffer.alloc(8 * MiB);
    for (let i = 0; i < text.length; i += 4) text.writeUInt32BE(i, i);
    const frame = dataMessage({ sessionId: 9, stream: 6, function: 11, wBit: true, systemBytes: 0xabcdef01, text });
    const bytes = Buffer.concat([encodeFrame(frame), encodeFrame(linktestReq(7))]);
    const decoder = new FrameDecoder({ maxLength: 16 * MiB });
    const out: Frame[] = [];
    for (let i = 0; i < bytes.length; i += 1000) out.push(...frames(decoder.push(bytes.subarray(i, i + 1000))));
    assert.equal(out.length, 2);
    assert.deepStrictEqual(out[0]!.header, frame.header);
    assert.ok(out[0]!.text.equals(text));
    assert.deepStrictEqual(out[1], linktestReq(7));
    assert.equal(decoder.hasPartialMessage, false);
  });

  test('the constructor refuses a maxLength below 10, above 2^32 - 1 or not an integer', () => {
    for (const bad of [9, 0, -1, 2 ** 32, 10.5, Number.NaN]) {
      assert.throws(() => new FrameDecoder({ maxLength: bad }), RangeError, String(bad));
    }
    assert.doesNotThrow(() => new FrameDecoder({ maxLength: 10 }));
  });

  test('empty chunks change nothing', () => {
    const decoder = new FrameDecoder({ maxLength: MiB });
    assert.deepStrictEqual(decoder.push(EMPTY), []);
    const bytes = encodeFrame(selectReq(1, 1));
    decoder.push(bytes.subarray(0, 2));
    assert.deepStrictEqual(decoder.push(EMPTY), []);
    assert.equal(decoder.partialBytes, 2);
    assert.deepStrictEqual(frames(decoder.push(bytes.subarray(2))), [selectReq(1, 1)]);
  });
});
