import { z } from 'zod';
import { CONNECTOR_NAMES } from './connector.names';

export const ConnectorName = z.enum(CONNECTOR_NAMES).meta({ id: 'ConnectorName' });
export type ConnectorName = z.infer<typeof ConnectorName>;

export const RunStats = z
  .object({
    pages: z.number().int(),
    records: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    skipped: z.number().int().describe('Bad records, reported in `errors` and skipped.'),
    removed: z.number().int().describe('Entries soft-deleted because their platform no longer lists them.'),
    catalogueWrites: z.number().int().describe('created + updated + removed: writes to the catalogue.'),
    requests: z.number().int(),
    retries: z.number().int(),
  })
  .meta({ id: 'ConnectorRunStats' });
export type RunStats = z.infer<typeof RunStats>;

export const emptyStats = (): RunStats => ({
  pages: 0,
  records: 0,
  created: 0,
  updated: 0,
  unchanged: 0,
  skipped: 0,
  removed: 0,
  catalogueWrites: 0,
  requests: 0,
  retries: 0,
});

export const RunOutcome = z
  .enum(['pass-completed', 'budget-exhausted', 'failed', 'busy'])
  .describe('pass-completed: the platform was read to its end (removals applied). budget-exhausted: stopped at the page or time budget; the next run resumes. failed: stopped by an error; the next run resumes from the last page done. busy: another run holds the lease.');

export const RunReport = z
  .object({
    connector: z.string(),
    runId: z.string(),
    trigger: z.enum(['timer', 'job', 'manual']),
    outcome: RunOutcome,
    pass: z.number().int(),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    durationMs: z.number(),
    itemsPerSecond: z.number(),
    stats: RunStats,
    error: z.string().optional(),
  })
  .meta({ id: 'ConnectorRunReport' });
export type RunReport = z.infer<typeof RunReport>;

export const ConnectorError = z.object({
  at: z.iso.datetime(),
  runId: z.string(),
  identifier: z.string().optional(),
  message: z.string(),
});
export type ConnectorError = z.infer<typeof ConnectorError>;

/**
 * The one state document of a connector (container `connectorState`, id = connector name). A pass
 * reads the platform from the first page to the last; `page`/`cursor` say where the current pass
 * stands, so a run resumes where the last one stopped.
 */
export const ConnectorStateDoc = z.object({
  id: z.string(),
  docType: z.literal('connectorState'),
  pass: z.number().int().min(1),
  phase: z.enum(['fetch', 'sweep']),
  /** The next page of the current pass (a path below the base URL); null: the first page. */
  cursor: z.string().nullable(),
  /** Pages done in the current pass (the seen-list documents `<name>~<pass>~<page>`). */
  page: z.number().int().min(0),
  passStartedAt: z.iso.datetime().nullable(),
  passStats: RunStats,
  lastCompletedPass: z
    .object({ pass: z.number().int(), pages: z.number().int(), items: z.number().int(), removed: z.number().int(), finishedAt: z.iso.datetime() })
    .nullable(),
  lease: z.object({ runId: z.string(), until: z.iso.datetime() }).nullable(),
  lastRun: RunReport.nullable(),
  errors: z.array(ConnectorError),
});
export type ConnectorStateDoc = z.infer<typeof ConnectorStateDoc>;

/** The records one page of a pass held: `[identifier, content hash, entry id]` each. */
export const SeenPageDoc = z.object({
  id: z.string(),
  docType: z.literal('connectorSeen'),
  connector: z.string(),
  pass: z.number().int(),
  page: z.number().int(),
  items: z.array(z.tuple([z.string(), z.string(), z.string()])),
});
export type SeenPageDoc = z.infer<typeof SeenPageDoc>;

export const ConnectorView = z
  .object({
    name: z.string(),
    platform: z.string(),
    type: z.enum(['datasets', 'models']),
    baseUrl: z.string(),
    scheduleSetting: z.string().describe('The app setting holding the timer schedule (NCRONTAB).'),
    schedule: z.string(),
    running: z.boolean(),
    pass: z.number().int().describe('The pass under way (or the next one).'),
    phase: z.enum(['fetch', 'sweep']),
    pagesDoneInPass: z.number().int(),
    passStats: RunStats.describe('What the current pass has done so far, over all its runs.'),
    lastCompletedPass: ConnectorStateDoc.shape.lastCompletedPass,
    lastRun: RunReport.nullable(),
    errors: z.array(ConnectorError).describe('The latest errors (bad records, failed pages), newest first.'),
  })
  .meta({ id: 'Connector' });
export type ConnectorView = z.infer<typeof ConnectorView>;

export const ConnectorParams = z.strictObject({ name: z.string().min(1).max(64).meta({ enum: [...CONNECTOR_NAMES] }) });

export const RunRequest = z
  .strictObject({
    maxPages: z.number().int().min(1).max(10_000).optional().describe('Page budget of this run (default: CONNECTOR_PAGE_BUDGET).'),
    restart: z.boolean().optional().describe('Abandon the pass under way and start a new one from the first page.'),
  })
  .optional()
  .meta({ id: 'ConnectorRunRequest' });
export type RunRequest = z.infer<typeof RunRequest>;

export const RunAccepted = z.object({ jobId: z.string(), connector: z.string() }).meta({ id: 'ConnectorRunAccepted' });

/** The job input of `connector.run`. */
export const ConnectorJobInput = z.object({ connector: ConnectorName, maxPages: z.number().int().min(1).optional(), restart: z.boolean().optional() });
