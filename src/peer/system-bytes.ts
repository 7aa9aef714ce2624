/**
 * System bytes for transactions this end initiates (E37-8.1.4.6): unique among the open
 * transactions initiated from this end, and different from the most recently completed one.
 * A wrapping 32-bit counter gives both; values still open are skipped on wrap-around.
 */
export class SystemBytesAllocator {
  private next: number;
  private lastCompleted: number | null = null;

  constructor(first: number) {
    this.next = first >>> 0;
  }

  allocate(open: ReadonlyMap<number, unknown>): number {
    for (let tries = 0; tries <= open.size + 1; tries++) {
      const candidate = this.next;
      this.next = (this.next + 1) >>> 0;
      if (!open.has(candidate) && candidate !== this.lastCompleted) return candidate;
    }
    throw new RangeError('no free system bytes value');
  }

  /** Records a completed transaction so its value is not reused next (E37-8.1.4.6). */
  release(systemBytes: number): void {
    this.lastCompleted = systemBytes;
  }
}
