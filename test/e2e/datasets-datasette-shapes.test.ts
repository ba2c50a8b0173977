import { beforeAll, describe, expect, it } from 'vitest';
import { IRIS_DATASET_ID } from '../../local/seed/query.seed';
import { irisRows as readIrisRows, type IrisRow } from '../support/fixtures';
import { apiFetch, baseUrl, call, expectProblem, keyWithRoles } from '../support/api';

/**
 * Datasette's `_shape`, `_nl`, `.json`/`.csv` URL forms and facets (json_api.rst, facets.rst) on the
 * seeded iris data, each compared with what is computed here from the shipped CSV.
 */

type Row = IrisRow & { _id: string };
interface FacetValue {
  value: string | number | boolean;
  count: number;
  selected: boolean;
  toggleUrl: string;
}
interface Page {
  items: Row[];
  nextCursor: string | null;
  next: string | null;
  facets?: Record<string, FacetValue[]>;
}

const IRIS = `/v1/datasets/${IRIS_DATASET_ID}`;
const COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'] as const;

const irisRows: IrisRow[] = readIrisRows();

/** How many rows have each value of `pick`, most first (ties by value), as Datasette lists facet values. */
function counted<T extends string | number>(rows: readonly IrisRow[], pick: (row: IrisRow) => T): { value: T; count: number }[] {
  const counts = new Map<T, number>();
  for (const row of rows) counts.set(pick(row), (counts.get(pick(row)) ?? 0) + 1);
  return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

async function page(query: string): Promise<Page> {
  const sut = await call<Page>('GET', `${IRIS}/records?${query}`);
  expect(sut.status, sut.text).toBe(200);
  return sut.body;
}

describe('GET /api/v1/datasets/{id}/records with Datasette’s _shape and _nl', () => {
  const query = 'species=virginica&petal_width__gte=2.2&_size=1000';
  const expected = irisRows.filter((row) => row.species === 'virginica' && row.petal_width >= 2.2);

  it('_shape=objects is the default page', async () => {
    const objects = await page(`${query}&_shape=objects`);
    expect(objects).toEqual(await page(query));
    expect(objects.items).toHaveLength(expected.length);
  });

  it('_shape=arrays gives the columns once and each row as an array in their order', async () => {
    const objects = await page(query);
    const sut = await call<{ columns: string[]; rows: unknown[][]; nextCursor: string | null }>('GET', `${IRIS}/records?${query}&_shape=arrays`);
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body.columns).toEqual(['_id', ...COLUMNS]);
    expect(sut.body.rows).toEqual(objects.items.map((row) => sut.body.columns.map((name) => row[name as keyof Row])));
    expect(sut.body.nextCursor).toBeNull();
  });

  it('_shape=array is a bare JSON array of the rows; with _nl=on one JSON object per line', async () => {
    const objects = await page(query);
    const array = await call<Row[]>('GET', `${IRIS}/records?${query}&_shape=array`);
    expect(array.status, array.text).toBe(200);
    expect(array.body).toEqual(objects.items);
    const lines = await apiFetch(`${baseUrl()}/api${IRIS}/records?${query}&_shape=array&_nl=on`);
    expect(lines.status).toBe(200);
    expect(lines.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const text = await lines.text();
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trim().split('\n').map((line) => JSON.parse(line) as Row)).toEqual(objects.items);
  });

  it('_shape=object keys the rows by their record id (hosted rows have no primary key column)', async () => {
    const objects = await page(query);
    const sut = await call<Record<string, Row>>('GET', `${IRIS}/records?${query}&_shape=object`);
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body).toEqual(Object.fromEntries(objects.items.map((row) => [row._id, row])));
  });

  it('a paged bare shape points to the next page in its Link header', async () => {
    const sut = await call<Row[]>('GET', `${IRIS}/records?species=setosa&_size=10&_shape=array`);
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body).toHaveLength(10);
    const link = /^<([^>]+)>; rel="next"$/.exec(sut.headers.get('link') ?? '');
    expect(link?.[1]).toContain('_shape=array');
    const next = await call<Row[]>('GET', (link?.[1] ?? '').replace(/^\/api/, ''));
    expect(next.status, next.text).toBe(200);
    expect(next.body.map((row) => row._id)).not.toContain(sut.body[0]?._id);
  });

  it('refuses _nl without _shape=array, _shape with CSV and an unknown shape, naming the parameter', async () => {
    expect(expectProblem(await call('GET', `${IRIS}/records?_nl=on`), 400).errors).toEqual([{ pointer: '/query/_nl', message: expect.stringContaining('_shape=array') }]);
    const csv = expectProblem(await call('GET', `${IRIS}/records?_shape=arrays&_format=csv`), 400);
    expect(csv.errors).toEqual([{ pointer: '/query/_shape', message: expect.stringContaining('JSON') }]);
    expect(expectProblem(await call('GET', `${IRIS}/records?_shape=tree`), 400).errors).toEqual([{ pointer: '/query/_shape', message: expect.any(String) }]);
  });
});

describe('GET /api/v1/datasets/{id}/records.json and records.csv', () => {
  it('records.json answers what records answers as JSON, whatever Accept says', async () => {
    const sut = await call<Page>('GET', `${IRIS}/records.json?species=setosa&_size=5`, { headers: { Accept: 'text/csv' } });
    expect(sut.status, sut.text).toBe(200);
    expect(sut.headers.get('content-type')).toMatch(/^application\/json/);
    expect(sut.body.items).toEqual((await page('species=setosa&_size=5')).items);
    expect(sut.body.next).toMatch(/\/records\.json\?/);
    const shaped = await call<Row[]>('GET', `${IRIS}/records.json?species=setosa&_size=5&_shape=array`);
    expect(shaped.body).toEqual(sut.body.items);
  });

  it('records.csv answers what records answers to Accept: text/csv', async () => {
    const query = 'sepal_length__gt=7&_col=species,sepal_length&_size=1000';
    const sut = await call<string>('GET', `${IRIS}/records.csv?${query}`);
    expect(sut.status, sut.text).toBe(200);
    expect(sut.headers.get('content-type')).toMatch(/^text\/csv/);
    const negotiated = await call<string>('GET', `${IRIS}/records?${query}`, { headers: { Accept: 'text/csv' } });
    expect(sut.text).toBe(negotiated.text);
    expect(sut.text.trim().split('\r\n')).toHaveLength(1 + irisRows.filter((row) => row.sepal_length > 7).length);
  });

  it('refuses a _format that contradicts the extension', async () => {
    expect(expectProblem(await call('GET', `${IRIS}/records.csv?_format=json`), 400).errors).toEqual([{ pointer: '/query/_format', message: expect.stringContaining('.csv') }]);
  });
});

describe('GET /api/v1/datasets/{id}/records with Datasette’s facets', () => {
  it('counts a numeric column’s values among the matching rows', async () => {
    const sut = await page('species=versicolor&_facet=petal_width&_size=1');
    const facet = sut.facets?.petal_width ?? [];
    expect(facet.map(({ value, count }) => ({ value, count }))).toEqual(counted(irisRows.filter((row) => row.species === 'versicolor'), (row) => row.petal_width));
  });

  it('gives each value a toggle_url that adds its filter, and once selected one that removes it', async () => {
    const sut = await page('petal_length__gt=4&_facet=species&_facet=sepal_width&_size=1');
    const matching = irisRows.filter((row) => row.petal_length > 4);
    const species = sut.facets?.species ?? [];
    expect(species.map(({ value, count, selected }) => ({ value, count, selected }))).toEqual(counted(matching, (row) => row.species).map((facet) => ({ ...facet, selected: false })));
    const virginica = species.find((facet) => facet.value === 'virginica');
    const narrowed = await call<Page>('GET', (virginica?.toggleUrl ?? '').replace(/^\/api/, ''));
    expect(narrowed.status, narrowed.text).toBe(200);
    const selected = narrowed.body.facets?.species ?? [];
    expect(selected).toEqual([expect.objectContaining({ value: 'virginica', count: virginica?.count, selected: true })]);
    const widths = narrowed.body.facets?.sepal_width ?? [];
    expect(widths.map(({ value, count }) => ({ value, count }))).toEqual(counted(matching.filter((row) => row.species === 'virginica'), (row) => row.sepal_width));
    const back = new URL(selected[0]?.toggleUrl ?? '', baseUrl());
    expect(back.searchParams.getAll('species')).toEqual([]);
    expect(back.searchParams.get('petal_length__gt')).toBe('4');
  });

  it('refuses _facet_array: hosted columns hold single values', async () => {
    expect(expectProblem(await call('GET', `${IRIS}/records?_facet_array=species`), 400).errors).toEqual([{ pointer: '/query/_facet_array', message: expect.stringContaining('not arrays') }]);
  });
});

describe('GET …/records with _facet_date on a datetime column', () => {
  const TAKEN = ['2024-05-01T00:00:00Z', '2024-05-01T23:59:59.999Z', '2024-05-02T00:00:00Z', '2024-04-30T23:59:59.999Z', '2024-05-01T12:00:00+02:00', '2024-05-02T08:30:00Z'];
  let dataset = '';

  beforeAll(async () => {
    const owner = await keyWithRoles(['contributor']);
    const created = await call<{ id: string }>('POST', '/v1/catalogue/datasets', {
      key: owner,
      body: { name: `datasette dates ${Date.now()}`, description: { plain: 'Times of readings, for facets by day.' }, status: 'published' },
    });
    expect(created.status, created.text).toBe(201);
    dataset = created.body.id;
    expect((await call('PUT', `/v1/datasets/${dataset}/schema`, { key: owner, body: { columns: [{ name: 'taken', type: 'datetime' }] } })).status).toBe(201);
    const ingest = await call('POST', `/v1/datasets/${dataset}/records`, { key: owner, rawBody: TAKEN.map((taken) => JSON.stringify({ taken })).join('\n'), headers: { 'Content-Type': 'application/x-ndjson' } });
    expect(ingest.status, ingest.text).toBe(201);
  });

  it('counts the rows of each UTC day, and each day’s toggle_url selects it with __date', async () => {
    const sut = await call<Page>('GET', `/v1/datasets/${dataset}/records?_facet_date=taken`);
    expect(sut.status, sut.text).toBe(200);
    const days = new Map<string, number>();
    for (const taken of TAKEN) {
      const day = new Date(taken).toISOString().slice(0, 10);
      days.set(day, (days.get(day) ?? 0) + 1);
    }
    const facet = sut.body.facets?.taken__date ?? [];
    expect(facet.map(({ value, count }) => ({ value, count }))).toEqual([...days].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || a.value.localeCompare(b.value)));
    const first = facet[0];
    const narrowed = await call<Page>('GET', (first?.toggleUrl ?? '').replace(/^\/api/, ''));
    expect(narrowed.body.items).toHaveLength(first?.count ?? -1);
    expect(expectProblem(await call('GET', `${IRIS}/records?_facet_date=species`), 400).errors).toEqual([{ pointer: '/query/_facet_date', message: expect.stringContaining('datetime') }]);
  });
});

describe('GET …/records with a LIKE of several floating runs (finished in memory after a SQL pre-filter)', () => {
  // `%i%i%` is virginica only; its SQL pre-filter (an `i` somewhere) lets versicolor through too.
  const expected = irisRows.filter((row) => /i.*i/i.test(row.species));

  it('pages through exactly the matching rows, each once, with the right count and facets', async () => {
    const seen: Row[] = [];
    let path: string | null = `${IRIS}/records?species__like=%25i%25i%25&_size=7&_count=true&_facet=species`;
    let first = true;
    while (path) {
      const sut: Page & { count?: number } = await page(path.replace(/^.*\/records\?/, ''));
      if (first) {
        expect(sut.count).toBe(expected.length);
        expect(sut.facets?.species?.map(({ value, count }) => ({ value, count }))).toEqual(counted(expected, (row) => row.species));
        first = false;
      }
      expect(sut.items.length).toBeLessThanOrEqual(7);
      seen.push(...sut.items);
      path = sut.next;
    }
    expect(new Set(seen.map((row) => row._id)).size).toBe(seen.length);
    expect(seen.map((row) => row.species).sort()).toEqual(expected.map((row) => row.species).sort());
  });

  it('streams and negates it exactly', async () => {
    const csv = await call<string>('GET', `${IRIS}/records?species__like=%25i%25i%25&_col=species&_stream=on`, { headers: { Accept: 'text/csv' } });
    expect(csv.status, csv.text).toBe(200);
    expect(csv.text.trim().split('\r\n').slice(1).sort()).toEqual(expected.map((row) => row.species).sort());
    const negated = await page('species__notlike=%25i%25i%25&_size=1000&_count=true');
    expect(negated.items).toHaveLength(irisRows.length - expected.length);
  });
});
