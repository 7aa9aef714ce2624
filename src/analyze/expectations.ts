import { SType } from '../protocol/constants';
import type { Frame } from '../protocol/header';
import { expectationFor, type Finding, type ModelState, type OracleEnv } from '../fuzz/oracle';

/**
 * What an entity may send in answer to a message it received: the fuzz oracle's model of E37
 * (`expectationFor`), read from the receiving entity's side, with the NOTES.md readings a
 * passive observer meets that the oracle, written for the tester's own inputs, does not cover:
 *
 * - a Reject.req with PType != 0 is a message whose PType is not defined (E37-7.7.2): Reject
 *   reason 2 (byte 2 = the PType) and silence both pass;
 * - HSMS-SS: an active entity may answer a Select.req with Reject.req reason 1, and a
 *   Select.req while SELECTED answered with status 0 fails E37.1-select-only-not-selected;
 * - a reply to a primary sent without the W-bit is a warning (E37-9.4.1).
 */

export type Expectation = ReturnType<typeof expectationFor>;

export interface AnswerRules {
  readonly env: OracleEnv;
  /** The receiving entity is the side that connected (HSMS-SS: the host, which initiates Select). */
  readonly active: boolean;
}

const warn = (clause: string, message: string): Finding => ({ clause, severity: 'warn', message });
const fail = (clause: string, message: string): Finding => ({ clause, severity: 'fail', message });

export function answerExpectation(rules: AnswerRules, state: ModelState, frame: Frame): Expectation {
  const h = frame.header;
  const ss = rules.env.standard === 'hsms-ss';
  if (h.sType === SType.RejectReq && h.pType !== 0) {
    return Object.assign(expectationFor(rules.env, state, frame), {
      clause: 'E37-7.7.2',
      required: false,
      closeOk: true,
      answers: new Set([SType.RejectReq]),
      judge: (f: Frame) => {
        const r = f.header;
        if (r.byte3 === 2 && r.byte2 === h.pType && r.systemBytes === h.systemBytes) return { findings: [], next: state };
        return { findings: [fail('E37-7.7.2', `a Reject.req with PType ${h.pType} may draw Reject reason 2 (byte 2 = ${h.pType}) or nothing; it drew reason ${r.byte3} with byte 2 = ${r.byte2}`)], next: state };
      },
    });
  }
  const exp = expectationFor(rules.env, state, frame);
  const judgeOf = exp.judge;
  if (h.sType === SType.SelectReq && h.pType === 0 && ss) {
    // Object.assign, not an object spread: V8 (Node 20) is slow on `{ ...x, more }`.
    return Object.assign(exp, {
      judge: (f: Frame) => {
        const r = f.header;
        if (rules.active && r.sType === SType.RejectReq && r.byte3 === 1) return { findings: [], next: state };
        const out = judgeOf(f);
        if (state === 'SELECTED' && r.sType === SType.SelectRsp && r.byte3 === 0) {
          return { findings: [...out.findings.filter((x) => x.clause !== 'E37-7.2'), fail('E37.1-select-only-not-selected', 'Select.req while SELECTED answered with status 0 (HSMS-SS: status 1)')], next: out.next };
        }
        return out;
      },
    });
  }
  if (h.sType === SType.Data && h.pType === 0 && (h.byte2 & 0x80) === 0) {
    return Object.assign(exp, {
      judge: (f: Frame) => {
        const out = judgeOf(f);
        if (f.header.sType !== SType.Data) return out;
        return { findings: [...out.findings, warn('E37-9.4.1', `a reply to S${h.byte2 & 0x7f}F${h.byte3}, which was sent without the W-bit`)], next: out.next };
      },
    });
  }
  return exp;
}
