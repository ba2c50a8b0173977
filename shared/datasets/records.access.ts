import type { Principal } from '../auth/auth.schema';
import { isAdmin } from '../auth/auth.service';
import { getEntry } from '../catalogue/catalogue.service';
import { errors } from '../errors';
import type { ColumnDef } from '../query/filter.schema';
import type { Column } from './dataset.schema';
import { readSchemaDoc, type SchemaDoc } from './records.repository';

// Who may read and change a hosted dataset, and the small helpers every records operation starts with.

/** Reading follows the catalogue: the dataset's entry must be visible to the caller (404 otherwise). */
export async function readable(datasetId: string, principal: Principal | undefined): Promise<void> {
  await getEntry(principal, 'datasets', datasetId);
}

/** Changing records or the schema: the entry's owner (a contributor) or an admin. */
export async function writable(datasetId: string, principal: Principal | undefined): Promise<void> {
  if (!principal) throw errors.unauthenticated();
  const entry = await getEntry(principal, 'datasets', datasetId);
  if (!isAdmin(principal) && entry.owner !== principal.id) {
    throw errors.forbidden(`Only the owner of dataset '${datasetId}' or an admin may change its records and schema.`);
  }
}

export async function schemaOf(datasetId: string): Promise<{ doc: SchemaDoc; etag: string }> {
  const found = await readSchemaDoc(datasetId);
  if (!found) throw errors.notFound('record schema for dataset', datasetId);
  return found;
}

export function columnDefs(columns: readonly Column[]): ColumnDef[] {
  return columns.map((column) => ({ name: column.name, type: column.type, values: column.values, required: column.required }));
}

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
