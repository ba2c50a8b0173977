import type { ModelRuntime } from '../../catalogue/types/model.schema';
import { azureCredential } from '../../azure/credential';
import { PermanentJobError } from '../../jobs/job.handler';

type HttpRuntime = Extract<ModelRuntime, { kind: 'http' }>;

/**
 * Calls a remote scoring endpoint — an Azure ML online endpoint or any URL that takes one JSON input
 * and answers JSON — with a key from an app setting or an Entra ID token from the app's identity.
 *
 * Failures are sorted the way the job worker needs them: the endpoint refusing the input (400, 404,
 * 413, 415, 422) or our credentials (401, 403), or a misconfiguration, is permanent and fails the job
 * at once; timeouts, 408, 429, 5xx and network errors are transient and thrown for redelivery.
 */
export const HTTP_MODEL_TIMEOUT_MS = 60_000;
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
const PERMANENT_STATUSES = new Set([400, 404, 405, 409, 410, 413, 415, 422]);

/** App settings that hold the platform's own connections: never sent to a model endpoint. */
const PROTECTED_SETTINGS = /^(COSMOS|STORAGE|SERVICEBUS|AzureWebJobsStorage|APPLICATIONINSIGHTS_CONNECTION_STRING)($|__)/i;

export class TransientModelError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientModelError';
  }
}

async function authorization(runtime: HttpRuntime): Promise<Record<string, string>> {
  const auth = runtime.auth;
  if (auth.kind === 'key') {
    if (PROTECTED_SETTINGS.test(auth.secretSetting)) {
      throw new PermanentJobError(`The model's key setting '${auth.secretSetting}' is one of the platform's own connections.`, 'model-misconfigured');
    }
    const key = process.env[auth.secretSetting]?.trim();
    if (!key) throw new PermanentJobError(`The app setting '${auth.secretSetting}' that holds the model's key is not set.`, 'model-misconfigured');
    // Azure ML online endpoints take `Authorization: Bearer <key>`; other services name their own header.
    return auth.header && auth.header.toLowerCase() !== 'authorization' ? { [auth.header]: key } : { Authorization: `Bearer ${key}` };
  }
  try {
    const token = await azureCredential().getToken(auth.scope);
    if (!token) throw new Error('no token');
    return { Authorization: `Bearer ${token.token}` };
  } catch (error) {
    throw new TransientModelError(`No Entra ID token for scope '${auth.scope}'.`, { cause: error });
  }
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

async function readLimited(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_RESPONSE_BYTES) throw new PermanentJobError(`The model answered more than ${MAX_RESPONSE_BYTES} bytes.`, 'model-output');
  const text = await response.text();
  if (Buffer.byteLength(text) > MAX_RESPONSE_BYTES) throw new PermanentJobError(`The model answered more than ${MAX_RESPONSE_BYTES} bytes.`, 'model-output');
  return text;
}

/**
 * POSTs `payload` as JSON and returns the parsed JSON answer.
 *
 * @example const output = await callHttpModel(runtime, { sepal_length: 5.1, … });
 */
export async function callHttpModel(runtime: HttpRuntime, payload: unknown, timeoutMs = HTTP_MODEL_TIMEOUT_MS): Promise<unknown> {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json', ...(await authorization(runtime)) };
  let response: Response;
  try {
    response = await fetch(runtime.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(payload),
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new TransientModelError(`The model endpoint could not be reached: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const text = await readLimited(response);
  if (response.status === 401 || response.status === 403) {
    throw new PermanentJobError(`The model endpoint refused the platform's credentials (HTTP ${response.status}).`, 'model-auth');
  }
  if (PERMANENT_STATUSES.has(response.status)) {
    throw new PermanentJobError(`The model refused the input (HTTP ${response.status}): ${excerpt(text)}`, 'bad-input');
  }
  if (!response.ok) throw new TransientModelError(`The model endpoint failed (HTTP ${response.status}): ${excerpt(text)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PermanentJobError(`The model answered something that is not JSON: ${excerpt(text)}`, 'model-output');
  }
}
