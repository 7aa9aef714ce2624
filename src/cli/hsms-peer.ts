import { createInterface } from 'node:readline';
import { HsmsEntity, type PeerEvent } from '../peer/entity';
import { defaultResponder, replyTableResponder } from '../peer/default-responder';
import { formatEventJson, formatEventPretty } from '../peer/event-format';
import { loadConfig, mergeParameters, saveConfig } from '../peer/config-file';
import { ParameterError, type PeerParameters, type TimerSeconds } from '../peer/parameters';
import { describeOutcome, executePeerCommand } from '../peer/command-runner';
import { parsePeerCommand } from './peer-commands';
import { choiceOption, numberOption, parseArgs, UsageError } from './args';

const USAGE = `usage: hsms-peer [--mode passive|active|alternating] [--host 127.0.0.1] [--port 5000]
                 [--remote-host ADDRESS]
                 [--session-id 0] [--t3 45] [--t5 10] [--t6 5] [--t7 10] [--t8 5]
                 [--max-length 16777216] [--config FILE] [--log pretty|json]
                 [--standard e37|hsms-ss] [--multiple-connections] [--refusal a|b|c]
                 [--save-config FILE]
Commands on standard input: select | deselect | linktest | separate | disconnect |
                            send <stream> <function> [W] [hex-text]`;

const SPEC = {
  mode: 'string',
  host: 'string',
  'remote-host': 'string',
  port: 'string',
  'session-id': 'string',
  t3: 'string',
  t5: 'string',
  t6: 'string',
  t7: 'string',
  t8: 'string',
  'max-length': 'string',
  config: 'string',
  log: 'string',
  standard: 'string',
  'multiple-connections': 'boolean',
  refusal: 'string',
  'save-config': 'string',
  help: 'boolean',
} as const;

function fromFlags(argv: readonly string[]): { params: PeerParameters; log: 'pretty' | 'json'; saveTo: string | undefined; help: boolean } {
  const args = parseArgs(argv, SPEC);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const configPath = args.values.get('config');
  const fromFile = configPath ? loadConfig(configPath) : {};
  const flags: { -readonly [K in keyof PeerParameters]?: PeerParameters[K] } = {};
  const timers: { -readonly [K in keyof TimerSeconds]?: number } = {};
  const set = <K extends keyof PeerParameters>(key: K, value: PeerParameters[K] | undefined): void => {
    if (value !== undefined) flags[key] = value;
  };
  set('mode', choiceOption(args, 'mode', ['passive', 'active', 'alternating'] as const));
  set('host', args.values.get('host'));
  set('remoteHost', args.values.get('remote-host'));
  set('port', numberOption(args, 'port'));
  set('sessionId', numberOption(args, 'session-id'));
  set('maxLength', numberOption(args, 'max-length'));
  set('standard', choiceOption(args, 'standard', ['e37', 'hsms-ss'] as const));
  set('refusal', choiceOption(args, 'refusal', ['a', 'b', 'c'] as const));
  if (args.flags.has('multiple-connections')) flags.multipleConnections = true;
  for (const t of ['t3', 't5', 't6', 't7', 't8'] as const) {
    const v = numberOption(args, t);
    if (v !== undefined) timers[t] = v;
  }
  if (Object.keys(timers).length > 0) flags.timers = timers as TimerSeconds;
  const params = mergeParameters(fromFile, flags);
  const log = choiceOption(args, 'log', ['pretty', 'json'] as const) ?? 'pretty';
  return { params, log, saveTo: args.values.get('save-config'), help: args.flags.has('help') };
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof fromFlags>;
  try {
    parsed = fromFlags(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError || err instanceof ParameterError) {
      process.stderr.write(`hsms-peer: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (parsed.saveTo) saveConfig(parsed.saveTo, parsed.params);
  const format = parsed.log === 'json' ? formatEventJson : formatEventPretty;
  const log = (e: PeerEvent): void => {
    process.stderr.write(format(e) + '\n');
  };
  // Lines that are not entity events (command outcomes, malformed command lines): with --log json they
  // are JSON objects too, so that every line on standard error is one (CONTRACTS.md section 1).
  const note = (type: 'command' | 'error', message: string): void => {
    const record = { time: Number((performance.now() / 1000).toFixed(6)), connection: null, type, detail: message };
    process.stderr.write(parsed.log === 'json' ? JSON.stringify(record) + '\n' : `hsms-peer: ${message}\n`);
  };
  const responder = parsed.params.replies ? replyTableResponder(parsed.params.replies) : defaultResponder;
  const entity = new HsmsEntity(parsed.params, { responder, onEvent: log });
  try {
    await entity.start();
  } catch (err) {
    note('error', `cannot listen on ${parsed.params.host}:${parsed.params.port}: ${(err as Error).message}`);
    return 3;
  }

  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    const parsedLine = parsePeerCommand(line);
    if (parsedLine === null) return;
    if (!parsedLine.ok) {
      note('error', parsedLine.error);
      return;
    }
    executePeerCommand(entity, parsedLine.command).then(
      (outcome) => {
        if (outcome) note('command', `${line.trim()}: ${describeOutcome(outcome)}`);
      },
      (err: Error) => note('error', `${line.trim()}: ${err.message}`),
    );
  });

  return new Promise<number>((resolve) => {
    const shutdown = (): void => {
      rl.close();
      entity.stop().then(
        () => resolve(0),
        () => resolve(0),
      );
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`hsms-peer: internal error: ${err.stack ?? err.message}\n`);
    process.exit(3);
  },
);
