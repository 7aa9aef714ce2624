import { RESPONSE_TO_REQUEST, SType } from '../protocol/constants';
import type { Header } from '../protocol/header';
import type { ModelState } from '../fuzz/oracle';

/** What the connection judge and its helpers share: the sides, what they report, and how messages are classed. */

export type Side = 'client' | 'server';
export type StateView = ModelState | 'UNKNOWN';

export interface TrafficFinding {
  /** The entity blamed. */
  readonly side: Side;
  readonly clause: string;
  readonly severity: 'fail' | 'warn';
  readonly message: string;
  /** Capture frame and time of the evidence. */
  readonly frame: number;
  readonly timeMs: number;
  /** Frame of the message it concerns (the request answered, the message that went unanswered). */
  readonly relatedFrame?: number;
}

export type Measure = 'T3 reply time' | 'T6 response time' | 'T7 connect to select' | 'T8 largest gap inside a message' | 'Linktest interval';

export interface JudgeSink {
  finding(f: TrafficFinding): void;
  exercised(side: Side, clause: string): void;
  measured(side: Side, what: Measure, ms: number): void;
  stateChanged(state: StateView, frame: number, timeMs: number): void;
  /** A line for the transcript and the timeline: what the judge concluded about a message. */
  note(text: string, frame: number, timeMs: number): void;
}

/** What the judge asks of the rest of the analysis. */
export interface JudgeContext {
  /** Time of the last byte of a message `from` has begun and not finished, if any (T8). */
  partialSince(from: Side): number | null;
  /** Another connection to the same server was accepted after `sinceMs`. */
  siblingAcceptedAfter(sinceMs: number): boolean;
  /** Another connection of the server is SELECTED now. */
  otherConnectionSelected(): boolean;
  /** Another connection of the server is open now (a further one may be refused, E37-9.2.4.1). */
  otherConnectionOpen(): boolean;
}

/** How a helper of the judge reports a finding against one side. */
export type Find = (side: Side, clause: string, severity: 'fail' | 'warn', message: string, frame: number, timeMs: number, relatedFrame?: number) => void;

export const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');
export const secs = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;

export function isControl(h: Header): boolean {
  return h.sType !== SType.Data;
}

/** Messages that answer something: .rsp, Reject.req, data replies (even function). */
export function isAnswer(h: Header): boolean {
  return RESPONSE_TO_REQUEST.has(h.sType) || h.sType === SType.RejectReq || (h.sType === SType.Data && (h.byte3 & 1) === 0);
}

export function startsTransaction(h: Header): boolean {
  if (h.pType !== 0) return false;
  if (h.sType === SType.SelectReq || h.sType === SType.DeselectReq || h.sType === SType.LinktestReq) return true;
  return h.sType === SType.Data && (h.byte3 & 1) === 1 && (h.byte2 & 0x80) !== 0;
}
