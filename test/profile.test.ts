import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parseDocument } from 'yaml';
import { parsePeerCommand } from '../src/cli/peer-commands';
import { schemaReference, starterProfile } from '../src/cli/init-command';
import { configFromProfile } from '../src/harness/iut-config';
import { closestKey, editDistance } from '../src/harness/did-you-mean';
import { ProfileError, describeProfile, isLoopbackHost, launchEnvironment, loadProfile, parseProfile, type IutProfile, type ProfileProblem } from '../src/harness/profile';
import { profileSchema, profileSchemaFile, type JsonSchema } from '../src/harness/profile-schema';
import { TIMER_LIMITS } from '../src/peer/parameters';
import { freePort } from './support/raw-socket';

const root = resolve(__dirname, '../..');
const cli = join(root, 'bin', 'hsms-conformance.js');
const ALL_PROCEDURES = ['select', 'deselect', 'linktest', 'separate', 'send', 'disconnect'];

/** The example of CONTRACTS.md section 3, verbatim. */
const CONTRACTS_EXAMPLE = `name: Acme etcher host interface 2.1
role: passive            # the IUT's connect mode: passive | active | alternating
host: 127.0.0.1          # passive IUT: where it listens; active IUT: where the harness listens
port: 5000
sessionId: 0
standard: e37            # e37 (generic) | hsms-ss (E37.1 restrictions apply)
timers: { t3: 45, t5: 10, t6: 5, t7: 10, t8: 5 }   # as configured in the IUT, seconds
tolerance: 0.5           # seconds a timer may differ before the verdict is fail
capabilities:
  multipleConnections: false   # 9.2.4
  refusal: a                   # 9.2.4.1 option a | b | c, when multipleConnections is false
  maxMessageLength: 16777216   # E37 10 item 4
launch:                  # optional: the harness starts and stops the IUT itself
  command: ./start-iut.sh      # run through the shell
  env: { T7: "0.5" }           # extra environment for that command
  restart: per-scenario        # per-scenario | once
control: stdin           # how the harness makes the IUT initiate a procedure:
                         # stdin (the section 1 command lines, written to the launched
                         # command's standard input) | manual (an operator prompt) | none
`;

const CONTRACTS_EXPECTED: IutProfile = {
  name: 'Acme etcher host interface 2.1',
  role: 'passive',
  host: '127.0.0.1',
  testerHost: '127.0.0.2',
  port: 5000,
  sessionId: 0,
  standard: 'e37',
  timers: { t3: 45, t5: 10, t6: 5, t7: 10, t8: 5 },
  tolerance: 0.5,
  capabilities: { multipleConnections: false, refusal: 'a', maxMessageLength: 16777216 },
  launch: { command: './start-iut.sh', env: { T7: '0.5' }, restart: 'per-scenario', readyTimeout: 10 },
  control: 'stdin',
  initiates: ALL_PROCEDURES as IutProfile['initiates'],
};

const MINIMAL = 'name: x\nrole: active\nport: 5001\n';
const LAUNCH = 'launch:\n  command: run\n';

/** Every problem `parseProfile` finds in `text`; fails when it finds none. */
function problems(text: string): readonly ProfileProblem[] {
  try {
    parseProfile(text, 'p.yaml');
  } catch (err) {
    assert.ok(err instanceof ProfileError, `expected ProfileError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail(`expected problems in ${JSON.stringify(text)}`);
}

/** Expects a problem on `field` (and, when given, at `line`); returns it. */
function problem(text: string, field: string, line?: number): ProfileProblem {
  const all = problems(text);
  const p = all.find((q) => q.field === field);
  assert.ok(p, `no problem on ${field}; got ${JSON.stringify(all)}`);
  if (line !== undefined) assert.equal(p.line, line, JSON.stringify(p));
  return p;
}

describe('IUT profile: the CONTRACTS.md example', () => {
  test('parses to the expected object', () => {
    assert.deepEqual(parseProfile(CONTRACTS_EXAMPLE, 'example.yaml'), CONTRACTS_EXPECTED);
  });

  test('defaults: host, sessionId, standard, timers (E37-10.1 typical), tolerance, capabilities, control none', () => {
    assert.deepEqual(parseProfile(MINIMAL, 'p.yaml'), {
      name: 'x',
      role: 'active',
      host: '127.0.0.1',
      testerHost: '127.0.0.2',
      port: 5001,
      sessionId: 0,
      standard: 'e37',
      timers: { t3: 45, t5: 10, t6: 5, t7: 10, t8: 5 },
      tolerance: 0.5,
      capabilities: { multipleConnections: false, maxMessageLength: 16777216 },
      control: 'none',
      initiates: ALL_PROCEDURES,
    });
  });

  test('timers given in part keep the typical values for the rest; block form works too; empty sections take the defaults', () => {
    const p = parseProfile(`${MINIMAL}timers:\n  t7: 0.5\n  t3: 2\n`, 'p.yaml');
    assert.deepEqual(p.timers, { t3: 2, t5: 10, t6: 5, t7: 0.5, t8: 5 });
    const empty = parseProfile(`${MINIMAL}timers:\ncapabilities:\n  # all defaults\n`, 'p.yaml');
    assert.deepEqual(empty.timers, { t3: 45, t5: 10, t6: 5, t7: 10, t8: 5 });
    assert.deepEqual(empty.capabilities, { multipleConnections: false, maxMessageLength: 16777216 });
  });

  test('launch extensions: cwd, readyTimeout, numeric env values become text', () => {
    const p = parseProfile(`${MINIMAL}launch:\n  command: run\n  cwd: iut\n  readyTimeout: 2.5\n  restart: once\n  env:\n    N: 3\n    F: 0.25\n    S: "007"\n`, 'p.yaml');
    assert.deepEqual(p.launch, { command: 'run', env: { N: '3', F: '0.25', S: '007' }, restart: 'once', cwd: 'iut', readyTimeout: 2.5 });
    assert.equal(p.control, 'stdin');
  });

  test('control manual without launch is fine', () => {
    assert.equal(parseProfile(`${MINIMAL}control: manual\n`, 'p.yaml').control, 'manual');
  });

  test('loopback forms are accepted', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '0:0:0:0:0:0:0:1', '[::1]', '::ffff:127.0.0.1']) {
      assert.ok(isLoopbackHost(host), host);
    }
    for (const host of ['10.0.0.1', '128.0.0.1', '127.1', '::', '::2', 'example.com', 'localhost.example.com', '0.0.0.0']) {
      assert.ok(!isLoopbackHost(host), host);
    }
    assert.equal(parseProfile(`${MINIMAL}host: "::1"\n`, 'p.yaml').host, '::1');
  });

  test('YAML 1.2 reading: anchors, block scalars and flow lists are plain YAML now; a key named __proto__ is an ordinary key', () => {
    const p = parseProfile(`name: &n >-\n  folded\n  name\nrole: passive\nport: 1\n${LAUNCH}  env: { A: *n }\n`, 'p.yaml');
    assert.equal(p.name, 'folded name');
    assert.equal(p.launch?.env.A, 'folded name');
    const proto = parseProfile(`${MINIMAL}launch:\n  command: x\n  env: { __proto__: 1 }\n`, 'p.yaml');
    assert.equal(Object.getPrototypeOf(proto.launch!.env), Object.prototype);
    assert.deepEqual(Object.keys(proto.launch!.env), ['__proto__']);
  });
});

describe('IUT profile: control and the procedures the IUT can initiate', () => {
  test('a control mode alone means every procedure', () => {
    for (const mode of ['stdin', 'manual', 'none']) {
      const p = parseProfile(`${MINIMAL}${LAUNCH}control: ${mode}\n`, 'p.yaml');
      assert.equal(p.control, mode);
      assert.deepEqual(p.initiates, ALL_PROCEDURES);
    }
  });

  test('the mapping form lists what the IUT can initiate; without initiates it is every procedure', () => {
    const p = parseProfile(`${MINIMAL}${LAUNCH}control:\n  mode: stdin\n  initiates: [select, linktest, separate, send]\n`, 'p.yaml');
    assert.equal(p.control, 'stdin');
    assert.deepEqual(p.initiates, ['select', 'linktest', 'separate', 'send']);
    assert.deepEqual(parseProfile(`${MINIMAL}control: { mode: manual }\n`, 'p.yaml').initiates, ALL_PROCEDURES);
    assert.deepEqual(parseProfile(`${MINIMAL}control: { mode: manual, initiates: [] }\n`, 'p.yaml').initiates, []);
  });

  test('it reaches the run configuration and the report', () => {
    const p = parseProfile(`${MINIMAL}${LAUNCH}control: { mode: stdin, initiates: [linktest, send] }\n`, 'p.yaml');
    assert.deepEqual(configFromProfile(p).initiates, ['linktest', 'send']);
    assert.equal(describeProfile(p)['control.initiates'], 'linktest, send');
    assert.equal(describeProfile(p).control, 'stdin');
  });

  test('problems: an unknown procedure, a repeated one, no mode, an unknown key, stdin without launch, initiates with mode none', () => {
    assert.match(problem(`${MINIMAL}${LAUNCH}control: { mode: stdin, initiates: [linktest, reset] }\n`, 'control.initiates[1]', 6).detail, /one of select, deselect, linktest, separate, send, disconnect, got "reset"/);
    assert.match(problem(`${MINIMAL}${LAUNCH}control: { mode: stdin, initiates: [send, send] }\n`, 'control.initiates[1]').detail, /repeats item 1/);
    assert.match(problem(`${MINIMAL}${LAUNCH}control: { initiates: [send] }\n`, 'control.mode').detail, /is required \(one of stdin, manual, none\)/);
    assert.match(problem(`${MINIMAL}${LAUNCH}control: { mode: stdin, initiate: [send] }\n`, 'control.initiate').detail, /did you mean 'initiates'\?/);
    assert.match(problem(`${MINIMAL}control: { mode: stdin, initiates: [send] }\n`, 'control.mode').detail, /'stdin' needs launch/);
    assert.match(problem(`${MINIMAL}control: { mode: none, initiates: [send] }\n`, 'control.initiates').detail, /means nothing with mode none/);
    assert.match(problem(`${MINIMAL}control: auto\n`, 'control').detail, /one of stdin, manual, none or a mapping with the keys mode, initiates, got "auto"/);
    assert.match(problem(`${MINIMAL}control: [stdin]\n`, 'control').detail, /got a list/);
  });
});

describe('IUT profile: every problem at once, each with its key path, line and column', () => {
  test('a profile with nine problems reports all nine, in file order', () => {
    const text = [
      'name: x', // 1
      'role: passive', // 2
      'port: 5000abc', // 3
      'tolerence: 1', // 4
      'capabilities:', // 5
      '  refusals: a', // 6
      '  maxMessageLength: 9', // 7
      'timers: { t9: 1, t3: 0.01, t6: 1.0005 }', // 8
      'host: 10.0.0.1', // 9
      'control: auto', // 10
      '',
    ].join('\n');
    const found = problems(text).map((p) => `${p.line}:${p.column} ${p.field}`);
    assert.deepEqual(found, [
      '3:7 port',
      '4:1 tolerence',
      '6:3 capabilities.refusals',
      '7:21 capabilities.maxMessageLength',
      '8:11 timers.t9',
      '8:22 timers.t3',
      '8:32 timers.t6',
      '9:7 host',
      '10:10 control',
    ]);
  });

  test('the message lists every problem as FILE:LINE:COLUMN: FIELD: DETAIL', () => {
    try {
      parseProfile(`${MINIMAL}tolerence: 1\nsessionid: 2\n`, 'my.yaml');
      assert.fail('expected a ProfileError');
    } catch (err) {
      assert.ok(err instanceof ProfileError);
      assert.equal(err.field, 'tolerence');
      const lines = err.message.split('\n');
      assert.equal(lines[0], '2 problems in my.yaml:');
      assert.match(lines[1]!, /^ {2}my\.yaml:4:1: tolerence: unknown key; did you mean 'tolerance'\? \(allowed here: name, role, host, testerHost, port, sessionId, standard, timers, tolerance, capabilities, launch, control\)$/);
      assert.match(lines[2]!, /^ {2}my\.yaml:5:1: sessionid: unknown key; did you mean 'sessionId'\?/);
    }
    try {
      parseProfile('name: x\nrole: passive\nport: 0\n', 'one.yaml');
      assert.fail('expected a ProfileError');
    } catch (err) {
      assert.ok(err instanceof ProfileError);
      assert.equal(err.message, 'one.yaml:3:7: port: must be an integer from 1 to 65535, got 0');
    }
  });

  test('missing keys point at the mapping that lacks them', () => {
    assert.deepEqual(
      problems('# comment\nport: 1\n').map((p) => `${p.line}:${p.column} ${p.field}: ${p.detail}`),
      ['2:1 name: is required (a non-empty string)', '2:1 role: is required (one of passive, active, alternating)'],
    );
    assert.equal(problem(`${MINIMAL}launch:\n  restart: once\n`, 'launch.command').line, 4);
  });
});

describe('IUT profile: what each key accepts', () => {
  test('unknown keys, with a suggestion only when one allowed key is close', () => {
    assert.match(problem(`${MINIMAL}tolerence: 1\n`, 'tolerence').detail, /did you mean 'tolerance'/);
    assert.match(problem(`${MINIMAL}capabilities:\n  refusals: a\n`, 'capabilities.refusals', 5).detail, /did you mean 'refusal'/);
    assert.doesNotMatch(problem(`${MINIMAL}launch:\n  command: x\n  shell: bash\n`, 'launch.shell').detail, /did you mean/);
    assert.match(problem(`${MINIMAL}launch:\n  command: x\n  readytimeout: 3\n`, 'launch.readytimeout').detail, /did you mean 'readyTimeout'/);
    // t9 is as close to t3 as to t5..t8: no guess, the allowed keys are listed.
    assert.match(problem(`${MINIMAL}timers: { t9: 1 }\n`, 'timers.t9').detail, /^unknown key \(allowed here: t3, t5, t6, t7, t8\)$/);
  });
  test('port: wrong type, out of range, missing', () => {
    assert.equal(problem('name: x\nrole: passive\nport: 5000abc\n', 'port', 3).detail, 'must be an integer from 1 to 65535, got "5000abc"');
    problem('name: x\nrole: passive\nport: "5000"\n', 'port');
    problem('name: x\nrole: passive\nport: 0\n', 'port');
    problem('name: x\nrole: passive\nport: 65536\n', 'port');
    problem('name: x\nrole: passive\nport: 1.5\n', 'port');
    problem('name: x\nrole: passive\n', 'port');
  });
  test('timers: the reference peer limits, range and resolution', () => {
    assert.match(problem(`${MINIMAL}timers: { t3: 0.01 }\n`, 'timers.t3').detail, /from 0\.05 to 86400, got 0\.01/);
    assert.match(problem(`${MINIMAL}timers: { t6: 1.0005 }\n`, 'timers.t6').detail, /resolution is 1 ms/);
    problem(`${MINIMAL}timers: { t7: ten }\n`, 'timers.t7');
    problem(`${MINIMAL}timers: { t8: .inf }\n`, 'timers.t8');
    assert.match(problem(`${MINIMAL}timers: 5\n`, 'timers').detail, /must be a mapping with the keys t3, t5, t6, t7, t8, got 5/);
  });
  test("capabilities: refusal 'd', refusal with multipleConnections true, YAML 1.2 'no' is text, maxMessageLength range", () => {
    assert.match(problem(`${MINIMAL}capabilities:\n  refusal: d\n`, 'capabilities.refusal').detail, /one of a, b, c, got "d"/);
    assert.match(problem(`${MINIMAL}capabilities:\n  multipleConnections: true\n  refusal: a\n`, 'capabilities.refusal', 6).detail, /E37-9\.2\.4\.1/);
    assert.match(problem(`${MINIMAL}capabilities:\n  multipleConnections: no\n`, 'capabilities.multipleConnections').detail, /must be true or false, got "no"/);
    problem(`${MINIMAL}capabilities:\n  maxMessageLength: 9\n`, 'capabilities.maxMessageLength');
    problem(`${MINIMAL}capabilities:\n  maxMessageLength: 4294967296\n`, 'capabilities.maxMessageLength');
  });
  test('host: only loopback', () => {
    assert.match(problem(`${MINIMAL}host: 10.0.0.1\n`, 'host').detail, /loopback/);
    problem(`${MINIMAL}host: 127\n`, 'host');
  });
  test('testerHost: alternating only, loopback, not the IUT\'s own address; default 127.0.0.2', () => {
    const alternating = 'name: x\nrole: alternating\nport: 5001\n';
    assert.equal(parseProfile(alternating, 'p.yaml').testerHost, '127.0.0.2');
    assert.equal(parseProfile(`${alternating}testerHost: ::1\n`, 'p.yaml').testerHost, '::1');
    assert.match(problem(`${alternating}testerHost: 10.0.0.2\n`, 'testerHost', 4).detail, /loopback/);
    assert.match(problem(`${alternating}testerHost: 127.0.0.1\n`, 'testerHost', 4).detail, /must differ from host \(127\.0\.0\.1\)/);
    assert.match(problem(`${alternating}host: localhost\ntesterHost: 127.0.0.1\n`, 'testerHost', 5).detail, /must differ from host/);
    assert.match(problem(`${alternating}host: 127.0.0.2\n`, 'host', 4).detail, /must differ from testerHost/);
    assert.match(problem(`${MINIMAL}testerHost: 127.0.0.2\n`, 'testerHost', 4).detail, /applies only to role alternating \(role active: the IUT connects to host/);
    assert.match(problem('name: x\nrole: passive\nport: 5001\ntesterHost: 127.0.0.3\n', 'testerHost', 4).detail, /connects nowhere/);
  });

  test('name: required, not blank, text (a YAML number says to quote it)', () => {
    assert.match(problem('role: passive\nport: 1\n', 'name').detail, /is required/);
    assert.equal(problem('name: "  "\nrole: passive\nport: 1\n', 'name').detail, 'must not be blank');
    assert.match(problem('name: 2.1\nrole: passive\nport: 1\n', 'name').detail, /quote it/);
  });
  test('control stdin without launch; an unknown mode', () => {
    assert.match(problem(`${MINIMAL}control: stdin\n`, 'control').detail, /'stdin' needs launch/);
    problem(`${MINIMAL}control: auto\n`, 'control');
  });
  test('launch: command required, env entries typed and named, HSMS_* reserved, restart, readyTimeout, cwd', () => {
    problem(`${MINIMAL}launch:\n  restart: once\n`, 'launch.command');
    problem(`${MINIMAL}launch:\n`, 'launch.command');
    assert.equal(problem(`${MINIMAL}launch:\n  command: "  "\n`, 'launch.command').detail, 'must not be blank');
    assert.match(problem(`${MINIMAL}launch:\n  command: x\n  env: { X: true }\n`, 'launch.env.X').detail, /a string or a number, got true/);
    assert.match(problem(`${MINIMAL}launch:\n  command: x\n  env: { 9X: a }\n`, 'launch.env.9X').detail, /not a valid environment variable name/);
    assert.match(problem(`${MINIMAL}launch:\n  command: x\n  env: { HSMS_PORT: 1 }\n`, 'launch.env.HSMS_PORT').detail, /set by the harness/);
    problem(`${MINIMAL}launch:\n  command: x\n  restart: always\n`, 'launch.restart');
    problem(`${MINIMAL}launch:\n  command: x\n  readyTimeout: 0\n`, 'launch.readyTimeout');
    problem(`${MINIMAL}launch:\n  command: x\n  cwd: ""\n`, 'launch.cwd');
  });
  test('other scalars: sessionId, standard, tolerance, role', () => {
    problem(`${MINIMAL}sessionId: 65536\n`, 'sessionId');
    problem(`${MINIMAL}sessionId: -1\n`, 'sessionId');
    assert.match(problem(`${MINIMAL}standard: e37.1\n`, 'standard').detail, /one of e37, hsms-ss/);
    problem(`${MINIMAL}tolerance: 0\n`, 'tolerance');
    assert.match(problem(`${MINIMAL}tolerance: -0.5\n`, 'tolerance').detail, /a number greater than 0, got -0\.5/);
    problem('name: x\nrole: host\nport: 1\n', 'role');
  });
  test('not a mapping at all, or empty', () => {
    assert.match(problem('- a\n- b\n', 'profile').detail, /must be a YAML mapping/);
    assert.match(problem('# nothing\n', 'profile').detail, /is empty/);
  });
});

describe('IUT profile: YAML problems carry line and column', () => {
  test('tab indentation', () => {
    const p = problem(`${MINIMAL}capabilities:\n\trefusal: a\n`, 'profile', 5);
    assert.equal(p.column, 1);
    assert.match(p.detail, /tab/i);
  });
  test('duplicate key, in block and flow mappings', () => {
    assert.match(problem('name: x\nrole: passive\nport: 1\nport: 2\n', 'port', 4).detail, /given twice/);
    problem(`${MINIMAL}timers: { t3: 1, t3: 2 }\n`, 'timers.t3', 4);
  });
  test('an unterminated quote is reported where the value starts', () => {
    const p = problem('name: "Acme\nrole: passive\nport: 1\n', 'name', 1);
    assert.equal(p.column, 7);
    assert.match(p.detail, /quote/);
  });
  test('a second document, and an unknown tag', () => {
    assert.match(problem(`${MINIMAL}---\nname: y\n`, 'profile', 4).detail, /one YAML document/);
    problem(`${MINIMAL}sessionId: !hex 10\n`, 'sessionId', 4);
  });
});

describe('IUT profile: loading, environment, description', () => {
  test('loadProfile resolves launch.cwd next to the file; an unreadable file names "profile"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'profile-test-'));
    try {
      const file = join(dir, 'iut.yaml');
      writeFileSync(file, `${MINIMAL}launch:\n  command: ./run.sh\n  cwd: sub/dir\n`);
      assert.equal(loadProfile(file).launch?.cwd, join(dir, 'sub', 'dir'));
      writeFileSync(file, `${MINIMAL}launch:\n  command: ./run.sh\n  cwd: /opt/iut\n`);
      assert.equal(loadProfile(file).launch?.cwd, '/opt/iut');
      assert.throws(() => loadProfile(join(dir, 'missing.yaml')), (err: unknown) => err instanceof ProfileError && err.field === 'profile' && /cannot read/.test(err.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('launchEnvironment: HSMS_* from the profile, merged with launch.env, HSMS_* winning', () => {
    const p = parseProfile(CONTRACTS_EXAMPLE, 'example.yaml');
    assert.deepEqual(launchEnvironment(p), {
      T7: '0.5',
      HSMS_ROLE: 'passive',
      HSMS_HOST: '127.0.0.1',
      HSMS_PORT: '5000',
      HSMS_SESSION_ID: '0',
      HSMS_T3: '45',
      HSMS_T5: '10',
      HSMS_T6: '5',
      HSMS_T7: '10',
      HSMS_T8: '5',
    });
    // A profile built in code can hold a clashing name; the profile's own value still wins.
    const built: IutProfile = { ...p, launch: { command: 'x', env: { HSMS_PORT: '1', OTHER: 'y' }, restart: 'once', readyTimeout: 10 } };
    assert.equal(launchEnvironment(built).HSMS_PORT, '5000');
    assert.equal(launchEnvironment(built).OTHER, 'y');
  });

  test('launchEnvironment: HSMS_REMOTE_HOST is where the IUT connects: host when active, testerHost when alternating', () => {
    assert.equal(launchEnvironment(parseProfile(MINIMAL, 'p.yaml')).HSMS_REMOTE_HOST, '127.0.0.1');
    const alternating = parseProfile('name: x\nrole: alternating\nport: 5001\ntesterHost: ::1\n', 'p.yaml');
    assert.equal(launchEnvironment(alternating).HSMS_HOST, '127.0.0.1');
    assert.equal(launchEnvironment(alternating).HSMS_REMOTE_HOST, '::1');
    assert.equal(describeProfile(alternating).testerHost, '::1');
    assert.equal(describeProfile(parseProfile(MINIMAL, 'p.yaml')).testerHost, undefined);
    assert.match(problem(`${MINIMAL}${LAUNCH}  env: { HSMS_REMOTE_HOST: x }\n`, 'launch.env.HSMS_REMOTE_HOST').detail, /set by the harness/);
  });

  test('describeProfile flattens every field to text', () => {
    const d = describeProfile(parseProfile(CONTRACTS_EXAMPLE, 'example.yaml'));
    assert.equal(d.name, 'Acme etcher host interface 2.1');
    assert.equal(d['timers.t3'], '45');
    assert.equal(d['capabilities.refusal'], 'a');
    assert.equal(d['launch.env.T7'], '0.5');
    assert.equal(d.control, 'stdin');
    assert.equal(d['control.initiates'], ALL_PROCEDURES.join(', '));
    for (const v of Object.values(d)) assert.equal(typeof v, 'string');
    assert.equal(describeProfile(parseProfile(MINIMAL, 'p.yaml'))['capabilities.refusal'], 'not declared');
  });
});

describe('did you mean', () => {
  test('edit distance, with case differences counting half', () => {
    assert.equal(editDistance('tolerence', 'tolerance'), 1);
    assert.equal(editDistance('sessionid', 'sessionId'), 0.5);
    assert.equal(editDistance('', 'abc'), 3);
  });
  test('one close key is suggested; none when nothing is close or two are equally close', () => {
    assert.equal(closestKey('tolerence', ['name', 'tolerance', 'timers']), 'tolerance');
    assert.equal(closestKey('session_id', ['sessionId', 'standard']), 'sessionId');
    assert.equal(closestKey('shell', ['command', 'env', 'restart', 'cwd', 'readyTimeout']), null);
    assert.equal(closestKey('t9', ['t3', 't5']), null);
  });
});

/** Every schema object below `schema` that describes a key, with its path. */
function describedSchemas(schema: JsonSchema, path: string): Array<[string, JsonSchema]> {
  const out: Array<[string, JsonSchema]> = [[path, schema]];
  for (const [k, sub] of Object.entries(schema.properties ?? {})) out.push(...describedSchemas(sub, `${path}.${k}`));
  for (const [k, sub] of Object.entries(schema.$defs ?? {})) out.push(...describedSchemas(sub, `${path}.$defs.${k}`));
  for (const [i, sub] of (schema.anyOf ?? []).entries()) if (!sub.$ref) out.push(...describedSchemas(sub, `${path}.anyOf[${i}]`));
  for (const sub of [schema.items, schema.propertyNames, typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined]) {
    if (sub && !sub.$ref) out.push(...describedSchemas(sub, `${path}.*`));
  }
  return out;
}

describe('profile.schema.json', () => {
  const schema = profileSchema();

  test('is a valid draft 2020-12 schema with an $id, at the package root', () => {
    assert.equal(profileSchemaFile(), join(root, 'profile.schema.json'));
    assert.equal((schema as { $schema?: string }).$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.ok(schema.$id);
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
    ajv.addKeyword('patternErrorMessage');
    assert.equal(ajv.validateSchema(schema), true, JSON.stringify(ajv.errors));
    ajv.compile(schema);
  });

  test('every key has a description', () => {
    const missing = describedSchemas(schema, 'profile').filter(([, s]) => !s.description || s.description.trim() === '');
    assert.deepEqual(
      missing.map(([p]) => p),
      [],
    );
  });

  test('uses only keywords draft-07 knows too, so editors that predate 2020-12 still check profiles', () => {
    const known = new Set(['$schema', '$id', '$ref', '$defs', 'title', 'description', 'type', 'enum', 'anyOf', 'properties', 'additionalProperties', 'propertyNames', 'required', 'items', 'uniqueItems', 'minimum', 'maximum', 'exclusiveMinimum', 'minLength', 'pattern', 'default', 'examples']);
    // $defs is only where $ref points (draft-07 tools follow the JSON pointer all the same);
    // patternErrorMessage is the editors' own extension (VS Code, yaml-language-server).
    known.add('patternErrorMessage');
    const used = new Set<string>();
    const walk = (s: JsonSchema): void => {
      for (const key of Object.keys(s)) used.add(key);
      for (const map of [s.properties, s.$defs]) for (const sub of Object.values(map ?? {})) walk(sub);
      for (const sub of [...(s.anyOf ?? []), s.items, s.propertyNames, typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined]) if (sub) walk(sub);
    };
    walk(schema);
    assert.deepEqual([...used].filter((k) => !known.has(k)), []);
  });

  test('agrees with the code it documents: timer limits, the control procedures', () => {
    const timer = schema.$defs!.timer!;
    assert.equal(timer.minimum, TIMER_LIMITS.min);
    assert.equal(timer.maximum, TIMER_LIMITS.max);
    // Each procedure is a command line of CONTRACTS.md section 1 (send needs its arguments).
    for (const name of schema.$defs!.procedure!.enum as string[]) {
      const parsed = parsePeerCommand(name === 'send' ? 'send 1 1 W' : name);
      assert.ok(parsed?.ok && parsed.command.kind === name, name);
    }
  });
});

/** The example profiles shipped under examples/. */
function exampleProfiles(dir = join(root, 'examples')): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...exampleProfiles(path));
    else if (entry.endsWith('.yaml') && /^role:/m.test(readFileSync(path, 'utf8'))) out.push(path);
  }
  return out;
}

describe('example profiles', () => {
  const files = exampleProfiles();
  test('there are some', () => assert.ok(files.length >= 8, files.join(', ')));
  for (const file of files) {
    test(`${file.slice(root.length + 1)}: names the schema on its first line and validates`, () => {
      const first = readFileSync(file, 'utf8').split('\n')[0]!;
      const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
      assert.ok(m, first);
      assert.equal(resolve(dirname(file), m[1]!), join(root, 'profile.schema.json'));
      loadProfile(file);
    });
  }
});

describe('hsms-conformance init: starter profiles', () => {
  for (const role of ['passive', 'active', 'alternating'] as const) {
    for (const standard of ['e37', 'hsms-ss'] as const) {
      test(`${role}, ${standard}: validates and reads back as declared`, () => {
        const text = starterProfile({ role, standard, schemaRef: 'profile.schema.json' });
        assert.equal(text.split('\n')[0], '# yaml-language-server: $schema=profile.schema.json');
        const p = parseProfile(text, 'starter.yaml');
        assert.equal(p.role, role);
        assert.equal(p.standard, standard);
        assert.equal(p.control, 'none');
        assert.equal(p.capabilities.refusal, role === 'passive' ? 'a' : undefined);
        assert.equal(p.testerHost, '127.0.0.2');
        // The commented-out launch and control blocks are valid too once uncommented.
        const uncommented = text
          .split('\n')
          .map((l) => (/^# (launch:|control:| {2}\S)/.test(l) ? l.slice(2) : l))
          .filter((l) => l !== 'control: none')
          .join('\n');
        const q = parseProfile(uncommented, 'uncommented.yaml');
        assert.equal(q.control, 'stdin');
        assert.equal(q.launch?.command, './start-iut.sh');
        assert.ok(q.initiates.length > 0);
      });
    }
  }

  test('the schema reference is relative to the profile directory', () => {
    assert.equal(schemaReference(root), 'profile.schema.json');
    assert.equal(schemaReference(join(root, 'examples', 'profiles')), '../../profile.schema.json');
  });
});

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs hsms-conformance with `args` in `cwd`, killed after `timeoutMs`. */
function runCli(args: readonly string[], cwd: string, timeoutMs: number): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Starts the reference peer as a passive IUT on `port` with the self-test timers. */
function startPeer(port: number): ChildProcess {
  const args = ['--mode', 'passive', '--port', String(port), '--t3', '1', '--t5', '0.3', '--t6', '0.5', '--t7', '0.8', '--t8', '0.4'];
  const child = spawn(process.execPath, [join(root, 'bin', 'hsms-peer.js'), ...args], { cwd: root, stdio: ['pipe', 'ignore', 'ignore'] });
  return child;
}

function stopPeer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** Rewrites keys of a YAML profile, keeping its comments. */
function editProfile(text: string, edits: ReadonlyArray<readonly [readonly string[], unknown]>): string {
  const doc = parseDocument(text);
  for (const [path, value] of edits) doc.setIn(path, value);
  return doc.toString();
}

interface ComplianceScenario {
  readonly name: string;
  readonly verdict: string;
  readonly reason?: string;
}

function scenariosOf(reportDir: string, clause: string): readonly ComplianceScenario[] {
  const report = JSON.parse(readFileSync(join(reportDir, 'compliance.json'), 'utf8')) as { clauses: Array<{ id: string; scenarios: ComplianceScenario[] }> };
  return report.clauses.find((c) => c.id === clause)?.scenarios ?? [];
}

describe('hsms-conformance CLI with profiles', () => {
  test('a profile with typos in two keys exits 2 and names both, with their lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'profile-cli-'));
    try {
      writeFileSync(join(dir, 'typos.yaml'), 'name: x\nrole: passive\nport: 5000\ntolerence: 1\ncapabilities:\n  maxMessageLenght: 100\n');
      const r = await runCli(['run', '--profile', 'typos.yaml', '--report-dir', 'reports'], dir, 60_000);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /typos\.yaml:4:1: tolerence: unknown key; did you mean 'tolerance'\?/);
      assert.match(r.stderr, /typos\.yaml:6:3: capabilities\.maxMessageLenght: unknown key; did you mean 'maxMessageLength'\?/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('init writes to --out, refuses to overwrite without --force, prints without --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'profile-init-'));
    try {
      const first = await runCli(['init', '--out', 'p.yaml', '--role', 'active', '--standard', 'hsms-ss'], dir, 30_000);
      assert.equal(first.code, 0, first.stderr);
      const written = readFileSync(join(dir, 'p.yaml'), 'utf8');
      assert.equal(loadProfile(join(dir, 'p.yaml')).role, 'active');
      const again = await runCli(['init', '--out', 'p.yaml'], dir, 30_000);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /exists already \(--force overwrites it\)/);
      assert.equal(readFileSync(join(dir, 'p.yaml'), 'utf8'), written);
      const forced = await runCli(['init', '--out', 'p.yaml', '--force'], dir, 30_000);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(loadProfile(join(dir, 'p.yaml')).role, 'passive');
      const printed = await runCli(['init', '--standard', 'hsms-ss'], dir, 30_000);
      assert.equal(printed.code, 0, printed.stderr);
      assert.equal(parseProfile(printed.stdout, 'stdout').standard, 'hsms-ss');
      assert.equal((await runCli(['init', '--role', 'host'], dir, 30_000)).code, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('init --out p.yaml, then run --profile p.yaml against a launched reference peer: exit 0', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'profile-init-run-'));
    const port = await freePort();
    const peer = startPeer(port);
    try {
      const init = await runCli(['init', '--out', 'p.yaml'], dir, 30_000);
      assert.equal(init.code, 0, init.stderr);
      const file = join(dir, 'p.yaml');
      // What a user sets for their IUT: its port and its (here short) timers.
      const edited = editProfile(readFileSync(file, 'utf8'), [
        [['port'], port],
        [['timers'], { t3: 1, t5: 0.3, t6: 0.5, t7: 0.8, t8: 0.4 }],
        [['tolerance'], 0.2],
      ]);
      writeFileSync(file, edited);
      // Run from the checkout (running from any directory is the packaging test's business).
      const r = await runCli(['run', '--profile', file, '--tags', '@E37-7.2.2', '--report-dir', join(dir, 'reports'), '--seed', '1'], root, 150_000);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /verdict: PASS/);
      assert.ok(scenariosOf(join(dir, 'reports'), 'E37-7.2.2').some((s) => s.verdict === 'pass'));
    } finally {
      await stopPeer(peer);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a procedure the profile says the IUT cannot initiate makes its scenarios not applicable, never a fail', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'profile-initiates-'));
    try {
      // The launched reference peer (it can initiate everything), declared unable to initiate Deselect.
      const port = await freePort();
      const example = readFileSync(join(root, 'examples', 'profiles', 'reference-peer-passive.yaml'), 'utf8');
      const profile = editProfile(example, [
        [['port'], port],
        [['launch', 'cwd'], root],
        [['control'], { mode: 'stdin', initiates: ['select', 'linktest', 'separate', 'send'] }],
      ]);
      writeFileSync(join(dir, 'p.yaml'), profile);
      const r = await runCli(['run', '--profile', join(dir, 'p.yaml'), '--tags', '@E37-7.4.1 or @E37-7.5.1', '--report-dir', join(dir, 'reports'), '--seed', '1'], root, 150_000);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const deselect = scenariosOf(join(dir, 'reports'), 'E37-7.4.1');
      assert.ok(deselect.length > 0, r.stdout);
      for (const s of deselect) {
        assert.equal(s.verdict, 'not-applicable', `${s.name}: ${s.reason}`);
        assert.match(s.reason ?? '', /the profile declares the IUT cannot initiate deselect/);
      }
      // Linktest is declared: its scenario still runs, and passes against the reference peer.
      const linktest = scenariosOf(join(dir, 'reports'), 'E37-7.5.1');
      assert.ok(linktest.length > 0 && linktest.every((s) => s.verdict === 'pass'), JSON.stringify(linktest));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
