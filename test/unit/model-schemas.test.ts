import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelEntry } from '../../shared/catalogue/catalogue.service';
import type { ModelSnapshot } from '../../shared/inference/model.schema';
import { type RunnableModel, runModel, validateModelInput } from '../../shared/inference/model.service';
import { parseIrisCsv, trainIris } from '../../shared/inference/models/iris.model';
import { useIrisParameters } from '../../shared/inference/runtime/builtin.runtime';

/**
 * Model JSON Schemas stored before patterns were checked on write: they are judged again when a
 * job uses them, on the same linear-time engine, and a pattern it cannot run is the model's fault.
 */
function modelWith(inputSchema: Record<string, unknown>): RunnableModel {
  const entry = { id: 'model-stored-before', type: 'models', name: 'old', dateModified: '2024-01-01T00:00:00.000Z', inputSchema } as unknown as ModelEntry;
  return { entry, accepts: 'any', snapshot: { id: entry.id, version: '1', runtime: { kind: 'builtin', name: 'iris-classifier' } } as ModelSnapshot };
}

function thrown(run: () => unknown): Record<string, unknown> {
  try {
    run();
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected a refusal');
}

describe('a stored model whose inputSchema has a pattern no linear-time engine runs', () => {
  it('makes a job submission 422, naming the model and the pattern', () => {
    const sut = thrown(() => validateModelInput(modelWith({ type: 'object', properties: { s: { type: 'string', pattern: '^(?=a)' } } }), { s: 'a' }));
    expect(sut.status).toBe(422);
    expect(String(sut.detail ?? sut.message)).toMatch(/model-stored-before/);
    expect(String(sut.detail ?? sut.message)).toMatch(/properties\/s\/pattern/);
  });
});

describe('a stored model whose outputSchema has a pattern no linear-time engine runs', () => {
  beforeAll(() => {
    const csv = readFileSync(path.resolve(__dirname, '../../local/seed/data/iris.csv'), 'utf8');
    useIrisParameters(trainIris(parseIrisCsv(csv), { file: 'iris.csv', sha256: '' }));
  });
  afterAll(() => useIrisParameters(undefined));

  it('fails the job as misconfigured instead of running the pattern', async () => {
    const snapshot = {
      id: 'iris-stored-before',
      version: '1',
      runtime: { kind: 'builtin', name: 'iris-classifier' },
      outputSchema: { type: 'object', properties: { species: { type: 'string', pattern: '(\\w)\\1' } } },
    } as ModelSnapshot;
    const input = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
    await expect(runModel(snapshot, input)).rejects.toMatchObject({ code: 'model-misconfigured' });
  });
});
