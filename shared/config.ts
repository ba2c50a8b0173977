import { z } from 'zod';

/**
 * The app settings Azure must provide (the Bicep template sets each; `test/unit/infra.test.ts`
 * checks that it does). Locally the embedded stack sets connection strings instead.
 */
export const REQUIRED_AZURE_SETTINGS = [
  'AZURE_CLIENT_ID',
  'AZURE_TOKEN_CREDENTIALS',
  'COSMOS__accountEndpoint',
  'COSMOS_DATABASE',
  'STORAGE__blobServiceUri',
  'SERVICEBUS__fullyQualifiedNamespace',
  'SERVICEBUS__credential',
  'SERVICEBUS__clientId',
  'JOBS_QUEUE',
  'JOBS_MAX_DELIVERY_COUNT',
  'JOBS_REAPER_SCHEDULE',
  'CATALOGUE_PURGE_SCHEDULE',
  'CONNECTOR_OPENML_DATASETS_SCHEDULE',
  'CONNECTOR_OPENML_FLOWS_SCHEDULE',
  'CONNECTOR_HUGGINGFACE_DATASETS_SCHEDULE',
  'CONNECTOR_HUGGINGFACE_MODELS_SCHEDULE',
  'CONNECTOR_ZENODO_RECORDS_SCHEDULE',
  'AUTH_OIDC_ISSUER',
  'AUTH_OIDC_AUDIENCE',
  'CORS_ALLOWED_ORIGINS',
  'SAS_SIGNER',
] as const;

/** `7d`, `15m`, `3600s`, `2h` or plain seconds → seconds. */
const duration = z.string().trim().transform((text, ctx) => {
  const match = /^(\d+)\s*([smhd]?)$/i.exec(text);
  if (!match) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 900, 15m, 2h or 7d, got '${text}'` });
    return z.NEVER;
  }
  const unit = (match[2] ?? '').toLowerCase();
  const factor = unit === 'd' ? 86_400 : unit === 'h' ? 3_600 : unit === 'm' ? 60 : 1;
  return Number(match[1]) * factor;
});

const optionalText = z.string().trim().min(1).optional();
const optionalUrl = z.url().optional();
const commaList = z
  .string()
  .default('')
  .transform((text) => text.split(',').map((part) => part.trim()).filter(Boolean));
const booleanText = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Every setting the app reads, with its default. README's configuration table mirrors this. */
export const settingsSchema = z.object({
  COSMOS: optionalText,
  COSMOS__accountEndpoint: optionalUrl,
  COSMOS_DATABASE: z.string().trim().min(1).default('mlassets'),
  COSMOS_ALLOW_SELF_SIGNED: booleanText.default(false),
  STORAGE: optionalText,
  STORAGE__blobServiceUri: optionalUrl,
  SERVICEBUS: optionalText,
  SERVICEBUS__fullyQualifiedNamespace: optionalText,
  JOBS_QUEUE: z.string().trim().min(1).default('jobs'),
  JOBS_MAX_DELIVERY_COUNT: z.coerce.number().int().min(1).max(100).default(10),
  JOBS_STUCK_AFTER: duration.default(1_800),
  // A queued job whose message was never sent (the request failed between the two writes) is re-sent
  // by the reaper after this; sooner would mostly re-send messages that are merely waiting in the queue.
  JOBS_REQUEUE_AFTER: duration.default(300),
  JOBS_REAPER_SCHEDULE: z.string().trim().min(1).default('0 */5 * * * *'),
  AZURE_CLIENT_ID: optionalText,
  AUTH_OIDC_ISSUER: optionalUrl,
  AUTH_OIDC_AUDIENCE: optionalText,
  AUTH_OIDC_JWKS_URI: optionalUrl,
  AUTH_ROLES_CLAIM: z.string().trim().min(1).default('roles'),
  AUTH_CLOCK_SKEW: duration.default(60),
  CORS_ALLOWED_ORIGINS: commaList,
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
  // Recursive code after JSON.parse (zod, the filter compiler, canonical JSON) overflows the stack
  // somewhere past a few thousand levels; no request of this API needs more than ~35.
  HTTP_MAX_JSON_DEPTH: z.coerce.number().int().min(8).max(512).default(64),
  SAS_SIGNER: z.enum(['accountKey', 'userDelegation']).optional(),
  // An hour, renewable while the imageset is open (POST …/upload-token): a leaked token is worth
  // little for long, and after finalize it reaches nothing that is served (finalize.job.ts).
  IMAGESET_UPLOAD_TOKEN_TTL: duration.default(3_600),
  IMAGE_READ_TOKEN_TTL: duration.default(900),
  CATALOGUE_PURGE_SCHEDULE: z.string().trim().min(1).default('0 0 3 * * *'),
  CATALOGUE_DELETED_RETENTION: duration.default(30 * 86_400),
  // Platform connectors (shared/catalogue/connectors): base URLs, timer schedules, politeness and budgets.
  CONNECTOR_OPENML_URL: z.url().default('https://www.openml.org/api/v1/json'),
  CONNECTOR_HUGGINGFACE_URL: z.url().default('https://huggingface.co/api'),
  CONNECTOR_ZENODO_URL: z.url().default('https://zenodo.org/api'),
  CONNECTOR_OPENML_DATASETS_SCHEDULE: z.string().trim().min(1).default('0 5 */6 * * *'),
  CONNECTOR_OPENML_FLOWS_SCHEDULE: z.string().trim().min(1).default('0 15 */6 * * *'),
  CONNECTOR_HUGGINGFACE_DATASETS_SCHEDULE: z.string().trim().min(1).default('0 25 * * * *'),
  CONNECTOR_HUGGINGFACE_MODELS_SCHEDULE: z.string().trim().min(1).default('0 35,50 * * * *'),
  CONNECTOR_ZENODO_RECORDS_SCHEDULE: z.string().trim().min(1).default('0 45 */6 * * *'),
  CONNECTOR_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
  CONNECTOR_PAGE_BUDGET: z.coerce.number().int().min(1).max(10_000).default(50),
  CONNECTOR_RUN_BUDGET: duration.default(240),
  INGEST_THROTTLE_BUDGET: duration.default(60),
  // Bytes of rows per logical partition of a hosted dataset (shared/datasets/records.layout.ts):
  // a quarter of Cosmos DB's 20 GB, leaving room for the index and system properties.
  RECORDS_BUCKET_BYTES: z.coerce.number().int().min(1_000).default(5 * 1024 ** 3),
  CONNECTOR_REQUEST_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  CONNECTOR_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(5),
  // Outbound calls (shared/outbound): true lets webhooks, models and connectors reach loopback and
  // private networks — development only (the local stack sets it unless the environment does).
  OUTBOUND_ALLOW_PRIVATE_NETWORKS: booleanText.default(false),
  // Entra ID token scopes an `http` model may ask for (empty: no model may use `auth.kind: entra`).
  MODEL_ENTRA_SCOPES_ALLOWED: commaList,
});

export type Settings = z.infer<typeof settingsSchema>;

/** How the app reaches one Azure service: a connection string (emulators) or an endpoint + identity. */
export type Connection =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; endpoint: string };

export interface Config {
  settings: Settings;
  cosmos: Connection & { database: string; allowSelfSigned: boolean };
  storage: Connection & { sasSigner: 'accountKey' | 'userDelegation' };
  /** `UseDevelopmentHost=true` hands messages to the local development host instead of Service Bus. */
  serviceBus: (Connection | { kind: 'developmentHost' }) & { queue: string };
  auth: {
    oidc: { issuer: string; audience: string; jwksUri: string | undefined } | undefined;
    rolesClaim: string;
    clockSkewSeconds: number;
  };
  cors: { allowedOrigins: string[] };
  http: { maxBodyBytes: number; maxJsonDepth: number };
  sas: { uploadTokenTtlSeconds: number; readTokenTtlSeconds: number };
  jobs: { maxDeliveryCount: number; stuckAfterSeconds: number; requeueAfterSeconds: number };
  catalogue: { deletedRetentionSeconds: number };
  ingest: { throttleBudgetSeconds: number; bucketBytes: number };
  outbound: { allowPrivateNetworks: boolean };
  models: { entraScopesAllowed: string[] };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function connectionFrom(
  name: string,
  connectionString: string | undefined,
  endpointSetting: string,
  endpoint: string | undefined,
  problems: string[],
): Connection {
  if (connectionString) return { kind: 'connectionString', connectionString };
  if (endpoint) return { kind: 'identity', endpoint };
  problems.push(`${name}: set ${endpointSetting} (Azure, managed identity) or ${name} (a connection string, emulators)`);
  return { kind: 'identity', endpoint: '' };
}

/** Parses an environment into a Config or throws a ConfigError naming every bad setting. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  // An empty setting means "not set" (local.settings.json and portal forms leave blanks).
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = settingsSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const s = parsed.data;
  const problems: string[] = [];
  const cosmos = connectionFrom('COSMOS', s.COSMOS, 'COSMOS__accountEndpoint', s.COSMOS__accountEndpoint, problems);
  const storage = connectionFrom('STORAGE', s.STORAGE, 'STORAGE__blobServiceUri', s.STORAGE__blobServiceUri, problems);
  const serviceBus =
    s.SERVICEBUS === 'UseDevelopmentHost=true'
      ? { kind: 'developmentHost' as const }
      : connectionFrom(
          'SERVICEBUS',
          s.SERVICEBUS,
          'SERVICEBUS__fullyQualifiedNamespace',
          s.SERVICEBUS__fullyQualifiedNamespace,
          problems,
        );
  if (Boolean(s.AUTH_OIDC_ISSUER) !== Boolean(s.AUTH_OIDC_AUDIENCE)) {
    problems.push('AUTH_OIDC_ISSUER and AUTH_OIDC_AUDIENCE: set both (to accept bearer tokens) or neither');
  }
  const sasSigner = s.SAS_SIGNER ?? (storage.kind === 'identity' ? 'userDelegation' : 'accountKey');
  if (sasSigner === 'accountKey' && storage.kind === 'identity') {
    problems.push('SAS_SIGNER: accountKey needs STORAGE as a connection string with an account key');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    settings: s,
    cosmos: { ...cosmos, database: s.COSMOS_DATABASE, allowSelfSigned: s.COSMOS_ALLOW_SELF_SIGNED },
    storage: { ...storage, sasSigner },
    serviceBus: { ...serviceBus, queue: s.JOBS_QUEUE },
    auth: {
      oidc:
        s.AUTH_OIDC_ISSUER && s.AUTH_OIDC_AUDIENCE
          ? { issuer: s.AUTH_OIDC_ISSUER, audience: s.AUTH_OIDC_AUDIENCE, jwksUri: s.AUTH_OIDC_JWKS_URI }
          : undefined,
      rolesClaim: s.AUTH_ROLES_CLAIM,
      clockSkewSeconds: s.AUTH_CLOCK_SKEW,
    },
    cors: { allowedOrigins: s.CORS_ALLOWED_ORIGINS },
    http: { maxBodyBytes: s.MAX_BODY_BYTES, maxJsonDepth: s.HTTP_MAX_JSON_DEPTH },
    sas: { uploadTokenTtlSeconds: s.IMAGESET_UPLOAD_TOKEN_TTL, readTokenTtlSeconds: s.IMAGE_READ_TOKEN_TTL },
    jobs: {
      maxDeliveryCount: s.JOBS_MAX_DELIVERY_COUNT,
      stuckAfterSeconds: s.JOBS_STUCK_AFTER,
      requeueAfterSeconds: s.JOBS_REQUEUE_AFTER,
    },
    catalogue: { deletedRetentionSeconds: s.CATALOGUE_DELETED_RETENTION },
    ingest: { throttleBudgetSeconds: s.INGEST_THROTTLE_BUDGET, bucketBytes: s.RECORDS_BUCKET_BYTES },
    outbound: { allowPrivateNetworks: s.OUTBOUND_ALLOW_PRIVATE_NETWORKS },
    models: { entraScopesAllowed: s.MODEL_ENTRA_SCOPES_ALLOWED },
  };
}

let memo: Config | undefined;

/** The process's config, parsed on first use (never at import time: a throw there unloads every function). */
export function config(): Config {
  memo ??= parseConfig(process.env);
  return memo;
}

/** Forgets the memoised config; the local stack calls it after it has set the environment. */
export function resetConfig(): void {
  memo = undefined;
}
