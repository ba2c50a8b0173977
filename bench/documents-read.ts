import { createRequire } from 'node:module';

/**
 * How many documents a query makes Cosmos DB read, on the embedded server (which has no index and
 * no query metrics). The model is Cosmos DB's documented query execution: the index resolves every
 * condition of the WHERE clause it can serve — equality or range of a property with a value,
 * `ARRAY_CONTAINS(property, value)`, `IS_DEFINED(property)`, and OR/AND of those — and the engine
 * loads the documents that pass all of them to evaluate the rest (`CONTAINS(LOWER(c.name), …)`,
 * `NOT …`) and to answer ("Retrieved Document Count" in Cosmos DB's query metrics). A query with a
 * partition key reads only that logical partition.
 *
 * It counts what the index hands over for the whole query, so a page that stops early reads at most
 * this many. Used by test/integration/catalogue-search.test.ts and bench/catalogue-search.ts.
 *
 * @example
 * const queries = observeQueries();
 * await listEntries(undefined, 'datasets', query);
 * queries.stop();
 * const read = documentsRead(queries.issued, await allDocuments(), '/id');
 */

type Node = { type: string } & Record<string, unknown>;

interface ParsedQuery {
  ast: { type: string; body: Node };
  _code: string | null;
  exec(docs: unknown[], options: { parameters?: unknown }): { result: unknown[] };
}

const load = createRequire(__filename);
const parse = (load('@zeit/cosmosdb-query') as { default: (sql: string) => ParsedQuery }).default;

export interface IssuedQuery {
  query: string;
  parameters: { name: string; value: unknown }[];
  partitionKey: unknown;
  /** The container's id, when observed (`observeQueries`). */
  container?: string;
}

type ItemsClass = typeof import('@azure/cosmos').Items;

/**
 * Records every query the SDK is asked to run (a pass-through wrapper: the real SDK runs it
 * against the real server) until `stop()`.
 */
export function observeQueries(): { issued: IssuedQuery[]; stop(): void } {
  const { Items } = load('@azure/cosmos') as { Items: ItemsClass };
  const original = Items.prototype.query;
  const issued: IssuedQuery[] = [];
  Items.prototype.query = function observed(this: InstanceType<ItemsClass>, ...args: Parameters<InstanceType<ItemsClass>['query']>) {
    const [spec, options] = args;
    const query = typeof spec === 'string' ? { query: spec, parameters: [] } : { query: spec.query, parameters: [...(spec.parameters ?? [])] };
    issued.push({ ...query, partitionKey: options?.partitionKey, container: this.container.id });
    return original.apply(this, args);
  } as InstanceType<ItemsClass>['query'];
  return { issued, stop: () => void (Items.prototype.query = original) };
}

const isPath = (node: Node | undefined): boolean =>
  node?.type === 'identifier' || (node?.type === 'scalar_member_expression' && isPath(node.object as Node));
const isValue = (node: Node | undefined): boolean => node?.type === 'parameter_name' || /_constant$/.test(node?.type ?? '');

function conjuncts(node: Node | undefined): Node[] {
  if (!node) return [];
  if (node.type === 'scalar_binary_expression' && node.operator === 'AND') return [...conjuncts(node.left as Node), ...conjuncts(node.right as Node)];
  return [node];
}

/** Whether the index resolves this condition without loading documents. */
function servedByIndex(node: Node): boolean {
  if (node.type === 'scalar_binary_expression') {
    const [left, right] = [node.left as Node, node.right as Node];
    if (node.operator === 'AND' || node.operator === 'OR') return servedByIndex(left) && servedByIndex(right);
    if (['=', '<', '>', '<=', '>='].includes(String(node.operator))) return (isPath(left) && isValue(right)) || (isValue(left) && isPath(right));
    return false;
  }
  if (node.type === 'scalar_function_expression') {
    const name = String((node.name as Node).name).toUpperCase();
    const args = node.arguments as Node[];
    if (name === 'ARRAY_CONTAINS') return args.length === 2 && isPath(args[0]) && isValue(args[1]);
    if (name === 'IS_DEFINED') return args.length === 1 && isPath(args[0]);
  }
  return false;
}

function valueAt(doc: Record<string, unknown>, path: string): unknown {
  return path
    .split('/')
    .filter(Boolean)
    .reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), doc);
}

/** Documents one query reads: those in its partition (if it names one) that pass its index-served conditions. */
export function documentsReadBy(issued: IssuedQuery, docs: Record<string, unknown>[], partitionKeyPath: string): number {
  // The query library has no GROUP BY; grouping changes nothing about which documents are read.
  const parsed = parse(issued.query.replace(/\s+GROUP\s+BY\s+[\s\S]+$/i, ''));
  const body = parsed.ast.body;
  const served = conjuncts((body.where as Node | null)?.condition as Node | undefined).filter(servedByIndex);
  const condition = served.reduce<Node | undefined>((all, next) => (all ? { type: 'scalar_binary_expression', operator: 'AND', left: all, right: next } : next), undefined);
  parsed.ast = {
    ...parsed.ast,
    body: {
      ...body,
      top: null,
      select: { type: 'select_specification', '*': true },
      from: { ...(body.from as Node), joins: [] },
      where: condition ? { type: 'filter_condition', condition } : null,
      orderBy: null,
    },
  };
  parsed._code = null;
  const scope = typeof issued.partitionKey === 'string' ? docs.filter((doc) => valueAt(doc, partitionKeyPath) === issued.partitionKey) : docs;
  return parsed.exec(scope, { parameters: issued.parameters }).result.length;
}

/** Documents all the queries read together. */
export function documentsRead(issued: IssuedQuery[], docs: Record<string, unknown>[], partitionKeyPath: string): number {
  return issued.reduce((sum, query) => sum + documentsReadBy(query, docs, partitionKeyPath), 0);
}
