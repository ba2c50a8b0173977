import { RowsSyntaxError } from './csv';

/**
 * Incremental readers for rows sent as JSON: a top-level array (`[{…}, {…}]`) split into its
 * elements without parsing the whole body at once, and NDJSON (one JSON value per line).
 * Each takes text in chunks of any size and hands back the complete elements so far.
 */

export interface JsonElement {
  /** The element's JSON text (parse it with JSON.parse). */
  text: string;
  /** 1-based line the element starts on. */
  line: number;
}

export class JsonSyntaxError extends RowsSyntaxError {
  override readonly name = 'JsonSyntaxError';
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Splits a JSON array into the text of its elements, tracking only strings and nesting (each
 * element is then parsed on its own, so its syntax is checked there).
 *
 * @example new JsonArraySplitter().push('[{"a":1},{"a":2}]') // [{ text: '{"a":1}', line: 1 }, { text: '{"a":2}', line: 1 }]
 */
export class JsonArraySplitter {
  private state: 'before' | 'inside' | 'after' = 'before';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private element: string[] = [];
  private elementLine = 1;
  private started = false;
  /** Inside an element (its text so far is in `element` and in the current run). */
  private inElement = false;
  private line = 1;
  private first = true;

  push(text: string): JsonElement[] {
    const out: JsonElement[] = [];
    let i = 0;
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    let run = this.inElement ? i : -1;
    for (; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 0x0a) this.line += 1;
      if (this.state === 'before') {
        if (WHITESPACE.has(code)) continue;
        if (code !== 0x5b) throw new JsonSyntaxError(this.line, 'expected a JSON array of rows (`[{…}, …]`); send NDJSON as application/x-ndjson');
        this.state = 'inside';
        continue;
      }
      if (this.state === 'after') {
        if (!WHITESPACE.has(code)) throw new JsonSyntaxError(this.line, 'unexpected text after the closing `]`');
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (code === 0x5c) this.escaped = true;
        else if (code === 0x22) this.inString = false;
        continue;
      }
      if (this.depth === 0 && (code === 0x2c || code === 0x5d)) {
        if (run >= 0) this.element.push(text.slice(run, i));
        run = -1;
        this.inElement = false;
        const element = this.element.join('').trim();
        this.element = [];
        if (element.length === 0) {
          // `[]` is an empty array; `[,` or `,,` or `,]` is a hole.
          if (code === 0x2c || this.started) throw new JsonSyntaxError(this.line, 'an array element is missing');
        } else out.push({ text: element, line: this.elementLine });
        this.started = true;
        if (code === 0x5d) this.state = 'after';
        continue;
      }
      if (run < 0) {
        if (WHITESPACE.has(code)) continue;
        run = i;
        this.inElement = true;
        this.elementLine = this.line;
      }
      if (code === 0x22) this.inString = true;
      else if (code === 0x7b || code === 0x5b) this.depth += 1;
      else if (code === 0x7d || code === 0x5d) {
        this.depth -= 1;
        if (this.depth < 0) throw new JsonSyntaxError(this.line, 'unbalanced brackets');
      }
    }
    if (run >= 0) this.element.push(text.slice(run));
    return out;
  }

  end(): void {
    if (this.state !== 'after') throw new JsonSyntaxError(this.line, 'the array is not closed with `]`');
  }
}

/**
 * Splits NDJSON into its lines (blank lines are skipped).
 *
 * @example new NdjsonSplitter().push('{"a":1}\n{"a":2}\n') // two elements, lines 1 and 2
 */
export class NdjsonSplitter {
  private partial = '';
  private line = 0;
  private first = true;

  push(text: string): JsonElement[] {
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const out: JsonElement[] = [];
    let start = 0;
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', start)) {
      this.emit(this.partial + text.slice(start, at), out);
      this.partial = '';
      start = at + 1;
    }
    this.partial += text.slice(start);
    return out;
  }

  end(): JsonElement[] {
    const out: JsonElement[] = [];
    if (this.partial.length > 0) this.emit(this.partial, out);
    this.partial = '';
    return out;
  }

  private emit(lineText: string, out: JsonElement[]): void {
    this.line += 1;
    const trimmed = lineText.trim();
    if (trimmed.length > 0) out.push({ text: trimmed, line: this.line });
  }
}
