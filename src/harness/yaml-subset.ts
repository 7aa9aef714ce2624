/**
 * A small YAML parser for the subset that IUT profiles use (CONTRACTS.md section 3).
 *
 * We may not add a YAML package, and a profile is a short, hand-written file, so a strict
 * subset is enough. Strict is the point: anything outside the subset is a `YamlError` naming
 * the line, never a guess, because a silently mis-read timer or port would turn into a wrong
 * verdict about someone else's equipment.
 *
 * Supported:
 * - block mappings by indentation (spaces only), nested to any depth; keys are always strings
 *   (plain or quoted); duplicate keys are errors
 * - flow mappings on one line, `{ t3: 45, t5: 10 }`, whose values are scalars
 * - block sequences of scalars (`- item`), indented under their key or level with it
 * - scalars (YAML 1.2 core schema): integers (also 0x.. and 0o..), decimals, true/false,
 *   null/~, plain strings, 'single' and "double" quoted strings with the usual escapes
 * - `#` comments (whole line, or after whitespace), blank lines, one optional leading `---`
 *
 * Rejected with a clear message: tabs in indentation, anchors, aliases, tags, directives,
 * block scalars (`|`, `>`), multi-line plain or quoted scalars, flow sequences, nested flow
 * collections, mappings or sequences inside sequences, complex keys, several documents,
 * `.inf`/`.nan`, and integers beyond 2^53 (they would lose precision).
 */

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };
export type YamlMapping = { [key: string]: YamlValue };

/** Where a key was written (1-based). */
export interface YamlPosition {
  readonly line: number;
  readonly column: number;
}

export interface YamlDocument {
  readonly value: YamlValue;
  /**
   * Where each mapping key was written, by dotted path (`capabilities.refusal`,
   * `list[2]` for sequence items), so that callers validating the content can point at a line.
   */
  readonly positions: ReadonlyMap<string, YamlPosition>;
}

/** A syntax error or a construct outside the subset. */
export class YamlError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    /** The problem without the location prefix. */
    readonly detail: string,
    /** Dotted key path whose value was being read, when known (e.g. the duplicated key). */
    readonly path?: string,
  ) {
    super(`line ${line}, column ${column}: ${detail}`);
    this.name = 'YamlError';
  }
}

export function parseYaml(text: string): YamlValue {
  return parseYamlDocument(text).value;
}

export function parseYamlDocument(text: string): YamlDocument {
  const parser = new Parser(contentLines(text));
  const value = parser.parseDocument();
  return { value, positions: parser.positions };
}

interface Line {
  /** 1-based line number in the source text. */
  readonly number: number;
  /** Leading spaces. */
  readonly indent: number;
  readonly raw: string;
}

/** Drops blank and comment-only lines, checks indentation and document markers. */
function contentLines(text: string): Line[] {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const out: Line[] = [];
  const rawLines = source.split(/\r\n|\n|\r/);
  for (let n = 0; n < rawLines.length; n++) {
    const raw = rawLines[n];
    const number = n + 1;
    let indent = 0;
    while (raw[indent] === ' ') indent++;
    const firstVisible = skipWs(raw, indent);
    // Blank and comment-only lines carry nothing, whatever whitespace they hold.
    if (firstVisible >= raw.length || raw[firstVisible] === '#') continue;
    if (raw[indent] === '\t') throw new YamlError(number, indent + 1, 'tab character in indentation; YAML indentation must use spaces only');
    if (indent === 0 && isMarker(raw, '---')) {
      if (out.length > 0) throw new YamlError(number, 1, "a second document ('---') is not supported; a profile is one document");
      const rest = skipWs(raw, 3);
      if (rest < raw.length && raw[rest] !== '#') throw new YamlError(number, rest + 1, "content on the '---' line is not supported; start it on the next line");
      // The start marker itself carries nothing; remember only that one was seen.
      out.push({ number, indent: -1, raw });
      continue;
    }
    if (indent === 0 && isMarker(raw, '...')) throw new YamlError(number, 1, "the document end marker '...' is not supported");
    if (indent === 0 && raw[0] === '%') throw new YamlError(number, 1, "directives ('%YAML', '%TAG') are not supported");
    out.push({ number, indent, raw });
  }
  return out.filter((l) => l.indent >= 0);
}

function isMarker(raw: string, marker: string): boolean {
  return raw.startsWith(marker) && (raw.length === 3 || isWs(raw[3]));
}

function isWs(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

function skipWs(raw: string, from: number): number {
  let j = from;
  while (isWs(raw[j])) j++;
  return j;
}

function isSeqItem(line: Line): boolean {
  const c = line.raw[line.indent + 1];
  return line.raw[line.indent] === '-' && (c === undefined || isWs(c));
}

function joinPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Plain assignment would treat `__proto__` as the prototype, not as a key the user wrote. */
function define(target: YamlMapping, key: string, value: YamlValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

type Context = 'block' | 'flow' | 'sequence';

class Parser {
  private i = 0;
  readonly positions = new Map<string, YamlPosition>();

  constructor(private readonly lines: readonly Line[]) {}

  parseDocument(): YamlValue {
    if (this.lines.length === 0) return null;
    const first = this.lines[0];
    const value = this.parseBlock(first.indent, '');
    const left = this.lines[this.i];
    if (left) {
      const detail =
        left.indent < first.indent
          ? `indentation of ${left.indent} is less than the ${first.indent} of the document's first line`
          : isSeqItem(left)
            ? "expected 'key: value', found a sequence item"
            : "expected a sequence item '- value'";
      throw this.error(left, left.indent, detail, '');
    }
    return value;
  }

  private error(line: Line, index: number, detail: string, path: string): YamlError {
    return new YamlError(line.number, index + 1, detail, path === '' ? undefined : path);
  }

  private parseBlock(indent: number, path: string): YamlValue {
    const line = this.lines[this.i];
    return isSeqItem(line) ? this.parseSequence(indent, path, false) : this.parseMapping(indent, path);
  }

  private parseMapping(indent: number, path: string): YamlMapping {
    const out: YamlMapping = {};
    const firstLine = new Map<string, number>();
    while (this.i < this.lines.length) {
      const line = this.lines[this.i];
      if (line.indent < indent) break;
      if (line.indent > indent) {
        // Coming back out of a deeper block to an indentation no enclosing block uses is a
        // different mistake from a continuation line, and deserves its own message.
        const previous = this.lines[this.i - 1];
        const detail =
          previous !== undefined && previous.indent > line.indent
            ? `indentation of ${line.indent} spaces matches no enclosing block (this mapping's keys are indented ${indent})`
            : `unexpected indentation (expected ${indent} spaces); a value must fit on its key's line (multi-line scalars are not supported)`;
        throw this.error(line, line.indent, detail, path);
      }
      if (isSeqItem(line)) throw this.error(line, indent, "expected 'key: value', found a sequence item", path);
      const { key, keyIndex, after } = this.scanBlockKey(line, path);
      const keyPath = joinPath(path, key);
      const previous = firstLine.get(key);
      if (previous !== undefined) throw this.error(line, keyIndex, `duplicate key '${key}' (first given on line ${previous})`, keyPath);
      firstLine.set(key, line.number);
      this.positions.set(keyPath, { line: line.number, column: keyIndex + 1 });
      this.i++;
      const start = skipWs(line.raw, after);
      const value = start >= line.raw.length || line.raw[start] === '#' ? this.parseNested(indent, keyPath) : this.parseInline(line, start, keyPath);
      define(out, key, value);
    }
    return out;
  }

  /** The value of `key:` with nothing after it: a deeper block, a sequence level with the key, or null. */
  private parseNested(indent: number, path: string): YamlValue {
    const next = this.lines[this.i];
    if (next === undefined) return null;
    if (next.indent > indent) return this.parseBlock(next.indent, path);
    if (next.indent === indent && isSeqItem(next)) return this.parseSequence(indent, path, true);
    return null;
  }

  /**
   * `levelWithKey`: the sequence sits at its key's own indentation (`key:` then `- a`), so the
   * first line that is not an item belongs to the enclosing mapping.
   */
  private parseSequence(indent: number, path: string, levelWithKey: boolean): YamlValue[] {
    const out: YamlValue[] = [];
    while (this.i < this.lines.length) {
      const line = this.lines[this.i];
      if (line.indent < indent) break;
      if (line.indent > indent) throw this.error(line, line.indent, 'unexpected indentation; sequence items must be scalars on one line', path);
      if (!isSeqItem(line)) {
        if (levelWithKey) break;
        throw this.error(line, indent, "expected a sequence item '- value'", path);
      }
      const itemPath = `${path}[${out.length}]`;
      this.positions.set(itemPath, { line: line.number, column: indent + 1 });
      this.i++;
      const start = skipWs(line.raw, indent + 1);
      if (start >= line.raw.length || line.raw[start] === '#') {
        const next = this.lines[this.i];
        if (next !== undefined && next.indent > indent) {
          throw this.error(next, next.indent, 'nested blocks inside sequences are not supported; sequence items must be scalars', itemPath);
        }
        out.push(null);
        continue;
      }
      const c = line.raw[start];
      if (c === '-' && (start + 1 >= line.raw.length || isWs(line.raw[start + 1]))) {
        throw this.error(line, start, 'nested sequences are not supported; sequence items must be scalars', itemPath);
      }
      if (c === '{' || c === '[') throw this.error(line, start, 'collections inside sequences are not supported; sequence items must be scalars', itemPath);
      out.push(this.parseScalarToEnd(line, start, itemPath, 'sequence'));
    }
    return out;
  }

  /** A value written on its key's line. */
  private parseInline(line: Line, start: number, path: string): YamlValue {
    const c = line.raw[start];
    if (c === '{') return this.parseFlowMapping(line, start, path);
    if (c === '[') throw this.error(line, start, "flow sequences '[...]' are not supported; write one '- item' per line instead", path);
    if (c === '-' && (start + 1 >= line.raw.length || isWs(line.raw[start + 1]))) {
      throw this.error(line, start, "a sequence cannot start on its key's line; put each '- item' on a line of its own", path);
    }
    return this.parseScalarToEnd(line, start, path, 'block');
  }

  /** A scalar that must be the last thing on the line, apart from a comment. */
  private parseScalarToEnd(line: Line, start: number, path: string, context: Context): YamlValue {
    const raw = line.raw;
    const c = raw[start];
    if (c === '"' || c === "'") {
      const { value, end } = this.scanQuoted(line, start, path);
      const rest = skipWs(raw, end);
      if (rest < raw.length && !(raw[rest] === '#' && rest > end)) throw this.error(line, rest, 'unexpected text after the closing quote', path);
      return value;
    }
    this.checkPlainStart(line, start, path);
    let j = start;
    while (j < raw.length) {
      const ch = raw[j];
      if (ch === '#' && isWs(raw[j - 1])) break;
      if (ch === ':' && (j + 1 >= raw.length || isWs(raw[j + 1]))) {
        const detail =
          context === 'sequence'
            ? "sequence items must be scalars (mappings inside sequences are not supported); quote the item if it contains ': '"
            : "a value cannot hold 'key: value'; quote the value if it contains ': ', or put a nested mapping on the following lines";
        throw this.error(line, j, detail, path);
      }
      j++;
    }
    return this.resolvePlain(raw.slice(start, j).trimEnd(), line, start, path);
  }

  /** Indicators that may not start a plain scalar in YAML, each explained. */
  private checkPlainStart(line: Line, index: number, path: string): void {
    const c = line.raw[index];
    const next = line.raw[index + 1];
    const reason: Record<string, string> = {
      '&': "anchors ('&') are not supported",
      '*': "aliases ('*') are not supported",
      '!': "tags ('!') are not supported",
      '|': "block scalars ('|') are not supported; write the value on one line, quoted if needed",
      '>': "folded scalars ('>') are not supported; write the value on one line, quoted if needed",
      '%': "a plain value cannot start with '%'; quote it",
      '@': "a plain value cannot start with '@'; quote it",
      '`': 'a plain value cannot start with \'`\'; quote it',
      ',': "unexpected ','; quote the value if it starts with ','",
      ']': "unexpected ']'",
      '}': "unexpected '}'",
      '[': "flow sequences '[...]' are not supported",
      '{': 'nested flow mappings are not supported',
    };
    const detail = reason[c];
    if (detail !== undefined) throw this.error(line, index, detail, path);
    if (c === '?' && (next === undefined || isWs(next))) throw this.error(line, index, "complex keys ('? ') are not supported", path);
  }

  private resolvePlain(text: string, line: Line, index: number, path: string): YamlValue {
    if (/^(~|null|Null|NULL)$/.test(text)) return null;
    if (/^(true|True|TRUE)$/.test(text)) return true;
    if (/^(false|False|FALSE)$/.test(text)) return false;
    let n: number | undefined;
    if (/^[-+]?[0-9]+$/.test(text)) n = Number(text);
    else if (/^0x[0-9a-fA-F]+$/.test(text)) n = parseInt(text.slice(2), 16);
    else if (/^0o[0-7]+$/.test(text)) n = parseInt(text.slice(2), 8);
    if (n !== undefined) {
      if (!Number.isSafeInteger(n)) throw this.error(line, index, `integer ${text} is too large to read exactly; quote it if it is meant as text`, path);
      return n;
    }
    if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(text)) {
      const d = Number(text);
      if (!Number.isFinite(d)) throw this.error(line, index, `number ${text} is out of range`, path);
      return d;
    }
    if (/^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/.test(text)) {
      throw this.error(line, index, `'${text}' (infinity / not-a-number) is not supported; quote it if it is meant as text`, path);
    }
    return text;
  }

  /** `key:` at the start of a block mapping line; `after` is the index just past the ':'. */
  private scanBlockKey(line: Line, path: string): { key: string; keyIndex: number; after: number } {
    const raw = line.raw;
    const start = line.indent;
    const c = raw[start];
    if (c === '"' || c === "'") {
      const { value, end } = this.scanQuoted(line, start, path);
      const colon = skipWs(raw, end);
      if (raw[colon] !== ':' || !(colon + 1 >= raw.length || isWs(raw[colon + 1]))) {
        throw this.error(line, colon, "expected 'key: value' (a ':' and a space after the quoted key)", path);
      }
      return { key: value, keyIndex: start, after: colon + 1 };
    }
    if (c === '{' || c === '[') throw this.error(line, start, "expected 'key: value'; a flow collection cannot be a key or stand on its own line", path);
    this.checkPlainStart(line, start, path);
    let j = start;
    while (j < raw.length) {
      if (raw[j] === '#' && isWs(raw[j - 1])) break;
      if (raw[j] === ':' && (j + 1 >= raw.length || isWs(raw[j + 1]))) {
        const key = raw.slice(start, j).trimEnd();
        if (key === '') throw this.error(line, start, "missing key before ':'", path);
        return { key, keyIndex: start, after: j + 1 };
      }
      j++;
    }
    throw this.error(line, start, "expected 'key: value'", path);
  }

  /** A quoted scalar on one line; `end` is the index just past the closing quote. */
  private scanQuoted(line: Line, start: number, path: string): { value: string; end: number } {
    const raw = line.raw;
    const quote = raw[start];
    const kind = quote === '"' ? 'double' : 'single';
    const unterminated = (): YamlError =>
      this.error(line, start, `unterminated ${kind}-quoted string: a quoted string must close on the line where it starts; multi-line strings are not supported`, path);
    let out = '';
    let j = start + 1;
    for (;;) {
      if (j >= raw.length) throw unterminated();
      const ch = raw[j];
      if (quote === "'") {
        if (ch === "'") {
          // Inside single quotes the only escape is a doubled quote.
          if (raw[j + 1] === "'") {
            out += "'";
            j += 2;
            continue;
          }
          return { value: out, end: j + 1 };
        }
        out += ch;
        j++;
        continue;
      }
      if (ch === '"') return { value: out, end: j + 1 };
      if (ch !== '\\') {
        out += ch;
        j++;
        continue;
      }
      const { text, length } = this.escape(line, j, path);
      out += text;
      j += length;
    }
  }

  /** The escape at `index` (a backslash) inside double quotes. */
  private escape(line: Line, index: number, path: string): { text: string; length: number } {
    const raw = line.raw;
    const e = raw[index + 1];
    if (e === undefined) throw this.error(line, index, 'a backslash at the end of a line (line continuation) is not supported', path);
    const simple: Record<string, string> = {
      '0': '\0',
      a: '\x07',
      b: '\b',
      t: '\t',
      '\t': '\t',
      n: '\n',
      v: '\v',
      f: '\f',
      r: '\r',
      e: '\x1b',
      ' ': ' ',
      '"': '"',
      '/': '/',
      '\\': '\\',
      N: '\u0085',
      _: '\u00a0',
      L: '\u2028',
      P: '\u2029',
    };
    const known = simple[e];
    if (known !== undefined) return { text: known, length: 2 };
    const digits = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (digits === 0) throw this.error(line, index, `unknown escape '\\${e}' in a double-quoted string`, path);
    const hex = raw.slice(index + 2, index + 2 + digits);
    const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === digits ? parseInt(hex, 16) : NaN;
    if (Number.isNaN(code) || code > 0x10ffff) throw this.error(line, index, `escape '\\${e}' needs ${digits} hexadecimal digits of a valid code point`, path);
    return { text: String.fromCodePoint(code), length: 2 + digits };
  }

  /** `{ k: v, ... }` on one line, values scalars. */
  private parseFlowMapping(line: Line, open: number, path: string): YamlMapping {
    const raw = line.raw;
    const out: YamlMapping = {};
    const unterminated = (): YamlError => this.error(line, open, "unterminated flow mapping: '{' must be closed by '}' on the same line", path);
    let j = open + 1;
    for (;;) {
      j = skipWs(raw, j);
      if (j >= raw.length || (raw[j] === '#' && isWs(raw[j - 1]))) throw unterminated();
      if (raw[j] === '}') {
        j++;
        break;
      }
      // Key.
      const keyIndex = j;
      let key: string;
      if (raw[j] === '"' || raw[j] === "'") {
        const q = this.scanQuoted(line, j, path);
        key = q.value;
        j = skipWs(raw, q.end);
        if (raw[j] !== ':') throw this.error(line, j, "expected ':' after the key in a flow mapping", path);
      } else {
        this.checkPlainStart(line, j, path);
        while (j < raw.length && !(raw[j] === ':' && isFlowBreak(raw[j + 1]))) {
          if (raw[j] === ',' || raw[j] === '}' || (raw[j] === '#' && isWs(raw[j - 1]))) {
            throw this.error(line, keyIndex, "expected 'key: value' in the flow mapping", path);
          }
          if ('{[]'.includes(raw[j])) throw this.error(line, j, 'nested flow collections are not supported', path);
          j++;
        }
        if (j >= raw.length) throw unterminated();
        key = raw.slice(keyIndex, j).trimEnd();
      }
      const keyPath = joinPath(path, key);
      if (Object.prototype.hasOwnProperty.call(out, key)) throw this.error(line, keyIndex, `duplicate key '${key}' in the flow mapping`, keyPath);
      this.positions.set(keyPath, { line: line.number, column: keyIndex + 1 });
      j = skipWs(raw, j + 1);
      if (j >= raw.length) throw unterminated();
      // Value.
      let value: YamlValue;
      const c = raw[j];
      if (c === ',' || c === '}') value = null;
      else if (c === '{' || c === '[') throw this.error(line, j, 'nested flow collections are not supported; flow mapping values must be scalars', keyPath);
      else if (c === '"' || c === "'") {
        const q = this.scanQuoted(line, j, keyPath);
        value = q.value;
        j = q.end;
      } else {
        this.checkPlainStart(line, j, keyPath);
        const valueIndex = j;
        while (j < raw.length && raw[j] !== ',' && raw[j] !== '}' && !(raw[j] === '#' && isWs(raw[j - 1]))) {
          if ('{[]'.includes(raw[j])) throw this.error(line, j, 'nested flow collections are not supported', keyPath);
          if (raw[j] === ':' && isFlowBreak(raw[j + 1])) throw this.error(line, j, "a value cannot hold 'key: value'; quote it if it contains ': '", keyPath);
          j++;
        }
        value = this.resolvePlain(raw.slice(valueIndex, j).trimEnd(), line, valueIndex, keyPath);
      }
      define(out, key, value);
      j = skipWs(raw, j);
      if (j >= raw.length || (raw[j] === '#' && isWs(raw[j - 1]))) throw unterminated();
      if (raw[j] === ',') {
        j++;
        continue;
      }
      if (raw[j] === '}') {
        j++;
        break;
      }
      throw this.error(line, j, "expected ',' or '}' in the flow mapping", keyPath);
    }
    const rest = skipWs(raw, j);
    if (rest < raw.length && !(raw[rest] === '#' && rest > j)) throw this.error(line, rest, "unexpected text after '}'", path);
    return out;
  }
}

/** In a flow mapping a ':' ends the key when followed by a space, ',', '}' or the line's end. */
function isFlowBreak(c: string | undefined): boolean {
  return c === undefined || isWs(c) || c === ',' || c === '}';
}
