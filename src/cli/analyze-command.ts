import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadProfile, ProfileError, type IutProfile } from '../harness/profile';
import { projectRoot } from '../harness/suite-runner';
import type { Standard } from '../peer/parameters';
import { CaptureError, readCaptureFile } from '../capture/capture-file';
import { TrafficAnalyzer } from '../analyze/analyzer';
import { analysisExitCode, buildEntityReports, describeEntityReports, writeEntityReports } from '../analyze/analysis-report';
import { ConnectionArchive } from '../analyze/connection-archive';
import type { ConnectionSummary } from '../analyze/hsms-connection';
import { BaselineError, parseBaseline, type BaselineEntry } from '../report/baseline';
import { TRACES_DIR } from '../report/evidence';
import { choiceOption, parseArgs, UsageError } from './args';

const USAGE = `usage: hsms-conformance analyze FILE... [--port P]... [--profile FILE]... [--report-dir DIR]
                                [--standard e37|hsms-ss] [--baseline FILE] [--strict]
  Judges SEMI E37 from pcap or pcapng captures, both entities of every HSMS connection at once.
  --port P (repeatable, or P,Q) follows only those TCP ports; without it HSMS connections are
  found by their first bytes. --profile FILE (one per side) declares an entity's values: a
  passive profile the side accepting on its port, an active one the side connecting to its port,
  an alternating one both, told apart by address (accepting at host, connecting to testerHost);
  its timers become the limits the traffic is judged against (without, timers are measured and
  their limits reported not tested). --standard sets the rules for entities without a profile.
  Reports per entity in DIR/<entity>/compliance.{json,html,md}, DIR/junit.xml, and a decoded
  transcript per connection in DIR/traces/.
  Exit codes: 0 no failure on the entities under test (those with a profile, else all),
  1 a failure, 2 usage, profile or unreadable capture, 3 harness error.`;

const SPEC = { 'report-dir': 'string', standard: 'string', baseline: 'string', strict: 'boolean', help: 'boolean' } as const;
/** Options that may be given more than once. */
const REPEATED = ['port', 'profile'] as const;

export interface Output {
  out: (s: string) => void;
  err: (s: string) => void;
}

const STD: Output = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/** Pulls every `--name value` / `--name=value` of the repeatable options out of argv. */
export function takeRepeated(argv: readonly string[], names: readonly string[]): { rest: string[]; values: Map<string, string[]> } {
  const rest: string[] = [];
  const values = new Map<string, string[]>(names.map((n) => [n, []]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') ? a.slice(2, eq < 0 ? undefined : eq) : '';
    if (!values.has(name)) {
      rest.push(a);
      continue;
    }
    const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new UsageError(`--${name} needs a value`);
    values.get(name)!.push(v);
  }
  return { rest, values };
}

export function parsePorts(texts: readonly string[]): Set<number> | null {
  if (texts.length === 0) return null;
  const ports = new Set<number>();
  for (const t of texts.flatMap((x) => x.split(','))) {
    const n = Number(t);
    if (t.trim() === '' || !Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--port must be a TCP port 1-65535, got '${t}'`);
    ports.add(n);
  }
  return ports;
}

export function loadProfiles(files: readonly string[]): IutProfile[] {
  return files.map((f) => loadProfile(f));
}

export function readBaseline(file: string | undefined): { file: string; entries: BaselineEntry[] } | null {
  if (file === undefined) return null;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--baseline: cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return { file, entries: parseBaseline(text, file) };
  } catch (err) {
    if (err instanceof BaselineError) throw new UsageError(`--baseline: ${err.message}`);
    throw err;
  }
}

/** The first lines of a connection's transcript file. */
export function transcriptHeader(s: ConnectionSummary, files: readonly string[]): string[] {
  return [
    `# connection ${s.info.id}: ${s.label} (client: the side that connected${s.info.rolesFromSyn ? '' : ', guessed: no SYN in the capture'})`,
    `# capture: ${files.join(', ')}; times are seconds since the first packet of the capture`,
    ...s.notes.map((n) => `# ${n}`),
  ];
}

export function harnessVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** `hsms-conformance analyze ...` (argv without the `analyze` word). Returns the exit code. */
export async function runAnalyzeCommand(argv: readonly string[], io: Output = STD): Promise<number> {
  let files: string[];
  let ports: Set<number> | null;
  let profiles: IutProfile[];
  let standard: Standard;
  let reportDir: string;
  let strict: boolean;
  let baseline: ReturnType<typeof readBaseline>;
  try {
    const { rest, values } = takeRepeated(argv, REPEATED);
    const args = parseArgs(rest, SPEC);
    if (args.flags.has('help')) {
      io.out(USAGE + '\n');
      return 0;
    }
    files = args.positionals;
    if (files.length === 0) throw new UsageError('name at least one capture file (pcap or pcapng)');
    ports = parsePorts(values.get('port')!);
    profiles = loadProfiles(values.get('profile')!);
    standard = choiceOption(args, 'standard', ['e37', 'hsms-ss'] as const) ?? profiles[0]?.standard ?? 'e37';
    reportDir = path.resolve(args.values.get('report-dir') ?? 'reports');
    strict = args.flags.has('strict');
    baseline = readBaseline(args.values.get('baseline'));
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`hsms-conformance analyze: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    if (err instanceof ProfileError) {
      io.err(`hsms-conformance analyze: profile error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  fs.mkdirSync(reportDir, { recursive: true });
  fs.rmSync(path.join(reportDir, TRACES_DIR), { recursive: true, force: true });
  const archive = new ConnectionArchive(path.join(reportDir, TRACES_DIR), (s) => transcriptHeader(s, files));
  const analyzer = new TrafficAnalyzer({ ports, profiles, standard, onConnection: (s) => archive.add(s) });
  const started = performance.now();
  for (const file of files) {
    analyzer.startSource(file);
    try {
      const summary = readCaptureFile(file, (p) => analyzer.packet(p));
      io.out(`${file}: ${summary.format}, ${summary.packets} packets, ${(summary.bytes / 1e6).toFixed(1)} MB${summary.truncated ? `; ${summary.truncated}` : ''}\n`);
    } catch (err) {
      if (err instanceof CaptureError) {
        io.err(`hsms-conformance analyze: unreadable capture: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
  }
  const result = analyzer.finish();
  const reports = buildEntityReports(result, archive, { files, version: harnessVersion(), profiles, frameRef: (f) => analyzer.frameRef(f), originMs: analyzer.originMs, strict, baseline });
  writeEntityReports(reportDir, reports, files);
  const seconds = (performance.now() - started) / 1000;
  io.out(`analyzed ${result.packets} packets, ${result.hsmsConnections} HSMS connections, ${result.entities.length} entities in ${seconds.toFixed(2)} s\n`);
  for (const p of result.unmatchedProfiles) io.out(`profile ${p} matches no entity of the capture (a passive profile names the accepting side by its port, an active one the side connecting to its port, an alternating one the side accepting at its host or connecting to its testerHost)\n`);
  if (result.hsmsConnections === 0) io.out('no HSMS connection found in the capture' + (ports ? ` on port ${[...ports].join(', ')}` : ' (give --port if HSMS runs on a port whose first bytes were not captured)') + '\n');
  io.out(describeEntityReports(reports, (f) => analyzer.frameRef(f)) + '\n');
  io.out(`reports written to ${reportDir} (${reports.map((r) => `${r.folder}/`).join(', ')}junit.xml, traces/)\n`);
  return analysisExitCode(reports, strict);
}
