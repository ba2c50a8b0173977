import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Doc } from './cosmos-store';

/**
 * Transactional batches as Cosmos DB runs them: every operation or none, Patch included
 * (https://learn.microsoft.com/azure/cosmos-db/transactional-batch). The library runs an atomic
 * batch's operations one by one and keeps those before a failure, and refuses Patch; here each
 * document an operation touches is remembered as it was and put back when a later one fails. A
 * failed batch answers 207 with the failing operation's status and 424 for every other, as Cosmos does.
 */
interface Outcome {
  statusCode: number;
  body?: unknown;
}

interface BatchInput {
  operationType?: string;
  id?: string;
  partitionKey?: string;
  ifMatch?: string;
  resourceBody?: Doc & { operations?: unknown[]; condition?: string };
}

interface Collection {
  read(): unknown;
  document(id: string, partitionKey: unknown): { read(): Doc | undefined };
  documents: { delete(id: string, partitionKey: unknown): void; _set(doc: Doc): Doc };
}

interface AccountModel {
  database(id: string): { collection(id: string): Collection };
}

type Handler = (account: AccountModel, request: IncomingMessage, response: ServerResponse, params: Record<string, string>) => Promise<unknown>;

type Operation = (collection: Collection, input: BatchInput) => Outcome;
/** Read at call time: strict mode (cosmos-strict.ts) wraps these exports. */
const operations = require('@vercel/cosmosdb-server/lib/handler/_document-operations') as Record<'createOperation' | 'upsertOperation' | 'replaceOperation' | 'readOperation' | 'deleteOperation', Operation>;
const patches = require('@vercel/cosmosdb-server/lib/handler/_patch-operations') as { patchOperation(collection: Collection, input: unknown): Outcome };
const { parsePartitionKey } = require('@vercel/cosmosdb-server/lib/utils/get-partition-from-header') as { parsePartitionKey(value: unknown, id: string): unknown };
const readJson = require('@vercel/cosmosdb-server/lib/json').default as (request: IncomingMessage) => Promise<unknown>;

function run(collection: Collection, input: BatchInput): Outcome {
  switch (input.operationType) {
    case 'Create':
      return operations.createOperation(collection, input);
    case 'Upsert':
      return operations.upsertOperation(collection, input);
    case 'Replace':
      return operations.replaceOperation(collection, input);
    case 'Read':
      return operations.readOperation(collection, input);
    case 'Delete':
      return operations.deleteOperation(collection, input);
    case 'Patch':
      return patches.patchOperation(collection, {
        id: input.id,
        partitionKey: input.partitionKey,
        ifMatch: input.ifMatch,
        operations: input.resourceBody?.operations ?? [],
        condition: input.resourceBody?.condition,
      });
    default:
      return { statusCode: 400, body: { message: `Operation type '${input.operationType}' is not supported in Batch.` } };
  }
}

const atomicBatch: Handler = async (account, request, response, { dbId = '', collId = '' }) => {
  const inputs = (await readJson(request)) as BatchInput[];
  // One partition per transactional batch: operations without a key of their own have the request's.
  const batchKey = request.headers['x-ms-documentdb-partitionkey'];
  for (const input of inputs) if (input.partitionKey === undefined && typeof batchKey === 'string') input.partitionKey = batchKey;
  const collection = account.database(dbId).collection(collId);
  if (!collection.read()) {
    response.statusCode = 404;
    return {};
  }
  const before: { id: string; partitionKey: unknown; doc: Doc | undefined }[] = [];
  const outcomes: Outcome[] = [];
  for (const input of inputs) {
    const id = input.resourceBody?.id ?? input.id ?? '';
    const partitionKey = parsePartitionKey(input.partitionKey, id);
    const doc = collection.document(id, partitionKey).read();
    before.push({ id, partitionKey, doc: doc && structuredClone(doc) });
    const outcome = run(collection, input);
    outcomes.push(outcome);
    if (outcome.statusCode < 400) continue;
    // Undo in reverse order: each document as it was before the batch touched it.
    for (const { id: undoId, partitionKey: undoKey, doc: was } of before.reverse()) {
      if (collection.document(undoId, undoKey).read()) collection.documents.delete(undoId, undoKey);
      if (was) collection.documents._set(was);
    }
    response.statusCode = 207;
    return inputs.map((_, i) => (i === outcomes.length - 1 ? { statusCode: outcome.statusCode, requestCharge: 0 } : { statusCode: 424, requestCharge: 0 }));
  }
  return outcomes.map((outcome) => ({
    statusCode: outcome.statusCode,
    requestCharge: 1,
    eTag: (outcome.body as Doc | undefined)?._etag,
    resourceBody: outcome.body,
  }));
};

function isTrue(value: string | string[] | undefined): boolean {
  return [value ?? []].flat().some((item) => item.toLowerCase() === 'true');
}

/** Routes atomic batch requests (`x-ms-cosmos-batch-atomic: true`) to the handler above. */
export function atomicBatches(): void {
  const routes = require('@vercel/cosmosdb-server/lib/routes') as { default: (request: IncomingMessage) => [Record<string, string>, Handler] | undefined };
  const route = routes.default;
  routes.default = (request) => {
    const found = route(request);
    if (!found || !isTrue(request.headers['x-ms-cosmos-is-batch-request']) || !isTrue(request.headers['x-ms-cosmos-batch-atomic'])) return found;
    return [found[0], atomicBatch];
  };
}
