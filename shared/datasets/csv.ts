import type { CsvError, Info, Parser } from 'csv-parse';
import { lazyRequire } from '../azure/load';

/**
 * CSV (RFC 4180) both ways: `csv-parse` reads text pushed in chunks of any size and hands back each
 * complete record with the line it started on; the writer is two small functions. Quoted fields
 * may hold commas, quotes (`""`) and line breaks; records end with CRLF, LF or CR, mixed freely.
 */

export interface CsvRecord {
  fields: string[];
  /** 1-based line of the file the record starts on. */
  line: number;
}

/** Rows sent in a body that is not well-formed, at a line of it: CSV and JSON rows are refused alike. */
export class RowsSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

export class CsvSyntaxError extends RowsSyntaxError {
  override readonly name = 'CsvSyntaxError';
}

/** Our wording for the refusals a caller can fix; anything else keeps csv-parse's message. */
const MESSAGES: Record<string, string> = {
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field; quote the whole field and double the quote ("")',
  CSV_INVALID_CLOSING_QUOTE: 'a closing quote must be followed by a comma or the end of the line',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed',
};

/** Line feeds inside a record's quoted fields: each moves the next record one line further down (a CRLF is one line, as is a LF). */
const breaksIn = (fields: readonly string[]) => fields.reduce((sum, field) => sum + (field.match(/\n/g)?.length ?? 0), 0);

/**
 * Push text in, take records out. The csv-parse stream is driven synchronously: a write parses the
 * chunk at once and its records are read straight back, so the caller decides when to yield.
 *
 * @example
 * const parser = new CsvParser();
 * const records = [...parser.push('a,b\n1,"x,y"\n'), ...parser.end()];
 * // [{ fields: ['a', 'b'], line: 1 }, { fields: ['1', 'x,y'], line: 2 }]
 */
export class CsvParser {
  private readonly parser: Parser;
  /** Lines taken by the records read so far (blank lines skipped between them come from csv-parse's info). */
  private linesRead = 0;

  constructor() {
    const { Parser: CsvParse } = lazyRequire<typeof import('csv-parse')>('csv-parse');
    this.parser = new CsvParse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true, record_delimiter: ['\r\n', '\n', '\r'] });
    // Errors are read from `errored` right after each write; the listener keeps the stream from throwing them again.
    this.parser.on('error', () => undefined);
  }

  push(text: string): CsvRecord[] {
    this.parser.write(text);
    return this.drain();
  }

  /** The last record when the text does not end with a line break; throws on an unclosed quote. */
  end(): CsvRecord[] {
    this.parser.end();
    return this.drain();
  }

  /** The records parsed so far; then, if the text went wrong after them, the error with its line. */
  private drain(): CsvRecord[] {
    const out: CsvRecord[] = [];
    for (let read = this.parser.read() as { record: string[]; info: Info } | null; read !== null; read = this.parser.read() as typeof read) {
      const line = this.linesRead + read.info.empty_lines + 1;
      out.push({ fields: read.record, line });
      this.linesRead = line - read.info.empty_lines + breaksIn(read.record);
    }
    const failure = this.parser.errored as (CsvError & Info) | null;
    // The line the failing record starts on, counted here: csv-parse's own count takes a CRLF inside quotes for two lines.
    if (failure) throw new CsvSyntaxError(this.linesRead + failure.empty_lines + 1, MESSAGES[failure.code] ?? failure.message);
    return out;
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
