/**
 * Code tables of SEMI E37-0298 section 8 as typed constants.
 * Every value here is quoted from the tables of 8.1.4.4, 8.1.4.5, 8.2.3, 8.2.5 and 8.2.8.
 */

/** E37-8.1.3: the message length counts header plus text; the header alone is 10 bytes. */
export const HEADER_LENGTH = 10;
/** E37-8.1.2: 4 length bytes precede the header. */
export const LENGTH_PREFIX = 4;
/** E37-8.1.3: smallest legal message length (header only). */
export const MIN_MESSAGE_LENGTH = HEADER_LENGTH;
/** E37-8.2.6 / 8.2.7: session id carried by Linktest.req and Linktest.rsp. */
export const LINKTEST_SESSION_ID = 0xffff;

/** E37-8.1.4.5 SType table. 8 and 10 are "not used"; 11-127 subsidiary; 128-255 reserved. */
export enum SType {
  Data = 0,
  SelectReq = 1,
  SelectRsp = 2,
  DeselectReq = 3,
  DeselectRsp = 4,
  LinktestReq = 5,
  LinktestRsp = 6,
  RejectReq = 7,
  SeparateReq = 9,
}

/** E37-8.1.4.4 PType table: only 0 (SECS-II) is defined by E37. */
export enum PType {
  SecsII = 0,
}

/** E37-8.2.3 SelectStatus. */
export enum SelectStatus {
  CommunicationEstablished = 0,
  CommunicationAlreadyActive = 1,
  ConnectionNotReady = 2,
  ConnectExhaust = 3,
}

/** E37-8.2.5 DeselectStatus. */
export enum DeselectStatus {
  CommunicationEnded = 0,
  CommunicationNotEstablished = 1,
  CommunicationBusy = 2,
}

/** E37-8.2.8 ReasonCode (the text lists 4 twice; 5-127 are reserved, see NOTES.md). */
export enum RejectReason {
  STypeNotSupported = 1,
  PTypeNotSupported = 2,
  TransactionNotOpen = 3,
  EntityNotSelected = 4,
}

/** STypes that E37 defines (8.1.4.5); anything else draws Reject reason 1 (7.7, 8.2.8). */
export const DEFINED_STYPES: ReadonlySet<number> = new Set([
  SType.Data,
  SType.SelectReq,
  SType.SelectRsp,
  SType.DeselectReq,
  SType.DeselectRsp,
  SType.LinktestReq,
  SType.LinktestRsp,
  SType.RejectReq,
  SType.SeparateReq,
]);

/** Response STypes and the request each one answers (E37-8.2.8: a response with no open request is rejected with reason 3). */
export const RESPONSE_TO_REQUEST: ReadonlyMap<number, SType> = new Map([
  [SType.SelectRsp, SType.SelectReq],
  [SType.DeselectRsp, SType.DeselectReq],
  [SType.LinktestRsp, SType.LinktestReq],
]);

const STYPE_NAMES: Record<number, string> = {
  [SType.Data]: 'Data',
  [SType.SelectReq]: 'Select.req',
  [SType.SelectRsp]: 'Select.rsp',
  [SType.DeselectReq]: 'Deselect.req',
  [SType.DeselectRsp]: 'Deselect.rsp',
  [SType.LinktestReq]: 'Linktest.req',
  [SType.LinktestRsp]: 'Linktest.rsp',
  [SType.RejectReq]: 'Reject.req',
  [SType.SeparateReq]: 'Separate.req',
};

/** Name of an SType as the standard writes it, or `SType(n)` for values it does not define. */
export function sTypeName(sType: number): string {
  return STYPE_NAMES[sType] ?? `SType(${sType})`;
}

const SELECT_STATUS_NAMES: Record<number, string> = {
  0: 'Communication Established',
  1: 'Communication Already Active',
  2: 'Connection Not Ready',
  3: 'Connect Exhaust',
};
const DESELECT_STATUS_NAMES: Record<number, string> = {
  0: 'Communication Ended',
  1: 'Communication Not Established',
  2: 'Communication Busy',
};
const REJECT_REASON_NAMES: Record<number, string> = {
  1: 'SType Not Supported',
  2: 'PType Not Supported',
  3: 'Transaction Not Open',
  4: 'Entity Not Selected',
};

function codeRange(value: number, subsidiaryFrom: number): string {
  if (value >= 128) return 'local entity-specific';
  if (value >= subsidiaryFrom) return 'subsidiary standard';
  return 'undefined';
}

/** The name of a Select.rsp status (E37-8.2.3), or its reserved range. */
export function selectStatusName(status: number): string {
  return SELECT_STATUS_NAMES[status] ?? `${codeRange(status, 4)} (${status})`;
}
/** The name of a Deselect.rsp status (E37-8.2.5), or its reserved range. */
export function deselectStatusName(status: number): string {
  return DESELECT_STATUS_NAMES[status] ?? `${codeRange(status, 3)} (${status})`;
}
/** The name of a Reject.req reason code (E37-8.2.8), or its reserved range. */
export function rejectReasonName(reason: number): string {
  return REJECT_REASON_NAMES[reason] ?? `${codeRange(reason, 5)} (${reason})`;
}
