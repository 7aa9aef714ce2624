import * as fs from 'node:fs';
import { pcapHeader, pcapRecord } from '../report/pcap';

/**
 * The monitor's capture file: libpcap, written as packets are relayed, rotated logrotate-style
 * once it grows past `maxBytes` (FILE becomes FILE.1, FILE.1 becomes FILE.2, ... up to `keep`
 * files; the oldest is deleted), so a monitor left running for weeks holds a bounded amount of
 * disk. Frames are numbered from 1 in each file, as Wireshark numbers them.
 *
 * Writes go through a WriteStream: the relay never waits for the disk.
 */
export class PcapRotation {
  private stream: fs.WriteStream;
  private bytes = 0;
  private frame = 0;
  private segment = 1;

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    this.stream = this.open();
  }

  /** Appends one frame; returns its frame number in the current file. */
  write(epochMs: number, frame: Buffer): number {
    if (this.bytes >= this.maxBytes) this.rotate();
    const [h, f] = pcapRecord(epochMs, frame);
    this.stream.write(h);
    this.stream.write(f);
    this.bytes += h.length + f.length;
    return ++this.frame;
  }

  /** The number of the current file (1 for the first): a new one starts with each rotation. */
  get currentSegment(): number {
    return this.segment;
  }

  /** True when the next write starts a new file. */
  get rotatesNext(): boolean {
    return this.bytes >= this.maxBytes;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }

  private open(): fs.WriteStream {
    const s = fs.createWriteStream(this.file);
    const h = pcapHeader();
    s.write(h);
    this.bytes = h.length;
    this.frame = 0;
    return s;
  }

  private rotate(): void {
    this.stream.end();
    fs.rmSync(`${this.file}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      const from = `${this.file}.${i}`;
      if (fs.existsSync(from)) fs.renameSync(from, `${this.file}.${i + 1}`);
    }
    // The stream still open on the old file keeps writing to it under its new name.
    fs.renameSync(this.file, `${this.file}.1`);
    this.segment++;
    this.stream = this.open();
  }
}
