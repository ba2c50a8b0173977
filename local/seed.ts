import { issueApiKey } from '../shared/auth/auth.service';
import { catalogueSeeder } from './seed/catalogue.seed';
import { inferenceSeeder } from './seed/inference.seed';
import { labelsSeeder } from './seed/labels.seed';
import { querySeeder } from './seed/query.seed';

/**
 * Sample data for `npm start`. Each area adds its seeder here; every seeder is idempotent
 * (running `npm start` twice against persisted data creates nothing twice).
 */
export interface Seeder {
  name: string;
  run(): Promise<string>;
}

export const seeders: Seeder[] = [
  catalogueSeeder,
  querySeeder,
  labelsSeeder,
  inferenceSeeder,
];

export async function seedAll(log: (line: string) => void): Promise<void> {
  for (const seeder of seeders) log(`seeded ${seeder.name}: ${await seeder.run()}`);
}

/** A fresh admin key for this run; the secret is printed once, like any key's. */
export async function createLocalAdminKey(): Promise<string> {
  const key = await issueApiKey(
    { name: `local admin (${new Date().toISOString()})`, roles: ['admin'], subject: 'local-admin' },
    'npm start',
  );
  return key.key;
}
