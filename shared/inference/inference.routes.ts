import { z } from 'zod';
import { errors } from '../errors';
import { withIdempotencyKey } from '../http/idempotency-key';
import { pageOf, pageReply } from '../http/pagination';
import { preferredWait } from '../http/prefer';
import { noContent, ok } from '../http/reply';
import { defineRoute } from '../http/route';
import { IDEMPOTENCY_HEADER } from '../idempotency/idempotency.service';
import { JobStatus, JobView } from '../jobs/job.schema';
import { listJobsFor } from '../jobs/job.service';
import { pageQuery } from '../query/cursor';
import { type Deadline, deadlineOf } from './deadline';
import { Grant, GrantBody, GrantParams } from './grant.schema';
import { getGrant, listGrantsOf, myGrant, putGrant, revokeGrant } from './grant.service';
import { submitInference } from './inference.service';
import { FinishedJob, ModelParams, SubmitJobBody, SubmittedJob } from './model.schema';

/**
 * The inference routes' definitions: running a model as a job, and the access grants that allow it.
 * Registered by `functions/inference.ts` from name, method, path and access alone and loaded here on
 * their first request: a cold start builds none of these schemas.
 */

const tags = ['inference'];

const jobPath = (jobId: string) => `/api/v1/jobs/${encodeURIComponent(jobId)}`;

/** `Cancel-After`: the body's `cancelAfter` given as a header instead (never both). */
function cancelAfterHeader(value: string | null, body: SubmitJobBody): Deadline | undefined {
  if (value === null) return undefined;
  if (body.cancelAfter !== undefined) {
    throw errors.invalidField('/body/cancelAfter', 'give the deadline in the body or in the Cancel-After header, not both');
  }
  return { at: deadlineOf(value, '/headers/cancel-after', Date.now(), errors.invalidField), asWritten: value };
}

export const submitInferenceJobRoute = defineRoute({
  name: 'submitInferenceJob',
  method: 'POST',
  path: 'v1/models/{id}/jobs',
  summary: 'Run a model: one input, or every image of an imageset; answers 202 with the job to poll (or the finished job with `Prefer: wait`)',
  description:
    'Needs an access grant on the model (admins excepted); each accepted job counts one call against its daily and monthly ' +
    `limits (429 with Retry-After when one is used up). \`${IDEMPOTENCY_HEADER}\` makes retries safe: the same key and body ` +
    'return the same job, the same key with another body is 422. `Cancel-After` (or `cancelAfter`): a job not started by then ends `canceled`. ' +
    '`Prefer: wait` (or `wait=n`, n seconds, at most 60) is Replicate’s sync mode: a job that ends within the wait is answered finished, ' +
    'with its result (201; 200 for an Idempotency-Key replay), else as usual with 202; `Preference-Applied` says the wait applied.',
  tags,
  access: ['reader'],
  headers: { 'Idempotency-Key': 'optional', Prefer: 'optional', 'Cancel-After': 'optional' },
  params: ModelParams,
  body: SubmitJobBody,
  responses: {
    200: { description: 'With `Prefer: wait`, an Idempotency-Key replay of a job that has ended.', schema: FinishedJob },
    201: { description: 'With `Prefer: wait`, the job ended within the wait. `Location` is its URL.', schema: FinishedJob },
    202: { description: 'The job, queued. `Location` is its URL.', schema: SubmittedJob },
    409: { description: 'The imageset is not ready, or the job of this `Idempotency-Key` is not available yet.' },
    422: { description: 'The model cannot run here or takes another kind of input, or the `Idempotency-Key` was used for a different request.' },
  },
  handle: async ({ params, body, principal, request }) => {
    const waitSeconds = preferredWait(request.headers.get('prefer'));
    const result = await withIdempotencyKey(request.headers, (idempotencyKey) =>
      submitInference({
        principal,
        modelId: params.id,
        body,
        idempotencyKey,
        cancelAfter: cancelAfterHeader(request.headers.get('cancel-after'), body),
        waitSeconds,
      }),
    );
    const location = jobPath(result.view.id);
    const { origin } = new URL(request.url);
    const urls = { get: `${origin}${location}`, cancel: `${origin}${location}/cancel` };
    const headers = {
      Location: location,
      ...(result.replayed ? { 'Idempotent-Replayed': 'true' } : {}),
      ...(waitSeconds === undefined ? {} : { 'Preference-Applied': `wait=${waitSeconds}` }),
    };
    if (result.finished) return { status: result.replayed ? 200 : 201, body: { ...result.finished, urls }, headers };
    return { status: 202, body: { ...result.view, urls }, headers };
  },
});

export const listModelJobsRoute = defineRoute({
  name: 'listModelJobs',
  method: 'GET',
  path: 'v1/models/{id}/jobs',
  summary: 'Your inference jobs on this model, newest first',
  tags,
  access: ['reader'],
  params: ModelParams,
  query: z.strictObject({ ...pageQuery, status: JobStatus.optional() }),
  responses: { 200: { description: 'A page of jobs.', schema: pageOf(JobView, 'ModelJobPage') } },
  handle: async ({ params, query, principal, request }) => {
    const { limit, cursor, status } = query;
    const filters = { kind: 'inference.run' as const, status, label: { name: 'modelId', value: params.id } };
    const page = await listJobsFor(principal, filters, limit, cursor);
    return pageReply(page, request.url);
  },
});

export const getMyModelGrantRoute = defineRoute({
  name: 'getMyModelGrant',
  method: 'GET',
  path: 'v1/models/{id}/grant',
  summary: 'Your access grant on this model and what is left of its daily and monthly limits',
  tags,
  access: ['reader'],
  params: ModelParams,
  responses: { 200: { description: 'Your grant.', schema: Grant } },
  handle: async ({ params, principal }) => ok(await myGrant(principal, params.id), { 'Cache-Control': 'no-store' }),
});

export const listModelGrantsRoute = defineRoute({
  name: 'listModelGrants',
  method: 'GET',
  path: 'v1/models/{id}/grants',
  summary: 'Who may run this model, with their limits and usage',
  tags,
  access: ['admin'],
  params: ModelParams,
  query: z.strictObject(pageQuery),
  responses: { 200: { description: 'A page of grants.', schema: pageOf(Grant, 'ModelGrantPage') } },
  handle: async ({ params, query, request }) => {
    const page = await listGrantsOf(params.id, query.limit, query.cursor);
    return pageReply(page, request.url);
  },
});

export const putModelGrantRoute = defineRoute({
  name: 'putModelGrant',
  method: 'PUT',
  path: 'v1/models/{id}/grants/{principalId}',
  summary: 'Grant a principal access to this model with daily and monthly call limits (or change its grant)',
  tags,
  access: ['admin'],
  params: GrantParams,
  body: GrantBody,
  responses: {
    200: { description: 'The changed grant.', schema: Grant },
    201: { description: 'The new grant.', schema: Grant },
  },
  handle: async ({ params, body, principal }) => {
    const { grant, created } = await putGrant(principal, params.id, params.principalId, body);
    const location = `/api/v1/models/${encodeURIComponent(params.id)}/grants/${encodeURIComponent(params.principalId)}`;
    return created ? { status: 201, body: grant, headers: { Location: location } } : ok(grant);
  },
});

export const getModelGrantRoute = defineRoute({
  name: 'getModelGrant',
  method: 'GET',
  path: 'v1/models/{id}/grants/{principalId}',
  summary: 'One principal’s grant on this model, with its usage',
  tags,
  access: ['admin'],
  params: GrantParams,
  responses: { 200: { description: 'The grant.', schema: Grant } },
  handle: async ({ params }) => ok(await getGrant(params.id, params.principalId), { 'Cache-Control': 'no-store' }),
});

export const deleteModelGrantRoute = defineRoute({
  name: 'deleteModelGrant',
  method: 'DELETE',
  path: 'v1/models/{id}/grants/{principalId}',
  summary: 'Revoke a principal’s access to this model (its queued jobs still run)',
  tags,
  access: ['admin'],
  params: GrantParams,
  responses: { 204: { description: 'Revoked.' } },
  handle: async ({ params }) => {
    await revokeGrant(params.id, params.principalId);
    return noContent();
  },
});
