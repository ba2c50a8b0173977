import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTAINERS } from '../shared/azure/containers';
import { container } from '../shared/azure/cosmos';

/**
 * Data folders from before the journal (`cosmos-journal.ts`) hold `<data>/cosmos.json`, a snapshot
 * the stack saved on a clean stop. The stack imports it once through the SDK (the journal records
 * the writes) and renames it.
 */
type Snapshot = Record<string, Record<string, unknown>[]>;

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
