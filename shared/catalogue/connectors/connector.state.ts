import { RETRY, retryOnConflict } from '../../azure/store';
import { AppError } from '../../errors';
import { createState, readSeenPage, readState, replaceState, type StoredState } from './connector.repository';
import { type ConnectorStateDoc, emptyStats, type RunStats } from './connector.schema';

// A connector's state document: its pass, cursor and checkpoints, the run lease, and the seen-lists of passes.

export function newState(name: string): ConnectorStateDoc {
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

export function addStats(a: RunStats, b: RunStats): RunStats {
  const out = emptyStats();
  for (const key of Object.keys(out) as (keyof RunStats)[]) out[key] = a[key] + b[key];
  return out;
}

/** Takes the run lease (ETag-guarded): only one run per connector at a time, timer or admin. */
export async function acquireLease(name: string, runId: string, leaseMs: number): Promise<StoredState | undefined> {
  // Losing every race (retryOnConflict's 503) means other runs are at it: this one is busy too.
  return retryOnConflict<StoredState | undefined>(async () => {
    const current = (await readState(name)) ?? (await createState(newState(name)));
    if (!current) return RETRY;
    const { lease } = current.doc;
    if (lease && Date.parse(lease.until) > Date.now()) return undefined;
    const taken = await replaceState({ ...current.doc, lease: { runId, until: new Date(Date.now() + leaseMs).toISOString() } }, current.etag);
    return taken ?? RETRY;
  }, 'The connector state').catch((error: unknown) => {
    if (error instanceof AppError && error.status === 503) return undefined;
    throw error;
  });
}

/**
 * Gives the lease back with the run's report and errors, unless another run holds it now; the
 * checkpoints of the run already hold its progress, so a release that fails loses nothing.
 */
export async function releaseLease(name: string, runId: string, stored: StoredState, update: (latest: ConnectorStateDoc) => ConnectorStateDoc): Promise<void> {
  await retryOnConflict(async (attempt) => {
    const latest = attempt === 0 ? stored : await readState(name);
    if (!latest || latest.doc.lease?.runId !== runId) return undefined;
    return (await replaceState({ ...update(latest.doc), lease: null }, latest.etag)) ? undefined : RETRY;
  }, 'The connector state').catch(() => undefined);
}

export interface PreviousPass {
  hashes: Map<string, { hash: string; entryId: string }>;
}

/** The identifiers, hashes and entry ids of the last completed pass: point reads of its seen-lists. */
export async function loadPass(name: string, pass: number, pages: number): Promise<PreviousPass> {
  const hashes = new Map<string, { hash: string; entryId: string }>();
  for (let start = 0; start < pages; start += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, pages - start) }, (_, i) => readSeenPage(name, pass, start + i)),
    );
    for (const page of batch) for (const [identifier, hash, entryId] of page?.items ?? []) hashes.set(identifier, { hash, entryId });
  }
  return { hashes };
}

