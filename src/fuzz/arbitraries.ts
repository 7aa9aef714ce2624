import fc from 'fast-check';
import { HEADER_LENGTH, LENGTH_PREFIX, LINKTEST_SESSION_ID, SType } from '../protocol/constants';
import { encodeFrame, type Frame, type Header } from '../protocol/header';

/**
 * fast-check arbitraries for HSMS traffic (E37-8): valid frames of every SType with legal and
 * edge-case header values, mutations of them, and delivery plans (how the bytes are cut into
 * TCP writes and how long the tester waits between writes).
 *
 * Arbitraries put the simplest choice first: fast-check shrinks a `oneof` towards its first
 * member, so a failure shrinks towards a short, plain frame.
 */

export interface FuzzContext {
  /** The IUT's declared largest message length (E37-8.1.3, E37-10 item 4). */
  readonly maxLength: number;
  /** Session id the IUT expects on data messages. */
  readonly sessionId: number;
}

/** One fuzzed input: the bytes written to the IUT and how they were made. */
export interface FuzzInput {
  /** What was done to the base frame, for reports. */
  readonly label: string;
  /**
   * The kind of mutation ('valid', 'bit-flip sType', 'length too-small', 'ptype', ...): with the
   * state and the base SType it makes the class of input a defect is tied to (see caseClass).
   */
  readonly kind: string;
  /** The frame the input was derived from (before mutation). */
  readonly base: Frame;
  readonly bytes: Buffer;
}

/** How the bytes are delivered: cut points (byte offsets) and the pause before each piece. */
export interface DeliveryPlan {
  readonly pieces: ReadonlyArray<{ readonly cut: number; readonly gap: GapKind }>;
}

/** 'short': well below T8; 'long': beyond T8 plus the tolerance (E37-9.2.3). */
export type GapKind = 'none' | 'short' | 'long';

export interface FramingCase {
  /** Whether the connection is SELECTED before the input is sent. */
  readonly selected: boolean;
  readonly input: FuzzInput;
  readonly plan: DeliveryPlan;
}

const EDGE_SESSION_IDS = [0, 1, 0x7fff, 0x8000, 0xfffe, 0xffff] as const;
const EDGE_SYSTEM_BYTES = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff] as const;

export const sessionIdArb = (ctx: FuzzContext): fc.Arbitrary<number> =>
  fc.oneof(fc.constant(ctx.sessionId), fc.constantFrom(...EDGE_SESSION_IDS), fc.integer({ min: 0, max: 0xffff }));

export const systemBytesArb: fc.Arbitrary<number> = fc.oneof(fc.integer({ min: 1, max: 0xffff }), fc.constantFrom(...EDGE_SYSTEM_BYTES), fc.integer({ min: 0, max: 0xffffffff }));

const textArb = (max: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

function header(h: Header): Header {
  return h;
}

const EMPTY = Buffer.alloc(0);

/** A valid data message (E37-8.2.1): any stream and function, W-bit or not, short text. */
export const dataFrameArb = (ctx: FuzzContext): fc.Arbitrary<Frame> =>
  fc
    .record({
      sessionId: fc.oneof(fc.constant(ctx.sessionId), sessionIdArb(ctx)),
      stream: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 127 })),
      fn: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 255 })),
      w: fc.boolean(),
      systemBytes: systemBytesArb,
      text: textArb(32),
    })
    .map(({ sessionId, stream, fn, w, systemBytes, text }) => ({
      header: header({ sessionId, byte2: (w ? 0x80 : 0) | stream, byte3: fn, pType: 0, sType: SType.Data, systemBytes }),
      text,
    }));

/** A valid control message of the given SType (E37-8.2.2 - 8.2.9), with legal or edge header values. */
export const controlFrameArb = (ctx: FuzzContext, sType: SType): fc.Arbitrary<Frame> => {
  const sessionId = sType === SType.LinktestReq || sType === SType.LinktestRsp ? fc.constant(LINKTEST_SESSION_ID) : sessionIdArb(ctx);
  let byte2: fc.Arbitrary<number> = fc.constant(0);
  let byte3: fc.Arbitrary<number> = fc.constant(0);
  if (sType === SType.SelectRsp) byte3 = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 }));
  if (sType === SType.DeselectRsp) byte3 = fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 255 }));
  if (sType === SType.RejectReq) {
    byte2 = fc.integer({ min: 0, max: 255 });
    byte3 = fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 255 }));
  }
  return fc.record({ sessionId, byte2, byte3, systemBytes: systemBytesArb }).map((f) => ({
    header: header({ sessionId: f.sessionId, byte2: f.byte2, byte3: f.byte3, pType: 0, sType, systemBytes: f.systemBytes }),
    text: EMPTY,
  }));
};

const ALL_STYPES: readonly SType[] = [
  SType.LinktestReq,
  SType.Data,
  SType.SelectReq,
  SType.SelectRsp,
  SType.DeselectReq,
  SType.DeselectRsp,
  SType.LinktestRsp,
  SType.RejectReq,
  SType.SeparateReq,
];

/** A valid frame of any SType E37 defines. */
export const validFrameArb = (ctx: FuzzContext): fc.Arbitrary<Frame> =>
  fc.oneof(...ALL_STYPES.map((s) => (s === SType.Data ? dataFrameArb(ctx) : controlFrameArb(ctx, s))));

type Field = 'length' | 'sessionId' | 'byte2' | 'byte3' | 'pType' | 'sType' | 'systemBytes';
/** Offset and width (bytes) of each field in the encoded message. */
const FIELD_AT: Record<Field, readonly [number, number]> = {
  length: [0, 4],
  sessionId: [LENGTH_PREFIX, 2],
  byte2: [LENGTH_PREFIX + 2, 1],
  byte3: [LENGTH_PREFIX + 3, 1],
  pType: [LENGTH_PREFIX + 4, 1],
  sType: [LENGTH_PREFIX + 5, 1],
  systemBytes: [LENGTH_PREFIX + 6, 4],
};
const FIELDS = Object.keys(FIELD_AT) as Field[];

function withLength(bytes: Buffer, length: number): Buffer {
  const out = Buffer.from(bytes);
  out.writeUInt32BE(length >>> 0, 0);
  return out;
}

function withByte(frame: Frame, change: Partial<Header>, text?: Buffer): Frame {
  return { header: { ...frame.header, ...change }, text: text ?? frame.text };
}

/** A mutation applied to an encoded frame. */
export type Mutation =
  | { readonly kind: 'none' }
  | { readonly kind: 'bit-flip'; readonly field: Field; readonly bit: number }
  | { readonly kind: 'length'; readonly how: 'too-small' | 'above-max' | 'max-u32' | 'plus-one' | 'minus-one'; readonly value: number }
  | { readonly kind: 'truncate'; readonly drop: number }
  | { readonly kind: 'trailing'; readonly extra: Buffer }
  | { readonly kind: 'control-text'; readonly text: Buffer }
  | { readonly kind: 'ptype'; readonly pType: number }
  | { readonly kind: 'stype'; readonly sType: number };

export const mutationArb = (ctx: FuzzContext): fc.Arbitrary<Mutation> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant<Mutation>({ kind: 'none' }) },
    { weight: 3, arbitrary: fc.record({ field: fc.constantFrom(...FIELDS), bit: fc.integer({ min: 0, max: 31 }) }).map((m): Mutation => ({ kind: 'bit-flip', ...m })) },
    {
      weight: 4,
      arbitrary: fc.oneof(
        fc.integer({ min: 0, max: HEADER_LENGTH - 1 }).map((value): Mutation => ({ kind: 'length', how: 'too-small', value })),
        fc.integer({ min: 1, max: 1024 }).map((d): Mutation => ({ kind: 'length', how: 'above-max', value: Math.min(ctx.maxLength + d, 0xffffffff) })),
        fc.constant<Mutation>({ kind: 'length', how: 'max-u32', value: 0xffffffff }),
        fc.constant<Mutation>({ kind: 'length', how: 'plus-one', value: 0 }),
        fc.constant<Mutation>({ kind: 'length', how: 'minus-one', value: 0 }),
      ),
    },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 13 }).map((drop): Mutation => ({ kind: 'truncate', drop })) },
    { weight: 2, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 16 }).map((a): Mutation => ({ kind: 'trailing', extra: Buffer.from(a) })) },
    { weight: 2, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 16 }).map((a): Mutation => ({ kind: 'control-text', text: Buffer.from(a) })) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 255 }).map((pType): Mutation => ({ kind: 'ptype', pType })) },
    {
      weight: 3,
      arbitrary: fc.oneof(fc.constantFrom(8, 10, 11, 127, 128, 255), fc.integer({ min: 11, max: 255 })).map((sType): Mutation => ({ kind: 'stype', sType })),
    },
  );

/** Applies a mutation to a frame; returns the bytes and a label. */
export function applyMutation(base: Frame, m: Mutation): FuzzInput {
  const encoded = encodeFrame(base);
  switch (m.kind) {
    case 'none':
      return { label: 'valid frame', kind: 'valid', base, bytes: encoded };
    case 'bit-flip': {
      const [at, width] = FIELD_AT[m.field];
      const bit = m.bit % (width * 8);
      const out = Buffer.from(encoded);
      const byteIndex = at + width - 1 - Math.floor(bit / 8);
      out[byteIndex] = out[byteIndex]! ^ (1 << bit % 8);
      return { label: `bit ${bit} of ${m.field} flipped`, kind: `bit-flip ${m.field}`, base, bytes: out };
    }
    case 'length': {
      const actual = encoded.length - LENGTH_PREFIX;
      const value = m.how === 'plus-one' ? actual + 1 : m.how === 'minus-one' ? actual - 1 : m.value;
      return { label: `length ${value} (${m.how}; ${actual} bytes follow)`, kind: `length ${m.how}`, base, bytes: withLength(encoded, value) };
    }
    case 'truncate': {
      const drop = Math.min(m.drop, encoded.length - 1);
      return { label: `last ${drop} bytes missing`, kind: 'truncate', base, bytes: encoded.subarray(0, encoded.length - drop) };
    }
    case 'trailing':
      return { label: `${m.extra.length} trailing bytes after the message`, kind: 'trailing', base, bytes: Buffer.concat([encoded, m.extra]) };
    case 'control-text': {
      if (base.header.sType === SType.Data) return { label: 'valid frame', kind: 'valid', base, bytes: encoded };
      const f = withByte(base, {}, m.text);
      return { label: `${m.text.length} bytes of text on a control message`, kind: 'control-text', base, bytes: encodeFrame(f) };
    }
    case 'ptype':
      return { label: `PType ${m.pType}`, kind: 'ptype', base, bytes: encodeFrame(withByte(base, { pType: m.pType })) };
    case 'stype':
      return { label: `SType ${m.sType}`, kind: 'stype', base, bytes: encodeFrame(withByte(base, { sType: m.sType })) };
  }
}

export const fuzzInputArb = (ctx: FuzzContext): fc.Arbitrary<FuzzInput> =>
  fc.tuple(validFrameArb(ctx), mutationArb(ctx)).map(([base, m]) => applyMutation(base, m));

/**
 * Delivery plans: cut points anywhere (inside the length prefix included), mostly no pause,
 * sometimes a short pause, rarely one beyond T8 (each costs T8 of wall time).
 */
export const deliveryPlanArb = (options: { longGaps: boolean }): fc.Arbitrary<DeliveryPlan> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant<DeliveryPlan>({ pieces: [] }) },
    {
      weight: 4,
      arbitrary: fc
        .array(
          fc.record({
            cut: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 64 })),
            gap: fc.oneof(
              { weight: 130, arbitrary: fc.constant<GapKind>('none') },
              { weight: 70, arbitrary: fc.constant<GapKind>('short') },
              ...(options.longGaps ? [{ weight: 1, arbitrary: fc.constant<GapKind>('long') }] : []),
            ),
          }),
          { minLength: 1, maxLength: 4 },
        )
        .map((pieces) => ({ pieces })),
    },
  );

export const framingCaseArb = (ctx: FuzzContext, options: { longGaps: boolean }): fc.Arbitrary<FramingCase> =>
  fc.record({ selected: fc.boolean(), input: fuzzInputArb(ctx), plan: deliveryPlanArb(options) });

/** Splits `bytes` by the plan: cut points are taken modulo the length, in increasing order. */
export function cutPlan(bytes: Buffer, plan: DeliveryPlan): Array<{ piece: Buffer; gap: GapKind }> {
  if (bytes.length <= 1 || plan.pieces.length === 0) return [{ piece: bytes, gap: 'none' }];
  const cuts = new Map<number, GapKind>();
  for (const p of plan.pieces) {
    const at = 1 + ((p.cut - 1) % (bytes.length - 1));
    const prev = cuts.get(at);
    if (prev === undefined || rank(p.gap) > rank(prev)) cuts.set(at, p.gap);
  }
  const sorted = [...cuts.keys()].sort((a, b) => a - b);
  const out: Array<{ piece: Buffer; gap: GapKind }> = [];
  let from = 0;
  let gap: GapKind = 'none';
  for (const at of sorted) {
    out.push({ piece: bytes.subarray(from, at), gap });
    gap = cuts.get(at)!;
    from = at;
  }
  out.push({ piece: bytes.subarray(from), gap });
  return out;
}

function rank(g: GapKind): number {
  return g === 'none' ? 0 : g === 'short' ? 1 : 2;
}

/** Arbitrary chunkings of a byte stream for the in-process decoder fuzzing. */
export const chunkingArb = (length: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 0, max: Math.max(0, length) }), { maxLength: 12 }).map((cuts) => [...new Set(cuts)].sort((a, b) => a - b));
