import { LINKTEST_SESSION_ID, PType, RejectReason, SType } from './constants';
import type { Frame, Header } from './header';

/*
 * Constructors that produce exactly the header values of the E37-8.2 summary table.
 * Responses echo what the table says they echo; nothing else is inferred.
 */

const EMPTY = Buffer.alloc(0);

function control(sessionId: number, byte2: number, byte3: number, sType: SType, systemBytes: number): Frame {
  return { header: { sessionId, byte2, byte3, pType: PType.SecsII, sType, systemBytes }, text: EMPTY };
}

/** E37-8.2.2 */
export function selectReq(sessionId: number, systemBytes: number): Frame {
  return control(sessionId, 0, 0, SType.SelectReq, systemBytes);
}
/** E37-8.2.3: session id and system bytes equal those of the Select.req. */
export function selectRsp(req: Header, status: number): Frame {
  return control(req.sessionId, 0, status, SType.SelectRsp, req.systemBytes);
}
/** E37-8.2.4 */
export function deselectReq(sessionId: number, systemBytes: number): Frame {
  return control(sessionId, 0, 0, SType.DeselectReq, systemBytes);
}
/** E37-8.2.5: session id and system bytes equal those of the Deselect.req. */
export function deselectRsp(req: Header, status: number): Frame {
  return control(req.sessionId, 0, status, SType.DeselectRsp, req.systemBytes);
}
/** E37-8.2.6: session id is always 0xFFFF. */
export function linktestReq(systemBytes: number): Frame {
  return control(LINKTEST_SESSION_ID, 0, 0, SType.LinktestReq, systemBytes);
}
/** E37-8.2.7: session id 0xFFFF, system bytes of the Linktest.req. */
export function linktestRsp(req: Header): Frame {
  return control(LINKTEST_SESSION_ID, 0, 0, SType.LinktestRsp, req.systemBytes);
}
/**
 * E37-8.2.8: session id and system bytes of the rejected message; byte 2 is its PType when the
 * reason is PType Not Supported and its SType otherwise; byte 3 the (non-zero) reason.
 */
export function rejectReq(rejected: Header, reason: number): Frame {
  const byte2 = reason === RejectReason.PTypeNotSupported ? rejected.pType : rejected.sType;
  return control(rejected.sessionId, byte2, reason, SType.RejectReq, rejected.systemBytes);
}
/** E37-8.2.9: identical to Deselect.req but for the SType. */
export function separateReq(sessionId: number, systemBytes: number): Frame {
  return control(sessionId, 0, 0, SType.SeparateReq, systemBytes);
}

/** The fields of a data message (E37-8.2.1); text is the SECS-II encoded message text. */
export interface DataMessageFields {
  readonly sessionId: number;
  readonly stream: number;
  readonly function: number;
  readonly wBit: boolean;
  readonly systemBytes: number;
  readonly text?: Buffer;
}

/** E37-8.2.1: byte 2 carries the W-bit (bit 7) and the stream (bits 6-0); byte 3 the function. */
export function dataMessage(f: DataMessageFields): Frame {
  if (f.stream < 0 || f.stream > 127) throw new RangeError(`stream ${f.stream} is outside 0-127`);
  if (f.function < 0 || f.function > 255) throw new RangeError(`function ${f.function} is outside 0-255`);
  return {
    header: {
      sessionId: f.sessionId,
      byte2: (f.wBit ? 0x80 : 0) | f.stream,
      byte3: f.function,
      pType: PType.SecsII,
      sType: SType.Data,
      systemBytes: f.systemBytes,
    },
    text: f.text ?? EMPTY,
  };
}

/**
 * The reply to a primary (E37-9.4.1): same session id, stream and system bytes, W-bit 0, and
 * function + 1 (or 0 for a Function Zero Reply, when `functionZero` is set).
 */
export function replyTo(primary: Header, text: Buffer = EMPTY, functionZero = false): Frame {
  return dataMessage({
    sessionId: primary.sessionId,
    stream: primary.byte2 & 0x7f,
    function: functionZero ? 0 : (primary.byte3 + 1) & 0xff,
    wBit: false,
    systemBytes: primary.systemBytes,
    text,
  });
}
