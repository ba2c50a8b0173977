import { beforeAll, describe, expect, it } from 'vitest';
import { call, expectProblem, keyWithRoles } from '../support/api';

/**
 * `If-Match` on PUT /v1/datasets/{id}/schema: the schema's ETag is one strong tag made of the stored
 * document's version and the record count, compared as the caller wrote it (RFC 9110 13.1.1).
 */
let owner: string;

beforeAll(async () => {
  owner = await keyWithRoles(['contributor']);
});

const SCHEMA = { columns: [{ name: 'site', type: 'string' }], label: 'site' };

async function newDataset(): Promise<string> {
  const response = await call<{ id: string }>('POST', '/v1/catalogue/datasets', {
    key: owner,
    body: { name: `schema etag test ${Date.now()}`, description: { plain: 'A dataset for the If-Match tests.' }, status: 'published' },
  });
  expect(response.status, response.text).toBe(201);
  return response.body.id;
}

const putSchema = (id: string, ifMatch?: string) =>
  call('PUT', `/v1/datasets/${id}/schema`, { key: owner, body: SCHEMA, headers: ifMatch === undefined ? {} : { 'If-Match': ifMatch } });

describe('PUT /v1/datasets/{id}/schema with If-Match', () => {
  it('refuses If-Match: * while the dataset has no schema (412), and creates it without the header', async () => {
    const id = await newDataset();
    expectProblem(await putSchema(id, '*'), 412);
    const sut = await putSchema(id);
    expect(sut.status, sut.text).toBe(201);
    expect(sut.headers.get('etag')).toMatch(/^"[^"]+:0"$/);
  });

  it('accepts If-Match: * and the current ETag once the schema exists, answering that ETag', async () => {
    const id = await newDataset();
    const etag = (await putSchema(id)).headers.get('etag') ?? '';
    const any = await putSchema(id, '*');
    expect(any.status, any.text).toBe(200);
    const sut = await putSchema(id, etag);
    expect(sut.status, sut.text).toBe(200);
    expect(sut.headers.get('etag')).toBe(etag);
    expect((await call('GET', `/v1/datasets/${id}/schema`)).headers.get('etag')).toBe(etag);
  });

  it('refuses the current version written unquoted or as a weak tag (412)', async () => {
    const id = await newDataset();
    const etag = (await putSchema(id)).headers.get('etag') ?? '';
    for (const ifMatch of [etag.slice(1, -1), `W/${etag}`]) {
      expectProblem(await putSchema(id, ifMatch), 412);
    }
  });
});
