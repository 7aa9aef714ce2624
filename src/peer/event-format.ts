import { describeHeader, hex32, type Frame } from '../protocol/header';
import { describeText } from '../protocol/secs2';
import type { PeerEvent } from './entity';

/**
 * One line per event, for standard error and traces (CONTRACTS.md section 1): a readable
 * form and a JSON form carrying the same facts.
 */

export function describeFrame(frame: Frame): string {
  const body = frame.header.sType === 0 && frame.header.pType === 0 ? describeText(frame.text) : frame.text.length > 0 ? `<${frame.text.length} bytes of text>` : '';
  return body ? `${describeHeader(frame.header)} ${body}` : describeHeader(frame.header);
}

function detail(e: PeerEvent['event']): string {
  switch (e.type) {
    case 'frame-in':
    case 'frame-out':
      return describeFrame(e.frame);
    case 'state':
      return `${e.from} -> ${e.to} (${e.cause})`;
    case 'timer-expired':
      return `${e.timer}: ${e.detail}`;
    case 'reject-sent':
      return `reason ${e.reason} for ${describeHeader(e.rejected)}`;
    case 'reject-received':
      return describeHeader(e.frame.header);
    case 'framing-error':
      return e.error.message;
    case 'violation':
      return `${e.clause}: ${e.message}`;
    case 'transaction': {
      const o = e.outcome;
      const what = o.result === 'response' ? `response${o.status !== undefined ? ` status ${o.status}` : ''}` : o.result === 'rejected' ? 'rejected' : o.result === 'timeout' ? `${o.timer} timeout` : `aborted (${o.reason})`;
      return `${e.kind} ${hex32(e.systemBytes)} ${what}`;
    }
    case 'primary':
      return describeFrame(e.frame);
    case 'unexpected-reply':
      return `${describeFrame(e.frame)}: ${e.why}`;
    case 'closed':
      return `${e.reason}${e.failure ? ' (communication failure)' : ''}`;
    case 'listening':
      return e.address;
    case 'connect-attempt':
      return e.target;
    case 'connect-failed':
      return `${e.target}: ${e.error}`;
    case 'connected':
      return `${e.direction} ${e.local} <-> ${e.remote}`;
    case 'refused':
      return `option ${e.option} for ${e.remote}`;
    case 'waiting':
      return `${e.timer} ${e.ms} ms`;
    case 'phase':
      return e.phase;
    case 'error':
      return e.message;
    case 'stopped':
      return '';
  }
}

/** One event as one readable line, as `hsms-peer` logs it. */
export function formatEventPretty(e: PeerEvent): string {
  const t = (e.time / 1000).toFixed(3).padStart(9);
  const c = e.connection === null ? '   ' : `c${e.connection}`.padEnd(3);
  const d = detail(e.event);
  return `${t} ${c} ${e.event.type}${d ? ' ' + d : ''}`;
}

/** One event as one JSON object, as `hsms-peer --log json` logs it. */
export function formatEventJson(e: PeerEvent): string {
  const ev = e.event;
  const record: Record<string, unknown> = { time: Number((e.time / 1000).toFixed(6)), connection: e.connection, type: ev.type, detail: detail(ev) };
  if (ev.type === 'frame-in' || ev.type === 'frame-out') {
    record.header = ev.frame.header;
    record.text = ev.frame.text.toString('hex');
  }
  return JSON.stringify(record);
}
