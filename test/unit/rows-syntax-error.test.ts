import { describe, expect, it } from 'vitest';
import { CsvParser, CsvSyntaxError, RowsSyntaxError } from '../../shared/datasets/csv';
import { JsonArraySplitter, JsonSyntaxError } from '../../shared/datasets/json-rows';

/** Malformed CSV and malformed JSON rows are one kind of error: its line, a message naming it, and its own name. */
describe('RowsSyntaxError', () => {
  it('is what CSV and JSON rows throw, with the line and the kind', () => {
    const csv = catching(() => {
      const sut = new CsvParser();
      sut.push('a\nx"y\n');
      sut.end();
    });
    const json = catching(() => new JsonArraySplitter().push('\n{"a":1}'));
    expect(csv).toBeInstanceOf(CsvSyntaxError);
    expect(json).toBeInstanceOf(JsonSyntaxError);
    for (const error of [csv, json]) expect(error).toBeInstanceOf(RowsSyntaxError);
    expect(csv).toMatchObject({ name: 'CsvSyntaxError', line: 2, message: expect.stringMatching(/^line 2: /) });
    expect(json).toMatchObject({ name: 'JsonSyntaxError', line: 2, message: expect.stringMatching(/^line 2: /) });
  });
});

function catching(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a syntax error');
}
