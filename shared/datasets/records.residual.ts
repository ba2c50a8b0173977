import type { PlannedQuery } from '../query/record.planner';
import { toRow } from '../query/record.planner';
import { MAX_PAGE_ROWS, type RecordRow } from './dataset.schema';
import { continuationOf } from './records.query';
import { type CellValue, queryRecordPage, type RecordPageQuery, type RowDoc } from './records.repository';
import type { RecordScope } from './records.layout';

// Filters whose SQL selects a superset of their rows (LIKE/GLOB with several floating runs, see
// `CompileOptions.residual`): the rows Cosmos DB returns are finished with the in-memory matcher.

/** Reads per page before answering a short page: each read asks only for the rows still missing, so none is skipped. */
const MAX_READS_PER_PAGE = 20;

export type RowTest = (values: Record<string, CellValue>) => boolean;

/**
 * A page of the rows that pass `test`, at most `limit`: read after read from where the last one
 * stopped, each asking for no more rows than the page still needs, so the continuation after the
 * last read is exactly where the next page starts. A page may be short (even empty) with a next
 * cursor when many rows in a row fail the test.
 */
export async function residualPage(
  scope: RecordScope,
  query: PlannedQuery,
  limit: number,
  cursor: string | undefined,
  cursorPointer: string,
  test: RowTest,
): Promise<{ items: RecordRow[]; continuation: string | undefined }> {
  let continuation = continuationOf(cursor, query.scope, cursorPointer);
  const items: RecordRow[] = [];
  for (let reads = 0; reads < MAX_READS_PER_PAGE; reads++) {
    const page = await queryRecordPage(scope, query.page, { limit: limit - items.length, continuation });
    items.push(...page.items.filter((doc) => test(doc.v)).map((doc) => toRow(doc, query.select)));
    continuation = page.continuation;
    if (!continuation || items.length >= limit) break;
  }
  return { items, continuation };
}

/** Every row of the query that passes `test` (every row without one): `_stream`, and counts and facets of a residual filter. */
export async function everyRow(scope: RecordScope, query: RecordPageQuery, test?: RowTest): Promise<RowDoc[]> {
  const rows: RowDoc[] = [];
  let continuation: string | undefined;
  do {
    const page = await queryRecordPage(scope, query, { limit: MAX_PAGE_ROWS, continuation });
    rows.push(...(test ? page.items.filter((doc) => test(doc.v)) : page.items));
    continuation = page.continuation;
  } while (continuation);
  return rows;
}
