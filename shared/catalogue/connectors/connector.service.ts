import { randomUUID } from 'node:crypto';
import { cosmosStatus } from '../../azure/cosmos';
import { config, type Settings } from '../../config';
import { AppError, errors } from '../../errors';
import { sha256 } from '../../hash';
import { canonicalJson } from '../../json/canonical';
import { deleteEntryAsSystem, upsertEntryAsSystem } from '../catalogue.system';
import { type ConnectorEntryType, type ConnectorSource, UnexpectedAnswerError } from './connector.source';
import { createState, deleteSeenPage, readSeenPage, readState, replaceState, type StoredState, writeSeenPage } from './connector.repository';
import {
  CONNECTOR_NAMES,
  type ConnectorError,
  ConnectorName,
  type ConnectorStateDoc,
  type ConnectorView,
  emptyStats,
  type RunReport,
  type RunStats,
} from './connector.schema';
import { huggingfaceDatasets, huggingfaceModels } from './huggingface.connector';
import { openmlDatasets, openmlFlows } from './openml.connector';
import { PoliteClient } from './polite-client';
import { zenodoRecords } from './zenodo.connector';

/**
 * Keeps the catalogue in sync with a platform. A *pass* reads the platform from its first page to
 * its last, over as many runs as it takes (each run has a page and a time budget that fit the
 * Functions timeout; the cursor is checkpointed after every page). Per record: a content hash is
 * compared with the one of the last completed pass, so an unchanged record costs no catalogue read
 * or write; a new or changed one is upserted (by platform + identifier, under a deterministic entry
 * id, so a retried page never duplicates). When a pass completes, identifiers the previous pass saw
 * and this one did not are soft-deleted (`deletedAt`, `deletedBy: connector:<name>`) — hidden at
 * once, purged after CATALOGUE_DELETED_RETENTION, restored under the same id if they come back.
 */

type UrlSetting = 'CONNECTOR_OPENML_URL' | 'CONNECTOR_HUGGINGFACE_URL' | 'CONNECTOR_ZENODO_URL';
type ScheduleSetting = Extract<keyof Settings, `CONNECTOR_${string}_SCHEDULE`>;

interface ConnectorDefinition {
  name: ConnectorName;
  platform: string;
  type: ConnectorEntryType;
  urlSetting: UrlSetting;
  scheduleSetting: ScheduleSetting;
  source: ConnectorSource;
}

export const CONNECTORS: Record<ConnectorName, ConnectorDefinition> = {
  'openml-datasets': {
    name: 'openml-datasets',
    platform: 'openml',
    type: 'datasets',
    urlSetting: 'CONNECTOR_OPENML_URL',
    scheduleSetting: 'CONNECTOR_OPENML_DATASETS_SCHEDULE',
    source: openmlDatasets,
  },
  'openml-flows': {
    name: 'openml-flows',
    platform: 'openml',
    type: 'models',
    urlSetting: 'CONNECTOR_OPENML_URL',
    scheduleSetting: 'CONNECTOR_OPENML_FLOWS_SCHEDULE',
    source: openmlFlows,
  },
  'huggingface-datasets': {
    name: 'huggingface-datasets',
    platform: 'huggingface',
    type: 'datasets',
    urlSetting: 'CONNECTOR_HUGGINGFACE_URL',
    scheduleSetting: 'CONNECTOR_HUGGINGFACE_DATASETS_SCHEDULE',
    source: huggingfaceDatasets,
  },
  'huggingface-models': {
    name: 'huggingface-models',
    platform: 'huggingface',
    type: 'models',
    urlSetting: 'CONNECTOR_HUGGINGFACE_URL',
    scheduleSetting: 'CONNECTOR_HUGGINGFACE_MODELS_SCHEDULE',
    source: huggingfaceModels,
  },
  'zenodo-records': {
    name: 'zenodo-records',
    platform: 'zenodo',
    type: 'datasets',
    urlSetting: 'CONNECTOR_ZENODO_URL',
    scheduleSetting: 'CONNECTOR_ZENODO_RECORDS_SCHEDULE',
    source: zenodoRecords,
  },
};

/** One connector ready to run: a definition with its settings resolved (tests and the bench override them). */
export interface ConnectorInstance {
  /** State id and entry-id prefix. */
  name: string;
  platform: string;
  type: ConnectorEntryType;
  source: ConnectorSource;
  baseUrl: string;
  pageSize: number;
  requestIntervalMs: number;
  maxRetries: number;
  retryBaseMs: number;
  /** Records upserted at once within a page. */
  concurrency: number;
}

export function connectorInstance(name: ConnectorName, overrides: Partial<ConnectorInstance> = {}): ConnectorInstance {
  const definition = CONNECTORS[name];
  const s = config().settings;
  return {
    name: definition.name,
    platform: definition.platform,
    type: definition.type,
    source: definition.source,
    baseUrl: s[definition.urlSetting],
    pageSize: s.CONNECTOR_PAGE_SIZE,
    requestIntervalMs: s.CONNECTOR_REQUEST_INTERVAL_MS,
    maxRetries: s.CONNECTOR_MAX_RETRIES,
    retryBaseMs: 1000,
    concurrency: 8,
    ...overrides,
  };
}

export interface RunOptions {
  trigger?: RunReport['trigger'];
  /** Pages this run may fetch (default CONNECTOR_PAGE_BUDGET). */
  maxPages?: number;
  /** Milliseconds this run may take before it checkpoints and stops (default CONNECTOR_RUN_BUDGET). */
  timeBudgetMs?: number;
  /** Abandon the pass under way and start again from the first page. */
  restart?: boolean;
  /**
   * Called after each page is checkpointed, with the pages fetched so far and the page budget (a job
   * shows them as progress); answering `stop` ends the run there, to be resumed by the next one.
   */
  afterPage?: (pages: number, maxPages: number) => Promise<'continue' | 'stop'>;
}

/** Removals above this share of the last pass are refused (a platform answering half-empty must not empty the catalogue). */
const MAX_REMOVED_SHARE = 0.5;
const KEPT_ERRORS = 20;

export const contentHash = (entry: unknown) => sha256(canonicalJson(entry), 'base64url').slice(0, 32);

/** Deterministic entry id: readable when the identifier is id-safe, hashed otherwise. */
export function entryIdFor(connector: string, identifier: string): string {
  const id = `${connector}-${identifier}`;
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) return id;
  return `${connector}-h${sha256(identifier).slice(0, 40)}`;
}

function message(error: unknown): string {
  const text = error instanceof AppError && error.errors?.length ? `${error.detail}` : error instanceof Error ? error.message : String(error);
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

/** The store being unavailable (the run stops and resumes later), as opposed to a record the catalogue refuses (skipped). */
function isTransient(error: unknown): boolean {
  const status = error instanceof AppError ? error.status : cosmosStatus(error);
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  // Network failures carry a string code (ECONNRESET, …); converters throw plain errors for bad records.
  return typeof error === 'object' && error !== null && 'code' in error;
}

function newState(name: string): ConnectorStateDoc {
  return {
    id: name,
    docType: 'connectorState',
    pass: 1,
    phase: 'fetch',
    cursor: null,
    page: 0,
    passStartedAt: null,
    passStats: emptyStats(),
    lastCompletedPass: null,
    lease: null,
    lastRun: null,
    errors: [],
  };
}

function addStats(a: RunStats, b: RunStats): RunStats {
  const out = emptyStats();
  for (const key of Object.keys(out) as (keyof RunStats)[]) out[key] = a[key] + b[key];
  return out;
}

/** Takes the run lease (ETag-guarded): only one run per connector at a time, timer or admin. */
async function acquireLease(name: string, runId: string, leaseMs: number): Promise<StoredState | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = (await readState(name)) ?? (await createState(newState(name)));
    if (!current) continue;
    const { lease } = current.doc;
    if (lease && Date.parse(lease.until) > Date.now()) return undefined;
    const taken = await replaceState({ ...current.doc, lease: { runId, until: new Date(Date.now() + leaseMs).toISOString() } }, current.etag);
    if (taken) return taken;
  }
  return undefined;
}

interface PreviousPass {
  hashes: Map<string, { hash: string; entryId: string }>;
}

/** The identifiers, hashes and entry ids of the last completed pass: point reads of its seen-lists. */
async function loadPass(name: string, pass: number, pages: number): Promise<PreviousPass> {
  const hashes = new Map<string, { hash: string; entryId: string }>();
  for (let start = 0; start < pages; start += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, pages - start) }, (_, i) => readSeenPage(name, pass, start + i)),
    );
    for (const page of batch) for (const [identifier, hash, entryId] of page?.items ?? []) hashes.set(identifier, { hash, entryId });
  }
  return { hashes };
}

/** Runs `work` over the items, `limit` at a time; the first failure stops new work, and is thrown once all started work has ended. */
async function mapLimit<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  // p-limit ships only as an ES module: this CommonJS build loads it with import().
  const { default: pLimit } = await import('p-limit');
  const run = pLimit(limit);
  let failure: { error: unknown } | undefined;
  await Promise.all(
    items.map((item) =>
      run(async () => {
        if (failure) return;
        try {
          await work(item);
        } catch (error) {
          failure ??= { error };
        }
      }),
    ),
  );
  if (failure) throw failure.error;
}

function resolveUrl(baseUrl: string, cursor: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  if (!/^https?:\/\//i.test(cursor)) return `${base}${cursor.startsWith('/') ? '' : '/'}${cursor}`;
  // A next link must stay on the platform: the connector never follows a link elsewhere.
  if (new URL(cursor).origin !== new URL(base).origin) throw new UnexpectedAnswerError(`the next link ${cursor} leaves ${base}`);
  return cursor;
}

/** Upserts one entry under its deterministic id; an entry that already holds the platform key (imported earlier under another id) is updated instead. */
async function upsert(instance: ConnectorInstance, entryId: string, entry: Record<string, unknown>): Promise<{ id: string; changed: boolean }> {
  try {
    return await upsertEntryAsSystem(instance.type, { ...entry, id: entryId });
  } catch (error) {
    const existingId = error instanceof AppError && error.status === 409 ? error.extensions.existingId : undefined;
    if (typeof existingId !== 'string') throw error;
    return upsertEntryAsSystem(instance.type, { ...entry, id: existingId });
  }
}

/**
 * One run of a connector: takes the lease, continues the pass under way for at most the page and
 * time budget, checkpoints after each page, applies removals when the pass completes. Never throws
 * for a platform or record failure: those end the run `failed` (resumed by the next run) or skip
 * the record, and are kept in the state's `errors`.
 */
export async function syncConnector(instance: ConnectorInstance, options: RunOptions = {}): Promise<RunReport> {
  const s = config().settings;
  const maxPages = options.maxPages ?? s.CONNECTOR_PAGE_BUDGET;
  const timeBudgetMs = options.timeBudgetMs ?? s.CONNECTOR_RUN_BUDGET * 1000;
  const runId = randomUUID();
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const stats = emptyStats();
  const runErrors: ConnectorError[] = [];
  const noteError = (text: string, identifier?: string) => {
    runErrors.unshift({ at: new Date().toISOString(), runId, ...(identifier ? { identifier } : {}), message: text });
  };
  const report = (outcome: RunReport['outcome'], pass: number, error?: string): RunReport => {
    const durationMs = Date.now() - started;
    return {
      connector: instance.name,
      runId,
      trigger: options.trigger ?? 'manual',
      outcome,
      pass,
      startedAt,
      finishedAt: new Date().toISOString(),
      durationMs,
      itemsPerSecond: durationMs > 0 ? Math.round((stats.records / durationMs) * 1000 * 10) / 10 : 0,
      stats: { ...stats },
      ...(error ? { error } : {}),
    };
  };

  let stored = await acquireLease(instance.name, runId, timeBudgetMs + 120_000);
  if (!stored) return report('busy', 0);
  const client = new PoliteClient({ minIntervalMs: instance.requestIntervalMs, maxRetries: instance.maxRetries, retryBaseMs: instance.retryBaseMs });

  /** Writes the state; losing the ETag race means the lease was taken over (expired): stop. */
  const save = async (next: ConnectorStateDoc): Promise<void> => {
    if (!stored) return;
    const written = await replaceState(next, stored.etag);
    if (!written) throw new Error('the run lost its lease (another run took over)');
    stored = written;
  };
  const withRunStats = (doc: ConnectorStateDoc, pageStats: RunStats): ConnectorStateDoc => ({
    ...doc,
    passStats: addStats(doc.passStats, pageStats),
  });

  let outcome: RunReport['outcome'] = 'budget-exhausted';
  let failure: string | undefined;
  try {
    if (options.restart) {
      const { doc } = stored;
      await Promise.all(Array.from({ length: doc.page }, (_, page) => deleteSeenPage(instance.name, doc.pass, page)));
      await save({ ...doc, pass: doc.pass + 1, phase: 'fetch', cursor: null, page: 0, passStartedAt: null, passStats: emptyStats() });
    }
    const last = stored.doc.lastCompletedPass;
    const previous = last ? await loadPass(instance.name, last.pass, last.pages) : { hashes: new Map<string, { hash: string; entryId: string }>() };

    let pagesThisRun = 0;
    while (stored.doc.phase === 'fetch') {
      if (pagesThisRun >= maxPages || Date.now() - started >= timeBudgetMs) break;
      const doc = stored.doc;
      const cursor = doc.cursor ?? instance.source.first(instance.pageSize);
      const answer = await client.getJson(resolveUrl(instance.baseUrl, cursor));
      const { records, next } = instance.source.page(answer, cursor, instance.pageSize);
      const pageStats = emptyStats();
      pageStats.pages = 1;
      const seen: [string, string, string][] = [];
      await mapLimit(records, instance.concurrency, async (record) => {
        pageStats.records++;
        let identifier: string | undefined;
        try {
          const converted = instance.source.convert(record);
          identifier = converted.identifier;
          const entry = { ...converted.entry, platform: instance.platform, platformResourceIdentifier: identifier, status: 'published' };
          const hash = contentHash(entry);
          const before = previous.hashes.get(identifier);
          const entryId = before?.entryId ?? entryIdFor(instance.name, identifier);
          if (before?.hash === hash) {
            pageStats.unchanged++;
            seen.push([identifier, hash, entryId]);
            return;
          }
          const result = await upsert(instance, entryId, entry);
          seen.push([identifier, hash, result.id]);
          if (!result.changed) pageStats.unchanged++;
          else if (before) pageStats.updated++;
          else pageStats.created++;
        } catch (error) {
          if (isTransient(error)) throw error;
          // One bad record is reported and skipped; it stays "seen" (with no hash, so it is retried next pass) so it is not removed.
          pageStats.skipped++;
          if (identifier) seen.push([identifier, '', previous.hashes.get(identifier)?.entryId ?? entryIdFor(instance.name, identifier)]);
          noteError(message(error), identifier);
        }
      });
      pageStats.catalogueWrites = pageStats.created + pageStats.updated;
      await writeSeenPage({ id: `${instance.name}~${doc.pass}~${doc.page}`, docType: 'connectorSeen', connector: instance.name, pass: doc.pass, page: doc.page, items: seen });
      for (const key of Object.keys(stats) as (keyof RunStats)[]) stats[key] += pageStats[key];
      pagesThisRun++;
      await save({
        ...withRunStats(doc, pageStats),
        cursor: next ?? null,
        page: doc.page + 1,
        phase: next ? 'fetch' : 'sweep',
        passStartedAt: doc.passStartedAt ?? startedAt,
        errors: [...runErrors, ...doc.errors].slice(0, KEPT_ERRORS),
      });
      runErrors.length = 0;
      if ((await options.afterPage?.(pagesThisRun, maxPages)) === 'stop') break;
    }

    if (stored.doc.phase === 'sweep') {
      const doc = stored.doc;
      const current = await loadPass(instance.name, doc.pass, doc.page);
      const gone = [...previous.hashes].filter(([identifier]) => !current.hashes.has(identifier));
      const sweepStats = emptyStats();
      if (gone.length > Math.max(10, previous.hashes.size * MAX_REMOVED_SHARE)) {
        noteError(`refused to remove ${gone.length} of ${previous.hashes.size} entries at once; check the platform, then run with restart`);
      } else {
        await mapLimit(gone, instance.concurrency, async ([identifier, { entryId }]) => {
          try {
            if (await deleteEntryAsSystem(instance.type, entryId, `connector:${instance.name}`)) sweepStats.removed++;
          } catch (error) {
            if (isTransient(error)) throw error;
            noteError(message(error), identifier);
          }
        });
      }
      sweepStats.catalogueWrites = sweepStats.removed;
      stats.removed += sweepStats.removed;
      stats.catalogueWrites += sweepStats.catalogueWrites;
      if (last) await Promise.all(Array.from({ length: last.pages }, (_, page) => deleteSeenPage(instance.name, last.pass, page)));
      await save({
        ...withRunStats(doc, sweepStats),
        pass: doc.pass + 1,
        phase: 'fetch',
        cursor: null,
        page: 0,
        passStartedAt: null,
        passStats: emptyStats(),
        lastCompletedPass: { pass: doc.pass, pages: doc.page, items: current.hashes.size, removed: doc.passStats.removed + sweepStats.removed, finishedAt: new Date().toISOString() },
        errors: [...runErrors, ...doc.errors].slice(0, KEPT_ERRORS),
      });
      runErrors.length = 0;
      outcome = 'pass-completed';
    }
  } catch (error) {
    outcome = 'failed';
    failure = message(error);
    noteError(failure);
  } finally {
    stats.requests = client.requests;
    stats.retries = client.retries;
  }
  const final = report(outcome, stored.doc.pass, failure);
  // Release the lease with the run's report; the checkpoints above already hold the progress.
  for (let attempt = 0; attempt < 3; attempt++) {
    const latest = attempt === 0 ? stored : await readState(instance.name);
    if (!latest || latest.doc.lease?.runId !== runId) break;
    const released = await replaceState(
      { ...latest.doc, lease: null, lastRun: final, errors: [...runErrors, ...latest.doc.errors].slice(0, KEPT_ERRORS) },
      latest.etag,
    ).catch(() => undefined);
    if (released) break;
  }
  return final;
}

/** Runs a named connector with its settings (timer and job). */
export async function runConnector(name: ConnectorName, options: RunOptions = {}): Promise<RunReport> {
  return syncConnector(connectorInstance(name), options);
}

export function parseConnectorName(name: string): ConnectorName {
  const parsed = ConnectorName.safeParse(name);
  if (!parsed.success) throw errors.notFound('connector', name);
  return parsed.data;
}

export async function connectorStatus(name: string): Promise<ConnectorView> {
  const definition = CONNECTORS[parseConnectorName(name)];
  const s = config().settings;
  const doc = (await readState(definition.name))?.doc ?? newState(definition.name);
  return {
    name: definition.name,
    platform: definition.platform,
    type: definition.type,
    baseUrl: s[definition.urlSetting],
    scheduleSetting: definition.scheduleSetting,
    schedule: s[definition.scheduleSetting],
    running: doc.lease !== null && Date.parse(doc.lease.until) > Date.now(),
    pass: doc.pass,
    phase: doc.phase,
    pagesDoneInPass: doc.page,
    passStats: doc.passStats,
    lastCompletedPass: doc.lastCompletedPass,
    lastRun: doc.lastRun,
    errors: doc.errors,
  };
}

export async function listConnectors(): Promise<ConnectorView[]> {
  return Promise.all(CONNECTOR_NAMES.map((name) => connectorStatus(name)));
}
