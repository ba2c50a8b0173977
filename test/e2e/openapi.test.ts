import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openApiPath } from '../../shared/openapi/openapi.service';
import { baseUrl, call } from '../support/api';
import { needsLocalStack } from '../support/stack-env';

interface Registration {
  name: string;
  trigger: { type: string; route?: string; methods?: string[] };
}

/** Registered on purpose outside the document: answers for every path, not operations of the API. */
const FALLBACKS = new Set(['corsPreflight', 'notFound']);

async function registeredOperations(): Promise<Set<string>> {
  const response = await fetch(`${baseUrl()}/admin/functions`);
  const functions = (await response.json()) as Registration[];
  const operations = new Set<string>();
  for (const fn of functions) {
    if (fn.trigger.type !== 'httpTrigger' || FALLBACKS.has(fn.name)) continue;
    for (const method of fn.trigger.methods ?? []) operations.add(`${method.toUpperCase()} ${openApiPath(fn.trigger.route ?? fn.name)}`);
  }
  return operations;
}

async function documentedOperations(): Promise<{ operations: Set<string>; document: Record<string, unknown> }> {
  const { body } = await call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json');
  const operations = new Set<string>();
  for (const [path, item] of Object.entries(body.paths)) {
    for (const method of Object.keys(item)) operations.add(`${method.toUpperCase()} ${path}`);
  }
  return { operations, document: body };
}

needsLocalStack.describe('the OpenAPI document', () => {
  it('lists every registered HTTP function', async () => {
    const registered = await registeredOperations();
    const { operations } = await documentedOperations();
    expect([...registered].filter((op) => !operations.has(op))).toEqual([]);
  });

  it('lists nothing that is not registered', async () => {
    const registered = await registeredOperations();
    const { operations } = await documentedOperations();
    expect([...operations].filter((op) => !registered.has(op))).toEqual([]);
  });

  it('is the committed openapi.json (run `npm run openapi` after changing the API)', async () => {
    const { document } = await documentedOperations();
    const committed = JSON.parse(readFileSync(path.resolve(__dirname, '../../openapi.json'), 'utf8')) as unknown;
    expect(document).toEqual(committed);
  });

  it('declares the roles of every operation', async () => {
    const { document } = await documentedOperations();
    const paths = document.paths as Record<string, Record<string, { 'x-roles'?: unknown; operationId?: string }>>;
    for (const item of Object.values(paths)) {
      for (const operation of Object.values(item)) {
        expect(operation['x-roles'], operation.operationId).toBeDefined();
      }
    }
  });

  it('documents, for every operation, each error its registration can answer', async () => {
    const { document } = await documentedOperations();
    const paths = document.paths as Record<string, Record<string, { operationId: string; 'x-roles': unknown; responses: Record<string, unknown>; description?: string; tags: string[] }>>;
    const missing: string[] = [];
    for (const [path, item] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const expected = ['503', ...(operation['x-roles'] === 'public' ? [] : ['401', '429']), ...(Array.isArray(operation['x-roles']) ? ['403'] : [])];
        if (path.includes('{')) expected.push('404');
        if (method === 'get') expected.push('304');
        for (const status of expected) if (!(status in operation.responses)) missing.push(`${operation.operationId} ${status}`);
        if (!operation.description) missing.push(`${operation.operationId} description`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('defines every tag it uses, and names its servers, licence and contact', async () => {
    const { document } = await documentedOperations();
    const defined = new Set(((document.tags ?? []) as { name: string; description?: string }[]).filter((t) => t.description).map((t) => t.name));
    const used = Object.values(document.paths as Record<string, Record<string, { tags: string[] }>>).flatMap((item) => Object.values(item).flatMap((op) => op.tags));
    expect([...new Set(used)].filter((tag) => !defined.has(tag))).toEqual([]);
    expect(document.servers).toEqual([expect.objectContaining({ url: expect.any(String) })]);
    expect(document.info).toMatchObject({ license: { name: expect.any(String) }, contact: expect.any(Object) });
  });

  it('answers HEAD on every GET resource with the GET headers and no body', async () => {
    const get = await call('GET', '/openapi.json');
    const head = await call('HEAD', '/openapi.json');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    const { operations } = await documentedOperations();
    const gets = [...operations].filter((op) => op.startsWith('GET '));
    expect(gets.filter((op) => !operations.has(op.replace(/^GET /, 'HEAD ')))).toEqual([]);
  });
});
