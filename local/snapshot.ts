import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTAINERS } from '../shared/azure/containers';
import { container } from '../shared/azure/cosmos';

/**
 * The embedded Cosmos DB server keeps data in memory only; with `--data` the stack saves every
 * container to `<data>/cosmos.json` on shutdown and loads it on start.
 */
type Snapshot = Record<string, Record<string, unknown>[]>;

const SYSTEM_FIELDS = ['_rid', '_self', '_etag', '_attachments', '_ts'];

export async function loadSnapshot(dataDir: string): Promise<number> {
  const file = path.join(dataDir, 'cosmos.json');
  if (!existsSync(file)) return 0;
  const snapshot = JSON.parse(await readFile(file, 'utf8')) as Snapshot;
  let count = 0;
  for (const [name, items] of Object.entries(snapshot)) {
    if (!(name in CONTAINERS)) continue;
    const target = container(name as keyof typeof CONTAINERS);
    for (const item of items) {
      await target.items.upsert(item);
      count++;
    }
  }
  return count;
}

export async function saveSnapshot(dataDir: string): Promise<number> {
  const snapshot: Snapshot = {};
  let count = 0;
  for (const name of Object.keys(CONTAINERS) as (keyof typeof CONTAINERS)[]) {
    const { resources } = await container(name).items.readAll<Record<string, unknown>>().fetchAll();
    snapshot[name] = resources.map((item) =>
      Object.fromEntries(Object.entries(item).filter(([key]) => !SYSTEM_FIELDS.includes(key))),
    );
    count += resources.length;
  }
  await mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, 'cosmos.json');
  await writeFile(`${file}.tmp`, JSON.stringify(snapshot));
  await rename(`${file}.tmp`, file);
  return count;
}
