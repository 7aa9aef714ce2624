import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConnectMode, Standard } from '../peer/parameters';
import { TYPICAL_TIMERS } from '../peer/parameters';
import { profileSchemaFile } from '../harness/profile-schema';
import { choiceOption, parseArgs, UsageError } from './args';

/**
 * `hsms-conformance init`: writes a commented starter IUT profile (CONTRACTS.md section 3) that
 * validates as it is, with the `yaml-language-server` line that lets an editor complete and
 * check it against profile.schema.json.
 */

const USAGE = `usage: hsms-conformance init [--role passive|active|alternating] [--standard e37|hsms-ss]
                             [--out FILE] [--force]
  Writes a commented starter profile (default: a passive E37 IUT) to FILE, or to standard
  output without --out. An existing FILE is kept unless --force is given.`;

const SPEC = { role: 'string', standard: 'string', out: 'string', force: 'boolean', help: 'boolean' } as const;

export interface StarterOptions {
  readonly role: ConnectMode;
  readonly standard: Standard;
  /** The `$schema` reference, relative to the profile's directory (or absolute). */
  readonly schemaRef: string;
}

/** `hsms-conformance init ARGS`; returns the exit code (2 for usage errors, CONTRACTS.md section 2). */
export function runInitCommand(argv: readonly string[]): number {
  let options: { role: ConnectMode; standard: Standard; out: string | undefined; force: boolean } | 'help';
  try {
    options = parseInitArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`hsms-conformance init: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const { role, standard, out, force } = options;
  const target = out === undefined ? undefined : path.resolve(out);
  const text = starterProfile({ role, standard, schemaRef: schemaReference(target === undefined ? process.cwd() : path.dirname(target)) });
  if (target === undefined) {
    process.stdout.write(text);
    return 0;
  }
  try {
    // 'wx' fails on an existing file, so a profile someone filled in is never lost by accident.
    fs.writeFileSync(target, text, { flag: force ? 'w' : 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' ? 'it exists already (--force overwrites it)' : (err as Error).message;
    process.stderr.write(`hsms-conformance init: cannot write ${out}: ${why}\n`);
    return 2;
  }
  process.stdout.write(`hsms-conformance init: wrote a starter profile for a ${role} ${standard === 'hsms-ss' ? 'HSMS-SS' : 'E37'} IUT to ${out}; set what differs for your implementation, then run: hsms-conformance run --profile ${out}\n`);
  return 0;
}

function parseInitArgs(argv: readonly string[]): { role: ConnectMode; standard: Standard; out: string | undefined; force: boolean } | 'help' {
  const args = parseArgs(argv, SPEC);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  if (args.flags.has('help')) return 'help';
  return {
    role: choiceOption(args, 'role', ['passive', 'active', 'alternating'] as const) ?? 'passive',
    standard: choiceOption(args, 'standard', ['e37', 'hsms-ss'] as const) ?? 'e37',
    out: args.values.get('out'),
    force: args.flags.has('force'),
  };
}

/**
 * The schema of this installation, as seen from `dir`: relative when it is reachable that way
 * (`node_modules/hsms-conformance/profile.schema.json` in a user's project), which is what
 * yaml-language-server resolves against the profile's own directory.
 */
export function schemaReference(dir: string): string {
  const relative = path.relative(dir, profileSchemaFile());
  return path.isAbsolute(relative) ? relative : relative.split(path.sep).join('/');
}

/** The starter profile's text. */
export function starterProfile(o: StarterOptions): string {
  const passive = o.role === 'passive';
  const ss = o.standard === 'hsms-ss';
  const t = TYPICAL_TIMERS;
  const lines = [
    `# yaml-language-server: $schema=${o.schemaRef}`,
    '# IUT profile for hsms-conformance, written by `hsms-conformance init`. Set what differs for your',
    '# implementation, then run: hsms-conformance run --profile THIS-FILE --report-dir reports',
    '# Editors with YAML language support complete and check it against profile.schema.json.',
    '',
    '# Free text that names the IUT in every report (product, interface, version).',
    'name: My HSMS implementation 1.0',
    ...roleLines(o.role),
    'port: 5000',
    '# The session id (device id) of the IUT\'s data messages (E37 8.2.1), 0-65535.',
    'sessionId: 0',
    '# e37: generic HSMS. hsms-ss: the SEMI E37.1 (HSMS-SS) restrictions apply too: one session,',
    '# control messages with session id 0xFFFF, no Deselect.',
    `standard: ${o.standard}`,
    '# The timers AS CONFIGURED IN THE IUT, in seconds (E37 10.1): the harness measures the IUT',
    '# against them. These are the E37 typical values; shorter ones (t7: 1) make a run much faster.',
    `timers: { t3: ${t.t3}, t5: ${t.t5}, t6: ${t.t6}, t7: ${t.t7}, t8: ${t.t8} }`,
    '# Seconds a measured timer may differ from the declared one before the verdict is fail.',
    'tolerance: 0.5',
    '# What the IUT declares it supports; a scenario that needs more is "not applicable", with the reason.',
    'capabilities:',
    '  # E37 9.2.4: true if the IUT serves several connections as independent sessions.',
    '  multipleConnections: false',
    ...(passive
      ? [
          '  # E37 9.2.4.1: how the IUT refuses a further connection while one is open. a: accepted, every',
          '  # Select.req on it answered with a non-zero status; b: reset at once; c: never serviced.',
          '  refusal: a',
        ]
      : o.role === 'alternating'
        ? ['  # No refusal: an alternating IUT listens only until a connection forms (E37 A1-3 step 4).']
        : ['  # No refusal: refusing further connections is a listening entity\'s business (E37 9.2.4.1).']),
    '  # The largest message the IUT can receive, in bytes (E37 10 item 4).',
    '  maxMessageLength: 16777216',
    '# To let the harness start and stop the IUT itself (the best choice for CI), uncomment launch and',
    '# set control to stdin. The command receives HSMS_ROLE HSMS_HOST HSMS_PORT HSMS_SESSION_ID',
    `# HSMS_T3 HSMS_T5 HSMS_T6 HSMS_T7 HSMS_T8${passive ? '' : ' HSMS_REMOTE_HOST (where it connects)'} in its environment: configure the IUT from them.`,
    '# launch:',
    '#   command: ./start-iut.sh    # run through the shell',
    '#   cwd: .                     # relative to this file',
    '#   restart: per-scenario      # per-scenario (a fresh IUT per scenario) | once',
    `#   readyTimeout: 10           # seconds the IUT gets to ${passive ? 'listen' : 'connect'} after it starts`,
    '# How the harness makes the IUT initiate a procedure (Linktest.req, Separate.req, a primary...).',
    '# none: it cannot, and those scenarios are "not applicable". manual: it prompts an operator.',
    '# stdin (needs launch): it writes command lines (select, deselect, linktest, separate, disconnect,',
    '# send S F [W] [hex]) to the launched command\'s standard input. E37 requires no entity to',
    '# initiate Deselect, Separate or Linktest: list what your IUT can initiate, e.g.',
    '# control:',
    '#   mode: stdin',
    `#   initiates: [${ss ? 'select, linktest, separate, send' : 'select, deselect, linktest, separate, send, disconnect'}]`,
    'control: none',
    '',
  ];
  return lines.join('\n');
}

function roleLines(role: ConnectMode): string[] {
  switch (role) {
    case 'passive':
      return [
        '# The IUT\'s connect mode (E37 6.3.1): passive, it listens and the harness connects to it.',
        'role: passive',
        '# Where the IUT listens. Loopback only (127.0.0.0/8, localhost, ::1).',
        'host: 127.0.0.1',
      ];
    case 'active':
      return [
        '# The IUT\'s connect mode (E37 6.3.1): active, it connects to the harness (and keeps',
        '# reconnecting every T5, E37 9.2.1: most scenarios start with a fresh connection).',
        'role: active',
        '# Where the HARNESS listens: the address the IUT is configured to connect to. Loopback only.',
        'host: 127.0.0.1',
      ];
    case 'alternating':
      return [
        '# The IUT\'s connect mode: alternating (E37 Appendix A1-3), it tries to connect, then listens.',
        'role: alternating',
        '# Where the IUT listens in its passive phase (its published port). Loopback only.',
        'host: 127.0.0.1',
        '# Where the HARNESS listens, at the same port: the address the IUT connects to in its active',
        '# phase. A second loopback address, so the two never collide; on macOS use ::1.',
        'testerHost: 127.0.0.2',
      ];
  }
}
