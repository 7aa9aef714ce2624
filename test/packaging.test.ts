/**
 * hsms-conformance as users get it (issue 11): `npm pack`, installed offline from the tarball
 * into projects of their own, and run with npx from the project root and from a sub-directory.
 * One project is hostile (its own strict NodeNext tsconfig.json and `"type": "module"`), one is
 * plain (neither): the harness must not care. Covered: the full self-certification, a narrow
 * run, a launched IUT through a profile, fuzz, report, hsms-peer, the user's own features with
 * TypeScript, ESM and CommonJS step files, and the library API from ESM, CommonJS and tsc.
 *
 * The install is offline: `npm ci` of this project filled the npm cache, and each temp project
 * gets a package-lock.json made from this project's, so npm resolves nothing anew (without a lock
 * npm would ask the registry for the packuments). Runs from dist/test: the root is two levels up.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { encodeFrame } from '../src/protocol/header';
import { selectReq } from '../src/protocol/messages';
import { SType } from '../src/protocol/constants';
import { EMBEDDED_ROLES } from '../src/harness/iut-config';
import { freePort, RawSocket, within } from './support/raw-socket';
import { describeRun, runCommand, type CommandResult } from './support/run-command';

const ROOT = path.resolve(__dirname, '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';
/** Bounds: a narrow run or a command, the whole self-certification. */
const COMMAND_MS = 120_000;
const FULL_RUN_MS = 300_000;

let work = '';
let tarball = '';
let hostile = '';
let plain = '';

/**
 * The environment of a user's shell: nothing of this test run's npm leaks into theirs. npm is
 * offline, so a bin that is not installed fails at once instead of being fetched. npm test skips
 * the Allure HTML report (HSMS_CONFORMANCE_ALLURE_HTML=off, test/run-tests.ts) except where
 * `allureHtml` asks for it as a user gets it.
 */
function userEnv(allureHtml = false): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_|^TS_NODE_|^NODE_OPTIONS$/i.test(k) && !(allureHtml && k === 'HSMS_CONFORMANCE_ALLURE_HTML')) env[k] = v;
  return { ...env, npm_config_offline: 'true' };
}

function run(cwd: string, command: string, args: readonly string[], timeoutMs = COMMAND_MS, env = userEnv()): Promise<CommandResult> {
  return runCommand(command, args, { cwd, timeoutMs, env });
}

function npx(cwd: string, args: readonly string[], timeoutMs = COMMAND_MS, env = userEnv()): Promise<CommandResult> {
  return run(cwd, NPX, args, timeoutMs, env);
}

/** Whether Java runs here, which the Allure HTML report needs. */
function haveJava(): boolean {
  const r = spawnSync('java', ['-version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** package-lock.json for a project that depends on the tarball alone: this project's runtime entries. */
function projectLock(name: string): string {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const own = lock.packages['']!;
  const spec = `file:../${path.basename(tarball)}`;
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const packages: Record<string, unknown> = {
    '': { name, version: '1.0.0', dependencies: { 'hsms-conformance': spec } },
    'node_modules/hsms-conformance': { version: own.version, resolved: spec, integrity, license: own.license, dependencies: own.dependencies, bin: own.bin, engines: own.engines },
  };
  for (const [key, entry] of Object.entries(lock.packages)) if (key !== '' && !entry.dev) packages[key] = entry;
  return JSON.stringify({ name, version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2);
}

async function makeProject(name: string, manifest: Record<string, unknown>, files: Record<string, string>): Promise<string> {
  const dir = path.join(work, name);
  mkdirSync(path.join(dir, 'sub'), { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, ...manifest, dependencies: { 'hsms-conformance': `file:../${path.basename(tarball)}` } }, null, 2));
  writeFileSync(path.join(dir, 'package-lock.json'), projectLock(name));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  const r = await run(dir, NPM, ['ci', '--offline', '--no-audit', '--no-fund']);
  assert.equal(r.code, 0, describeRun(`npm ci --offline in ${name} (the npm cache is filled by this project's own \`npm ci\`; run it first)`, r));
  return dir;
}

// ---- the user's files ----------------------------------------------------------------------------

const HOSTILE_TSCONFIG = JSON.stringify({
  compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, verbatimModuleSyntax: true, noEmit: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true },
});

const REQUIREMENTS = JSON.stringify({ source: 'our own host rules', requirements: [{ id: 'HOST-1', title: 'Are You There', strength: 'MUST', statement: 'S1F1 W draws S1F2 with an empty list.' }] });

const FEATURE = `@HOST-1
Feature: Our own rules
  Scenario: S1F1 draws an empty S1F2, checked by TypeScript, ESM and CommonJS steps
    Given a selected connection to the IUT
    When the tester sends S1F1 W with the text:
      """
      <L>
      """
    Then our TypeScript step sees S1F2 <L[0]>
    And our JavaScript step agrees
`;

/** A TypeScript step file written for the hostile project: ESM syntax, type-only imports. */
const TS_STEPS = `import { Then, expectItem, expectReplyTo, step, type ScenarioContext } from 'hsms-conformance/steps';
import type { Item } from 'hsms-conformance';

export const seen = new WeakMap<ScenarioContext, Item | null>();

Then('our TypeScript step sees S1F2 <L[0]>', step({ does: 'Reads the reply.', checks: 'It is S1F2 <L[0]>.' }, async (ctx: ScenarioContext) => {
  const reply = await expectReplyTo(ctx, ctx.lastSentFrame(), { stream: 1, function: 2 });
  expectItem(reply.item, '<L[0]>');
  seen.set(ctx, reply.item);
}));
`;

const ESM_STEPS = `import { Then, step, Failure } from 'hsms-conformance/steps';
import { formatItem, decodeItem } from 'hsms-conformance';

Then('our JavaScript step agrees', step({ does: 'Decodes the last reply again.' }, (ctx) => {
  const text = formatItem(decodeItem(ctx.lastResponse().text));
  if (text !== '<L[0]>') throw new Failure('the reply was ' + text);
}));
`;

const CJS_STEPS = ESM_STEPS.replace(
  "import { Then, step, Failure } from 'hsms-conformance/steps';\nimport { formatItem, decodeItem } from 'hsms-conformance';",
  "const { Then, step, Failure } = require('hsms-conformance/steps');\nconst { formatItem, decodeItem } = require('hsms-conformance');",
);

/** The library API from TypeScript: the consumer file tsc must accept (NodeNext and node10 resolution). */
const CONSUMER_TS = `import { FrameDecoder, HsmsEntity, DEFAULT_PARAMETERS, parseItem, formatItem, encodeItem, type PeerEvent, type Frame } from 'hsms-conformance';
import { step, When, type ScenarioContext, type StepDoc } from 'hsms-conformance/steps';

const decoder = new FrameDecoder({ maxLength: 1024 });
const frames: Frame[] = decoder.push(Buffer.alloc(0)).flatMap((o) => (o.kind === 'frame' ? [o.frame] : []));
const entity = new HsmsEntity({ ...DEFAULT_PARAMETERS, port: 0 }, { onEvent: (e: PeerEvent) => void e.time });
const text: string = formatItem(parseItem('<L[1] <U4 7>>'));
const bytes: Buffer = encodeItem(parseItem(text));
const doc: StepDoc = { does: 'nothing' };
When('nothing happens', step(doc, (ctx: ScenarioContext) => void ctx.ms.t6));
export { frames, entity, bytes };
`;

/** The library API at run time: FrameDecoder and HsmsEntity work, and nothing of cucumber or ts-node was loaded. */
const API_CHECK = `
const { FrameDecoder, HsmsEntity, DEFAULT_PARAMETERS, SType } = m;
const frame = Buffer.from(process.argv[1], 'hex');
const decoder = new FrameDecoder({ maxLength: 1024 });
const out = [...decoder.push(frame.subarray(0, 3)), ...decoder.push(frame.subarray(3))];
if (out.length !== 1 || out[0].kind !== 'frame' || out[0].frame.header.sType !== SType.SelectReq) throw new Error('FrameDecoder: ' + JSON.stringify(out));
const loaded = Object.keys(require.cache).filter((f) => /[\\\\/](@cucumber|ts-node|allure-cucumberjs|fast-check)[\\\\/]/.test(f));
if (loaded.length > 0) throw new Error('importing the package loaded ' + loaded.join(', '));
const entity = new HsmsEntity({ ...DEFAULT_PARAMETERS, host: '127.0.0.1', port: 0 });
entity.start().then(() => {
  if (!(entity.port > 0)) throw new Error('HsmsEntity did not listen');
  return entity.stop();
}).then(() => console.log('API OK ' + Object.keys(m).length));
`;

/**
 * The starter profile `init` writes, made into the user's edit of it: the reference peer launched
 * through npx (from the project root, `launch.cwd: ..` next to the profile in qa/), short timers.
 */
function launchedPeerProfile(starter: string, port: number): string {
  const launch = [
    'launch:',
    '  command: npx hsms-peer --mode $HSMS_ROLE --host $HSMS_HOST --port $HSMS_PORT --session-id $HSMS_SESSION_ID --t3 $HSMS_T3 --t5 $HSMS_T5 --t6 $HSMS_T6 --t7 $HSMS_T7 --t8 $HSMS_T8',
    '  cwd: ..',
    '  restart: once',
    '  readyTimeout: 30',
    'control: stdin',
  ].join('\n');
  return starter
    .replace(/^name: .*$/m, "name: launched hsms-peer (from the user's project)")
    .replace(/^port: \d+$/m, `port: ${port}`)
    .replace(/^timers: .*$/m, 'timers: { t3: 1, t5: 0.3, t6: 0.5, t7: 0.8, t8: 0.4 }')
    .replace(/^tolerance: .*$/m, 'tolerance: 0.2')
    .replace(/^control: none$/m, launch);
}

// ---------------------------------------------------------------------------------------------

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'hsms-packaging-'));
  // npm test has just built dist/; --ignore-scripts keeps pack from building again.
  const r = await run(ROOT, NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', work]);
  assert.equal(r.code, 0, describeRun('npm pack', r));
  const [info] = JSON.parse(r.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(work, info!.filename);
  packed = info!.files.map((f) => f.path);
  hostile = await makeProject('hostile-project', { type: 'module' }, {
    'tsconfig.json': HOSTILE_TSCONFIG,
    'consumer.ts': CONSUMER_TS,
    'qa/features/host.feature': FEATURE,
    'qa/requirements.json': REQUIREMENTS,
    'qa/steps/host.steps.ts': TS_STEPS,
    'qa/steps/agree.steps.js': ESM_STEPS,
  });
  plain = await makeProject('plain-project', {}, {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'commonjs', moduleResolution: 'node10', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true } }),
    'consumer.ts': CONSUMER_TS,
    'qa/features/host.feature': FEATURE.replace('our TypeScript step sees S1F2 <L[0]>', 'the IUT replies with S1F2 whose text is:\n      """\n      <L[0]>\n      """'),
    'qa/requirements.json': REQUIREMENTS,
    'qa/steps/agree.steps.js': CJS_STEPS,
  });
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

let packed: string[] = [];

describe('the packed tarball', () => {
  test('ships the compiled harness, steps, features and bin, and nothing else', () => {
    const sources = (dir: string): Set<string> => new Set(readdirSync(path.join(ROOT, dir), { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')));
    const src = sources('src');
    const steps = sources('steps');
    const stray = packed.filter((f) => {
      if (f === 'package.json' || f === 'README.md' || f === 'profile.schema.json') return false;
      if (/^bin\/[a-z-]+\.js$/.test(f) || /^features\/[^/]+\.feature$/.test(f)) return false;
      const m = /^dist\/(src|steps)\/(.+)\.(js|d\.ts)$/.exec(f);
      return !m || !(m[1] === 'src' ? src : steps).has(m[2]!);
    });
    assert.deepEqual(stray, [], 'files without a source in src/ or steps/, or outside bin/, dist/src, dist/steps and features/');
    for (const f of ['bin/hsms-conformance.js', 'bin/hsms-peer.js', 'dist/src/index.d.ts', 'dist/steps/index.d.ts', 'dist/steps/world.js', 'features/07.2-select.feature']) assert.ok(packed.includes(f), `the tarball holds ${f}`);
  });
});

describe('installed in a project with a strict NodeNext tsconfig.json and "type": "module"', () => {
  test('npx hsms-conformance run certifies the reference peer: exit 0, verdict PASS', async () => {
    const r = await npx(hostile, ['hsms-conformance', 'run', '--report-dir', 'self-cert', '--seed', '11'], FULL_RUN_MS, userEnv(true));
    assert.equal(r.code, 0, describeRun('self-certification', r));
    assert.match(r.stdout, /\nverdict: PASS\n/);
    assert.match(r.stdout, /in 3 roles \(passive, active, alternating\)/);
    assert.ok(existsSync(path.join(hostile, 'self-cert', 'compliance.html')), 'reports under the project root');
    if (haveJava()) assert.ok(existsSync(path.join(hostile, 'self-cert', 'allure-report', 'index.html')), describeRun('the Allure HTML report was not built', r));
    else assert.match(r.stdout, /Allure HTML report not built: Java is not installed/);
    // The catalogue's last corners have rows with a verdict, and the alternating role ran.
    const report = JSON.parse(readFileSync(path.join(hostile, 'self-cert', 'compliance.json'), 'utf8')) as { clauses: Array<{ id: string; verdict: string; scenarios: Array<{ role: string }> }> };
    for (const id of ['E37-5.1', 'E37-6.1', 'E37-7.7.1', 'E37-8.1.1']) assert.equal(report.clauses.find((c) => c.id === id)?.verdict, 'pass', id);
    assert.deepEqual(new Set(report.clauses.flatMap((c) => c.scenarios.map((sc) => sc.role))), new Set(EMBEDDED_ROLES));
  });

  test("from a sub-directory, the user's features run with TypeScript and ESM step files", async () => {
    const r = await npx(path.join(hostile, 'sub'), [
      'hsms-conformance', 'run', '--tags', '@HOST-1 or @E37-7.5.2',
      '--features', '../qa/features', '--require', '../qa/steps/host.steps.ts', '--require', '../qa/steps/agree.steps.js', '--requirements', '../qa/requirements.json',
      '--report-dir', 'mine',
    ]);
    assert.equal(r.code, 0, describeRun('user features from a sub-directory', r));
    assert.match(r.stdout, /PASS HOST-1 +S1F1 draws an empty S1F2, checked by TypeScript, ESM and CommonJS steps \(IUT passive\)/);
    assert.match(r.stdout, /PASS E37-7\.5\.2/);
    const report = JSON.parse(readFileSync(path.join(hostile, 'sub', 'mine', 'compliance.json'), 'utf8')) as { clauses: Array<{ id: string; verdict: string; scenarios: unknown[] }> };
    const row = report.clauses.find((c) => c.id === 'HOST-1');
    assert.equal(row?.verdict, 'pass');
    assert.equal(row.scenarios.length, EMBEDDED_ROLES.length, 'one scenario per role');
  });

  test('the library API imports from ESM with types, side-effect free', async () => {
    const frame = encodeFrame(selectReq(0, 7)).toString('hex');
    const esm = await run(hostile, process.execPath, ['-e', `import('hsms-conformance').then((m) => {${API_CHECK}});`, frame]);
    assert.equal(esm.code, 0, describeRun('import()', esm));
    assert.match(esm.stdout, /^API OK \d+$/m);
    const steps = await run(hostile, process.execPath, ['--input-type=module', '-e', "import { Given, When, Then, step, ScenarioContext, sendPrimary } from 'hsms-conformance/steps'; for (const f of [Given, When, Then, step, ScenarioContext, sendPrimary]) if (typeof f !== 'function') throw new Error('missing export'); console.log('STEPS OK');"]);
    assert.equal(steps.code, 0, describeRun('import from hsms-conformance/steps', steps));
    const tsc = await run(hostile, process.execPath, [path.join(hostile, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
    assert.equal(tsc.code, 0, describeRun('tsc on a consumer file (NodeNext, ESM)', tsc));
  });
});

describe('installed in a project with neither a tsconfig.json of its own nor a module type', () => {
  test('from a sub-directory: a narrow run, with a CommonJS step file, reports in the sub-directory', async () => {
    const r = await npx(path.join(plain, 'sub'), ['hsms-conformance', 'run', '--tags', '@HOST-1 or @E37-7.2.2', '--features', '../qa/features/host.feature', '--require', '../qa/steps/agree.steps.js', '--requirements', '../qa/requirements.json']);
    assert.equal(r.code, 0, describeRun('narrow run from a sub-directory', r));
    assert.match(r.stdout, /PASS HOST-1 /);
    assert.match(r.stdout, /PASS E37-7\.2\.2 /);
    assert.ok(existsSync(path.join(plain, 'sub', 'reports', 'junit.xml')), 'the default report folder is under the working directory');
  });

  test('report rebuilds the human-readable reports of that run', async () => {
    rmSync(path.join(plain, 'sub', 'reports', 'compliance.html'));
    const r = await npx(path.join(plain, 'sub'), ['hsms-conformance', 'report']);
    assert.equal(r.code, 0, describeRun('report', r));
    assert.ok(existsSync(path.join(plain, 'sub', 'reports', 'compliance.html')));
  });

  test('init writes a starter profile with the schema reference for where it lives', async () => {
    const r = await npx(path.join(plain, 'sub'), ['hsms-conformance', 'init', '--out', '../qa/peer.yaml']);
    assert.equal(r.code, 0, describeRun('init', r));
    const starter = readFileSync(path.join(plain, 'qa', 'peer.yaml'), 'utf8');
    const ref = /^# yaml-language-server: \$schema=(\S+)$/m.exec(starter)?.[1];
    assert.equal(ref, '../node_modules/hsms-conformance/profile.schema.json');
    assert.ok(existsSync(path.resolve(plain, 'qa', ref)), 'the schema is installed where the reference points');
  });

  test('a profile with two mistyped keys exits 2 naming both, with their lines', async () => {
    const starter = readFileSync(path.join(plain, 'qa', 'peer.yaml'), 'utf8');
    writeFileSync(path.join(plain, 'qa', 'typos.yaml'), starter.replace(/^tolerance:/m, 'tolerence:').replace(/^sessionId:/m, 'sesionId:'));
    const r = await npx(path.join(plain, 'sub'), ['hsms-conformance', 'run', '--profile', '../qa/typos.yaml']);
    assert.equal(r.code, 2, describeRun('run with a mistyped profile', r));
    assert.match(r.stderr, /typos\.yaml:\d+:\d+: tolerence: unknown key; did you mean 'tolerance'\?/);
    assert.match(r.stderr, /typos\.yaml:\d+:\d+: sesionId: unknown key; did you mean 'sessionId'\?/);
  });

  test('run --profile certifies a launched hsms-peer: the profile path from the working directory, launch.cwd from the profile', async () => {
    const file = path.join(plain, 'qa', 'peer.yaml');
    writeFileSync(file, launchedPeerProfile(readFileSync(file, 'utf8'), await freePort()));
    const r = await npx(path.join(plain, 'sub'), ['hsms-conformance', 'run', '--profile', '../qa/peer.yaml', '--tags', '@E37-7.5 or @E37-7.2.2', '--report-dir', '../profile-reports']);
    assert.equal(r.code, 0, describeRun('run --profile with a launched IUT', r));
    assert.match(r.stdout, /certifying launched hsms-peer \(from the user's project\)/);
    assert.match(r.stdout, /\nverdict: PASS\n/);
    assert.ok(existsSync(path.join(plain, 'profile-reports', 'compliance.json')));
  });

  test('fuzz runs against the reference peer', async () => {
    const r = await npx(plain, ['hsms-conformance', 'fuzz', '--runs', '5', '--seed', '3', '--property', 'framing']);
    assert.equal(r.code, 0, describeRun('fuzz', r));
  });

  test('npx hsms-peer serves a Select and stops cleanly on Ctrl-C', async () => {
    const port = await freePort();
    const child = spawn(NPX, ['hsms-peer', '--port', String(port)], { cwd: path.join(plain, 'sub'), env: userEnv(), stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let ended = false;
    void exited.then(() => (ended = true));
    try {
      const deadline = performance.now() + 30_000;
      while (!/listening/.test(stderr)) {
        assert.ok(!ended && performance.now() < deadline, `hsms-peer did not listen within 30 s: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const s = await RawSocket.connect(port);
      await s.send(selectReq(0, 9));
      const rsp = await s.nextFrame(5000);
      assert.equal(rsp.header.sType, SType.SelectRsp);
      assert.equal(rsp.header.byte3, 0);
      s.destroy();
    } finally {
      // Ctrl-C: SIGINT to the terminal's process group, npx and the peer alike.
      if (!ended) process.kill(-child.pid!, 'SIGINT');
    }
    assert.notEqual(await within(exited, 10_000), 'timeout', `still running 10 s after SIGINT: ${stderr}`);
    assert.match(stderr, /connected inbound[\s\S]*Select\.rsp status=0[\s\S]*\bstopped\n/, 'the peer closed its connections and stopped');
  });

  test('the library API requires from CommonJS, and tsc accepts a consumer with node10 resolution', async () => {
    const frame = encodeFrame(selectReq(0, 7)).toString('hex');
    const cjs = await run(plain, process.execPath, ['-e', `const m = require('hsms-conformance');${API_CHECK}`, frame]);
    assert.equal(cjs.code, 0, describeRun('require()', cjs));
    assert.match(cjs.stdout, /^API OK \d+$/m);
    const tsc = await run(plain, process.execPath, [path.join(plain, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
    assert.equal(tsc.code, 0, describeRun('tsc on a consumer file (CommonJS, node10)', tsc));
  });
});
