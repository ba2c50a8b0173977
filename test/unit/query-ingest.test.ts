import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvParser, CsvSyntaxError, csvLine } from '../../shared/datasets/csv';
import type { Column } from '../../shared/datasets/dataset.schema';
import { validateRow } from '../../shared/datasets/ingest';
import { JsonArraySplitter, JsonSyntaxError, NdjsonSplitter } from '../../shared/datasets/json-rows';

/** Feeds `text` to a push parser in pieces cut at `cuts` (any chunking must give the same result). */
function chunked(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(text.slice(start, point));
    start = point;
  }
  pieces.push(text.slice(start));
  return pieces;
}

function parseCsv(text: string, cuts: number[] = []) {
  const sut = new CsvParser();
  const records = chunked(text, cuts).flatMap((piece) => sut.push(piece));
  return [...records, ...sut.end()];
}

describe('CsvParser (RFC 4180)', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, with the line each record starts on', () => {
    const records = parseCsv('a,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\r\nlines",\r\n3,,last');
    expect(records).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['1', 'x, y', 'say "hi"'], line: 2 },
      { fields: ['2', 'two\r\nlines', ''], line: 3 },
      { fields: ['3', '', 'last'], line: 5 },
    ]);
  });

  it('skips a byte-order mark and blank lines, and takes LF or CRLF', () => {
    expect(parseCsv('\ufeffa\n\n1\n').map((r) => r.fields)).toEqual([['a'], ['1']]);
  });

  it('gives the same records however the text is cut into chunks', () => {
    const text = 'name,note\r\n"Ann","a,b"\r\n"B ""x""",\r\nC,"multi\nline"\r\n';
    const expected = parseCsv(text);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: text.length }), { maxLength: 8 }), (cuts) => {
        expect(parseCsv(text, cuts)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips what csvLine writes', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ maxLength: 12 }), { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 5 }), (rows) => {
        const width = rows[0]?.length ?? 2;
        const table = rows.map((row) => [...row, ...Array<string>(width).fill('')].slice(0, width));
        const text = table.map((row) => csvLine(row)).join('');
        const parsed = parseCsv(text).map((record) => record.fields);
        // A row of empty fields of width 1 would be a blank line; width ≥ 2 keeps its commas.
        expect(parsed).toEqual(table);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a quote inside an unquoted field and an unclosed quote, naming the line', () => {
    expect(() => parseCsv('a\nx"y\n')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a\n"open\n')).toThrow(/line 2/);
    expect(() => parseCsv('a\n"x"y\n')).toThrow(/closing quote/);
  });

  it('ends records at CR, LF or CRLF, mixed in one file', () => {
    expect(parseCsv('a\r1\n2\r\n3').map((r) => [r.fields, r.line])).toEqual([
      [['a'], 1],
      [['1'], 2],
      [['2'], 3],
      [['3'], 4],
    ]);
  });

  it('names the line a refused record starts on, after records with line breaks and blank lines', () => {
    expect(() => parseCsv('a\n"two\r\nlines"\n\n"x\ny"z\n')).toThrow(/^line 5: a closing quote/);
  });
});

describe('JsonArraySplitter', () => {
  it('splits the elements of an array at any chunking, strings with brackets and commas included', () => {
    const text = '[\n {"a": "x,]}"},\n {"a": [1, {"b": 2}]}, 3\n]';
    const expected = [
      { text: '{"a": "x,]}"}', line: 2 },
      { text: '{"a": [1, {"b": 2}]}', line: 3 },
      { text: '3', line: 3 },
    ];
    fc.assert(
      fc.property(fc.array(fc.nat({ max: text.length }), { maxLength: 6 }), (cuts) => {
        const sut = new JsonArraySplitter();
        const elements = chunked(text, cuts).flatMap((piece) => sut.push(piece));
        sut.end();
        expect(elements).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('accepts an empty array and refuses what is not one array', () => {
    const empty = new JsonArraySplitter();
    expect(empty.push(' [ ] ')).toEqual([]);
    empty.end();
    expect(() => new JsonArraySplitter().push('{"a":1}')).toThrow(JsonSyntaxError);
    expect(() => new JsonArraySplitter().push('[1,,2]')).toThrow(/missing/);
    expect(() => new JsonArraySplitter().push('[1] x')).toThrow(/after/);
    expect(() => {
      const open = new JsonArraySplitter();
      open.push('[1, 2');
      open.end();
    }).toThrow(/not closed/);
  });
});

describe('NdjsonSplitter', () => {
  it('yields one element per non-blank line, the last one without a newline too', () => {
    const sut = new NdjsonSplitter();
    const elements = [...sut.push('{"a":1}\r\n\n{"a"'), ...sut.push(':2}\n{"a":3}'), ...sut.end()];
    expect(elements).toEqual([
      { text: '{"a":1}', line: 1 },
      { text: '{"a":2}', line: 3 },
      { text: '{"a":3}', line: 4 },
    ]);
  });
});

describe('validateRow', () => {
  const columns: Column[] = [
    { name: 'length', type: 'number', required: true },
    { name: 'count', type: 'integer', required: false },
    { name: 'species', type: 'string', required: true, values: ['setosa', 'virginica'] },
    { name: 'ok', type: 'boolean', required: false },
    { name: 'at', type: 'datetime', required: false },
  ];

  it('types CSV text by column, leaving empty optional cells out', () => {
    expect(validateRow({ length: '5.1', count: '', species: 'setosa', ok: 'TRUE', at: '2024-05-01' }, columns, true)).toEqual({
      values: { length: 5.1, species: 'setosa', ok: true, at: '2024-05-01T00:00:00.000Z' },
    });
  });

  it('wants JSON values of the column type; null is missing', () => {
    expect(validateRow({ length: 2, count: null, species: 'virginica' }, columns, false)).toEqual({ values: { length: 2, species: 'virginica' } });
    expect(validateRow({ length: '2', species: 'virginica' }, columns, false)).toEqual({ problems: [{ column: 'length', message: '"2" is not a number' }] });
  });

  it('lists every problem of a row: unknown, missing, mistyped and disallowed values', () => {
    const result = validateRow({ length: 'abc', count: '1.5', species: 'rose', colour: 'red' }, columns, true);
    expect('problems' in result && result.problems.map((p) => p.column)).toEqual(['colour', 'length', 'count', 'species']);
    expect(validateRow({ species: 'setosa' }, columns, true)).toEqual({ problems: [{ column: 'length', message: 'is required' }] });
  });
});
