import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { upsertEntryAsSystem } from '../../shared/catalogue/catalogue.system';
import type { DatasetSchemaInput } from '../../shared/datasets/dataset.schema';
import { hostedRecordCount, ingestAsSystem, putSchemaAsSystem } from '../../shared/datasets/records.service';
import type { Seeder } from '../seed';

/**
 * The iris data set (Fisher 1936; 150 rows, public domain) as a hosted dataset: its catalogue
 * entry, its column schema and its rows, from `data/iris.csv`. Idempotent: the rows are ingested
 * only into an empty dataset, and ingest is all or nothing.
 */
export const IRIS_DATASET_ID = 'seed-dataset-iris';

export const IRIS_SCHEMA: DatasetSchemaInput = {
  columns: [
    { name: 'sepal_length', type: 'number', required: true, unit: 'cm', description: 'Sepal length.' },
    { name: 'sepal_width', type: 'number', required: true, unit: 'cm', description: 'Sepal width.' },
    { name: 'petal_length', type: 'number', required: true, unit: 'cm', description: 'Petal length.' },
    { name: 'petal_width', type: 'number', required: true, unit: 'cm', description: 'Petal width.' },
    { name: 'species', type: 'string', required: true, values: ['setosa', 'versicolor', 'virginica'], description: 'Iris species.' },
  ],
  label: 'species',
};

export const IRIS_ENTRY = {
  id: IRIS_DATASET_ID,
  name: 'Iris flower data set',
  description: {
    plain:
      'Four measurements (sepal and petal length and width, in cm) of 50 flowers of each of three iris species, ' +
      'collected by Edgar Anderson and published by R. A. Fisher in 1936. Hosted here: query its records and statistics.',
  },
  keywords: ['iris', 'classification', 'tabular', 'sample'],
  license: 'CC0-1.0',
  datePublished: '1936-09-01',
  // As the UCI Machine Learning Repository credits the data set (its `sameAs` page).
  creators: [{ type: 'persons', name: 'R. A. Fisher' }],
  citeAs: 'Fisher, R. A. (1936). The use of multiple measurements in taxonomic problems. Annals of Eugenics, 7(2), 179–188.',
  sameAs: 'https://archive.ics.uci.edu/dataset/53/iris',
  size: { value: 150, unit: 'rows' },
  applicationArea: ['education', 'benchmarking'],
  hosting: {
    schema: `/api/v1/datasets/${IRIS_DATASET_ID}/schema`,
    records: `/api/v1/datasets/${IRIS_DATASET_ID}/records`,
  },
  status: 'published',
};

/** `data/iris.csv` from the source tree (tests) or from the compiled `dist/local/seed` (npm start). */
export function irisCsvPath(): string {
  const candidates = [path.resolve(__dirname, 'data', 'iris.csv'), path.resolve(__dirname, '..', '..', '..', 'local', 'seed', 'data', 'iris.csv')];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`iris.csv not found in ${candidates.join(' or ')}`);
  return found;
}

export const querySeeder: Seeder = {
  name: 'query',
  async run() {
    await upsertEntryAsSystem('datasets', IRIS_ENTRY);
    await putSchemaAsSystem(IRIS_DATASET_ID, IRIS_SCHEMA);
    if ((await hostedRecordCount(IRIS_DATASET_ID)) > 0) return `${IRIS_DATASET_ID} already holds its rows`;
    const result = await ingestAsSystem(IRIS_DATASET_ID, readFileSync(irisCsvPath()), 'csv', 'fail');
    return `${IRIS_DATASET_ID}: ${result.inserted} rows`;
  },
};
