import { createApiKey } from '../shared/auth/auth.service';

/**
 * Sample data for `npm start`. Each area adds its seeder here; every seeder is idempotent
 * (running `npm start` twice against persisted data creates nothing twice).
 */
export interface Seeder {
  name: string;
  run(): Promise<string>;
}

export const seeders: Seeder[] = [];

export async function seedAll(log: (line: string) => void): Promise<void> {
  for (const seeder of seeders) log(`seeded ${seeder.name}: ${await seeder.run()}`);
}

/** A fresh admin key for this run; the secret is printed once, like any key's. */
export async function createLocalAdminKey(): Promise<string> {
  const key = await createApiKey(
    { name: `local admin (${new Date().toISOString()})`, roles: ['admin'], subject: 'local-admin' },
    'npm start',
  );
  return key.key;
}
