import * as net from 'node:net';
import { defaultResponder } from '../src/peer/default-responder';
import { HsmsEntity } from '../src/peer/entity';
import { DEFAULT_PARAMETERS, type PeerParameters } from '../src/peer/parameters';
import { forceGc } from './util';

/**
 * The far end of the loopback and memory benchmarks, in its own process so that it has its own
 * core and its own RSS. Started by run.ts with fork(); talks over the IPC channel:
 *   child -> parent  { type: 'ready', port }
 *   parent -> child  { type: 'memory' }  -> child replies { type: 'memory', rss, heapUsed, arrayBuffers } after a GC
 *   parent -> child  { type: 'stop' }    -> child exits
 */

export type ChildRole = 'ref-responder' | 'secs4js-responder' | 'ref-idle' | 'net-idle';

export type ChildMessage =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'memory'; readonly rss: number; readonly heapUsed: number; readonly arrayBuffers: number };

export type ParentMessage = { readonly type: 'memory' } | { readonly type: 'stop' };

const LONG_TIMERS = { t3: 45, t5: 10, t6: 5, t7: 240, t8: 5 };

function params(overrides: Partial<PeerParameters>): PeerParameters {
  return { ...DEFAULT_PARAMETERS, host: '127.0.0.1', port: 0, timers: LONG_TIMERS, ...overrides };
}

async function start(role: ChildRole): Promise<{ port: number; stop(): Promise<void> }> {
  switch (role) {
    case 'ref-responder': {
      const entity = new HsmsEntity(params({ mode: 'passive', standard: 'hsms-ss' }), { responder: defaultResponder });
      await entity.start();
      return { port: entity.port ?? 0, stop: () => entity.stop() };
    }
    case 'ref-idle': {
      const entity = new HsmsEntity(params({ mode: 'passive', standard: 'e37', multipleConnections: true }), { responder: defaultResponder });
      await entity.start();
      return { port: entity.port ?? 0, stop: () => entity.stop() };
    }
    case 'secs4js-responder': {
      // Loaded only here, so that the other roles' RSS does not include secs4js and pino.
      const { startSecs4jsResponder } = await import('./secs4js');
      const s = await startSecs4jsResponder();
      return { port: s.port, stop: () => s.close() };
    }
    case 'net-idle': {
      // The floor: a bare net.Server that keeps every socket open and discards what it reads.
      const sockets = new Set<net.Socket>();
      const server = net.createServer({ noDelay: true }, (socket) => {
        sockets.add(socket);
        socket.on('data', () => undefined);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
      const addr = server.address();
      return {
        port: typeof addr === 'object' && addr ? addr.port : 0,
        stop: () =>
          new Promise((resolve) => {
            for (const s of sockets) s.destroy();
            server.close(() => resolve());
          }),
      };
    }
  }
}

function send(m: ChildMessage): void {
  process.send?.(m);
}

async function main(): Promise<void> {
  const role = process.argv[2] as ChildRole;
  const running = await start(role);
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'memory') {
      forceGc();
      const u = process.memoryUsage();
      send({ type: 'memory', rss: u.rss, heapUsed: u.heapUsed, arrayBuffers: u.arrayBuffers });
    } else if (m.type === 'stop') {
      void running.stop().finally(() => process.exit(0));
      setTimeout(() => process.exit(0), 2000).unref();
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: running.port });
}

main().catch((err: Error) => {
  process.stderr.write(`bench child: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
