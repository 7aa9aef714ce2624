import * as fs from 'node:fs';
import { isIP } from 'node:net';
import * as path from 'node:path';
import { byteChunks, type WireTrace } from '../harness/wire-trace';
import { buildPcap } from './pcap';

/**
 * Per-scenario evidence files under `<report-dir>/traces/`: `<slug>.pcap` (Wireshark) and
 * `<slug>.txt` (the decoded trace). Written by the After hook, where the trace lives.
 */

export const TRACES_DIR = 'traces';

/** A file-name-safe slug: lower case letters, digits and dashes, at most 100 characters. */
export function slugify(text: string): string {
  const s = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/, '');
  return s || 'scenario';
}

export interface EvidenceInput {
  readonly reportDir: string;
  /** Feature file, e.g. features/07.2-select.feature. */
  readonly uri: string;
  readonly scenario: string;
  readonly role: string;
  /** Where the pcap shows each side (the synthesized defaults otherwise: tester 127.0.0.1, IUT 127.0.0.2). */
  readonly addresses?: PcapAddresses;
  readonly trace: WireTrace;
  /** The decoded trace as rendered for reports. */
  readonly rendered: string;
  readonly verdict: string;
  readonly reason: string;
}

export interface PcapAddresses {
  readonly iut: string;
  readonly tester: string;
}

/**
 * An alternating IUT's traffic runs both ways on one port between two addresses (E37 A1-3): its
 * pcap shows each side at the address it listens on, the IUT at `host` and the tester at
 * `testerHost`, so that the profile tells the sides apart when the pcap is analyzed
 * (`hsms-conformance analyze --profile`). Other roles keep the synthesized addresses.
 */
export function pcapAddresses(iut: { readonly role: string; readonly host: string; readonly testerHost: string }): PcapAddresses | undefined {
  if (iut.role !== 'alternating') return undefined;
  const family = (a: string): number => isIP(a.replace(/^\[|\]$/g, ''));
  if (family(iut.host) === 0 || family(iut.host) !== family(iut.testerHost)) return undefined;
  return { iut: iut.host.replace(/^\[|\]$/g, ''), tester: iut.testerHost.replace(/^\[|\]$/g, '') };
}

/** Writes the pcap and the decoded trace; returns the pcap and its path relative to the report folder. */
export function writeEvidence(e: EvidenceInput): { file: string; pcap: Buffer } {
  const dir = path.join(e.reportDir, TRACES_DIR);
  fs.mkdirSync(dir, { recursive: true });
  const base = `${slugify(path.basename(e.uri).replace(/\.feature$/, ''))}--${slugify(e.scenario)}--${slugify(e.role)}`;
  const pcap = buildPcap({ chunks: byteChunks(e.trace), endpoints: e.trace.endpoints, origin: e.trace.wallClockOrigin, lifecycle: e.trace.lifecycle, ...(e.addresses ? { iutAddress: e.addresses.iut, testerAddress: e.addresses.tester } : {}) });
  const slug = writeNewFile(dir, base, '.pcap', pcap);
  const ports = [...new Set([...e.trace.endpoints.values()].map((p) => p.iutPort).filter((p) => p > 0))];
  const header = [
    `# ${e.scenario} (IUT ${e.role})`,
    `# ${e.uri}`,
    `# verdict: ${e.verdict}${e.reason ? ` - ${e.reason.split('\n')[0]}` : ''}`,
    `# started ${new Date(e.trace.wallClockOrigin).toISOString()}; times below are seconds since then`,
    `# pcap: ${slug}.pcap${ports.length > 0 ? `   tshark -r ${slug}.pcap ${ports.map((p) => `-d tcp.port==${p},hsms`).join(' ')}` : ''}`,
    '',
  ];
  fs.writeFileSync(path.join(dir, `${slug}.txt`), header.join('\n') + (e.rendered || '(no traffic)') + '\n');
  return { file: `${TRACES_DIR}/${slug}.pcap`, pcap };
}

/**
 * Writes `<base>.pcap` or, when taken, `<base>-2.pcap` and so on; returns the name used. Outline
 * rows share a name; a file is never overwritten within a run (the CLI empties traces/ first).
 * The name is claimed by an exclusive create, so the workers of a parallel run never take the same.
 */
function writeNewFile(dir: string, base: string, ext: string, data: Buffer): string {
  for (let n = 1; ; n++) {
    const slug = n === 1 ? base : `${base}-${n}`;
    let fd: number;
    try {
      fd = fs.openSync(path.join(dir, slug + ext), 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    try {
      fs.writeSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
    return slug;
  }
}
