import { encodeItem, L } from '../protocol/secs2';
import type { PrimaryResponder } from './connection';

const EMPTY_LIST = encodeItem(L());

/**
 * The reference peer's application (CONTRACTS.md section 1): S1F1 W (Are You There) gets
 * S1F2 <L[0]>; any other primary with the W-bit gets function + 1 with an empty text.
 */
export const defaultResponder: PrimaryResponder = (primary) => {
  const h = primary.header;
  if ((h.byte2 & 0x7f) === 1 && h.byte3 === 1) return { text: EMPTY_LIST };
  return {};
};
