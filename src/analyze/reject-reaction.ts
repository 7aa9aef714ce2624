import { SType } from '../protocol/constants';
import { describeHeader, type Frame, type Header } from '../protocol/header';
import type { Finding, ModelState } from '../fuzz/oracle';
import type { Expectation } from './expectations';
import type { Side } from './judge-types';

/**
 * E37-7.7.1, read as the suite's 7.7.1 scenarios read it (src/harness/reject-reaction-checks.ts):
 * the initiator of a message the other side rejected takes a local action, within the rest of the
 * standard. A Reject.req has no response (E37-8.2.8), so any message that answers it breaks 7.7.1;
 * and a Reject is no communication failure (E37-9), so the SELECTED session carries on unless the
 * initiator ends it with Separate.req or Deselect.req. Closing the SELECTED connection right after
 * the Reject of its own data primary, or rejecting data of that session with reason 4 (Entity Not
 * Selected) without any Deselect or Separate since, shows it took the Reject for the end of the
 * session: E37-5.3 has no such transition.
 */

const ANSWERING = new Set([SType.SelectRsp, SType.DeselectRsp, SType.LinktestRsp, SType.RejectReq, SType.Data]);

/** What the initiator owes a Reject.req of its own message: no answer at all (E37-7.7.1, 8.2.8). */
export function rejectOfOwnMessage(state: ModelState, reject: Frame, rejected: Header): Expectation {
  const what = `the Reject.req of its own ${describeHeader(rejected)}`;
  const fail = (f: Frame): Finding => ({ clause: 'E37-7.7.1', severity: 'fail', message: `answered ${what} with ${describeHeader(f.header)}; a Reject.req has no response (E37-8.2.8)` });
  return {
    sent: reject.header,
    what,
    clause: 'E37-7.7.1',
    required: false,
    // The suite's reading: closing the SELECTED connection on the Reject of its own data primary
    // fails (RejectReactions.closeAfterReject says why), on the Reject of a control message it
    // passes (features/07.7-reject.feature, E37-7.7).
    closeOk: !isDataPrimary(rejected),
    shouldClose: null,
    // Responses, a Reject.req, a data reply (the judge matches only answers against it, E37-8.1.4.6).
    answers: ANSWERING,
    judge: (f) => ({ findings: [fail(f)], next: state }),
    nextIfSilent: state,
  };
}

function isDataPrimary(h: Header): boolean {
  return h.sType === SType.Data && h.pType === 0 && (h.byte3 & 1) === 1;
}

interface Rejection {
  readonly frame: number;
  readonly timeMs: number;
  readonly sessionId: number;
  /** The side started a message of its own since: it carried on after the Reject. */
  carriedOn: boolean;
}

/** The latest Reject.req of each side's own data primary in the current session. */
export class RejectReactions {
  private readonly last: Record<Side, Rejection | null> = { client: null, server: null };

  /**
   * `side`'s data primary `rejected` drew `reject` (frame, time). Reason 4 (Entity Not Selected)
   * tells it the other side holds the session ended: acting on that is no 7.7.1 deviation.
   */
  rejected(side: Side, rejected: Header, reject: Header, frame: number, timeMs: number): void {
    if (!isDataPrimary(rejected) || reject.byte3 === 4) return;
    this.last[side] = { frame, timeMs, sessionId: rejected.sessionId, carriedOn: false };
  }

  /** `side` started a message of its own. */
  started(side: Side): void {
    const r = this.last[side];
    if (r) r.carriedOn = true;
  }

  /** The session changed (selected, deselected, separated): earlier Rejects say nothing of it. */
  sessionChanged(): void {
    this.last.client = null;
    this.last.server = null;
  }

  /** A close of `by` in SELECTED with no other reason in sight: the Reject it follows, if it started nothing since. */
  closeAfterReject(by: Side): Rejection | null {
    const r = this.last[by];
    return r && !r.carriedOn ? r : null;
  }

  /** `from` rejected data of `sessionId` with reason 4 while SELECTED: the Reject of its own primary of that session it took for the end of it. */
  notSelectedAfterReject(from: Side, answer: Header, request: Header): Rejection | null {
    const r = this.last[from];
    if (!r || answer.sType !== SType.RejectReq || answer.byte3 !== 4 || request.sType !== SType.Data) return null;
    return request.sessionId === r.sessionId ? r : null;
  }
}
