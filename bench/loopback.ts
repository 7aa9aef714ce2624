import { HsmsEntity } from '../src/peer/entity';
import type { HsmsConnection } from '../src/peer/connection';
import { DEFAULT_PARAMETERS } from '../src/peer/parameters';
import type { ChildRole } from './child';
import { spawnChild } from './spawn';
import { fmtRate, fmtRatio, percentile, sleep, type Row } from './util';

/**
 * S1F1 W / S1F2 transactions per second over 127.0.0.1. The initiator is always the reference
 * peer (active, HSMS-SS) in this process; the responder runs in a child process: the reference
 * peer (passive, default responder) or secs4js (HsmsPassiveCommunicator answering S1F1 with
 * S1F2 <L[0]>). Same initiator, same load: the ratio compares the responders.
 */

export interface LoadResult {
  readonly tps: number;
  readonly p50: number;
  readonly p99: number;
  readonly failures: number;
}

async function connect(port: number): Promise<{ entity: HsmsEntity; conn: HsmsConnection }> {
  let selected: (() => void) | null = null;
  const ready = new Promise<void>((resolve) => (selected = resolve));
  const entity = new HsmsEntity(
    { ...DEFAULT_PARAMETERS, mode: 'active', host: '127.0.0.1', port, standard: 'hsms-ss', timers: { t3: 45, t5: 1, t6: 5, t7: 10, t8: 5 } },
    {
      onEvent: (e) => {
        if (e.event.type === 'state' && e.event.to === 'SELECTED') selected?.();
      },
    },
  );
  await entity.start();
  const timeout = sleep(10000).then(() => {
    throw new Error(`no SELECTED connection to 127.0.0.1:${port} within 10 s`);
  });
  await Promise.race([ready, timeout]);
  const conn = entity.current;
  if (!conn) throw new Error('selected, but no current connection');
  return { entity, conn };
}

export async function runLoad(conn: HsmsConnection, inFlight: number, warmupMs: number, durationMs: number): Promise<LoadResult> {
  let measuring = false;
  let stopping = false;
  let failures = 0;
  const latencies: number[] = [];
  const worker = async (): Promise<void> => {
    while (!stopping) {
      const t0 = performance.now();
      const r = await conn.send({ stream: 1, function: 1, wBit: true });
      const dt = performance.now() - t0;
      if (r?.result === 'response') {
        if (measuring) latencies.push(dt);
      } else {
        failures++;
        if (failures > 100 || conn.state === 'NOT_CONNECTED') return;
      }
    }
  };
  const workers = Array.from({ length: inFlight }, () => worker());
  await sleep(warmupMs);
  measuring = true;
  const start = performance.now();
  await sleep(durationMs);
  measuring = false;
  const elapsed = (performance.now() - start) / 1000;
  stopping = true;
  await Promise.all(workers);
  const sorted = Float64Array.from(latencies).sort();
  return { tps: latencies.length / elapsed, p50: percentile(sorted, 50), p99: percentile(sorted, 99), failures };
}

async function against(role: ChildRole, inFlights: readonly number[], warmupMs: number, durationMs: number): Promise<Map<number, LoadResult>> {
  const child = await spawnChild(role);
  const out = new Map<number, LoadResult>();
  try {
    const { entity, conn } = await connect(child.port);
    try {
      for (const n of inFlights) out.set(n, await runLoad(conn, n, warmupMs, durationMs));
    } finally {
      await entity.stop();
    }
  } finally {
    await child.stop();
  }
  return out;
}

export interface LoopbackFigures {
  readonly rows: Row[];
  readonly tps64: number;
  readonly secs4js64: number;
}

export async function benchLoopback(durationMs: number): Promise<LoopbackFigures> {
  const inFlights = [1, 64];
  const ref = await against('ref-responder', inFlights, 300, durationMs);
  const s4 = await against('secs4js-responder', inFlights, 300, durationMs);
  const rows: Row[] = [];
  for (const n of inFlights) {
    const r = ref.get(n)!;
    const s = s4.get(n)!;
    const ratio = r.tps / s.tps;
    const target = n === 64 ? '>= 100 k/s; >= 5x secs4js' : '';
    const status = n === 64 ? `${r.tps >= 100_000 ? 'met' : 'missed'}; ${ratio >= 5 ? 'met' : 'missed'}` : '';
    const fail = r.failures + s.failures > 0 ? ` (failures: ref ${r.failures}, secs4js ${s.failures})` : '';
    rows.push({
      section: 'loopback',
      figure: `S1F1/S1F2, ${n} in flight${fail}`,
      value: `${fmtRate(r.tps)} p50 ${r.p50.toFixed(3)} ms p99 ${r.p99.toFixed(3)} ms`,
      reference: `secs4js responder ${fmtRate(s.tps)} p50 ${s.p50.toFixed(3)} ms p99 ${s.p99.toFixed(3)} ms`,
      ratio: `${fmtRatio(ratio)} secs4js`,
      target,
      status,
    });
  }
  return { rows, tps64: ref.get(64)!.tps, secs4js64: s4.get(64)!.tps };
}
