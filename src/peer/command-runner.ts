import type { PeerCommand } from '../cli/peer-commands';
import type { HsmsEntity } from './entity';
import type { TransactionOutcome } from './session-machine';
import { describeHeader } from '../protocol/header';

/** Carries out one control command on the entity's current connection (CONTRACTS.md section 1). */
export async function executePeerCommand(entity: HsmsEntity, command: PeerCommand): Promise<TransactionOutcome | null> {
  const conn = entity.current;
  if (!conn) throw new Error('no connection');
  switch (command.kind) {
    case 'select':
      return conn.select();
    case 'deselect':
      return conn.deselect();
    case 'linktest':
      return conn.linktest();
    case 'separate':
      conn.separate();
      return null;
    case 'disconnect':
      conn.disconnect('disconnect command');
      return null;
    case 'send':
      return conn.send({ stream: command.stream, function: command.function, wBit: command.wBit, text: command.text });
  }
}

export function describeOutcome(o: TransactionOutcome): string {
  switch (o.result) {
    case 'response':
      return `${describeHeader(o.response.header)}`;
    case 'rejected':
      return `rejected: ${describeHeader(o.reject.header)}`;
    case 'timeout':
      return `${o.timer} timeout`;
    case 'aborted':
      return `aborted: ${o.reason}`;
  }
}
