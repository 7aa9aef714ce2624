import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  A,
  B,
  BOOLEAN,
  C,
  F4,
  F8,
  FORMAT_CODES,
  I1,
  I2,
  I4,
  I8,
  J,
  L,
  Secs2DecodeError,
  U1,
  U2,
  U4,
  U8,
  decodeItem,
  describeText,
  encodeItem,
  encodedLength,
  formatItem,
  tryDecodeItem,
  type Item,
  type ItemType,
  type Secs2ErrorCode,
} from '../src/protocol/secs2';
import { parseItem, Secs2TextError } from '../src/protocol/secs2-text';

/*
 * SECS-II is the text of every PType 0 data message (E37-8.1.4.4, E37-8.2.1). The harness
 * builds texts with this codec and describes the IUT's texts with it, so decoding must survive
 * anything the IUT sends.
 */

const SEED = 0x5ec52;
const RUNS = 300;
const run = <T>(arb: fc.Arbitrary<T>, check: (v: T) => void, numRuns = RUNS): void => {
  fc.assert(fc.property(arb, check), { seed: SEED, numRuns });
};

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// --- arbitraries, one per format so that each is exercised on its own ---------------------------

const N = 12;
const ints = (min: number, max: number) => fc.array(fc.integer({ min, max }), { maxLength: N });
const leafArbs: Record<Exclude<ItemType, 'L'>, fc.Arbitrary<Item>> = {
  B: fc.uint8Array({ maxLength: 40 }).map((b) => B(b)),
  BOOLEAN: fc.array(fc.boolean(), { maxLength: N }).map((v) => BOOLEAN(...v)),
  // One character per byte: every latin1 code point, control characters included.
  A: fc.string({ unit: 'binary-ascii', maxLength: 40 }).map(A),
  J: fc.string({ unit: 'binary-ascii', maxLength: 40 }).map(J),
  C: fc.uint8Array({ maxLength: 40 }).map((b) => C(b)),
  I1: ints(-0x80, 0x7f).map((v) => I1(...v)),
  I2: ints(-0x8000, 0x7fff).map((v) => I2(...v)),
  I4: ints(-0x80000000, 0x7fffffff).map((v) => I4(...v)),
  I8: fc.array(fc.bigInt(-(1n << 63n), (1n << 63n) - 1n), { maxLength: N }).map((v) => I8(...v)),
  U1: ints(0, 0xff).map((v) => U1(...v)),
  U2: ints(0, 0xffff).map((v) => U2(...v)),
  U4: ints(0, 0xffffffff).map((v) => U4(...v)),
  U8: fc.array(fc.bigInt(0n, (1n << 64n) - 1n), { maxLength: N }).map((v) => U8(...v)),
  // fc.float yields 32-bit floats only, NaN, -0 and infinities included.
  F4: fc.array(fc.float(), { maxLength: N }).map((v) => F4(...v)),
  F8: fc.array(fc.double(), { maxLength: N }).map((v) => F8(...v)),
};
const leafArb: fc.Arbitrary<Item> = fc.oneof(...Object.values(leafArbs));
const { item: itemArb } = fc.letrec<{ item: Item; list: Item }>((tie) => ({
  item: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, tie('list')),
  list: fc.array(tie('item'), { maxLength: 6 }).map((items) => L(...items)),
}));

function expectDecodeError(bytes: Buffer, code: Secs2ErrorCode, offset: number): Secs2DecodeError {
  const result = tryDecodeItem(bytes);
  assert.equal(result.ok, false, `expected ${code}, decoded ${result.ok ? formatItem(result.item) : ''}`);
  if (result.ok) throw new Error('unreachable');
  assert.ok(result.error instanceof Secs2DecodeError);
  assert.equal(result.error.code, code, result.error.message);
  assert.equal(result.error.offset, offset, result.error.message);
  assert.match(result.error.message, new RegExp(`offset ${offset}\\b`));
  assert.throws(() => decodeItem(bytes), (e: unknown) => e instanceof Secs2DecodeError && e.code === code);
  return result.error;
}

function nested(depth: number, innermost: Buffer = hex('0100')): Buffer {
  // depth - 1 lists of one element around `innermost` (itself an empty list by default).
  const prefix = Buffer.alloc((depth - 1) * 2);
  for (let i = 0; i < depth - 1; i++) prefix.set([0x01, 0x01], i * 2);
  return Buffer.concat([prefix, innermost]);
}

describe('SECS-II round trips', () => {
  for (const [type, arb] of Object.entries(leafArbs)) {
    test(`${type}: decode(encode(item)) is the item`, () => {
      run(arb, (item) => {
        const bytes = encodeItem(item);
        assert.equal(bytes.length, encodedLength(item));
        assert.equal(bytes[0]! >> 2, FORMAT_CODES[item.type]);
        assert.deepStrictEqual(decodeItem(bytes), item);
      });
    });
  }

  test('nested lists of every format round-trip, and re-encoding gives the same bytes', () => {
    run(itemArb, (item) => {
      const bytes = encodeItem(item);
      const decoded = decodeItem(bytes);
      assert.deepStrictEqual(decoded, item);
      assert.deepStrictEqual(encodeItem(decoded), bytes);
    });
  });

  test('the encoder uses the fewest length bytes', () => {
    for (const [length, nLen] of [
      [0, 1],
      [0xff, 1],
      [0x100, 2],
      [0xffff, 2],
      [0x10000, 3],
    ] as const) {
      const bytes = encodeItem(A('x'.repeat(length)));
      assert.equal(bytes[0]! & 3, nLen, `length ${length}`);
      assert.equal(bytes.readUIntBE(1, nLen), length);
      assert.equal(bytes.length, 1 + nLen + length);
    }
  });

  test('the largest length 3 bytes can carry encodes; one more is a RangeError', () => {
    const max = encodeItem(B(Buffer.alloc(0xffffff)));
    assert.deepStrictEqual(max.subarray(0, 4), hex('23 FFFFFF'));
    assert.throws(() => encodeItem(B(Buffer.alloc(0x1000000))), RangeError);
    assert.throws(() => encodedLength(A('x'.repeat(0x1000000))), RangeError);
  });
});

describe('SECS-II known encodings', () => {
  const cases: Array<[string, Item, string]> = [
    ['empty list', L(), '01 00'],
    ['ASCII', A('AB'), '41 02 41 42'],
    ['U4', U4(1), 'B1 04 00000001'],
    ['L[2] of A and U4', L(A('hello'), U4(1, 2)), '01 02 41 05 68656C6C6F B1 08 00000001 00000002'],
    ['binary', B(0x01, 0xff), '21 02 01 FF'],
    ['boolean', BOOLEAN(true, false), '25 02 01 00'],
    ['JIS-8', J('A'), '45 01 41'],
    ['2-byte char', C(0x00, 0x01, 0x30, 0x42), '49 04 00013042'],
    ['I8', I8(-2), '61 08 FFFFFFFFFFFFFFFE'],
    ['I1', I1(-1, 127), '65 02 FF 7F'],
    ['I2', I2(-2), '69 02 FFFE'],
    ['I4', I4(-2), '71 04 FFFFFFFE'],
    ['F8', F8(1), '81 08 3FF0000000000000'],
    ['F4', F4(1), '91 04 3F800000'],
    ['U8', U8(0xffffffffffffffffn), 'A1 08 FFFFFFFFFFFFFFFF'],
    ['U1', U1(0, 255), 'A5 02 00 FF'],
    ['U2', U2(0x1234), 'A9 02 1234'],
    ['empty U4', U4(), 'B1 00'],
  ];
  for (const [name, item, bytes] of cases) {
    test(`${name}: ${formatItem(item)} is ${bytes}`, () => {
      assert.deepStrictEqual(encodeItem(item), hex(bytes));
      assert.deepStrictEqual(decodeItem(hex(bytes)), item);
    });
  }

  test('more length bytes than needed are accepted on decoding', () => {
    assert.deepStrictEqual(decodeItem(hex('42 0002 4142')), A('AB'));
    assert.deepStrictEqual(decodeItem(hex('03 000001 01 00')), L(L()));
  });

  test('any non-zero BOOLEAN byte decodes as true', () => {
    assert.deepStrictEqual(decodeItem(hex('25 03 00 02 FF')), BOOLEAN(false, true, true));
  });

  test('bytes above 0x7F in A survive a round trip', () => {
    const bytes = hex('41 03 80 C3 FF');
    assert.deepStrictEqual(decodeItem(bytes), A('\x80\xC3\xFF'));
    assert.deepStrictEqual(encodeItem(decodeItem(bytes)), bytes);
  });
});

describe('SECS-II encoder rejects values the format cannot carry', () => {
  const bad: Array<[string, () => Item]> = [
    ['U1 256', () => U1(256)],
    ['U1 -1', () => U1(-1)],
    ['U2 65536', () => U2(0x10000)],
    ['U4 2^32', () => U4(2 ** 32)],
    ['U4 1.5', () => U4(1.5)],
    ['U4 NaN', () => U4(Number.NaN)],
    ['I1 -129', () => I1(-129)],
    ['I2 32768', () => I2(0x8000)],
    ['I4 -2^31-1', () => I4(-(2 ** 31) - 1)],
    ['I8 2^63', () => I8(1n << 63n)],
    ['U8 -1', () => U8(-1n)],
    ['U8 2^64', () => U8(1n << 64n)],
    ['A U+0100', () => A('\u0100')],
    ['J emoji', () => J('\u{1F600}')],
  ];
  for (const [name, make] of bad) {
    test(name, () => assert.throws(() => encodeItem(make()), RangeError));
  }

  test('constructors reject what cannot be a byte or an integer', () => {
    assert.throws(() => B(256), RangeError);
    assert.throws(() => C(-1), RangeError);
    assert.throws(() => I8(1.5), RangeError);
    assert.deepStrictEqual(B(1, Buffer.from([2, 3]), 4).value, Buffer.from([1, 2, 3, 4]));
    assert.deepStrictEqual(U8(5), { type: 'U8', values: [5n] });
  });
});

describe('SECS-II decoder on hostile input', () => {
  test('empty text', () => {
    expectDecodeError(Buffer.alloc(0), 'empty', 0);
  });

  test('format byte without its length bytes', () => {
    expectDecodeError(hex('41'), 'truncated', 0);
    expectDecodeError(hex('43 0000'), 'truncated', 0);
  });

  test('declared length longer than the text', () => {
    expectDecodeError(hex('41 05 41'), 'truncated', 0);
    expectDecodeError(hex('01 01 A5 02 07'), 'truncated', 2);
  });

  test('zero length bytes', () => {
    expectDecodeError(hex('40'), 'no-length-bytes', 0);
    expectDecodeError(hex('01 01 B0 00'), 'no-length-bytes', 2);
  });

  test('format codes SEMI E5 does not define', () => {
    const defined = new Set(Object.values(FORMAT_CODES));
    for (let code = 0; code < 64; code++) {
      if (defined.has(code)) continue;
      expectDecodeError(Buffer.from([(code << 2) | 1, 0]), 'unknown-format', 0);
    }
  });

  test('length not a multiple of the element size', () => {
    expectDecodeError(hex('B1 03 000000'), 'bad-length', 0);
    expectDecodeError(hex('69 01 00'), 'bad-length', 0);
    expectDecodeError(hex('81 04 00000000'), 'bad-length', 0);
    expectDecodeError(hex('01 01 61 07 00000000000000'), 'bad-length', 2);
  });

  test('bytes after the item', () => {
    expectDecodeError(hex('01 00 00'), 'trailing-bytes', 2);
    expectDecodeError(hex('41 01 41 41 01 41'), 'trailing-bytes', 3);
  });

  test('huge declared lengths fail at once, whatever the format', () => {
    const tail = Buffer.alloc(6);
    for (const type of Object.keys(FORMAT_CODES) as ItemType[]) {
      const bytes = Buffer.concat([Buffer.from([(FORMAT_CODES[type] << 2) | 3, 0xff, 0xff, 0xff]), tail]);
      const error = expectDecodeError(bytes, 'truncated', 0);
      assert.match(error.message, /16777215/);
    }
  });

  test('a list claiming 2^24 - 1 items in 10 bytes is rejected before reading any of them', () => {
    const error = expectDecodeError(hex('03 FFFFFF 01 00 01 00 01 00'), 'truncated', 0);
    assert.match(error.message, /16777215 items/);
    // Same inside a list: the error points at the inner list.
    expectDecodeError(hex('01 01 03 FFFFFF 0100'), 'truncated', 2);
  });

  test('a list whose items cannot all fit is rejected by its count alone', () => {
    // 3 items need at least 6 bytes, 5 remain.
    expectDecodeError(hex('01 03 01 00 01 00 01'), 'truncated', 0);
  });

  test('32 nested lists decode, 33 and 64 are too deep', () => {
    assert.equal(formatItem(decodeItem(nested(32))), '<L[1] '.repeat(31) + '<L[0]>' + '>'.repeat(31));
    expectDecodeError(nested(33), 'too-deep', 64);
    expectDecodeError(nested(64), 'too-deep', 64);
  });

  test('100000 nested lists fail cleanly, without exhausting the stack', () => {
    expectDecodeError(nested(100000), 'too-deep', 64);
  });

  test('maxDepth and maxItems are configurable', () => {
    assert.throws(() => decodeItem(nested(3), { maxDepth: 2 }), (e: unknown) => e instanceof Secs2DecodeError && e.code === 'too-deep' && e.offset === 4);
    assert.deepStrictEqual(decodeItem(nested(3), { maxDepth: 3 }), L(L(L())));
    const tenU1 = Buffer.concat([hex('01 0A'), Buffer.from('A500'.repeat(10), 'hex')]);
    assert.equal(tryDecodeItem(tenU1, { maxItems: 11 }).ok, true);
    assert.throws(() => decodeItem(tenU1, { maxItems: 10 }), (e: unknown) => e instanceof Secs2DecodeError && e.code === 'too-many-items' && e.offset === 20);
  });

  test('decoded binary does not alias the received buffer', () => {
    const bytes = hex('21 02 0102');
    const item = decodeItem(bytes);
    bytes[2] = 0xff;
    assert.deepStrictEqual(item, B(1, 2));
  });

  test('random bytes: only Secs2DecodeError, and whatever decodes re-encodes to the same item', () => {
    run(
      fc.uint8Array({ maxLength: 64 }),
      (raw) => {
        const result = tryDecodeItem(Buffer.from(raw));
        if (result.ok) assert.deepStrictEqual(decodeItem(encodeItem(result.item)), result.item);
      },
      2000,
    );
  });

  test('mutated and truncated valid encodings: only Secs2DecodeError', () => {
    const arb = fc.tuple(itemArb, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat());
    run(arb, ([item, at, byte, cut]) => {
      const bytes = encodeItem(item);
      const mutated = Buffer.from(bytes);
      mutated[at % mutated.length] = byte;
      tryDecodeItem(mutated);
      const truncated = bytes.subarray(0, cut % bytes.length);
      const result = tryDecodeItem(truncated);
      assert.equal(result.ok, false, 'a proper prefix of one item is never one item');
    });
  });
});

describe('SECS-II formatting', () => {
  const cases: Array<[Item, string]> = [
    [L(A('hello'), U4(1, 2)), '<L[2] <A "hello"> <U4 1 2>>'],
    [L(), '<L[0]>'],
    [L(L(), L(B())), '<L[2] <L[0]> <L[1] <B>>>'],
    [A(''), '<A "">'],
    [J('abc'), '<J "abc">'],
    [B(0x00, 0x0a, 0xff), '<B 0x00 0x0A 0xFF>'],
    [C(0x30, 0x42), '<C 0x30 0x42>'],
    [BOOLEAN(true, false), '<BOOLEAN TRUE FALSE>'],
    [BOOLEAN(), '<BOOLEAN>'],
    [I1(-128, 0, 127), '<I1 -128 0 127>'],
    [I2(-1), '<I2 -1>'],
    [I4(-2147483648), '<I4 -2147483648>'],
    [I8(-(1n << 63n)), '<I8 -9223372036854775808>'],
    [U1(), '<U1>'],
    [U2(65535), '<U2 65535>'],
    [U4(4294967295), '<U4 4294967295>'],
    [U8((1n << 64n) - 1n), '<U8 18446744073709551615>'],
    [F8(0.1, -0, 1e300), '<F8 0.1 -0 1e+300>'],
    [F4(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY), '<F4 NaN Infinity -Infinity>'],
  ];
  for (const [item, text] of cases) {
    test(text, () => assert.equal(formatItem(item), text));
  }

  test('F4 values print as the shortest decimal that reads back as the same float', () => {
    const decoded = decodeItem(encodeItem(F4(0.1, 1.5, 3.4028234663852886e38, -2.5e-7)));
    assert.equal(formatItem(decoded), '<F4 0.1 1.5 3.4028235e+38 -2.5e-7>');
  });

  test('non-printable characters, quotes and backslashes are escaped; markup is left alone', () => {
    assert.equal(formatItem(A('<script>alert(1)</script>')), '<A "<script>alert(1)</script>">');
    assert.equal(formatItem(A('a"b\\c')), '<A "a\\"b\\\\c">');
    assert.equal(formatItem(A('\t\r\n\x00\x1b\x7f\x80\xff')), '<A "\\t\\r\\n\\x00\\x1B\\x7F\\x80\\xFF">');
  });

  test('formatted text is always printable ASCII', () => {
    run(itemArb, (item) => {
      assert.match(formatItem(item), /^[\x20-\x7e]*$/);
    });
  });

  test('maxChars bounds the output', () => {
    const big = U1(...new Array<number>(10000).fill(255));
    const text = formatItem(big, { maxChars: 20 });
    assert.equal(text, '<U1 255 255 255 255 ...');
    assert.equal(formatItem(big).length, 4 + 10000 * 4);
    assert.equal(formatItem(L(A('x')), { maxChars: 100 }), '<L[1] <A "x">>');
  });
});

describe('describeText', () => {
  test('empty text is the empty string', () => {
    assert.equal(describeText(Buffer.alloc(0)), '');
  });

  test('a decodable text is its SML', () => {
    assert.equal(describeText(encodeItem(L(A('hello'), U4(1, 2)))), '<L[2] <A "hello"> <U4 1 2>>');
    assert.equal(describeText(hex('01 00')), '<L[0]>');
  });

  test('an undecodable text shows its size and (truncated) hex', () => {
    assert.equal(describeText(hex('41 05 41')), '<undecodable 3 bytes: 410541>');
    const long = Buffer.alloc(100, 0xab);
    long[0] = 0xff;
    assert.equal(describeText(long), `<undecodable 100 bytes: ff${'ab'.repeat(31)}...>`);
    assert.equal(describeText(long, { maxHexBytes: 2 }), '<undecodable 100 bytes: ffab...>');
  });

  test('the description of a huge item is bounded', () => {
    const text = describeText(encodeItem(U1(...new Array<number>(100000).fill(7))));
    assert.ok(text.length <= 2003, `length ${text.length}`);
    assert.ok(text.startsWith('<U1 7 7 7'));
    assert.ok(text.endsWith('...'));
  });

  test('a huge string is cut without quoting all of it', () => {
    const text = describeText(encodeItem(A('\x01'.repeat(0xffffff))), { maxChars: 30 });
    assert.equal(text, '<A "' + '\\x01'.repeat(6) + '\\x...');
    assert.equal(describeText(encodeItem(A('abc')), { maxChars: 8 }), '<A "abc"...');
  });

  test('never throws on random bytes', () => {
    run(
      fc.uint8Array({ maxLength: 80 }),
      (raw) => {
        const text = describeText(Buffer.from(raw));
        assert.equal(typeof text, 'string');
      },
      1000,
    );
  });
});

describe('SECS-II text form', () => {
  test('parseItem reads what formatItem writes: the same bytes, the same text', () => {
    run(itemArb, (item) => {
      const text = formatItem(item);
      const parsed = parseItem(text);
      assert.deepEqual(encodeItem(parsed), encodeItem(item), text);
      assert.equal(formatItem(parsed), text);
    });
  });

  test('formatItem writes what parseItem reads: hand-written texts come back in the canonical form', () => {
    const cases: Array<[string, string]> = [
      ['<L[2] <A "MDLN-1"> <L <U4 1 2 0x10> <B 0x00> <BOOLEAN true FALSE>>>', '<L[2] <A "MDLN-1"> <L[3] <U4 1 2 16> <B 0x00> <BOOLEAN TRUE FALSE>>>'],
      ['<a>', '<A "">'],
      [String.raw`<A[6] "ab" "c\\d\"">`, String.raw`<A "abc\\d\"">`],
      ['<L\n  <A "x">\n  <I1 -128 0x7f>\n>', '<L[2] <A "x"> <I1 -128 127>>'],
      ['<F4 1.5 NaN -Infinity -0>', '<F4 1.5 NaN -Infinity -0>'],
      ['<I8 -9223372036854775808> ', '<I8 -9223372036854775808>'],
      ['<U8 0xFFFFFFFFFFFFFFFF>', '<U8 18446744073709551615>'],
      [String.raw`<J "\x80\t\u00ff">`, String.raw`<J "\x80\t\xFF">`],
    ];
    for (const [input, formatted] of cases) {
      const item = parseItem(input);
      assert.equal(formatItem(item), formatted, input);
      assert.deepEqual(encodeItem(parseItem(formatted)), encodeItem(item), input);
    }
  });

  test('a bad text names its line, column and fault', () => {
    const cases: Array<[string, RegExp]> = [
      ['<U1 256>', /^line 1, column 5: 256 is out of range for <U1> \(0 to 255\)$/],
      ['<L[3] <A>>', /^line 1, column 1: <L\[3\]> holds 1 items$/],
      ['<X 1>', /^line 1, column 2: unknown item type 'X'/],
      ['<L\n  <A "x"\n  <U4 1>>', /^line 3, column 3: expected '>' to close <A, found '<U4'$/],
      [String.raw`<A "\u0100">`, /^line 1, column 4: <A> holds one byte per character/],
      ['<A "abc>', /^line 1, column 4: unterminated string$/],
      [String.raw`<A "\q">`, /unknown escape '\\q'/],
      [String.raw`<A "\x4">`, /'\\x' needs 2 hex digits/],
      ['<B 1 2> junk', /^line 1, column 9: unexpected 'junk' after the item$/],
      ['<U4 1.5>', /<U4> takes integers/],
      ['<BOOLEAN yes>', /<BOOLEAN> takes TRUE or FALSE, found 'yes'/],
      ['<U4 <A>>', /<U4> holds values, not items/],
      ['<F8 one>', /<F8> takes numbers, found 'one'/],
      ['', /expected '<' to open an item, found the end of the text/],
      ['<L' + ' <L'.repeat(40) + '>'.repeat(41), /lists nested deeper than 32/],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => parseItem(input), (e: unknown) => e instanceof Secs2TextError && message.test(e.message), input);
    }
  });
});
