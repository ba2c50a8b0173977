import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openApiPath } from '../../shared/openapi/openapi.service';
import { baseUrl, call } from '../support/api';

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

describe('the OpenAPI document', () => {
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
});
