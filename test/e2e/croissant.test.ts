import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { baseUrl, call, keyWithRoles } from '../support/api';

/**
 * Croissant 1.1 of the hosted iris dataset, read as a Croissant loader would: a small loader here,
 * following the spec's rules — each field of a record set has a `source` naming a FileObject and an
 * `extract.column`; the FileObject's `contentUrl` is fetched and parsed as its `encodingFormat`; each
 * value is converted to the field's `dataType`.
 */
type Node = Record<string, unknown> & { '@id'?: string; '@type'?: string };
interface Field extends Node {
  name: string;
  dataType: string;
  source: { fileObject: { '@id': string }; extract: { column: string } };
}

const CONVERT: Record<string, (text: string) => unknown> = {
  'sc:Float': (text) => Number(text),
  'sc:Integer': (text) => Number(text),
  'sc:Text': (text) => text,
  'sc:Boolean': (text) => text === 'true',
  'sc:DateTime': (text) => new Date(text).toISOString(),
};

/** The file a FileObject describes, fetched from its contentUrl (this API, so through `call`). */
async function fetchFile(file: Node): Promise<string> {
  const url = new URL(String(file.contentUrl));
  expect(url.origin).toBe(new URL(baseUrl()).origin);
  const answer = await call<string>('GET', `${url.pathname.replace(/^\/api/, '')}${url.search}`);
  expect(answer.status, answer.text).toBe(200);
  expect(answer.headers.get('content-type')).toContain(String(file.encodingFormat));
  return answer.text;
}

/** The records of one record set: every field extracted from its source column and typed. */
async function loadRecordSet(document: Node, recordSetId: string): Promise<Record<string, unknown>[]> {
  const files = new Map(((document.distribution ?? []) as Node[]).map((file) => [file['@id'], file]));
  const recordSet = ((document.recordSet ?? []) as Node[]).find((set) => set['@id'] === recordSetId);
  const fields = (recordSet?.field ?? []) as Field[];
  const tables = new Map<string, Record<string, string>[]>();
  for (const field of fields) {
    const fileId = field.source.fileObject['@id'];
    const file = files.get(fileId);
    expect(file?.['@type'], `the FileObject ${fileId}`).toBe('cr:FileObject');
    if (!tables.has(fileId)) tables.set(fileId, parseCsv(await fetchFile(file!), { columns: true }) as Record<string, string>[]);
  }
  const rows = [...tables.values()][0] ?? [];
  return rows.map((_, index) =>
    Object.fromEntries(
      fields.map((field) => {
        const row = tables.get(field.source.fileObject['@id'])?.[index] ?? {};
        const convert = CONVERT[field.dataType];
        expect(convert, `a loader for ${field.dataType}`).toBeDefined();
        return [field.name, convert!(row[field.source.extract.column] ?? '')];
      }),
    ),
  );
}

describe('Croissant of a hosted dataset', () => {
  it('loads the 150 iris rows through its own distribution, field by field as the record set describes', async () => {
    const sut = await call<Node>('GET', '/v1/catalogue/datasets/seed-dataset-iris?profile=croissant');
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body.conformsTo).toBe('http://mlcommons.org/croissant/1.1');
    for (const required of ['name', 'description', 'license', 'url', 'creator', 'datePublished']) expect(sut.body[required], required).toBeDefined();
    // Live: the rows change with each ingest, so the CSV has no fixed checksum (Croissant allows that only for live datasets).
    expect(sut.body.isLiveDataset).toBe(true);
    const records = await loadRecordSet(sut.body, 'records');
    expect(records).toHaveLength(150);
    expect(Object.keys(records[0]!).sort()).toEqual(['petal_length', 'petal_width', 'sepal_length', 'sepal_width', 'species']);
    for (const record of records) {
      for (const measure of ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']) expect(Number.isFinite(record[measure]), measure).toBe(true);
    }
    const species = new Map<unknown, number>();
    for (const record of records) species.set(record.species, (species.get(record.species) ?? 0) + 1);
    expect(Object.fromEntries(species)).toEqual({ setosa: 50, versicolor: 50, virginica: 50 });
  });

  it('invents nothing for a bare draft: no description, no publication date, no creator or licence', async () => {
    const alice = await keyWithRoles(['contributor']);
    const created = await call<{ id: string }>('POST', '/v1/catalogue/datasets', { key: alice, body: { name: 'A bare draft' } });
    const sut = await call<Node>('GET', `/v1/catalogue/datasets/${created.body.id}?profile=croissant`, { key: alice });
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body.name).toBe('A bare draft');
    for (const absent of ['description', 'datePublished', 'creator', 'license', 'recordSet']) expect(sut.body[absent], absent).toBeUndefined();
  });
});
