import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type ErrorCode, type Node, type Pair } from 'yaml';

/**
 * A profile file read as YAML 1.2 (core schema: `yes` stays text, `0x1F` is a number), with
 * the means to point at the line and column of any key or value, so that every problem found
 * later (by the schema or by the harness's own checks) names where it is in the file.
 */

/** A key path as the profile writes it: mapping keys, and list indexes. */
export type KeyPath = readonly (string | number)[];

export interface Position {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
}

/** A problem in the YAML text itself (syntax, duplicate key, tab indentation). */
export interface SyntaxProblem {
  readonly path: KeyPath;
  readonly detail: string;
  readonly position: Position;
}

export class ProfileDocument {
  private readonly lines = new LineCounter();
  private readonly doc: Document.Parsed;
  private readonly length: number;

  constructor(text: string) {
    this.length = text.length;
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true, version: '1.2', schema: 'core' });
  }

  /**
   * YAML errors, and warnings too (an unresolved `!tag` is read as text, which is not what its
   * writer meant). While there are any, the structure is uncertain and is not checked further.
   */
  syntaxProblems(): SyntaxProblem[] {
    return [...this.doc.errors, ...this.doc.warnings].map((e) => {
      const offset = e.pos[0];
      const path = this.pathAt(offset);
      if (path.length > 0 || offset < this.length) return { path, detail: syntaxDetail(e.code, e.message), position: this.position(offset) };
      // An error found only at the end of the text (an unterminated quote or flow mapping) is
      // reported where the unfinished value starts.
      const unfinished = this.pathAt(offset - 1);
      const position = unfinished.length > 0 ? this.locate(unfinished, 'value') : this.position(offset);
      return { path: unfinished, detail: syntaxDetail(e.code, e.message), position };
    });
  }

  /** The document as plain data: null for an empty file. */
  value(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  /**
   * Where `path` is written: its key (`at: 'key'`), or its value when there is one to point
   * at. A path that is not in the file (a missing key) gives its nearest written ancestor.
   */
  locate(path: KeyPath, at: 'key' | 'value'): Position {
    let node: unknown = this.doc.contents;
    let best = this.nodeStart(node) ?? 0;
    for (const [i, segment] of path.entries()) {
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p) === String(segment));
        if (!pair) break;
        best = this.nodeStart(pair.key) ?? best;
        if (last && at === 'key') break;
        const valueStart = isScalar(pair.value) && pair.value.value === null ? null : this.nodeStart(pair.value);
        if (last) best = valueStart ?? best;
        node = pair.value;
      } else if (isSeq(node)) {
        const item: unknown = node.items[Number(segment)];
        best = this.nodeStart(item) ?? best;
        node = item;
      } else {
        break;
      }
    }
    return this.position(best);
  }

  /** The key path of the innermost key or value that holds `offset`. */
  private pathAt(offset: number): KeyPath {
    const path: (string | number)[] = [];
    let node: unknown = this.doc.contents;
    for (;;) {
      if (isMap(node)) {
        // A pair spans from its key to the end of its value, tags and anchors included.
        const pair = node.items.find((p) => covers(p.key, offset) || covers(p.value, offset) || within(p, offset));
        if (!pair) return path;
        path.push(keyText(pair));
        if (!covers(pair.value, offset)) return path;
        node = pair.value;
      } else if (isSeq(node)) {
        const index = node.items.findIndex((item) => covers(item, offset));
        if (index < 0) return path;
        path.push(index);
        node = node.items[index];
      } else {
        return path;
      }
    }
  }

  private nodeStart(node: unknown): number | null {
    return isNode(node) && node.range ? node.range[0] : null;
  }

  private position(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }
}

function isNode(v: unknown): v is Node {
  return isScalar(v) || isMap(v) || isSeq(v);
}

function keyText(pair: Pair<unknown, unknown>): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function within(pair: Pair<unknown, unknown>, offset: number): boolean {
  const key = isNode(pair.key) ? pair.key.range : undefined;
  const value = isNode(pair.value) ? pair.value.range : undefined;
  return key !== undefined && key !== null && value !== undefined && value !== null && key[0] <= offset && offset < value[1];
}

function covers(node: unknown, offset: number): boolean {
  return isNode(node) && node.range !== undefined && node.range !== null && node.range[0] <= offset && offset < Math.max(node.range[2], node.range[0] + 1);
}

/** The YAML library's message, reworded where it speaks to a programmer rather than to the profile's writer. */
function syntaxDetail(code: ErrorCode, message: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'is given twice in the same mapping; keep one';
    case 'MULTIPLE_DOCS':
      return "a profile is one YAML document; remove the second '---' and what follows it";
    default:
      return message.charAt(0).toLowerCase() + message.slice(1);
  }
}
