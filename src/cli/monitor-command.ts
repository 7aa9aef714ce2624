import * as path from 'node:path';
import { ProfileError, type IutProfile } from '../harness/profile';
import type { Standard } from '../peer/parameters';
import { describeEntityReports } from '../analyze/analysis-report';
import { Monitor } from '../monitor/monitor';
import type { HostPort } from '../monitor/relay';
import { choiceOption, numberOption, parseArgs, UsageError } from './args';
import { harnessVersion, loadProfiles, takeRepeated, type Output } from './analyze-command';

const USAGE = `usage: hsms-conformance monitor --listen HOST:PORT --upstream HOST:PORT [--pcap FILE]
                                [--report-dir DIR] [--report-every MIN] [--profile FILE]...
                                [--standard e37|hsms-ss] [--pcap-max-mb 100] [--pcap-keep 10]
  A transparent TCP relay that judges SEMI E37 on both directions as the traffic passes: the
  host (or an active equipment) connects to --listen, the monitor connects to --upstream and
  forwards every byte unchanged, at once. Each finding is printed as it happens; the reports
  (as 'analyze' writes them) go to DIR every --report-every minutes and on SIGINT or SIGTERM;
  --pcap writes what was relayed, rotated past --pcap-max-mb (FILE, FILE.1, ... FILE.<keep>).
  Binds only the --listen address given. --profile and --standard as for 'analyze'.
  Exit codes: 0 stopped with no failure on the entities under test, 1 a failure, 2 usage or
  profile error, 3 the listen address could not be bound or a harness error.`;

const SPEC = { listen: 'string', upstream: 'string', pcap: 'string', 'report-dir': 'string', 'report-every': 'string', standard: 'string', 'pcap-max-mb': 'string', 'pcap-keep': 'string', help: 'boolean' } as const;

const STD: Output = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export function parseHostPort(name: string, text: string | undefined): HostPort {
  if (text === undefined) throw new UsageError(`--${name} HOST:PORT is required`);
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--${name} must be HOST:PORT (IPv6 as [addr]:port), got '${text}'`);
  return { host: m[1] ?? m[2]!, port };
}

/** `hsms-conformance monitor ...` (argv without the `monitor` word). Resolves with the exit code once stopped. */
export async function runMonitorCommand(argv: readonly string[], io: Output = STD, signals: NodeJS.EventEmitter = process): Promise<number> {
  let monitor: Monitor;
  let everyMs: number | null;
  let listen: HostPort;
  try {
    const { rest, values } = takeRepeated(argv, ['profile']);
    const args = parseArgs(rest, SPEC);
    if (args.flags.has('help')) {
      io.out(USAGE + '\n');
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    listen = parseHostPort('listen', args.values.get('listen'));
    const upstream = parseHostPort('upstream', args.values.get('upstream'));
    const profiles: IutProfile[] = loadProfiles(values.get('profile')!);
    const standard: Standard = choiceOption(args, 'standard', ['e37', 'hsms-ss'] as const) ?? profiles[0]?.standard ?? 'e37';
    const every = numberOption(args, 'report-every');
    if (every !== undefined && !(every > 0)) throw new UsageError(`--report-every must be a positive number of minutes, got ${every}`);
    everyMs = every !== undefined ? every * 60_000 : null;
    const maxMb = numberOption(args, 'pcap-max-mb') ?? 100;
    const keep = numberOption(args, 'pcap-keep') ?? 10;
    if (!(maxMb > 0)) throw new UsageError(`--pcap-max-mb must be positive, got ${maxMb}`);
    if (!Number.isInteger(keep) || keep < 1) throw new UsageError(`--pcap-keep must be a positive integer, got ${keep}`);
    monitor = new Monitor({
      listen,
      upstream,
      pcapFile: args.values.get('pcap') ?? null,
      pcapMaxBytes: maxMb * 1024 * 1024,
      pcapKeep: keep,
      reportDir: path.resolve(args.values.get('report-dir') ?? 'reports'),
      profiles,
      standard,
      version: harnessVersion(),
      print: (line) => io.out(line + '\n'),
    });
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`hsms-conformance monitor: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof ProfileError) {
      io.err(`hsms-conformance monitor: profile error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  let port: number;
  try {
    port = await monitor.start();
  } catch (err) {
    io.err(`hsms-conformance monitor: cannot listen on ${listen.host}:${listen.port}: ${(err as Error).message}\n`);
    return 3;
  }
  io.out(`hsms-conformance monitor: listening on ${listen.host}:${port}, relaying to the upstream; SIGINT or SIGTERM writes the reports and stops\n`);
  const timer = everyMs !== null ? setInterval(() => void monitor.writeReports(false).then(() => io.out('hsms-conformance monitor: interim reports written\n')), everyMs) : null;
  const signal = await new Promise<string>((resolve) => {
    signals.once('SIGINT', () => resolve('SIGINT'));
    signals.once('SIGTERM', () => resolve('SIGTERM'));
  });
  if (timer) clearInterval(timer);
  io.out(`hsms-conformance monitor: ${signal}: closing the relayed connections and writing the reports\n`);
  const reports = await monitor.writeReports(true);
  io.out(describeEntityReports(reports, (f) => monitor.frameRef(f)) + '\n');
  return reports.some((r) => r.underTest && r.report.verdict === 'fail') ? 1 : 0;
}
