import { type ItemsMap, itemsPrototype } from './cosmos-store';

/**
 * GROUP BY, as Cosmos DB has it and the embedded server's query library lacks, for the one shape the
 * app sends (the catalogue's facets and per-platform counts):
 *
 *   SELECT <key> AS <name>, COUNT(1) AS <count> FROM c [JOIN k IN c.<array>] WHERE … GROUP BY <key>
 *
 * The query runs as `SELECT VALUE <key> FROM … WHERE …` through the library (so the WHERE clause
 * means exactly what it means elsewhere), and the values are counted here: one row per distinct
 * value, in one page, like Cosmos DB's answer. A document without the key is counted in no group
 * here (`SELECT VALUE` drops undefined); Cosmos DB answers a row without the key for them, which the
 * app ignores. Any other GROUP BY stays a 400 from the parser, as before.
 */
const SHAPE = /^\s*SELECT\s+(.+?)\s+AS\s+(\w+)\s*,\s*COUNT\(1\)\s+AS\s+(\w+)\s+(FROM\s+[\s\S]+?)\s+GROUP\s+BY\s+(.+?)\s*$/i;

interface QueryBody {
  query?: unknown;
  parameters?: unknown;
}

export function emulateGroupBy(): void {
  const query = itemsPrototype.query;
  itemsPrototype.query = function grouped(this: ItemsMap, ...args: unknown[]) {
    const [body] = args as [QueryBody | undefined];
    const match = typeof body?.query === 'string' ? SHAPE.exec(body.query) : null;
    const [, key, name, count, rest, groupKey] = match ?? [];
    if (!key || !name || !count || !rest || key !== groupKey) return query.apply(this, args);
    const answer = query.call(this, { ...body, query: `SELECT VALUE ${key} ${rest}` }, { maxItemCount: null, continuation: null }) as {
      result: unknown[];
    } | null;
    if (!answer) return answer;
    const groups = new Map<string, { value: unknown; n: number }>();
    for (const value of answer.result) {
      const id = JSON.stringify(value);
      const group = groups.get(id) ?? { value, n: 0 };
      group.n += 1;
      groups.set(id, group);
    }
    const rows = [...groups.values()].map(({ value, n }) => ({ [name]: value, [count]: n }));
    return { result: rows, continuation: null };
  };
}
