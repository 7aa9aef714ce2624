import fc from 'fast-check';
import { DEFINED_STYPES, HEADER_LENGTH, LENGTH_PREFIX } from '../protocol/constants';
import { FrameDecoder, type DecodeOutput } from '../protocol/frame-decoder';
import { encodeFrame } from '../protocol/header';
import { LocalRequestError, SessionMachine, type SessionAction, type TimerKey } from '../peer/session-machine';
import { chunkingArb, fuzzInputArb, validFrameArb, type FuzzContext } from './arbitraries';

/**
 * In-process fuzzing of our own code (`npm run fuzz`): the FrameDecoder and the SessionMachine
 * under many cases, with no exception escaping, no unbounded buffer, and the decoder's output
 * independent of how the bytes are chunked. `npm test` runs a bounded number of the same cases.
 *
 *   node dist/src/fuzz/self-fuzz.js [--cases N] [--seed S]
 */

const MAX_LENGTH = 256;
const CTX: FuzzContext = { maxLength: MAX_LENGTH, sessionId: 0 };

/** Byte streams: fuzzed frames back to back, sometimes plain random bytes. */
export const streamArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.array(fuzzInputArb(CTX), { maxLength: 4 }).map((inputs) => Buffer.concat(inputs.map((i) => i.bytes))),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
);

function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const c of cuts) {
    if (c <= from || c >= bytes.length) continue;
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

function summary(outputs: readonly DecodeOutput[]): string {
  return outputs.map((o) => (o.kind === 'error' ? `E${o.error.code}:${o.error.length}` : `F${encodeFrame(o.frame).toString('hex')}`)).join('|');
}

/** FrameDecoder: any stream, any chunking: same output as one push; bounded state; nothing after an error. */
export const decoderProperty = fc.property(
  streamArb.chain((bytes) => fc.tuple(fc.constant(bytes), chunkingArb(bytes.length))),
  ([bytes, cuts]) => {
    const whole = new FrameDecoder({ maxLength: MAX_LENGTH }).push(bytes);
    const d = new FrameDecoder({ maxLength: MAX_LENGTH });
    const pieces: DecodeOutput[] = [];
    for (const chunk of split(bytes, cuts)) {
      const out = d.push(chunk);
      if (d.partialBytes > LENGTH_PREFIX + MAX_LENGTH) throw new Error(`decoder holds ${d.partialBytes} bytes, more than one message of the maximum length`);
      pieces.push(...out);
    }
    if (summary(pieces) !== summary(whole)) throw new Error(`chunking changed the output:\n  whole:   ${summary(whole)}\n  chunked: ${summary(pieces)}`);
    const errors = whole.filter((o) => o.kind === 'error').length;
    if (errors > 1 || (errors === 1 && whole[whole.length - 1]!.kind !== 'error')) throw new Error('output after a framing error');
    for (const o of whole) if (o.kind === 'frame' && o.frame.text.length > MAX_LENGTH - HEADER_LENGTH) throw new Error('frame longer than the maximum');
  },
);

/** Valid frames back to back decode to themselves, however the stream is cut. */
export const roundTripProperty = fc.property(
  fc.array(validFrameArb(CTX), { minLength: 1, maxLength: 5 }).chain((frames) => {
    const bytes = Buffer.concat(frames.map(encodeFrame));
    return fc.tuple(fc.constant(frames), fc.constant(bytes), chunkingArb(bytes.length));
  }),
  ([frames, bytes, cuts]) => {
    const d = new FrameDecoder({ maxLength: MAX_LENGTH });
    const out = split(bytes, cuts).flatMap((c) => d.push(c));
    const expected = frames.map((f) => encodeFrame(f).toString('hex'));
    const got = out.map((o) => (o.kind === 'frame' ? encodeFrame(o.frame).toString('hex') : 'error'));
    if (JSON.stringify(expected) !== JSON.stringify(got)) throw new Error(`round trip: ${JSON.stringify(expected)} != ${JSON.stringify(got)}`);
    if (d.hasPartialMessage) throw new Error('partial message left after whole frames');
  },
);

type MachineInput =
  | { readonly kind: 'bytes'; readonly bytes: Buffer; readonly cuts: readonly number[] }
  | { readonly kind: 'timer'; readonly key: TimerKey }
  | { readonly kind: 'local'; readonly what: 'select' | 'deselect' | 'linktest' | 'separate' | 'data' | 'disconnect' | 'disconnected' };

const machineInputArb: fc.Arbitrary<MachineInput> = fc.oneof(
  { weight: 6, arbitrary: streamArb.chain((bytes) => chunkingArb(bytes.length).map((cuts): MachineInput => ({ kind: 'bytes', bytes, cuts }))) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(fc.constantFrom<TimerKey>('t7', 't8'), fc.integer({ min: 0, max: 4 }).map((n): TimerKey => `t6:${n}`), fc.integer({ min: 0, max: 4 }).map((n): TimerKey => `t3:${n}`))
      .map((key): MachineInput => ({ kind: 'timer', key })),
  },
  { weight: 2, arbitrary: fc.constantFrom('select', 'deselect', 'linktest', 'separate', 'data', 'disconnect', 'disconnected').map((what): MachineInput => ({ kind: 'local', what: what as 'select' })) },
);

function checkActions(actions: readonly SessionAction[], m: SessionMachine): void {
  for (const a of actions) {
    if (a.type !== 'send') continue;
    const h = a.frame.header;
    if (h.pType !== 0 || !DEFINED_STYPES.has(h.sType)) throw new Error(`the machine sent a frame outside the tables: PType ${h.pType} SType ${h.sType}`);
    if (a.frame.text.length > MAX_LENGTH - HEADER_LENGTH) throw new Error('the machine sent a frame longer than the maximum');
  }
  if (actions.some((a) => a.type === 'close') && m.state !== 'NOT_CONNECTED') throw new Error('close action but the state is still connected');
  if (m.openTransactions > 64) throw new Error(`${m.openTransactions} open transactions`);
}

/** SessionMachine: any sequence of bytes, timer expiries and local requests: no exception but LocalRequestError, and sane actions. */
export const machineProperty = fc.property(fc.constantFrom<'e37' | 'hsms-ss'>('e37', 'hsms-ss'), fc.array(machineInputArb, { maxLength: 12 }), (standard, inputs) => {
  const m = new SessionMachine({ sessionId: 0, standard, maxLength: MAX_LENGTH, t3: 1000, t6: 1000, t7: 1000, t8: 1000, firstSystemBytes: 0 });
  checkActions(m.connected(), m);
  for (const input of inputs) {
    let actions: SessionAction[] = [];
    try {
      if (input.kind === 'bytes') for (const c of split(input.bytes, input.cuts)) actions.push(...m.receive(c));
      else if (input.kind === 'timer') actions = m.timerExpired(input.key);
      else if (input.what === 'select') actions = m.select().actions;
      else if (input.what === 'deselect') actions = m.deselect().actions;
      else if (input.what === 'linktest') actions = m.linktest().actions;
      else if (input.what === 'separate') actions = m.separate();
      else if (input.what === 'data') actions = m.sendData({ stream: 1, function: 1, wBit: true }).actions;
      else if (input.what === 'disconnect') actions = m.disconnect('fuzz');
      else actions = m.disconnected('fuzz');
    } catch (err) {
      if (err instanceof LocalRequestError) continue;
      throw err;
    }
    checkActions(actions, m);
  }
});

export interface SelfFuzzResult {
  readonly name: string;
  readonly cases: number;
  readonly ms: number;
  readonly failure: string | null;
}

export const SELF_PROPERTIES = { decoder: decoderProperty, 'round-trip': roundTripProperty, machine: machineProperty } as const;

export function runSelfFuzz(cases: number, seed: number): SelfFuzzResult[] {
  const out: SelfFuzzResult[] = [];
  const share: Record<keyof typeof SELF_PROPERTIES, number> = { decoder: 0.5, 'round-trip': 0.2, machine: 0.3 };
  for (const [name, prop] of Object.entries(SELF_PROPERTIES) as Array<[keyof typeof SELF_PROPERTIES, fc.IPropertyWithHooks<unknown[]>]>) {
    const n = Math.max(1, Math.round(cases * share[name]));
    const t0 = performance.now();
    const d = fc.check(prop, { seed, numRuns: n });
    out.push({
      name,
      cases: d.numRuns,
      ms: performance.now() - t0,
      failure: d.failed ? `seed ${seed} path ${d.counterexamplePath}: ${JSON.stringify(d.counterexample, (_k, v: unknown) => (isBufferJson(v) ? Buffer.from(v.data).toString('hex') : v))}\n${String(d.errorInstance)}` : null,
    });
  }
  return out;
}

function isBufferJson(v: unknown): v is { type: 'Buffer'; data: number[] } {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data);
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const opt = (name: string): number | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const cases = opt('cases') ?? 1_000_000;
  const seed = opt('seed') ?? Math.floor(Math.random() * 0x7fffffff);
  process.stdout.write(`self-fuzz: ${cases} cases, seed ${seed}\n`);
  const results = runSelfFuzz(cases, seed);
  for (const r of results) {
    process.stdout.write(`${r.name.padEnd(10)} ${String(r.cases).padStart(9)} cases in ${(r.ms / 1000).toFixed(1)} s (${Math.round(r.cases / (r.ms / 1000))} cases/s) ${r.failure ? `FAILED\n${r.failure}` : 'ok'}\n`);
  }
  process.exitCode = results.some((r) => r.failure) ? 1 : 0;
}
