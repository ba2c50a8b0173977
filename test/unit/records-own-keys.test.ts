import { describe, expect, it } from 'vitest';
import { renderRows } from '../../shared/http/records.render';
import { toRow } from '../../shared/query/record.planner';

// `constructor`, `toString` and `valueOf` are valid column names; a row without a value in one of
// them must not pick up what every JavaScript object inherits under that name.
describe('columns named like what objects inherit', () => {
  it('read a stored row by its own values only', () => {
    expect(toRow({ id: 'r1', v: { constructor: 3 } }, ['constructor', 'toString', 'valueOf'])).toEqual({ _id: 'r1', constructor: 3 });
  });

  it('render an absent value as empty, not as a function', () => {
    const rows = [{ _id: 'r1', constructor: 3 }];
    expect(renderRows('csv', ['constructor', 'toString'], rows)).toBe('constructor,toString\r\n3,\r\n');
    expect(renderRows('ndjson', ['constructor', 'toString'], rows)).toBe('{"constructor":3}\n');
  });
});
