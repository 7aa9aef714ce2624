import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { IutProfile } from '../src/harness/profile';
import { dataMessage, linktestReq, linktestRsp, rejectReq, replyTo, selectReq, selectRsp, separateReq } from '../src/protocol/messages';
import { analyzeFiles, findings, profileFor } from './support/analyze-helpers';
import { ScriptedConnection, writePcap, type Packet } from './support/capture-builder';

/**
 * One defect, one clause, on the side that has it: judgments of the analysis on small scripted
 * captures, each the wire picture of one deviation (E37-7.7.1, 9.2.2), and an alternating
 * entity's connections running both ways between the same two addresses (E37 A1-3).
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'analyze-judgments-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const T0 = Date.UTC(2026, 0, 15, 8, 30, 0);
const PORT = 5000;
const TIMERS = { t3: 1, t5: 0.3, t6: 0.5, t7: 0.8, t8: 0.4 };
const HOST = '10.1.1.10';
const EQUIPMENT = '10.1.1.20';

function analyze(name: string, packets: readonly Packet[], profile: IutProfile): string[] {
  const file = path.join(dir, name);
  fs.writeFileSync(file, writePcap([...packets].sort((a, b) => a.timeMs - b.timeMs)));
  const { result } = analyzeFiles([file], { ports: new Set([PORT]), profiles: [profile] });
  assert.deepEqual(result.unmatchedProfiles, [], 'the profile names a side of the capture');
  return findings(result, (entity) => result.entities.some((e) => e.name === entity && e.rules.profileName !== null));
}

/** The equipment (passive, declared) is selected by the host and sends S6F11 W, which the host rejects (reason 128). */
function rejectedPrimary(start = T0): { c: ScriptedConnection; s6f11: ReturnType<typeof dataMessage> } {
  const c = new ScriptedConnection({ address: HOST, port: 49152 }, { address: EQUIPMENT, port: PORT }, start);
  const sel = selectReq(0, 1);
  const s6f11 = dataMessage({ sessionId: 0, stream: 6, function: 11, wBit: true, systemBytes: 0x100 });
  c.open();
  c.send(true, [sel], 2).send(false, [selectRsp(sel.header, 0)], 5);
  c.send(false, [s6f11], 3).send(true, [rejectReq(s6f11.header, 128)], 2);
  return { c, s6f11 };
}

const equipment = profileFor('passive', PORT, TIMERS, 0.05);

test('E37-7.7.1: answering the Reject.req of its own primary is flagged on 7.7.1 alone', () => {
  const { c, s6f11 } = rejectedPrimary();
  c.send(false, [rejectReq(rejectReq(s6f11.header, 128).header, 3)], 5);
  c.send(true, [separateReq(0, 9)], 3).close(true);
  const f = analyze('reject-answered.pcap', c.packets, equipment);
  assert.equal(f.length, 1, f.join('\n'));
  assert.match(f[0]!, /^fail E37-7\.7\.1 .*answered the Reject\.req of its own S6F11/);
});

test('E37-7.7.1: closing the SELECTED connection right after the Reject.req of its own primary is flagged on 7.7.1 alone', () => {
  const { c } = rejectedPrimary();
  c.close(false);
  const f = analyze('reject-closes.pcap', c.packets, equipment);
  assert.equal(f.length, 1, f.join('\n'));
  assert.match(f[0]!, /^fail E37-7\.7\.1 .*closed the SELECTED connection/);
});

test('E37-7.7.1: rejecting data with reason 4 after the Reject.req of its own primary, with no Deselect or Separate, is flagged on 7.7.1 alone', () => {
  const { c } = rejectedPrimary();
  const lt = linktestReq(2);
  const probe = dataMessage({ sessionId: 0, stream: 1, function: 1, wBit: true, systemBytes: 3 });
  c.send(true, [lt], 2).send(false, [linktestRsp(lt.header)], 5);
  c.send(true, [probe], 2).send(false, [rejectReq(probe.header, 4)], 5);
  c.close(true);
  const f = analyze('reject-leaves-selected.pcap', c.packets, equipment);
  assert.equal(f.length, 1, f.join('\n'));
  assert.match(f[0]!, /^fail E37-7\.7\.1 .*reason 4/);
});

test('E37-7.7.1: an entity that takes the Reject.req of its own primary quietly, or ends the session with Separate first, is not flagged', () => {
  const quiet = rejectedPrimary();
  const lt = linktestReq(2);
  const s1f1 = dataMessage({ sessionId: 0, stream: 1, function: 1, wBit: true, systemBytes: 3 });
  quiet.c.send(true, [lt], 2).send(false, [linktestRsp(lt.header)], 5);
  quiet.c.send(true, [s1f1], 2).send(false, [replyTo(s1f1.header)], 5);
  quiet.c.send(true, [separateReq(0, 4)], 3).close(true);
  assert.deepEqual(analyze('reject-taken.pcap', quiet.c.packets, equipment), []);
  const separated = rejectedPrimary();
  separated.c.send(false, [separateReq(0, 0x101)], 3).close(false);
  assert.deepEqual(analyze('reject-separates.pcap', separated.c.packets, equipment), []);
});

test('E37-9.2.2: a NOT SELECTED close before T7 - tolerance is one 9.2.2 finding, whatever request it cut short', () => {
  for (const request of [selectReq(0, 1), linktestReq(1)]) {
    const c = new ScriptedConnection({ address: HOST, port: 49152 }, { address: EQUIPMENT, port: PORT }, T0);
    c.open(400);
    c.send(true, [request], 5).close(false);
    const f = analyze('t7-short.pcap', c.packets, equipment);
    assert.equal(f.length, 1, f.join('\n'));
    assert.match(f[0]!, /^warn E37-9\.2\.2 .*before T7 - tolerance/);
  }
  // At T7: correct, and the request it was not bound to answer any more is not held against it.
  const c = new ScriptedConnection({ address: HOST, port: 49152 }, { address: EQUIPMENT, port: PORT }, T0);
  c.open(795);
  c.send(true, [linktestReq(1)], 5).close(false);
  assert.deepEqual(analyze('t7.pcap', c.packets, equipment), []);
});

test('an alternating entity: connections both ways on one port, its profile names its side by address, and only its side', () => {
  // The equipment alternates (E37 A1-3): it listens at EQUIPMENT:PORT and connects to the host listening at HOST:PORT.
  const alternating = profileFor('alternating', PORT, TIMERS, 0.05, { host: EQUIPMENT, testerHost: HOST });
  const out = new ScriptedConnection({ address: EQUIPMENT, port: 49200 }, { address: HOST, port: PORT }, T0, 7000);
  const inbound = new ScriptedConnection({ address: HOST, port: 49300 }, { address: EQUIPMENT, port: PORT }, T0 + 2000, 9000);
  for (const [c, fromEquipment] of [[out, true], [inbound, false]] as const) {
    const sel = selectReq(0, 1);
    const s1f1 = dataMessage({ sessionId: 0, stream: 1, function: 1, wBit: true, systemBytes: 2 });
    c.open();
    c.send(fromEquipment, [sel], 2).send(!fromEquipment, [selectRsp(sel.header, 0)], 5);
    c.send(!fromEquipment, [s1f1], 2).send(fromEquipment, [replyTo(s1f1.header)], 5);
    // The host ends each session with Separate; the equipment's side then closes, in NOT SELECTED (E37-6.4).
    c.send(!fromEquipment, [separateReq(0, 3)], 3).close(fromEquipment);
  }
  const file = path.join(dir, 'alternating.pcap');
  fs.writeFileSync(file, writePcap([...out.packets, ...inbound.packets].sort((a, b) => a.timeMs - b.timeMs)));
  const { result } = analyzeFiles([file], { ports: new Set([PORT]), profiles: [alternating] });
  const declared = result.entities.filter((e) => e.rules.profileName !== null).map((e) => e.name).sort();
  assert.deepEqual(declared, [`${EQUIPMENT} (connecting to ${HOST}:${PORT})`, `${EQUIPMENT}:${PORT} (accepting)`]);
  assert.deepEqual(findings(result), []);
});
