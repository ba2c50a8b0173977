import { z } from 'zod';
import { upsertEntryAsSystem } from '../../shared/catalogue/catalogue.system';
import { type BuiltinModel, builtinModels } from '../../shared/inference/runtime/builtin.runtime';
import type { Seeder } from '../seed';

/**
 * The builtin models as catalogue entries (type `models`, runtime `builtin`), under fixed ids and the
 * platform identifier `builtin:<name>`, so inference jobs can run them: `POST /api/v1/models/iris-classifier/jobs`.
 * Their input and output schemas are the models' own zod schemas as JSON Schema. Idempotent.
 */
const percent = (value: unknown) => (typeof value === 'number' ? `${(value * 100).toFixed(1)} %` : 'n/a');

function measured(model: BuiltinModel): string {
  try {
    const metrics = model.metrics?.();
    if (!metrics) return '';
    const cv = metrics.crossValidation as { folds?: number; accuracy?: number } | undefined;
    return (
      ` Measured at build time on ${String(metrics.rows)} rows: training accuracy ${percent(metrics.trainingAccuracy)}, ` +
      `stratified ${String(cv?.folds)}-fold accuracy ${percent(cv?.accuracy)}, leave-one-out accuracy ${percent(metrics.leaveOneOutAccuracy)}.`
    );
  } catch {
    return ' (Not trained in this build: run `npm run build`.)';
  }
}

function entryOf(model: BuiltinModel): Record<string, unknown> {
  const iris = model.name === 'iris-classifier';
  return {
    id: model.name,
    name: model.title,
    description: { plain: `${model.description}${measured(model)}` },
    keywords: iris ? ['iris', 'classification', 'tabular', 'builtin'] : ['object detection', 'image', 'builtin'],
    license: 'MIT',
    version: '1.0.0',
    modelType: iris ? 'classification' : 'object-detection',
    framework: ['typescript'],
    runtime: { kind: 'builtin', name: model.name },
    inputSchema: z.toJSONSchema(model.inputSchema, { io: 'input' }),
    outputSchema: z.toJSONSchema(model.outputSchema, { io: 'output' }),
    ...(iris ? { trainedOn: [{ type: 'datasets', id: 'seed-dataset-iris' }] } : {}),
    platform: 'builtin',
    platformResourceIdentifier: model.name,
    status: 'published',
  };
}

/** The catalogue entries of the builtin models, as the seeder writes them. */
export function builtinModelEntries(): Record<string, unknown>[] {
  return builtinModels().map(entryOf);
}

export const inferenceSeeder: Seeder = {
  name: 'inference',
  async run() {
    let changed = 0;
    for (const model of builtinModels()) {
      if ((await upsertEntryAsSystem('models', entryOf(model))).changed) changed++;
    }
    return `${builtinModels().length} builtin models (${changed} written)`;
  },
};
