import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { YamlError, parseYaml, parseYamlDocument } from '../src/harness/yaml-subset';
import { ProfileError, describeProfile, isLoopbackHost, launchEnvironment, loadProfile, parseProfile, type IutProfile } from '../src/harness/profile';

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
  port: 5000,
  sessionId: 0,
  standard: 'e37',
  timers: { t3: 45, t5: 10, t6: 5, t7: 10, t8: 5 },
  tolerance: 0.5,
  capabilities: { multipleConnections: false, refusal: 'a', maxMessageLength: 16777216 },
  launch: { command: './start-iut.sh', env: { T7: '0.5' }, restart: 'per-scenario', readyTimeout: 10 },
  control: 'stdin',
};

const MINIMAL = 'name: x\nrole: active\nport: 5001\n';

/** Parses `text` expecting a ProfileError on `field`; returns it for further checks. */
function profileError(text: string, field: string): ProfileError {
  try {
    parseProfile(text, 'p.yaml');
  } catch (err) {
    assert.ok(err instanceof ProfileError, `expected ProfileError, got ${String(err)}`);
    assert.equal(err.field, field, err.message);
    assert.ok(err.message.startsWith(`${field}: `), err.message);
    return err;
  }
  assert.fail(`expected a ProfileError on ${field}`);
}

function yamlError(text: string, line: number, pattern: RegExp): YamlError {
  try {
    parseYaml(text);
  } catch (err) {
    assert.ok(err instanceof YamlError, `expected YamlError, got ${String(err)}`);
    assert.equal(err.line, line, err.message);
    assert.match(err.message, new RegExp(`^line ${line}, column \\d+: `));
    assert.match(err.detail, pattern);
    return err;
  }
  assert.fail(`expected a YamlError for ${JSON.stringify(text)}`);
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
      port: 5001,
      sessionId: 0,
      standard: 'e37',
      timers: { t3: 45, t5: 10, t6: 5, t7: 10, t8: 5 },
      tolerance: 0.5,
      capabilities: { multipleConnections: false, maxMessageLength: 16777216 },
      control: 'none',
    });
  });

  test('timers given in part keep the typical values for the rest; block form works too', () => {
    const p = parseProfile(`${MINIMAL}timers:\n  t7: 0.5\n  t3: 2\n`, 'p.yaml');
    assert.deepEqual(p.timers, { t3: 2, t5: 10, t6: 5, t7: 0.5, t8: 5 });
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
});

describe('IUT profile: every error names its field', () => {
  test('unknown top-level key', () => {
    assert.match(profileError(`${MINIMAL}tolerence: 1\n`, 'tolerence').message, /unknown key.*tolerance/);
  });
  test('unknown nested key', () => {
    profileError(`${MINIMAL}capabilities:\n  refusals: a\n`, 'capabilities.refusals');
    profileError(`${MINIMAL}launch:\n  command: x\n  shell: bash\n`, 'launch.shell');
  });
  test('wrong type for port, and port out of range or missing', () => {
    assert.match(profileError('name: x\nrole: passive\nport: 5000abc\n', 'port').message, /integer from 1 to 65535, got "5000abc" \(p\.yaml line 3\)/);
    profileError('name: x\nrole: passive\nport: "5000"\n', 'port');
    profileError('name: x\nrole: passive\nport: 0\n', 'port');
    profileError('name: x\nrole: passive\nport: 65536\n', 'port');
    profileError('name: x\nrole: passive\n', 'port');
  });
  test('timers.t9, and timer values checked with the reference peer limits', () => {
    profileError(`${MINIMAL}timers: { t9: 1 }\n`, 'timers.t9');
    assert.match(profileError(`${MINIMAL}timers: { t3: 0.01 }\n`, 'timers.t3').message, /between 0\.05 and 86400/);
    assert.match(profileError(`${MINIMAL}timers: { t6: 1.0005 }\n`, 'timers.t6').message, /resolution is 1 ms/);
    profileError(`${MINIMAL}timers: { t7: ten }\n`, 'timers.t7');
    profileError(`${MINIMAL}timers: 5\n`, 'timers');
  });
  test("refusal 'd', and refusal with multipleConnections true", () => {
    assert.match(profileError(`${MINIMAL}capabilities:\n  refusal: d\n`, 'capabilities.refusal').message, /one of a, b, c, got "d"/);
    profileError(`${MINIMAL}capabilities:\n  multipleConnections: true\n  refusal: a\n`, 'capabilities.refusal');
    profileError(`${MINIMAL}capabilities:\n  multipleConnections: no\n`, 'capabilities.multipleConnections');
    profileError(`${MINIMAL}capabilities:\n  maxMessageLength: 9\n`, 'capabilities.maxMessageLength');
  });
  test('non-loopback host 10.0.0.1', () => {
    assert.match(profileError(`${MINIMAL}host: 10.0.0.1\n`, 'host').message, /loopback/);
  });
  test('tab indentation', () => {
    const err = profileError(`${MINIMAL}capabilities:\n\trefusal: a\n`, 'profile');
    assert.match(err.message, /tab.*\(p\.yaml line 5, column 1\)/);
  });
  test('duplicate key', () => {
    assert.match(profileError('name: x\nrole: passive\nport: 1\nport: 2\n', 'port').message, /duplicate key 'port' \(first given on line 3\)/);
    profileError(`${MINIMAL}timers: { t3: 1, t3: 2 }\n`, 'timers.t3');
  });
  test('unterminated quote', () => {
    assert.match(profileError('name: "Acme\nrole: passive\nport: 1\n', 'name').message, /unterminated double-quoted string.*\(p\.yaml line 1, column 7\)$/);
  });
  test('missing name, missing role, empty name, name that YAML reads as a number', () => {
    assert.match(profileError('role: passive\nport: 1\n', 'name').message, /is required/);
    profileError('name: x\nport: 1\n', 'role');
    profileError('name: "  "\nrole: passive\nport: 1\n', 'name');
    assert.match(profileError('name: 2.1\nrole: passive\nport: 1\n', 'name').message, /quote it/);
  });
  test('control stdin without launch', () => {
    profileError(`${MINIMAL}control: stdin\n`, 'control');
    profileError(`${MINIMAL}control: auto\n`, 'control');
  });
  test('launch: command required, env entries typed and named, HSMS_* reserved', () => {
    profileError(`${MINIMAL}launch:\n  restart: once\n`, 'launch.command');
    profileError(`${MINIMAL}launch:\n`, 'launch.command');
    profileError(`${MINIMAL}launch:\n  command: x\n  env: { X: true }\n`, 'launch.env.X');
    profileError(`${MINIMAL}launch:\n  command: x\n  env: { 9X: a }\n`, 'launch.env.9X');
    profileError(`${MINIMAL}launch:\n  command: x\n  env: { HSMS_PORT: 1 }\n`, 'launch.env.HSMS_PORT');
    profileError(`${MINIMAL}launch:\n  command: x\n  restart: always\n`, 'launch.restart');
    profileError(`${MINIMAL}launch:\n  command: x\n  readyTimeout: 0\n`, 'launch.readyTimeout');
  });
  test('other scalars: sessionId, standard, tolerance, role', () => {
    profileError(`${MINIMAL}sessionId: 65536\n`, 'sessionId');
    profileError(`${MINIMAL}standard: e37.1\n`, 'standard');
    profileError(`${MINIMAL}tolerance: 0\n`, 'tolerance');
    profileError(`${MINIMAL}tolerance: -0.5\n`, 'tolerance');
    profileError('name: x\nrole: host\nport: 1\n', 'role');
  });
  test('not a mapping at all, or empty', () => {
    profileError('- a\n- b\n', 'profile');
    profileError('# nothing\n', 'profile');
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

  test('describeProfile flattens every field to text', () => {
    const d = describeProfile(parseProfile(CONTRACTS_EXAMPLE, 'example.yaml'));
    assert.equal(d.name, 'Acme etcher host interface 2.1');
    assert.equal(d['timers.t3'], '45');
    assert.equal(d['capabilities.refusal'], 'a');
    assert.equal(d['launch.env.T7'], '0.5');
    assert.equal(d.control, 'stdin');
    for (const v of Object.values(d)) assert.equal(typeof v, 'string');
    assert.equal(describeProfile(parseProfile(MINIMAL, 'p.yaml'))['capabilities.refusal'], 'not declared');
  });
});

describe('YAML subset', () => {
  test('comments: full line, trailing, indented, and # inside quotes or words is text', () => {
    assert.deepEqual(parseYaml('# head\n\na: 1 # trailing\n    # indented comment\nb: "x # y" # c\nc: \'#1\'\nd: a#b\n'), { a: 1, b: 'x # y', c: '#1', d: 'a#b' });
  });
  test("quotes: escapes in double quotes, '' in single quotes, apostrophe in a plain string", () => {
    assert.deepEqual(parseYaml('a: "tab\\tnl\\n\\"q\\" \\\\ \\x41\\u00e9\\U0001F600"\nb: \'it\'\'s\'\nc: it\'s\nd: ""\n'), {
      a: 'tab\tnl\n"q" \\ A\u00e9\u{1F600}',
      b: "it's",
      c: "it's",
      d: '',
    });
    yamlError('a: "\\q"', 1, /unknown escape/);
    yamlError("a: 'abc", 1, /unterminated single-quoted/);
    yamlError('a: "x" y', 1, /after the closing quote/);
  });
  test('scalars: integers, negatives, decimals, booleans, null, and number-like strings stay strings', () => {
    assert.deepEqual(parseYaml('a: -5\nb: +7\nc: 0.25\nd: -0.5\ne: 1e3\nf: .5\ng: 0x1F\nh: true\ni: False\nj: ~\nk: null\nl:\nm: 5000abc\nn: 1.2.3\no: yes\np: "5"\nq: 12:30\n'), {
      a: -5,
      b: 7,
      c: 0.25,
      d: -0.5,
      e: 1000,
      f: 0.5,
      g: 31,
      h: true,
      i: false,
      j: null,
      k: null,
      l: null,
      m: '5000abc',
      n: '1.2.3',
      o: 'yes',
      p: '5',
      q: '12:30',
    });
    yamlError('a: 99999999999999999999', 1, /too large/);
    yamlError('a: .inf', 1, /not supported/);
  });
  test('flow mappings: spacing, quoted keys and values, empty values, trailing comma, empty map', () => {
    assert.deepEqual(parseYaml('a: {t3: 45,t5: 10}\nb: { "k x": \'v, w\' , n: , }\nc: {}\n'), { a: { t3: 45, t5: 10 }, b: { 'k x': 'v, w', n: null }, c: {} });
    yamlError('a: { b: 1', 1, /unterminated flow mapping/);
    yamlError('a: { b: { c: 1 } }', 1, /nested flow/);
    yamlError('a: { b }', 1, /expected 'key: value'/);
    yamlError('a: { b: 1 } x', 1, /after '}'/);
  });
  test('nested block mappings and block sequences (indented or level with the key)', () => {
    assert.deepEqual(parseYaml('---\na:\n  b:\n    c: 1\n  d: 2\nl:\n- x\n- -1\n- "q: r"\nm:\n  - y\nz: 0\n'), { a: { b: { c: 1 }, d: 2 }, l: ['x', -1, 'q: r'], m: ['y'], z: 0 });
  });
  test('structure errors name the line', () => {
    assert.match(yamlError('a: 1\n\nb\n', 3, /expected 'key: value'/).message, /^line 3, column 1: expected 'key: value'$/);
    yamlError('a: 1\n  b: 2\n', 2, /multi-line scalars are not supported/);
    yamlError('a:\n    b: 1\n  c: 2\n', 3, /matches no enclosing block/);
    yamlError('a:\n\tb: 1\n', 2, /tab/);
    yamlError('a: 1\na: 2\n', 2, /duplicate key 'a'/);
    yamlError('a: b: c\n', 1, /cannot hold 'key: value'/);
    yamlError('l:\n- a: 1\n', 2, /sequence items must be scalars/);
    yamlError('l:\n- - a\n', 2, /nested sequences/);
    yamlError('x: 1\n---\ny: 2\n', 2, /second document/);
    yamlError(': 1\n', 1, /missing key/);
  });
  test('constructs outside the subset are errors, never silent mis-parses', () => {
    yamlError('a: &anchor 1\n', 1, /anchors/);
    yamlError('a: *anchor\n', 1, /aliases/);
    yamlError('a: !!str 1\n', 1, /tags/);
    yamlError('a: |\n  text\n', 1, /block scalars/);
    yamlError('a: >-\n  text\n', 1, /folded scalars/);
    yamlError('a: [1, 2]\n', 1, /flow sequences/);
    yamlError('? a\n: 1\n', 1, /complex keys/);
    yamlError('%YAML 1.2\n---\na: 1\n', 1, /directives/);
    yamlError('a: 1\n...\n', 2, /end marker/);
  });
  test('a key named __proto__ is an ordinary key, and positions record where keys were written', () => {
    const doc = parseYamlDocument('__proto__: 1\nb:\n  c: { d: 2 }\n');
    assert.equal(Object.getPrototypeOf(doc.value), Object.prototype);
    assert.deepEqual(Object.keys(doc.value as object), ['__proto__', 'b']);
    assert.deepEqual(doc.positions.get('b.c.d'), { line: 3, column: 8 });
    assert.deepEqual(doc.positions.get('b.c'), { line: 3, column: 3 });
  });
  test('CRLF line endings, a byte-order mark and an empty document', () => {
    assert.deepEqual(parseYaml('\ufeffa: 1\r\nb: x\r\n'), { a: 1, b: 'x' });
    assert.equal(parseYaml('# only a comment\n\n'), null);
  });
});
