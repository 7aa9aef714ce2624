import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzzCommand } from '../src/cli/fuzz-command';
import { runSelfFuzz } from '../src/fuzz/self-fuzz';
import { judge, parseStream } from '../src/fuzz/oracle';
import { decodeToken, encodeToken } from '../src/fuzz/token';
import { encodeFrame } from '../src/protocol/header';
import * as msg from '../src/protocol/messages';

/** Runs the fuzz command in process and captures what it prints. */
async function fuzz(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runFuzzCommand(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const replayOf = (out: string): string | undefined => /--replay (\S+)/.exec(out)?.[1];
const shrunkBytes = (out: string): number | undefined => {
  const m = /bytes \((\d+)\)/.exec(out);
  return m ? Number(m[1]) : undefined;
};
const findingLines = (out: string): string[] => out.split('\n').filter((l) => /^ {2}(FAIL|WARN) /.test(l));

test('in-process fuzzing: FrameDecoder and SessionMachine, bounded', () => {
  for (const r of runSelfFuzz(6000, 20260101)) assert.equal(r.failure, null, `${r.name}: ${r.failure}`);
});

test('replay tokens round-trip and reject garbage', () => {
  const t = { property: 'framing', seed: 42, path: '13:0:1', runs: 100 };
  assert.deepEqual(decodeToken(encodeToken(t)), t);
  assert.throws(() => decodeToken('not-a-token'));
});

// Regression cases: oracle mistakes the fuzzer found against the reference peer.
test('regression: an optional answer never takes the Reject meant for a later frame', () => {
  // Separate.req in NOT SELECTED (no answer), then a filler data message (Reject 4), then the barrier.
  const sep = msg.separateReq(0x7fff, 0x19);
  const data = msg.dataMessage({ sessionId: 0, stream: 0, function: 0, wBit: false, systemBytes: 0 });
  const barrier = msg.linktestReq(0x7e570003);
  const sent = Buffer.concat([encodeFrame(sep), encodeFrame(data), encodeFrame(barrier)]);
  const j = judge({ standard: 'e37', maxLength: 1 << 20 }, 'NOT_SELECTED', sent, { frames: [msg.rejectReq(data.header, 4), msg.linktestRsp(barrier.header)], closed: false, iutFramingError: null });
  assert.deepEqual(j.findings, []);
});

test('regression: a close after a framing error may swallow the answer to an earlier frame', () => {
  const sel = encodeFrame(msg.selectReq(0, 0x7fffffff));
  const sent = Buffer.concat([sel, Buffer.from('c06cee131c05', 'hex')]);
  assert.equal(parseStream(sent, 1 << 20).at(-1)?.kind, 'error');
  const j = judge({ standard: 'e37', maxLength: 1 << 20 }, 'NOT_SELECTED', sent, { frames: [], closed: true, iutFramingError: null });
  assert.deepEqual(j.findings, []);
});

test('usage errors exit 2', async () => {
  assert.equal((await fuzz(['--runs', '0'])).code, 2);
  assert.equal((await fuzz(['--replay', 'garbage'])).code, 2);
  assert.equal((await fuzz(['--fault', 'no-such-fault'])).code, 2);
  assert.equal((await fuzz(['--property', 'nope'])).code, 2);
});

test('the reference peer: a fixed seed finds nothing and prints the same case sequence twice', { timeout: 120_000 }, async () => {
  const a = await fuzz(['--runs', '150', '--seed', '11', '--property', 'framing']);
  const b = await fuzz(['--runs', '150', '--seed', '11', '--property', 'framing']);
  assert.equal(a.code, 0, a.out + a.err);
  assert.equal(b.code, 0, b.out + b.err);
  const seq = (s: string): string | undefined => /case sequence (\w+)/.exec(s)?.[1];
  assert.ok(seq(a.out));
  assert.equal(seq(a.out), seq(b.out));
  const m = await fuzz(['--runs', '50', '--seed', '11', '--property', 'model']);
  assert.equal(m.code, 0, m.out);
});

for (const [fault, clause] of [
  ['unknown-stype-ignored', 'E37-7.7.2'],
  ['length-trusted', 'E37-8.1.3'],
  ['no-t8', 'E37-9.2.3'],
] as const) {
  test(`fault ${fault}: found within the default budget, shrunk to at most 14 bytes, replayed exactly`, { timeout: 120_000 }, async () => {
    const r = await fuzz(['--fault', fault, '--seed', '42']);
    assert.equal(r.code, 1, r.out + r.err);
    const lines = findingLines(r.out);
    assert.ok(lines.some((l) => l.includes(clause)), `no finding on ${clause}:\n${r.out}`);
    const bytes = shrunkBytes(r.out);
    assert.ok(bytes !== undefined && bytes <= 14, `shrunk input has ${bytes} bytes`);
    const token = replayOf(r.out);
    assert.ok(token, 'no replay command printed');
    assert.match(r.out, new RegExp(`replay: hsms-conformance fuzz --fault ${fault} --replay `));
    const again = await fuzz(['--fault', fault, '--replay', token]);
    assert.equal(again.code, 1, again.out);
    assert.deepEqual(findingLines(again.out), findingLines(r.out.slice(0, r.out.indexOf('replay:') + 1)));
    assert.equal(shrunkBytes(again.out), bytes);
  });
}
