import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { freePort } from './support/raw-socket';
import { ROOT, runConformance, scenariosOf, type RunOutcome } from './support/conformance-run';

/**
 * An alternating IUT the harness launches (E37 A1-3), as a user's would be: the reference peer
 * started from the HSMS_* variables, connecting to HSMS_REMOTE_HOST. The harness listens on the
 * profile's testerHost, the IUT on host, both at one port; scenarios of its active phase and of
 * its passive phase (@passive-phase) run and pass, with the IUT restarted per scenario and
 * launched once for the whole run (then it moves between its phases from scenario to scenario).
 */

const TAGS = '@E37-5.3 or @E37-6.3.1 or @E37-6.3.2 or @E37-6.3.3 or @E37-7.7.1 or @E37-9.2.1 or @E37-9.2.4.1 or @E37-A1-3 or @E37-A1-3.2';
/** Scenarios that must run (not be not-applicable) for an alternating IUT, and in which phase the tester connects. */
const EXPECTED: ReadonlyArray<{ readonly name: RegExp; readonly testerConnects: boolean }> = [
  { name: /^A passive IUT accepts a connection on its published port/, testerConnects: true },
  { name: /^Transition 4: a successful Select leads to SELECTED$/, testerConnects: true },
  { name: /^An alternating IUT accepts an active tester during its passive phase$/, testerConnects: true },
  { name: /^An active IUT connects to the tester/, testerConnects: false },
  { name: /^An alternating IUT connects to a passive tester$/, testerConnects: false },
  { name: /^A Reject\.req of the IUT's own primary/, testerConnects: false },
];
const RUN_LIMIT_MS = 240_000;

function profile(port: number, restart: 'per-scenario' | 'once'): string {
  return [
    'name: alternating reference peer',
    'role: alternating',
    'host: 127.0.0.1',
    'testerHost: 127.0.0.2',
    `port: ${port}`,
    'timers: { t3: 1, t5: 0.3, t6: 0.5, t7: 1.5, t8: 0.4 }',
    'tolerance: 0.2',
    'capabilities: { maxMessageLength: 1048576 }',
    'launch:',
    '  command: node bin/hsms-peer.js --mode $HSMS_ROLE --host $HSMS_HOST --remote-host $HSMS_REMOTE_HOST --port $HSMS_PORT --t3 $HSMS_T3 --t5 $HSMS_T5 --t6 $HSMS_T6 --t7 $HSMS_T7 --t8 $HSMS_T8',
    `  cwd: ${JSON.stringify(ROOT)}`,
    `  restart: ${restart}`,
    'control: stdin',
    '',
  ].join('\n');
}

function check(o: RunOutcome): void {
  assert.equal(o.code, 0, `exit ${o.code}:\n${o.stdout.slice(-3000)}\n${o.stderr.slice(-2000)}`);
  const scenarios = [...scenariosOf(o).values()];
  for (const { name, testerConnects } of EXPECTED) {
    const matching = scenarios.filter((s) => name.test(s.name));
    assert.ok(matching.length > 0, `no scenario ${name} ran:\n${o.stdout.slice(-2000)}`);
    for (const s of matching) {
      assert.equal(s.verdict, 'pass', `${s.name}: ${s.verdict} (${s.reason})`);
      // The decoded trace names who opened the connection: the harness listens on 127.0.0.2 only.
      const decoded = readFileSync(path.join(o.reportDir, s.trace.replace(/\.pcap$/, '.txt')), 'utf8');
      const opened = /TCP connected (\S+):\d+ <-> (\S+):\d+/.exec(decoded);
      assert.ok(opened, `${s.name}: no connection in its trace`);
      if (testerConnects) assert.equal(opened[2], '127.0.0.1', `${s.name}: the tester connects to the IUT's published port`);
      else assert.equal(opened[1], '127.0.0.2', `${s.name}: the IUT connects to the tester's listener`);
    }
  }
  // Further connections to the published port are a passive entity's business, not an alternating one's.
  const furtherConnections = scenarios.filter((s) => /^Option [abc]: a further connection/.test(s.name));
  assert.equal(furtherConnections.length, 3);
  for (const s of furtherConnections) assert.match(s.reason, /listens on its published port only until a connection forms/, `${s.name}: ${s.verdict}`);
}

for (const restart of ['per-scenario', 'once'] as const) {
  test(`a launched alternating IUT (restart: ${restart}) is certified in both of its phases`, { timeout: RUN_LIMIT_MS + 30_000 }, async () => {
    const o = await runConformance(profile(await freePort(), restart), ['--seed', '3', '--tags', TAGS], RUN_LIMIT_MS);
    check(o);
  });
}
