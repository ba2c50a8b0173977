import { errors } from '../errors';
import type { Column } from './dataset.schema';
import { MAX_TRACKED_DISTINCT, type Observed, tracksDistinct } from './ingest';
import { type CellValue, emptyProfile, type ProfileDoc, readProfileDoc, writeProfileDoc } from './records.repository';

// The profile of a hosted dataset: distinct values of categorical columns and numeric shifts, kept at ingest.

/** Distinct values kept in a profile document, all columns together (a document holds at most 2 MB). */
const MAX_PROFILE_CHARS = 1_000_000;

export async function resetProfile(datasetId: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await readProfileDoc(datasetId);
    if ((await writeProfileDoc(emptyProfile(datasetId), current ? current.etag : null)) !== false) return;
  }
  throw errors.conflict('The dataset is being changed by another request; retry.');
}

function mergedProfile(base: ProfileDoc, observed: Observed): ProfileDoc {
  const next: ProfileDoc = { ...base, distinct: { ...base.distinct }, overflow: [...base.overflow], shift: { ...base.shift }, updatedAt: new Date().toISOString() };
  for (const [name, values] of observed.distinct) {
    if (next.overflow.includes(name)) continue;
    const union = new Set<CellValue>([...(next.distinct[name] ?? []), ...values]);
    if (union.size > MAX_TRACKED_DISTINCT) {
      next.overflow.push(name);
      delete next.distinct[name];
    } else next.distinct[name] = [...union].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  // Keep the document small: give up tracking the widest columns first.
  while (JSON.stringify(next.distinct).length > MAX_PROFILE_CHARS) {
    const widest = Object.entries(next.distinct).sort((a, b) => JSON.stringify(b[1]).length - JSON.stringify(a[1]).length)[0];
    if (!widest) break;
    next.overflow.push(widest[0]);
    delete next.distinct[widest[0]];
  }
  for (const [name, sums] of observed.sums) {
    if (next.shift[name] === undefined && sums.n > 0) next.shift[name] = sums.sum / sums.n;
  }
  return next;
}

/** Folds what an ingest saw into the profile (optimistic concurrency: concurrent ingests both land). */
export async function updateProfile(datasetId: string, observed: Observed): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await readProfileDoc(datasetId);
    const next = mergedProfile(current?.doc ?? emptyProfile(datasetId), observed);
    if ((await writeProfileDoc(next, current ? current.etag : null)) !== false) return;
  }
  throw errors.conflict('The dataset is being changed by other requests; retry.');
}

/** The values a categorical column's groups (and facets) are taken from: allowed values, true/false, or the distinct values kept at ingest. */
export async function groupValues(datasetId: string, column: Column, pointer: string, known?: { doc: ProfileDoc | undefined }): Promise<CellValue[]> {
  if (column.type === 'boolean') return [true, false];
  if (column.values) return [...column.values];
  if (!tracksDistinct(column)) {
    throw errors.invalidField(pointer, `'${column.name}' holds ${column.type} values and is not categorical: group by a string, integer or boolean column`);
  }
  // A caller that has the profile already saves a read.
  const profile = known ? known.doc : (await readProfileDoc(datasetId))?.doc;
  if (profile?.overflow.includes(column.name)) {
    throw errors.invalidField(pointer, `'${column.name}' has more than ${MAX_TRACKED_DISTINCT} distinct values; it cannot be grouped`);
  }
  return profile?.distinct[column.name] ?? [];
}
