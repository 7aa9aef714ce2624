/**
 * Users extend the suite (`run --features --require --requirements`): their requirements file
 * is validated with every problem named, their scenarios' tags and steps are checked before the
 * IUT is touched, the worked example in examples/custom-features/ passes against the reference
 * peer with its rows in compliance.html and junit.xml, and fails when the peer answers wrongly.
 * `hsms-conformance steps` documents every built-in step. Runs from dist/test: the root is two levels up.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { checkScenarioTags, parseRequirements, RequirementsFileError, type UserCatalogue } from '../src/harness/user-requirements';
import type { CatalogueEntry } from '../src/cli/steps-command';
import { freePort } from './support/raw-socket';
import { describeRun, runCommand } from './support/run-command';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'bin', 'hsms-conformance.js');
const EXAMPLE = path.join(ROOT, 'examples', 'custom-features');
/** Bound for one CLI run of the example (a few seconds of scenarios, then the Allure report). */
const RUN_LIMIT_MS = 120_000;

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'hsms-user-features-'));
  temps.push(d);
  return d;
}

const CATALOGUE: UserCatalogue = {
  requirements: [{ id: 'E30-x', title: 'x', strength: 'MUST', statement: 's', source: 'mine' }],
  tags: ['@slow'],
};

describe('user requirements file', () => {
  test('a valid file gives its requirements, each with the file\'s source', () => {
    const c = parseRequirements(JSON.stringify({ source: ' SEMI E30 ', requirements: [{ id: 'E30-a.1', title: 'A', strength: 'SHOULD', statement: 'does a' }], tags: ['@gem'] }), 'r.json');
    assert.deepEqual(c, { requirements: [{ id: 'E30-a.1', title: 'A', strength: 'SHOULD', statement: 'does a', source: 'SEMI E30' }], tags: ['@gem'] });
  });

  test('every problem of a bad file is named at once, with the file and the key', () => {
    const text = JSON.stringify({
      sourc: 'x',
      requirements: [
        { id: 'E37-7.2', title: 'a', strength: 'MUST', statement: 's' },
        { id: 'ok-1', title: '', strength: 'must', statement: 's', why: 1 },
        { id: 'ok-1', title: 't', strength: 'MAY', statement: 's' },
      ],
      tags: ['slow', '@ok-1'],
    });
    assert.throws(
      () => parseRequirements(text, 'r.json'),
      (e: unknown) => {
        assert.ok(e instanceof RequirementsFileError);
        const expected = [
          /^r\.json: sourc: unknown key/,
          /^r\.json: source: must name where the requirements come from/,
          /^r\.json: requirements\[0\]\.id: E37-7\.2 has the form of a built-in E37 clause id/,
          /^r\.json: requirements\[1\] \(ok-1\)\.why: unknown key/,
          /^r\.json: requirements\[1\] \(ok-1\)\.title: must be a non-empty string/,
          /^r\.json: requirements\[1\] \(ok-1\)\.strength: must be MUST, SHOULD or MAY, got "must"/,
          /^r\.json: requirements\[2\]\.id: duplicate id ok-1 \(first at requirements\[1\]\)/,
          /^r\.json: tags\[0\]: must be a tag starting with @/,
          /^r\.json: tags\[1\]: @ok-1 is a requirement id already/,
        ];
        assert.equal(e.problems.length, expected.length, e.message);
        expected.forEach((re, i) => assert.match(e.problems[i]!, re));
        return true;
      },
    );
    assert.throws(() => parseRequirements('{ "source": ', 'r.json'), /^RequirementsFileError: r\.json: not valid JSON/);
  });

  test('a scenario tag nobody declares is named with the scenario; a scenario without a clause is an error', () => {
    const problems = checkScenarioTags(
      [
        { name: 'fine', location: 'a.feature:3', tags: ['@E30-x', '@MUST', '@slow', '@iut-passive'] },
        { name: 'builtin', location: 'a.feature:9', tags: ['@E37-7.2.2'] },
        { name: 'typo', location: 'a.feature:12', tags: ['@E30-y', '@E37-99.9'] },
        { name: 'bare', location: 'a.feature:20', tags: ['@slow'] },
      ],
      CATALOGUE,
    );
    assert.deepEqual(problems, [
      "a.feature:12: scenario 'typo' carries @E30-y, which no requirements file declares (declare it with --requirements FILE, as a requirement id or under \"tags\")",
      "a.feature:12: scenario 'typo' carries @E37-99.9, which the E37 catalogue does not define",
      "a.feature:12: scenario 'typo' names no clause: tag it with the id of a requirement it checks (e.g. @E30-x)",
      "a.feature:20: scenario 'bare' names no clause: tag it with the id of a requirement it checks (e.g. @E30-x)",
    ]);
  });
});

/** A launched reference peer with the example's reply table (or another), on a free port. */
async function exampleProfile(dir: string, peerConfig = path.join(EXAMPLE, 'reference-peer.json')): Promise<string> {
  const port = await freePort();
  const profile = readFileSync(path.join(EXAMPLE, 'profile.yaml'), 'utf8')
    .replace(/^port: \d+$/m, `port: ${port}`)
    .replace(/^( {2}command: .*)--config reference-peer\.json/m, `$1--config ${peerConfig}`)
    .replace(/^  cwd: \.$/m, `  cwd: ${EXAMPLE}`);
  const file = path.join(dir, 'profile.yaml');
  writeFileSync(file, profile);
  return file;
}

function exampleArgs(profile: string, reportDir: string): string[] {
  return [
    'run',
    '--profile', profile,
    '--features', path.join(EXAMPLE, 'features'),
    '--require', path.join(EXAMPLE, 'steps', 'e30.steps.ts'),
    '--requirements', path.join(EXAMPLE, 'requirements.json'),
    '--only-user-features',
    '--report-dir', reportDir,
    '--seed', '1',
  ];
}

describe('the worked example in examples/custom-features', () => {
  test('passes against the reference peer, its scenarios in compliance.html, compliance.json and junit.xml', async () => {
    const dir = tempDir();
    const reports = path.join(dir, 'reports');
    // The caller's ts-node settings must not reach the compile of the example's TypeScript steps.
    const env = { ...process.env, TS_NODE_PROJECT: path.join(dir, 'no-such-tsconfig.json'), TS_NODE_COMPILER_OPTIONS: '{"module":"esnext"}', TS_NODE_SKIP_IGNORE: 'true' };
    const r = await runCommand(process.execPath, [CLI, ...exampleArgs(await exampleProfile(dir), reports)], { cwd: dir, timeoutMs: RUN_LIMIT_MS, env });
    assert.equal(r.code, 0, describeRun('example run', r));
    assert.match(r.stdout, /verdict: PASS/);
    const report = JSON.parse(readFileSync(path.join(reports, 'compliance.json'), 'utf8')) as { clauses: Array<{ id: string; verdict: string; source: string; scenarios: Array<{ name: string; verdict: string; trace: string }> }> };
    const rows = new Map(report.clauses.map((c) => [c.id, c]));
    const comms = rows.get('E30-establish-communications');
    const time = rows.get('E30-date-time');
    assert.equal(comms?.verdict, 'pass');
    assert.equal(comms.scenarios.length, 2);
    assert.equal(time?.verdict, 'pass');
    assert.equal(time.source, 'SEMI E30 (GEM) style messages, as this example reads them');
    assert.match(time.scenarios[0]!.trace, /^traces\/.+\.pcap$/);
    // Only the user's features ran: every E37 clause is not tested.
    assert.ok(report.clauses.filter((c) => c.id.startsWith('E37')).every((c) => c.scenarios.length === 0));
    const html = readFileSync(path.join(reports, 'compliance.html'), 'utf8');
    for (const text of ['<tr id="E30-establish-communications">', '<tr id="E30-date-time">', 'The equipment accepts S1F13 with COMMACK 0 and names itself', 'The equipment reports its clock as a valid TIME', 'Source: SEMI E30 (GEM) style messages']) {
      assert.ok(html.includes(text), `compliance.html holds ${text}`);
    }
    const junit = readFileSync(path.join(reports, 'junit.xml'), 'utf8');
    assert.match(junit, /<testsuites [^>]*tests="3" failures="0" errors="0"/);
    assert.match(junit, /<testcase classname="Establish Communications \(SEMI E30 style\)" name="\[E30-establish-communications\] The equipment accepts S1F13 with COMMACK 0 and names itself \(IUT passive\)"/);
    assert.match(junit, /<testcase classname="Date and Time Request \(SEMI E30 style\)" name="\[E30-date-time\] The equipment reports its clock as a valid TIME \(IUT passive\)"/);
  });

  test('fails the clauses a wrongly answering peer breaks, and only those', async () => {
    const dir = tempDir();
    const peer = path.join(dir, 'wrong-peer.json');
    writeFileSync(peer, JSON.stringify({ replies: { S1F13: '<L[2] <B 0x01> <L[2] <A "REFPEER"> <A "1.0">>>', S2F17: '<A "2024061512301500">' } }));
    const reports = path.join(dir, 'reports');
    const r = await runCommand(process.execPath, [CLI, ...exampleArgs(await exampleProfile(dir, peer), reports)], { cwd: dir, timeoutMs: RUN_LIMIT_MS });
    assert.equal(r.code, 1, describeRun('run against a peer that denies S1F13', r));
    const report = JSON.parse(readFileSync(path.join(reports, 'compliance.json'), 'utf8')) as { clauses: Array<{ id: string; verdict: string; scenarios: Array<{ reason: string; verdict: string }> }> };
    const comms = report.clauses.find((c) => c.id === 'E30-establish-communications');
    assert.equal(comms?.verdict, 'fail');
    assert.deepEqual(comms.scenarios.map((s) => s.verdict), ['fail', 'fail']);
    assert.match(comms.scenarios[0]!.reason, /COMMACK 1: the equipment denied communications/);
    assert.equal(report.clauses.find((c) => c.id === 'E30-date-time')?.verdict, 'pass');
    assert.match(readFileSync(path.join(reports, 'junit.xml'), 'utf8'), /<failure message="FAIL: COMMACK 1|<failure message="COMMACK 1/);
  });

  test('type-checks against the package\'s declarations (its own tsconfig, NodeNext)', async () => {
    const r = await runCommand(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(EXAMPLE, 'tsconfig.json')], { cwd: ROOT, timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun('tsc -p examples/custom-features', r));
  });
});

describe('problems in a user\'s features are usage errors, found before the IUT is touched', () => {
  test('an undeclared tag, a scenario without a clause and an undefined step exit 2, each named with file and line', async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'mine.feature'),
      ['@E30-x', 'Feature: mine', '  Scenario: fine', '    Given a selected connection to the IUT', '', '  @E30-typo', '  Scenario: typo', '    When the host does what nobody defined', ''].join('\n'),
    );
    writeFileSync(path.join(dir, 'req.json'), JSON.stringify({ source: 'mine', requirements: [{ id: 'E30-x', title: 'x', strength: 'MUST', statement: 's' }] }));
    // A profile for an IUT that does not exist: the run must stop before it is needed.
    const r = await runCommand(process.execPath, [CLI, 'run', '--profile', path.join(ROOT, 'examples', 'profiles', 'passive-at-address.yaml'), '--features', 'mine.feature', '--requirements', 'req.json', '--report-dir', 'r'], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(r.code, 2, describeRun('run with broken features', r));
    assert.match(r.stderr, /mine\.feature:7: scenario 'typo' carries @E30-typo, which no requirements file declares/);
    assert.match(r.stderr, /mine\.feature:7: no step definition matches "the host does what nobody defined"/);
    assert.doesNotMatch(r.stderr, /scenario 'fine'/);
  });

  test('a requirements file with problems exits 2 listing them all', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a.feature'), 'Feature: a\n');
    writeFileSync(path.join(dir, 'req.json'), JSON.stringify({ source: 'x', requirements: [{ id: 'a b', title: 't', strength: 'MOST', statement: 's' }] }));
    const r = await runCommand(process.execPath, [CLI, 'run', '--features', 'a.feature', '--requirements', 'req.json'], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(r.code, 2, describeRun('run with a bad requirements file', r));
    assert.match(r.stderr, /req\.json: requirements\[0\]\.id: must be a tag-safe id/);
    assert.match(r.stderr, /req\.json: requirements\[0\] \(a b\)\.strength: must be MUST, SHOULD or MAY, got "MOST"/);
  });
});

describe('hsms-conformance steps', () => {
  test('lists every built-in step with what it does, and what it checks for every Then step', async () => {
    const r = await runCommand(process.execPath, [CLI, 'steps', '--json'], { cwd: ROOT, timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun('steps --json', r));
    const entries = JSON.parse(r.stdout) as CatalogueEntry[];
    assert.ok(entries.length > 100, `${entries.length} steps`);
    assert.ok(entries.every((e) => e.source === 'built-in'));
    assert.deepEqual(entries.filter((e) => e.does.trim() === '').map((e) => e.pattern), [], 'steps without "does"');
    assert.deepEqual(entries.filter((e) => e.keyword === 'Then' && e.checks.trim() === '').map((e) => e.pattern), [], 'Then steps without "checks"');
    assert.ok(entries.some((e) => e.pattern === 'the tester sends S{int}F{int} W with the text:'));
  });

  test('--require adds the user\'s steps after the built-in ones, in the text form', async () => {
    const r = await runCommand(process.execPath, [CLI, 'steps', '--require', path.join(EXAMPLE, 'steps', 'e30.steps.ts')], { cwd: EXAMPLE, timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun('steps --require', r));
    assert.match(r.stdout, /^# Built-in steps\n\nGiven a connection to the IUT that is not selected\n {4}does: {3}/);
    assert.match(r.stdout, /\n# Steps from steps\/e30\.steps\.ts\n\nWhen the host sends S1F13 W, Establish Communications Request\n {4}does: {3}Sends S1F13 W/);
    assert.match(r.stdout, /Then the equipment answers with S2F18 carrying a valid TIME\n {4}does: {3}.+\n {4}checks: A matching S2F18/);
  });
});
