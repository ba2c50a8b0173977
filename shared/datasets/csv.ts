/**
 * CSV (RFC 4180) both ways, without a dependency: an incremental parser that takes text in chunks
 * of any size and hands back each complete record with the line it started on, and a writer.
 * Quoted fields may hold commas, quotes (`""`) and line breaks; records end with CRLF or LF.
 */

export interface CsvRecord {
  fields: string[];
  /** 1-based line of the file the record starts on. */
  line: number;
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

const QUOTE = 34;
const COMMA = 44;
const CR = 13;
const LF = 10;

/**
 * Push text in, take records out.
 *
 * @example
 * const parser = new CsvParser();
 * const records = [...parser.push('a,b\n1,"x,y"\n'), ...parser.end()];
 * // [{ fields: ['a', 'b'], line: 1 }, { fields: ['1', 'x,y'], line: 2 }]
 */
export class CsvParser {
  private fields: string[] = [];
  private field = '';
  /** Inside a quoted field; `quoteClosed`: just read its closing quote (or the first of a `""`). */
  private quoted = false;
  private quoteClosed = false;
  /** The current field began (distinguishes an empty last field from no field at all). */
  private fieldStarted = false;
  private pendingCr = false;
  private line = 1;
  private recordLine = 1;
  private first = true;

  push(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let start = 0;
    if (this.first && text.length > 0) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) start = 1;
    }
    // Runs of ordinary characters are sliced, not appended one by one: most of a file is plain text.
    let run = start;
    const flushRun = (end: number) => {
      if (end > run) this.field += text.slice(run, end);
    };
    for (let i = start; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (this.pendingCr) {
        this.pendingCr = false;
        if (code === LF) {
          run = i + 1;
          continue;
        }
      }
      if (this.quoted) {
        if (code === QUOTE) {
          flushRun(i);
          run = i + 1;
          this.quoted = false;
          this.quoteClosed = true;
        } else if (code === LF) this.line += 1;
        continue;
      }
      if (this.quoteClosed) {
        if (code === QUOTE) {
          // `""` inside a quoted field: one literal quote, and still quoted.
          this.field += '"';
          this.quoted = true;
          this.quoteClosed = false;
          run = i + 1;
          continue;
        }
        if (code !== COMMA && code !== CR && code !== LF) {
          throw new CsvSyntaxError(this.line, 'a closing quote must be followed by a comma or the end of the line');
        }
        this.quoteClosed = false;
      }
      if (code === COMMA) {
        flushRun(i);
        this.fields.push(this.field);
        this.field = '';
        this.fieldStarted = true;
        run = i + 1;
      } else if (code === CR || code === LF) {
        flushRun(i);
        this.endRecord(out);
        this.line += 1;
        this.recordLine = this.line;
        if (code === CR) this.pendingCr = true;
        run = i + 1;
      } else if (code === QUOTE) {
        if (this.field.length > 0 || i > run) {
          throw new CsvSyntaxError(this.line, 'a quote inside an unquoted field; quote the whole field and double the quote ("")');
        }
        this.quoted = true;
        this.fieldStarted = true;
        run = i + 1;
      } else {
        this.fieldStarted = true;
      }
    }
    flushRun(text.length);
    return out;
  }

  /** The last record when the text does not end with a line break; throws on an unclosed quote. */
  end(): CsvRecord[] {
    if (this.quoted) throw new CsvSyntaxError(this.recordLine, 'a quoted field is not closed');
    const out: CsvRecord[] = [];
    this.endRecord(out);
    return out;
  }

  private endRecord(out: CsvRecord[]): void {
    if (this.fieldStarted || this.fields.length > 0 || this.field.length > 0 || this.quoteClosed) {
      this.fields.push(this.field);
      out.push({ fields: this.fields, line: this.recordLine });
    }
    this.fields = [];
    this.field = '';
    this.fieldStarted = false;
    this.quoteClosed = false;
  }
}

/** One CSV field: quoted when it holds a comma, quote, line break or edge spaces. */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record with its CRLF (RFC 4180 line ending). */
export function csvLine(values: readonly (string | number | boolean | null | undefined)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
