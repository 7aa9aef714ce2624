import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ChildMessage, ChildRole, ParentMessage } from './child';

export interface ChildHandle {
  readonly port: number;
  memory(): Promise<{ rss: number; heapUsed: number; arrayBuffers: number }>;
  stop(): Promise<void>;
}

/** Forks bench/child.js in `role` and waits until it listens. */
export function spawnChild(role: ChildRole): Promise<ChildHandle> {
  const child: ChildProcess = fork(path.join(__dirname, 'child.js'), [role], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters: Array<(m: ChildMessage) => void> = [];
  child.on('message', (m: ChildMessage) => waiters.shift()?.(m));
  const next = (): Promise<ChildMessage> =>
    new Promise((resolve, reject) => {
      waiters.push(resolve);
      child.once('exit', (code) => reject(new Error(`bench child ${role} exited with ${code}`)));
    });
  const post = (m: ParentMessage): void => {
    child.send(m);
  };
  return next().then((ready) => {
    if (ready.type !== 'ready') throw new Error(`bench child ${role}: unexpected ${ready.type}`);
    return {
      port: ready.port,
      memory: async () => {
        const p = next();
        post({ type: 'memory' });
        const m = await p;
        if (m.type !== 'memory') throw new Error(`bench child ${role}: unexpected ${m.type}`);
        return { rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
      },
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
          child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          post({ type: 'stop' });
        }),
    };
  });
}
