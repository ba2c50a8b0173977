import { randomUUID } from 'node:crypto';
import { container, database } from '../shared/azure/cosmos';
import { CONTAINERS } from '../shared/azure/containers';
import { config } from '../shared/config';
import { emptyLayout, partitionKeyOf, placer, rowBytes } from '../shared/datasets/records.layout';
import { BULK_BATCH, cosmosRecordWriter, createSchemaDoc, emptyProfile, type Profile, type RecordDoc, type SchemaDoc } from '../shared/datasets/records.repository';

/**
 * A data folder (`npm start -- --data`) written before hosted datasets were bucketed holds the
 * `records` container partitioned by `/datasetId`, with each dataset's profile in a document of its
 * own. Cosmos DB cannot change a container's partition key, so this copies: every document is read,
 * the container is dropped and created with `/pk`, and each dataset is written again as ingest
 * writes it now — one dataset document (columns, profile, layout) and its records placed in buckets
 * in the order they were stored. Records of a dataset without columns are not copied (no query
 * could read them). Runs once: afterwards the key matches. README.md, "Query" (store layout), says how a
 * deployment in Azure moves.
 */
type OldDoc = Record<string, unknown> & { id: string; datasetId?: string; docType?: string };

function withoutSystem(doc: OldDoc): OldDoc {
  return Object.fromEntries(Object.entries(doc).filter(([key]) => !key.startsWith('_'))) as OldDoc;
}

async function copyDataset(schema: OldDoc, profile: OldDoc | undefined, rows: OldDoc[]): Promise<void> {
  const datasetId = String(schema.datasetId);
  const layout = emptyLayout(config().ingest.bucketBytes);
  const place = placer({ start: 0, bucketBytes: layout.bucketBytes });
  const records: RecordDoc[] = rows.map((row) => {
    const values = row.values as RecordDoc['values'];
    const bytes = rowBytes(datasetId, values);
    layout.allocatedBytes += bytes;
    return { id: row.id, pk: partitionKeyOf(datasetId, place(bytes)), datasetId, docType: 'record', ingestId: String(row.ingestId), values };
  });
  const kept: Profile = profile ? { distinct: profile.distinct as Profile['distinct'], overflow: profile.overflow as string[], shift: profile.shift as Profile['shift'] } : emptyProfile();
  const doc = { ...schema, pk: partitionKeyOf(datasetId, 0), revision: randomUUID(), profile: kept, layout } as unknown as SchemaDoc;
  await createSchemaDoc(doc);
  for (let start = 0; start < records.length; start += BULK_BATCH) await cosmosRecordWriter.insert(datasetId, records.slice(start, start + BULK_BATCH));
}

export async function migrateRecords(log: (line: string) => void): Promise<void> {
  const definition = CONTAINERS.records;
  const { resource } = await container('records').read();
  if (!resource || resource.partitionKey?.paths?.[0] === definition.partitionKey) return;
  // A feed read in pages, not a query: nothing for the embedded server to plan over the whole container.
  const { resources } = await container('records').items.readAll<OldDoc>({ maxItemCount: 1_000 }).fetchAll();
  const docs = resources.map(withoutSystem);
  await container('records').delete();
  await database().containers.create({ id: definition.id, partitionKey: { paths: [definition.partitionKey] } });
  const schemas = docs.filter((doc) => doc.docType === 'schema');
  let copied = 0;
  for (const schema of schemas) {
    const datasetId = schema.datasetId;
    const rows = docs.filter((doc) => doc.docType === 'record' && doc.datasetId === datasetId);
    await copyDataset(
      schema,
      docs.find((doc) => doc.docType === 'profile' && doc.datasetId === datasetId),
      rows,
    );
    copied += rows.length;
  }
  const orphans = docs.filter((doc) => doc.docType === 'record').length - copied;
  log(`records migrated to partition key ${definition.partitionKey}: ${schemas.length} datasets, ${copied} records copied, ${orphans} without columns left out`);
}
