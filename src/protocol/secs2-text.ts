import { BIGINT_RANGE, FORMAT_CODES, INT_RANGE, MAX_ITEM_LENGTH, type IntType, type Item, type ItemType } from './secs2';

/**
 * Reads the SML-like text form of a SECS-II item, the notation `formatItem` writes, so that
 * people can write message texts (the reference peer's reply table, step arguments):
 *
 *     <L[2] <A "MDLN-1"> <L <U4 1 2 0x10> <B 0x00> <BOOLEAN TRUE>>>
 *
 * - a type name (L, B, BOOLEAN, A, J, C, I1 I2 I4 I8, U1 U2 U4 U8, F4 F8; any case), then an
 *   optional `[n]` count that must match what follows (items of a list, values, characters);
 * - A and J: one or more quoted strings, joined; escapes `\" \\ \n \r \t \xHH \uHHHH`, one byte
 *   per character (latin1, as the codec stores text), so `\u0100` and above are errors;
 * - B and C: bytes, decimal or `0x` hex; integers: decimal or `0x` hex, in the format's range;
 * - BOOLEAN: TRUE or FALSE; F4, F8: decimal numbers, `NaN`, `Infinity`, `-Infinity`.
 *
 * White space, line breaks included, separates tokens. `parseItem(formatItem(item))` gives an
 * item that encodes to the same bytes as `item`.
 */

/** Where and why a text is not an item; the message names the line and column. */
export class Secs2TextError extends Error {
  constructor(
    readonly offset: number,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'Secs2TextError';
  }
}

const TYPES = new Set(Object.keys(FORMAT_CODES));
const TOKEN_END = /[\s<>[\]"]/;

class Reader {
  pos = 0;

  constructor(readonly text: string) {}

  fail(reason: string, at = this.pos): never {
    const before = this.text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    throw new Secs2TextError(at, line, column, reason);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  peek(): string | undefined {
    this.skipSpace();
    return this.text[this.pos];
  }

  expect(c: string, what: string): void {
    if (this.peek() !== c) this.fail(`expected '${c}' ${what}, found ${this.describeNext()}`);
    this.pos++;
  }

  describeNext(): string {
    const c = this.peek();
    return c === undefined ? 'the end of the text' : `'${this.text.slice(this.pos, this.pos + 12).split(/\s/)[0] || c}'`;
  }

  /** A bare word: a type name, a number, TRUE or FALSE. */
  word(): { text: string; at: number } {
    this.skipSpace();
    const at = this.pos;
    while (this.pos < this.text.length && !TOKEN_END.test(this.text[this.pos]!)) this.pos++;
    return { text: this.text.slice(at, this.pos), at };
  }

  quoted(): string {
    this.skipSpace();
    const open = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) this.fail('unterminated string', open);
      this.pos++;
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.pos++];
      const hex = (n: number): number => {
        const digits = this.text.slice(this.pos, this.pos + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) this.fail(`'\\${e}' needs ${n} hex digits`, this.pos - 2);
        this.pos += n;
        return parseInt(digits, 16);
      };
      if (e === '"' || e === '\\') out += e;
      else if (e === 'n') out += '\n';
      else if (e === 'r') out += '\r';
      else if (e === 't') out += '\t';
      else if (e === 'x') out += String.fromCharCode(hex(2));
      else if (e === 'u') out += String.fromCharCode(hex(4));
      else this.fail(`unknown escape '\\${e ?? ''}' (known: \\" \\\\ \\n \\r \\t \\xHH \\uHHHH)`, this.pos - 2);
    }
  }
}

/** Parses one item; throws a Secs2TextError naming the line and column of the first fault. */
export function parseItem(text: string): Item {
  const r = new Reader(text);
  const item = readItem(r, 0);
  if (r.peek() !== undefined) r.fail(`unexpected ${r.describeNext()} after the item`);
  return item;
}

/** Nesting bound, as the decoder's (secs2.ts DEFAULT_MAX_DEPTH). */
const MAX_DEPTH = 32;

function readItem(r: Reader, depth: number): Item {
  r.expect('<', 'to open an item');
  const open = r.pos - 1;
  const name = r.word();
  const type = name.text.toUpperCase();
  if (!TYPES.has(type)) r.fail(name.text ? `unknown item type '${name.text}' (known: ${[...TYPES].join(' ')})` : 'expected an item type after <', name.at);
  let count: number | null = null;
  if (r.peek() === '[') {
    r.pos++;
    const n = r.word();
    if (!/^\d+$/.test(n.text)) r.fail(`expected a count in [], found '${n.text}'`, n.at);
    count = Number(n.text);
    r.expect(']', 'to close the count');
  }
  const item = readBody(r, type as ItemType, depth);
  r.expect('>', `to close <${type}`);
  const size = item.type === 'L' ? item.items.length : 'values' in item ? item.values.length : item.value.length;
  const unit = item.type === 'L' ? 'items' : item.type === 'A' || item.type === 'J' ? 'characters' : item.type === 'B' || item.type === 'C' ? 'bytes' : 'values';
  if (count !== null && count !== size) r.fail(`<${type}[${count}]> holds ${size} ${unit}`, open);
  if (size > MAX_ITEM_LENGTH) r.fail(`<${type}> holds ${size} elements, more than an item can (${MAX_ITEM_LENGTH})`, open);
  return item;
}

function readBody(r: Reader, type: ItemType, depth: number): Item {
  switch (type) {
    case 'L': {
      if (depth >= MAX_DEPTH) r.fail(`lists nested deeper than ${MAX_DEPTH}`);
      const items: Item[] = [];
      while (r.peek() === '<') items.push(readItem(r, depth + 1));
      return { type, items };
    }
    case 'A':
    case 'J': {
      let value = '';
      while (r.peek() === '"') {
        const at = r.pos;
        const s = r.quoted();
        const wide = [...s].findIndex((c) => c.charCodeAt(0) > 0xff);
        if (wide >= 0) r.fail(`<${type}> holds one byte per character; '${s[wide]}' is above \\xFF`, at);
        value += s;
      }
      return { type, value };
    }
    case 'B':
    case 'C':
      return { type, value: Buffer.from(readWords(r, type, (w, at) => integer(r, w, at, 0, 0xff, type))) };
    case 'BOOLEAN':
      return {
        type,
        values: readWords(r, type, (w, at) => {
          const u = w.toUpperCase();
          if (u !== 'TRUE' && u !== 'FALSE') r.fail(`<BOOLEAN> takes TRUE or FALSE, found '${w}'`, at);
          return u === 'TRUE';
        }),
      };
    case 'I8':
    case 'U8': {
      const [min, max] = BIGINT_RANGE[type];
      return { type, values: readWords(r, type, (w, at) => bigInteger(r, w, at, min, max, type)) };
    }
    case 'F4':
    case 'F8':
      return {
        type,
        values: readWords(r, type, (w, at) => {
          const v = Number(w);
          if (w === '' || (Number.isNaN(v) && w !== 'NaN')) r.fail(`<${type}> takes numbers, found '${w}'`, at);
          return v;
        }),
      };
    default: {
      const [min, max] = INT_RANGE[type as IntType];
      return { type: type as IntType, values: readWords(r, type, (w, at) => integer(r, w, at, min, max, type)) };
    }
  }
}

/** The bare words up to the closing '>', each converted. */
function readWords<T>(r: Reader, type: string, convert: (word: string, at: number) => T): T[] {
  const out: T[] = [];
  for (;;) {
    const next = r.peek();
    if (next === '>' || next === undefined) return out;
    if (next === '<' || next === '"' || next === '[') r.fail(`<${type}> holds values, not ${next === '"' ? 'text' : 'items'}`);
    const w = r.word();
    out.push(convert(w.text, w.at));
  }
}

function integer(r: Reader, word: string, at: number, min: number, max: number, type: string): number {
  return Number(bigInteger(r, word, at, BigInt(min), BigInt(max), type));
}

/** A decimal or 0x-hex integer within the range of `<type>`. */
function bigInteger(r: Reader, word: string, at: number, min: bigint, max: bigint, type: string): bigint {
  const m = /^([+-]?)(0x[0-9a-fA-F]+|\d+)$/.exec(word);
  if (!m) r.fail(`<${type}> takes integers (decimal or 0x hex), found '${word}'`, at);
  const magnitude = BigInt(m[2]!);
  const v = m[1] === '-' ? -magnitude : magnitude;
  if (v < min || v > max) r.fail(`${word} is out of range for <${type}> (${min} to ${max})`, at);
  return v;
}
