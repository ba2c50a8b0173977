import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sha256 } from '../../hash';
import { IRIS_MODEL_FILE, parseIrisCsv, trainIris } from './iris.model';

/**
 * Build-time training (`npm run build` → `postbuild`): reads the shipped iris data, trains the
 * classifier and writes its parameters and measured accuracy to `iris.model.json` beside this file
 * in `dist/`, where the builtin runtime loads them. Deterministic: the same CSV gives the same file.
 *
 *   node dist/shared/inference/models/iris.train.js
 */
function main(): void {
  const root = path.resolve(__dirname, '..', '..', '..', '..');
  const relative = 'local/seed/data/iris.csv';
  const csvPath = path.join(root, relative);
  if (!existsSync(csvPath)) {
    console.error(`iris classifier not trained: ${relative} is missing`);
    process.exitCode = 1;
    return;
  }
  const text = readFileSync(csvPath, 'utf8');
  const started = performance.now();
  const parameters = trainIris(parseIrisCsv(text), {
    file: relative,
    sha256: sha256(text),
  });
  const target = path.join(__dirname, IRIS_MODEL_FILE);
  writeFileSync(target, `${JSON.stringify(parameters, null, 2)}\n`);
  const { metrics } = parameters;
  console.log(
    `iris classifier ${parameters.version}: ${metrics.rows} rows, training accuracy ${(metrics.trainingAccuracy * 100).toFixed(1)} %, ` +
      `10-fold ${(metrics.crossValidation.accuracy * 100).toFixed(1)} %, leave-one-out ${(metrics.leaveOneOutAccuracy * 100).toFixed(1)} % ` +
      `(${((performance.now() - started) / 1000).toFixed(1)} s) → ${path.relative(root, target)}`,
  );
}

main();
