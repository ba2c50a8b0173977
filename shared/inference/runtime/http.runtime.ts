import type { ModelRuntime } from '../../catalogue/types/model.schema';
import { azureCredential } from '../../azure/credential';
import { config } from '../../config';
import { PermanentJobError } from '../../jobs/job.handler';
import { OutboundError, outboundClient } from '../../outbound/outbound.client';
import { MODEL_SECRET_PREFIX } from '../../catalogue/types/model.schema';

type HttpRuntime = Extract<ModelRuntime, { kind: 'http' }>;

/**
 * Calls a remote scoring endpoint — an Azure ML online endpoint or any URL that takes one JSON input
 * and answers JSON — with a key from an app setting or an Entra ID token from the app's identity.
 *
 * Failures are sorted the way the job worker needs them: the endpoint refusing the input (400, 404,
 * 413, 415, 422) or our credentials (401, 403), a misconfiguration, an address the outbound policy
 * refuses, a redirect, or an answer larger than the cap is permanent and fails the job at once;
 * timeouts, 408, 429, 5xx and network errors are transient and thrown for redelivery. A call
 * aborted through its `signal` (the job's owner canceled it) ends the job `canceled`: never retried.
 */
export const HTTP_MODEL_TIMEOUT_MS = 60_000;
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
const PERMANENT_STATUSES = new Set([400, 404, 405, 409, 410, 413, 415, 422]);


export class TransientModelError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientModelError';
  }
}

async function authorization(runtime: HttpRuntime): Promise<Record<string, string>> {
  const auth = runtime.auth;
  if (auth.kind === 'key') {
    // Checked again here (the catalogue checks on write): an entry stored before the rule still
    // must not send, say, the Cosmos DB connection string to its URL.
    if (!auth.secretSetting.startsWith(MODEL_SECRET_PREFIX) || auth.secretSetting.length === MODEL_SECRET_PREFIX.length) {
      throw new PermanentJobError(`The model's key setting '${auth.secretSetting}' is not named ${MODEL_SECRET_PREFIX}*.`, 'model-misconfigured');
    }
    const key = process.env[auth.secretSetting]?.trim();
    if (!key) throw new PermanentJobError(`The app setting '${auth.secretSetting}' that holds the model's key is not set.`, 'model-misconfigured');
    // Azure ML online endpoints take `Authorization: Bearer <key>`; other services name their own header.
    return auth.header && auth.header.toLowerCase() !== 'authorization' ? { [auth.header]: key } : { Authorization: `Bearer ${key}` };
  }
  if (!config().models.entraScopesAllowed.includes(auth.scope)) {
    throw new PermanentJobError(`The model's Entra ID scope '${auth.scope}' is not in MODEL_ENTRA_SCOPES_ALLOWED.`, 'model-misconfigured');
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

export interface CallOptions {
  timeoutMs?: number;
  /** Aborts the request in flight (the job was canceled). */
  signal?: AbortSignal;
}

/**
 * POSTs `payload` as JSON and returns the parsed JSON answer.
 *
 * @example const output = await callHttpModel(runtime, { sepal_length: 5.1, … }, { signal: context.signal });
 */
export async function callHttpModel(runtime: HttpRuntime, payload: unknown, options: CallOptions = {}): Promise<unknown> {
  const { timeoutMs = HTTP_MODEL_TIMEOUT_MS, signal } = options;
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json', ...(await authorization(runtime)) };
  let response;
  try {
    response = await outboundClient().send({
      method: 'POST',
      url: runtime.url,
      headers,
      body: JSON.stringify(payload),
      timeoutMs,
      maxBytes: MAX_RESPONSE_BYTES,
      signal,
    });
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    if (error.kind === 'aborted') throw new PermanentJobError('Canceled while the model was running.', 'canceled');
    if (error.kind === 'refused') {
      throw new PermanentJobError("The model endpoint's address is not allowed by the outbound policy (it is private, loopback or a metadata address).", 'model-misconfigured');
    }
    // Another try gets the same answer: permanent, not ten redeliveries of the same download.
    if (error.kind === 'too-large') throw new PermanentJobError(`The model's answer is too large: larger than ${MAX_RESPONSE_BYTES} bytes.`, 'model-output');
    throw new TransientModelError(`The model endpoint could not be reached: ${error.message}`, { cause: error });
  }
  const text = response.body.toString('utf8');
  if (response.status >= 300 && response.status < 400) {
    throw new PermanentJobError(`The model endpoint answered a redirect (HTTP ${response.status}), which the platform does not follow.`, 'model-misconfigured');
  }
  if (response.status === 401 || response.status === 403) {
    throw new PermanentJobError(`The model endpoint refused the platform's credentials (HTTP ${response.status}).`, 'model-auth');
  }
  if (PERMANENT_STATUSES.has(response.status)) {
    throw new PermanentJobError(`The model refused the input (HTTP ${response.status}): ${excerpt(text)}`, 'bad-input');
  }
  if (response.status < 200 || response.status >= 300) throw new TransientModelError(`The model endpoint failed (HTTP ${response.status}): ${excerpt(text)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PermanentJobError(`The model answered something that is not JSON: ${excerpt(text)}`, 'model-output');
  }
}
