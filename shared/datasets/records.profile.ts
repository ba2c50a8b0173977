import { RETRY, retryOnConflict, type Versioned } from '../azure/store';
import { config } from '../config';
import { errors } from '../errors';
import type { Column } from './dataset.schema';
import { MAX_TRACKED_DISTINCT, type Observed, tracksDistinct } from './ingest';
import { type Allocation, emptyLayout } from './records.layout';
import { type CellValue, emptyProfile, type Profile, readSchemaDoc, replaceSchemaDoc, type SchemaDoc } from './records.repository';

// What the dataset document keeps besides the columns: the profile (distinct values of categorical
// columns, numeric shifts) and the bucket layout, both changed by ingest and by deleting the records.

/** Bytes of distinct values kept, all columns together: the dataset document (columns and profile) must stay under Cosmos DB's 2 MB. */
const MAX_PROFILE_BYTES = 1_000_000;

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * One optimistic change of the dataset document: `change` gets the current document and returns the
 * next one (and a result), or throws. `known` (just read) saves the first read.
 */
async function changeDataset<T>(datasetId: string, known: Versioned<SchemaDoc> | undefined, change: (doc: SchemaDoc) => { doc: SchemaDoc; result: T }): Promise<T> {
  return retryOnConflict(async (attempt) => {
    const current = attempt === 0 && known ? known : await readSchemaDoc(datasetId);
    if (!current) throw errors.notFound('record schema for dataset', datasetId);
    const { doc, result } = change(current.doc);
    return (await replaceSchemaDoc(doc, current.etag)) ? result : RETRY;
  }, `Dataset '${datasetId}'`);
}

/** A refusal when the columns were declared again since an ingest validated its rows. */
function sameRevision(doc: SchemaDoc, revision: string): void {
  if (doc.revision !== revision) throw errors.conflict('The dataset’s schema changed while the rows were being stored; nothing was stored.');
}

/**
 * Reserves `bytes` of the dataset's offsets for an ingest's rows (records.layout.ts): where they
 * start, and the bucket size, fixed by the first reservation of an empty dataset.
 */
export function reserveRows(known: Versioned<SchemaDoc>, bytes: number): Promise<Allocation> {
  return changeDataset(known.doc.datasetId, known, (doc) => {
    sameRevision(doc, known.doc.revision);
    const layout = doc.layout.allocatedBytes === 0 ? emptyLayout(config().ingest.bucketBytes) : doc.layout;
    return {
      doc: { ...doc, layout: { ...layout, allocatedBytes: layout.allocatedBytes + bytes } },
      result: { start: layout.allocatedBytes, bucketBytes: layout.bucketBytes },
    };
  });
}

/** Empties the profile and the layout: after every record was deleted. */
export function resetProfile(datasetId: string): Promise<void> {
  return changeDataset(datasetId, undefined, (doc) => ({
    doc: { ...doc, profile: emptyProfile(), layout: emptyLayout(config().ingest.bucketBytes) },
    result: undefined,
  }));
}

function mergedProfile(base: Profile, observed: Observed, budgetBytes = MAX_PROFILE_BYTES): Profile {
  const next: Profile = { distinct: { ...base.distinct }, overflow: [...base.overflow], shift: { ...base.shift } };
  for (const [name, values] of observed.distinct) {
    if (next.overflow.includes(name)) continue;
    const union = new Set<CellValue>([...(next.distinct[name] ?? []), ...values]);
    if (union.size > MAX_TRACKED_DISTINCT) {
      next.overflow.push(name);
      delete next.distinct[name];
    } else next.distinct[name] = [...union].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  // Keep the document small: give up tracking the widest columns first.
  while (bytesOf(next.distinct) > budgetBytes) {
    const widest = Object.entries(next.distinct).sort((a, b) => bytesOf(b[1]) - bytesOf(a[1]))[0];
    if (!widest) break;
    next.overflow.push(widest[0]);
    delete next.distinct[widest[0]];
  }
  for (const [name, sums] of observed.sums) {
    if (next.shift[name] === undefined && sums.n > 0) next.shift[name] = sums.sum / sums.n;
  }
  return next;
}

/**
 * Folds what an ingest saw into the profile (optimistic concurrency: concurrent ingests both land);
 * 409 when the columns were declared again since the rows were validated against `revision`.
 */
export function updateProfile(datasetId: string, revision: string, observed: Observed): Promise<void> {
  return changeDataset(datasetId, undefined, (doc) => {
    sameRevision(doc, revision);
    // The columns share the document's 2 MB: the profile gets what they leave of MAX_PROFILE_BYTES.
    const budget = Math.max(0, MAX_PROFILE_BYTES - bytesOf(doc.columns));
    return { doc: { ...doc, profile: mergedProfile(doc.profile, observed, budget) }, result: undefined };
  });
}

/** The values a categorical column's groups (and facets) are taken from: allowed values, true/false, or the distinct values kept at ingest. */
export function groupValues(dataset: Pick<SchemaDoc, 'profile'>, column: Column, pointer: string): CellValue[] {
  if (column.type === 'boolean') return [true, false];
  if (column.values) return [...column.values];
  if (!tracksDistinct(column)) {
    throw errors.invalidInput(pointer, `'${column.name}' holds ${column.type} values and is not categorical: group by a string, integer or boolean column`);
  }
  if (dataset.profile.overflow.includes(column.name)) {
    throw errors.invalidInput(pointer, `'${column.name}' has more than ${MAX_TRACKED_DISTINCT} distinct values; it cannot be grouped`);
  }
  return dataset.profile.distinct[column.name] ?? [];
}
