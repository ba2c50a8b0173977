import { beforeAll, describe, expect, it } from 'vitest';
import { IRIS_DATASET_ID } from '../../local/seed/query.seed';
import { call, expectProblem, keyWithRoles } from '../support/api';
import { type IrisRow as Iris, irisRows as readIrisRows } from '../support/fixtures';

/**
 * Datasette's table arguments (json_api.rst) on the seeded iris data: each operator's rows compared
 * with the same selection computed here from the shipped CSV, with the semantics Datasette's docs
 * give (SQLite LIKE: case-insensitive, `%` and `_`; GLOB: case-sensitive, `*`, `?`, `[...]`).
 */
type Row = Iris & { _id: string };

const IRIS = `/v1/datasets/${IRIS_DATASET_ID}`;

const irisRows = readIrisRows();

/** A row as comparable text, without its `_id` (which the CSV does not have). */
const key = (row: Iris) => JSON.stringify([row.sepal_length, row.sepal_width, row.petal_length, row.petal_width, row.species]);
const sorted = (rows: Iris[]) => rows.map(key).sort();

async function rowsOf(query: string): Promise<Iris[]> {
  const sut = await call<{ items: Row[]; nextCursor: string | null }>('GET', `${IRIS}/records?${query}&_size=1000`);
  expect(sut.status, sut.text).toBe(200);
  expect(sut.body.nextCursor).toBeNull();
  return sut.body.items;
}

const species = (test: (name: string) => boolean) => irisRows.filter((row) => test(row.species));

/** Each form, with its selection computed independently (hand-written from the docs' semantics). */
const CASES: [string, Iris[]][] = [
  ['species__contains=OSA', species((s) => s.toLowerCase().includes('osa'))],
  ['species__notcontains=SI', species((s) => !s.toLowerCase().includes('si'))],
  ['species__startswith=VIR', species((s) => s.toLowerCase().startsWith('vir'))],
  ['species__endswith=ICA', species((s) => s.toLowerCase().endsWith('ica'))],
  ['species__like=SE%', species((s) => /^se/i.test(s))],
  ['species__like=%COLOR', species((s) => /color$/i.test(s))],
  ['species__like=v_r%a', species((s) => /^v.r.*a$/i.test(s))],
  ['species__like=%ERS%', species((s) => /ers/i.test(s))],
  ['species__like=_e%o_%a', species((s) => /^.e.*o..*a$/i.test(s))],
  ['species__like=SETOSA', species((s) => s.toLowerCase() === 'setosa')],
  ['species__like=s_tos', species(() => false)],
  ['species__notlike=%a', species((s) => !/a$/i.test(s))],
  ['species__glob=*[st]osa', species((s) => /^.*[st]osa$/.test(s))],
  ['species__glob=v?r*', species((s) => /^v.r/.test(s))],
  ['species__glob=[^s]*', species((s) => /^[^s]/.test(s))],
  ['species__glob=[a-t]*[a-c]', species((s) => /^[a-t].*[a-c]$/.test(s))],
  ['species__glob=*ICA', species((s) => s.endsWith('ICA'))],
  ['species__glob=*ers*', species((s) => s.includes('ers'))],
  ['species__like=%e%o%', species((s) => /e.*o/i.test(s))],
  ['species__like=%S%C%A', species((s) => /^.*s.*c.*a$/i.test(s))],
  ['species__like=v%s_c%r', species((s) => /^v.*s.c.*r$/i.test(s))],
  ['species__notlike=%e%o%', species((s) => !/e.*o/i.test(s))],
  ['species__glob=*i*i*', species((s) => /i.*i/.test(s))],
  ['species__glob=*[ei]*[cs]o*', species((s) => /[ei].*[cs]o/.test(s))],
  ['species__notnull=1', irisRows],
  ['species__isnull=1', []],
  ['species__isblank=1', []],
  ['species__notblank=1', irisRows],
  ['petal_width__notblank=true', irisRows],
  ['species__endswith=a&petal_width__gte=2.3', irisRows.filter((row) => row.species.endsWith('a') && row.petal_width >= 2.3)],
];

describe('GET /api/v1/datasets/{id}/records with Datasette’s operators on the iris data', () => {
  it.each(CASES)('%s selects the rows Datasette would', async (query, expected) => {
    expect(sorted(await rowsOf(query))).toEqual(sorted(expected));
  });

  it('names an unknown operator in its error instead of calling it a column', async () => {
    const problem = expectProblem(await call('GET', `${IRIS}/records?species__resembles=setosa`), 400);
    expect(problem.errors).toEqual([{ pointer: '/query/species__resembles', message: expect.stringContaining("unknown operator '__resembles'") }]);
    const column = expectProblem(await call('GET', `${IRIS}/records?colour__endswith=red`), 400);
    expect(column.errors).toEqual([{ pointer: '/query/colour__endswith', message: expect.stringContaining("unknown column 'colour'") }]);
  });

  it('refuses __arraycontains (columns hold single values) and __date on a number column', async () => {
    const array = expectProblem(await call('GET', `${IRIS}/records?species__arraycontains=setosa`), 400);
    expect(array.errors).toEqual([{ pointer: '/query/species__arraycontains', message: expect.stringContaining('not arrays') }]);
    const date = expectProblem(await call('GET', `${IRIS}/records?petal_width__date=2024-01-01`), 400);
    expect(date.errors).toEqual([{ pointer: '/query/petal_width__date', message: expect.stringContaining('datetime') }]);
  });
});

describe('GET …/records with __date, __isblank and __notblank on a dataset with gaps', () => {
  const ROWS = [
    { site: 'north', taken: '2024-05-01T00:00:00Z' },
    { site: '', taken: '2024-05-01T23:59:59.999Z' },
    { taken: '2024-05-02T00:00:00Z' },
    { site: 'South', taken: '2024-04-30T23:59:59.999Z' },
    { site: 'east', taken: '2024-05-01T12:00:00+02:00' },
  ];
  let dataset = '';

  beforeAll(async () => {
    const owner = await keyWithRoles(['contributor']);
    const created = await call<{ id: string }>('POST', '/v1/catalogue/datasets', { key: owner, body: { name: `datasette forms ${Date.now()}`, description: { plain: 'Sites and times with gaps, for the Datasette forms.' }, status: 'published' } });
    expect(created.status, created.text).toBe(201);
    dataset = created.body.id;
    const schema = { columns: [{ name: 'site', type: 'string', required: false }, { name: 'taken', type: 'datetime' }] };
    expect((await call('PUT', `/v1/datasets/${dataset}/schema`, { key: owner, body: schema })).status).toBe(201);
    const ndjson = ROWS.map((row) => JSON.stringify(row)).join('\n');
    const ingest = await call('POST', `/v1/datasets/${dataset}/records`, { key: owner, rawBody: ndjson, headers: { 'Content-Type': 'application/x-ndjson' } });
    expect(ingest.status, ingest.text).toBe(201);
  });

  const selected = async (query: string) => {
    const sut = await call<{ items: { taken: string }[] }>('GET', `/v1/datasets/${dataset}/records?${query}&_sort=taken`);
    expect(sut.status, sut.text).toBe(200);
    return sut.body.items.map((item) => item.taken);
  };
  const expected = (test: (row: (typeof ROWS)[number]) => boolean) =>
    ROWS.filter(test)
      .map((row) => new Date(row.taken).toISOString())
      .sort();

  it('__date=YYYY-MM-DD selects the UTC day of a datetime column', async () => {
    expect(await selected('taken__date=2024-05-01')).toEqual(expected((row) => new Date(row.taken).toISOString().startsWith('2024-05-01')));
  });

  it('__isblank selects missing and empty values, __notblank the others, __isnull only the missing', async () => {
    expect(await selected('site__isblank=1')).toEqual(expected((row) => row.site === undefined || row.site === ''));
    expect(await selected('site__notblank=1')).toEqual(expected((row) => row.site !== undefined && row.site !== ''));
    expect(await selected('site__isnull=1')).toEqual(expected((row) => row.site === undefined));
    expect(await selected('site__notcontains=O')).toEqual(expected((row) => row.site !== undefined && !row.site.toLowerCase().includes('o')));
  });
});

describe('GET …/records with Datasette’s _size=max and _nocol', () => {
  it('_size=max gives the largest page and _nocol leaves columns out', async () => {
    const sut = await call<{ items: Record<string, unknown>[] }>('GET', `${IRIS}/records?_size=max&_nocol=species,petal_width`);
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body.items).toHaveLength(irisRows.length);
    expect(Object.keys(sut.body.items[0] ?? {}).sort()).toEqual(['_id', 'petal_length', 'sepal_length', 'sepal_width']);
    const problem = expectProblem(await call('GET', `${IRIS}/records?_nocol=colour`), 400);
    expect(problem.errors).toEqual([{ pointer: '/query/_nocol', message: expect.stringContaining("unknown column 'colour'") }]);
  });
});
