import { randomUUID } from 'node:crypto';
import { cosmosStatus } from '../../azure/cosmos';
import { config } from '../../config';
import { AppError } from '../../errors';
import { sha256 } from '../../hash';
import { canonicalJson } from '../../json/canonical';
import { deleteEntryAsSystem, upsertEntryAsSystem } from '../catalogue.system';
import { type ConnectorEntryType, type ConnectorSource, UnexpectedAnswerError } from './connector.source';
import { deleteSeenPage, replaceState, writeSeenPage } from './connector.repository';
import { type ConnectorError, type ConnectorStateDoc, emptyStats, type RunReport, type RunStats } from './connector.schema';
import { acquireLease, addStats, loadPass, releaseLease } from './connector.state';
import { PoliteClient } from './polite-client';

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
  await releaseLease(instance.name, runId, stored, (latest) => ({ ...latest, lastRun: final, errors: [...runErrors, ...latest.errors].slice(0, KEPT_ERRORS) }));
  return final;
}

