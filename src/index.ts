/**
 * hsms-conformance as a library: the SEMI E37 HSMS protocol layer and the reference HSMS entity.
 *
 * - Protocol layer, pure (no sockets, no timers): the code tables, the header and frame codec,
 *   the streaming {@link FrameDecoder}, the message constructors, SECS-II items with their
 *   binary codec and their text form ({@link formatItem}, {@link parseItem}).
 * - Reference entity: {@link HsmsEntity} (connect modes, T5, single or several connections),
 *   {@link HsmsConnection} with its typed events, the pure {@link SessionMachine} behind it,
 *   the parameters of E37-10.1, clocks, and the reply tables of the `hsms-peer` program.
 *
 * Importing it has no side effects: no cucumber, no ts-node, no sockets until you open one.
 * Step definitions for the conformance suite use `hsms-conformance/steps` instead.
 *
 * @example
 * import { FrameDecoder, HsmsEntity, TYPICAL_TIMERS } from 'hsms-conformance';
 *
 * const peer = new HsmsEntity({ mode: 'passive', host: '127.0.0.1', port: 5000, sessionId: 0, timers: TYPICAL_TIMERS,
 *   maxLength: 1 << 20, standard: 'e37', multipleConnections: false, refusal: 'a' });
 * await peer.start();
 *
 * @module hsms-conformance
 */

export {
  DEFINED_STYPES,
  DeselectStatus,
  HEADER_LENGTH,
  LENGTH_PREFIX,
  LINKTEST_SESSION_ID,
  MIN_MESSAGE_LENGTH,
  PType,
  RESPONSE_TO_REQUEST,
  RejectReason,
  SType,
  SelectStatus,
  deselectStatusName,
  rejectReasonName,
  selectStatusName,
  sTypeName,
} from './protocol/constants';
export { decodeFrame, describeHeader, encodeFrame, functionCode, hex16, hex32, isDataHeader, isPrimary, readHeader, stream, wBit, writeHeader, type Frame, type Header } from './protocol/header';
export { FrameDecoder, type DecodeOutput, type FrameDecoderOptions, type FramingError, type FramingErrorCode } from './protocol/frame-decoder';
export { dataMessage, deselectReq, deselectRsp, linktestReq, linktestRsp, rejectReq, replyTo, selectReq, selectRsp, separateReq, type DataMessageFields } from './protocol/messages';
export {
  A,
  B,
  BIGINT_RANGE,
  BOOLEAN,
  C,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_ITEMS,
  F4,
  F8,
  FORMAT_CODES,
  I1,
  I2,
  I4,
  I8,
  INT_RANGE,
  J,
  L,
  MAX_ITEM_LENGTH,
  Secs2DecodeError,
  U1,
  U2,
  U4,
  U8,
  decodeItem,
  describeText,
  encodeItem,
  encodedLength,
  formatItem,
  quoteText,
  tryDecodeItem,
  type BigIntItem,
  type BinaryItem,
  type BooleanItem,
  type CharItem,
  type DecodeOptions,
  type DescribeOptions,
  type FloatItem,
  type FormatOptions,
  type IntItem,
  type IntType,
  type Item,
  type ItemType,
  type ListItem,
  type Secs2DecodeResult,
  type Secs2ErrorCode,
  type TextItem,
} from './protocol/secs2';
export { parseItem, Secs2TextError } from './protocol/secs2-text';

export { HsmsEntity, type EntityEvent, type EntityOptions, type PeerEvent } from './peer/entity';
export { HsmsConnection, type ConnectionEvent, type ConnectionListener, type HsmsConnectionOptions, type PrimaryResponder } from './peer/connection';
export {
  DEFAULT_MAX_OPEN_TRANSACTIONS,
  LocalRequestError,
  SessionMachine,
  type ConnectionState,
  type SessionAction,
  type SessionEvent,
  type SessionMachineOptions,
  type TimerKey,
  type TransactionKind,
  type TransactionOutcome,
} from './peer/session-machine';
export {
  DEFAULT_MAX_LENGTH,
  DEFAULT_PARAMETERS,
  E37_MINIMUM_RANGES,
  ParameterError,
  TIMER_LIMITS,
  TIMER_NAMES,
  TYPICAL_TIMERS,
  toMillis,
  validateParameters,
  validateTimer,
  type ConnectMode,
  type PeerParameters,
  type RefusalOption,
  type Standard,
  type TimerName,
  type TimerSeconds,
} from './peer/parameters';
export { FakeClock, RealClock, type Clock, type TimerHandle } from './peer/clock';
export { compileReplies, defaultResponder, replyTableResponder } from './peer/default-responder';
export { loadConfig, mergeParameters, parseConfig, saveConfig } from './peer/config-file';
export { describeFrame, formatEventJson, formatEventPretty } from './peer/event-format';
