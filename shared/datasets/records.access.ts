import type { Principal } from '../auth/auth.schema';
import { isAdmin } from '../auth/auth.service';
import { getEntry } from '../catalogue/catalogue.service';
import { errors } from '../errors';
import type { ColumnDef } from '../query/filter.schema';
import type { Column } from './dataset.schema';
import type { Versioned } from '../azure/store';
import { readSchemaDoc, type SchemaDoc } from './records.repository';

// Who may read and change a hosted dataset, and the small helpers every records operation starts with.

/** Reading follows the catalogue: the dataset's entry must be visible to the caller (404 otherwise). */
export async function readable(principal: Principal | undefined, datasetId: string): Promise<void> {
  await getEntry(principal, 'datasets', datasetId);
}

/** Changing records or the schema: the entry's owner (a contributor) or an admin. */
export async function writable(principal: Principal, datasetId: string): Promise<void> {
  const entry = await getEntry(principal, 'datasets', datasetId);
  if (!isAdmin(principal) && entry.owner !== principal.id) {
    throw errors.forbidden(`Only the owner of dataset '${datasetId}' or an admin may change its records and schema.`);
  }
}

export async function schemaOf(datasetId: string): Promise<Versioned<SchemaDoc>> {
  const found = await readSchemaDoc(datasetId);
  if (!found) throw errors.notFound('record schema for dataset', datasetId);
  return found;
}

/**
 * The dataset document (columns, profile, layout) for a caller who may read the dataset: the entry
 * and the document are read at once, one round trip in sequence instead of two. The entry decides
 * first, so a dataset the caller cannot see is a 404 whatever its document says.
 */
export async function readableSchema(principal: Principal | undefined, datasetId: string): Promise<Versioned<SchemaDoc>> {
  const [entry, schema] = await Promise.allSettled([readable(principal, datasetId), schemaOf(datasetId)]);
  if (entry.status === 'rejected') throw entry.reason;
  if (schema.status === 'rejected') throw schema.reason;
  return schema.value;
}

export function columnDefs(columns: readonly Column[]): ColumnDef[] {
  return columns.map((column) => ({ name: column.name, type: column.type, values: column.values, required: column.required }));
}
