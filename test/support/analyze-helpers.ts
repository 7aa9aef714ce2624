import { execFile, spawn, spawnSync } from 'node:child_process';
import type { IutProfile } from '../../src/harness/profile';
import { DEFINED_STYPES } from '../../src/protocol/constants';
import { readCaptureFile } from '../../src/capture/capture-file';
import { TrafficAnalyzer, type AnalysisResult, type AnalyzerOptions } from '../../src/analyze/analyzer';
import type { ConnectionSummary } from '../../src/analyze/hsms-connection';
import type { Direction } from '../../src/capture/tcp-connections';
import type { ObservedMessage } from '../../src/analyze/message-stream';
import { within } from './raw-socket';

/** Helpers shared by the analyze tests: run an analysis, list its findings, ask tshark. */

export interface Analysis {
  readonly result: AnalysisResult;
  readonly messages: Array<{ readonly connection: number; readonly dir: Direction; readonly m: ObservedMessage }>;
  readonly connections: ConnectionSummary[];
}

export function analyzeFiles(files: readonly string[], options: Partial<AnalyzerOptions> = {}): Analysis {
  const messages: Analysis['messages'] = [];
  const connections: ConnectionSummary[] = [];
  const a = new TrafficAnalyzer({
    ports: null,
    profiles: [],
    standard: 'e37',
    ...options,
    onMessage: (connection, dir, m) => messages.push({ connection, dir, m }),
    onConnection: (s) => connections.push(s),
  });
  for (const f of files) {
    a.startSource(f);
    readCaptureFile(f, (p) => a.packet(p));
  }
  return { result: a.finish(), messages, connections };
}

/** Every finding as `severity clause entity: message`. */
export function findings(r: AnalysisResult, entityFilter: (name: string) => boolean = () => true): string[] {
  const out: string[] = [];
  for (const e of r.entities) {
    if (!entityFilter(e.name)) continue;
    for (const [clause, c] of e.clauses) for (const f of c.findings) out.push(`${f.severity} ${clause} ${e.name}: ${f.message}`);
  }
  return out;
}

/** Clauses with a fail or warn for the entities the filter selects. */
export function flaggedClauses(r: AnalysisResult, entityFilter: (e: AnalysisResult['entities'][number]) => boolean): Set<string> {
  const out = new Set<string>();
  for (const e of r.entities) if (entityFilter(e)) for (const [clause, c] of e.clauses) if (c.fails + c.warns > 0) out.add(clause);
  return out;
}

export function haveTshark(): boolean {
  return spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
}

export const NO_TSHARK = 'tshark is not installed (.ci/run installs it)';

export function execText(cmd: string, args: readonly string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

/**
 * `session/stype/system` of every HSMS message Wireshark's dissector decodes, in frame order, for
 * the STypes E37 defines (Wireshark 4.0 lists some undefined STypes, 11 or 127, and not others, 8,
 * 10, 128 or 255: both sides leave them out).
 */
export async function tsharkHeaders(file: string, ports: readonly number[]): Promise<string[]> {
  // Out-of-order segments are reassembled as the receiver would, not skipped as retransmissions.
  const args = ['-r', file, '-o', 'tcp.reassemble_out_of_order:TRUE', ...ports.flatMap((p) => ['-d', `tcp.port==${p},hsms`]), '-T', 'fields', '-E', 'occurrence=a', '-e', 'hsms.header.sessionid', '-e', 'hsms.header.stype', '-e', 'hsms.header.system'];
  const text = await execText('tshark', args);
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [sessions = '', stypes = '', systems = ''] = line.split('\t');
    if (!stypes) continue;
    const s = sessions.split(',');
    const t = stypes.split(',');
    const y = systems.split(',');
    for (let i = 0; i < t.length; i++) out.push(`${Number(s[i])}/${Number(t[i])}/${Number(y[i])}`);
  }
  return out.filter((x) => DEFINED_STYPES.has(Number(x.split('/')[1])));
}

/** The same fields of the messages the analysis decoded, in the order it read them (the order tshark dissects them). */
export function ourHeaders(a: Analysis): string[] {
  return a.messages.filter((x) => DEFINED_STYPES.has(x.m.header.sType)).map((x) => `${x.m.header.sessionId}/${x.m.header.sType}/${x.m.header.systemBytes}`);
}

export function profileFor(role: IutProfile['role'], port: number, timers: IutProfile['timers'], tolerance: number, extra: Partial<IutProfile> = {}): IutProfile {
  return {
    name: `declared ${role} entity on port ${port}`,
    role,
    host: '127.0.0.1',
    testerHost: '127.0.0.2',
    port,
    sessionId: 0,
    standard: 'e37',
    timers,
    tolerance,
    capabilities: { multipleConnections: false, refusal: 'a', maxMessageLength: 16 * 1024 * 1024 },
    control: 'none',
    initiates: [],
    ...extra,
  };
}

export interface LiveCapture {
  /** Stops the capture (SIGINT) and resolves once the file is complete. */
  stop(): Promise<void>;
}

/**
 * Captures loopback traffic on `ports` with tshark (dumpcap underneath) into `file`: pcapng, or
 * libpcap with `format: 'pcap'`. Resolves once tshark says it is capturing.
 */
export function captureLoopback(ports: readonly number[], file: string, format: 'pcap' | 'pcapng' = 'pcapng'): Promise<LiveCapture> {
  const filter = ports.map((p) => `tcp port ${p}`).join(' or ');
  const child = spawn('tshark', ['-i', 'lo', '-f', filter, '-w', file, ...(format === 'pcap' ? ['-F', 'pcap'] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tshark did not start capturing within 30 s: ${stderr}`));
    }, 30_000);
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (!/Capturing on/.test(stderr)) return;
      clearTimeout(timer);
      // tshark says so as dumpcap starts: give the capture a moment to be in place.
      setTimeout(() => resolve({
        stop: async () => {
          // Let the last packets reach the capture file before stopping.
          await new Promise((r) => setTimeout(r, 1000));
          child.kill('SIGINT');
          await within(exited, 10_000);
        },
      }), 500);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tshark exited (${code}) before capturing: ${stderr}`));
    });
  });
}
