import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IRIS_DATASET_ID } from '../../local/seed/query.seed';
import { adminKey, call, expectProblem, keyWithRoles } from '../support/api';
import { grantAccess, httpModel, startServer, submit, submitted, type TestServer } from './inference-support';
import { waitForJob } from '../support/jobs';
import { needsLocalStack } from '../support/stack-env';

/**
 * What callers control that reaches expensive machinery: regular expressions in a model's JSON
 * Schemas (run against other callers' inputs and the model's answers) and how deeply a JSON body
 * nests. Neither may freeze the process or end in a 5xx (issue 14, items 1 and 7).
 */

/**
 * Exponential on a backtracking engine: 28 `a`s and a `!` took 6.6 s, each more doubles it. 31 makes
 * a regression fail these tests by their timeout while the process still recovers within minutes;
 * on RE2 it takes microseconds.
 */
const CATASTROPHIC = '^(a+)+$';
const ATTACK = `${'a'.repeat(31)}!`;

let contributor = '';
let caller = '';
let scorer: TestServer;

beforeAll(async () => {
  contributor = await keyWithRoles(['contributor']);
  caller = await keyWithRoles(['reader']);
  scorer = await startServer(() => ({ status: 200, body: { s: ATTACK } }));
});

afterAll(async () => {
  await scorer.close();
});

function modelBody(fields: Record<string, unknown>): Record<string, unknown> {
  return { name: `hostile schema ${randomUUID()}`, status: 'published', runtime: { kind: 'builtin', name: 'iris-classifier' }, ...fields };
}

const writeModel = (fields: Record<string, unknown>) => call<{ id: string }>('POST', '/v1/catalogue/models', { key: contributor, body: modelBody(fields) });

function pointers(problem: Record<string, unknown>): string[] {
  return ((problem.errors ?? []) as { pointer: string }[]).map((error) => error.pointer);
}

needsLocalStack.describe('patterns in a model’s inputSchema', () => {
  it('run on a linear-time engine: an input built to backtrack forever is refused at once, naming the field', async () => {
    const created = await writeModel({ inputSchema: { type: 'object', required: ['s'], properties: { s: { type: 'string', pattern: CATASTROPHIC } } } });
    expect(created.status, created.text).toBe(201);
    await grantAccess(created.body.id, caller);

    const refused = expectProblem(await submit(created.body.id, caller, { input: { s: ATTACK } }), 400);
    expect(pointers(refused)).toContain('/body/input/s');
    expect((await submit(created.body.id, caller, { input: { s: 'aaaa' } })).status).toBe(202);
    expect((await call('GET', '/health')).status).toBe(200);
  });

  it('that a linear-time engine cannot run (backreferences, lookarounds) are refused when the model is written, naming the pattern', async () => {
    const backreference = expectProblem(await writeModel({ inputSchema: { type: 'object', properties: { s: { type: 'string', pattern: '^(a)\\1$' } } } }), 400);
    expect(pointers(backreference)).toContain('/body/inputSchema/properties/s/pattern');

    const lookahead = expectProblem(await writeModel({ outputSchema: { type: 'object', patternProperties: { '^(?!x)': { type: 'number' } } } }), 400);
    expect(pointers(lookahead)).toContain('/body/outputSchema/patternProperties/^(?!x)');

    const created = await writeModel({ inputSchema: { type: 'object' } });
    expect(created.status, created.text).toBe(201);
    const patched = await call('PATCH', `/v1/catalogue/models/${created.body.id}`, {
      key: contributor,
      body: { inputSchema: { type: 'array', items: { type: 'string', pattern: '(?<=a)b' } } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(pointers(expectProblem(patched, 400))).toContain('/body/inputSchema/items/pattern');
  });

  it('are refused in a schema that is not a JSON Schema at all, naming the keyword', async () => {
    const problem = expectProblem(await writeModel({ inputSchema: { type: 'strnig' } }), 400);
    expect(pointers(problem)).toContain('/body/inputSchema/type');
  });

  it('may still use the ordinary regex syntax (classes, \\u escapes, named groups)', async () => {
    const created = await writeModel({
      inputSchema: { type: 'object', properties: { s: { type: 'string', pattern: '^(?<word>[\\u00C0-\\u017Fa-z]+)-\\d{2}$' } } },
    });
    expect(created.status, created.text).toBe(201);
    await grantAccess(created.body.id, caller);
    expect((await submit(created.body.id, caller, { input: { s: 'café-42' } })).status).toBe(202);
    expect(pointers(expectProblem(await submit(created.body.id, caller, { input: { s: 'café-4' } }), 400))).toContain('/body/input/s');
  });
});

needsLocalStack.describe('patterns in a model’s outputSchema', () => {
  it('run on a linear-time engine in the worker: an answer built to backtrack forever fails the job as a bad answer', async () => {
    const model = await httpModel(scorer.url, { outputSchema: { type: 'object', properties: { s: { type: 'string', pattern: CATASTROPHIC } } } });
    await grantAccess(model, caller);
    const job = await waitForJob((await submitted(model, caller, { input: { tag: randomUUID() } })).id, caller);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'model-output' } });
  });
});

/** `{"not": {"not": … {"column": "species", "eq": "setosa"} …}}`, `levels` deep. */
function nots(levels: number): unknown {
  let filter: unknown = { column: 'species', eq: 'setosa' };
  for (let i = 0; i < levels; i++) filter = { not: filter };
  return filter;
}

needsLocalStack.describe('JSON nested deeper than any request of this API needs', () => {
  it('is refused with 400 naming /body: a query filter of 1,000 nested `not`s', async () => {
    const problem = expectProblem(await call('POST', `/v1/datasets/${IRIS_DATASET_ID}/records/query`, { body: { filter: nots(1_000) } }), 400);
    expect(pointers(problem)).toEqual(['/body']);
    expect(String(problem.detail)).toMatch(/nested/);
  });

  it('is refused with 400 naming /body: a job input of arrays 10,000 deep', async () => {
    const deep = `{"input":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const response = await call('POST', '/v1/models/iris-classifier/jobs', { key: caller, rawBody: deep, headers: { 'Content-Type': 'application/json' } });
    expect(pointers(expectProblem(response, 400))).toEqual(['/body']);
  });

  it('is refused per row, naming the row, in NDJSON ingest (whose body is not parsed as one JSON document)', async () => {
    const dataset = await call<{ id: string }>('POST', '/v1/catalogue/datasets', { key: contributor, body: { name: `deep rows ${randomUUID()}`, description: { plain: 'Deeply nested rows.' }, status: 'published' } });
    expect(dataset.status, dataset.text).toBe(201);
    const schema = await call('PUT', `/v1/datasets/${dataset.body.id}/schema`, { key: contributor, body: { columns: [{ name: 'site', type: 'string' }] } });
    expect(schema.status, schema.text).toBe(201);
    const rows = `{"site":"A"}\n{"site":${'['.repeat(10_000)}${']'.repeat(10_000)}}\n`;
    const response = await call('POST', `/v1/datasets/${dataset.body.id}/records`, { key: contributor, rawBody: rows, headers: { 'Content-Type': 'application/x-ndjson' } });
    const problem = expectProblem(response, 400);
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/body/row/2', message: expect.stringMatching(/nested more than/) })]);
  });

  it('still accepts the deepest bodies this API takes: a model’s inputSchema nested 32 levels (its own limit)', async () => {
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 15; i++) schema = { type: 'object', properties: { a: schema } };
    const created = await writeModel({ inputSchema: schema });
    expect(created.status, created.text).toBe(201);
  });

  it('counts brackets inside strings as text, not nesting', async () => {
    const created = await call('POST', '/v1/catalogue/models', { key: adminKey(), body: modelBody({ description: { plain: '['.repeat(5_000) } }) });
    expect(created.status, created.text).toBe(201);
  });
});
