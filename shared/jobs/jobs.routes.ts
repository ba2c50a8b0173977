import { z } from 'zod';
import { pageOf, pageReply } from '../http/pagination';
import { resourceId } from '../http/params';
import { ok } from '../http/reply';
import { defineRoute } from '../http/route';
import { pageQuery } from '../query/cursor';
import { JobKind, JobStatus, JobView } from './job.schema';
import { cancelJob, getJobFor, listJobsFor, presentJob, toJobView } from './job.service';

/**
 * The job routes' definitions, registered by `functions/jobs.ts` from name, method, path and access
 * alone and loaded here on their first request: a cold start builds none of these schemas.
 */

const tags = ['jobs'];
const JobParams = z.strictObject({ jobId: resourceId });

export const getJobRoute = defineRoute({
  name: 'getJob',
  method: 'GET',
  path: 'v1/jobs/{jobId}',
  summary: 'A job: status, progress, timestamps, attempts, and its result or a link to it',
  tags,
  access: ['reader', 'labeller'],
  params: JobParams,
  responses: { 200: { description: 'The job.', schema: JobView } },
  handle: async ({ params, principal }) => {
    const { doc: record } = await getJobFor(principal, params.jobId);
    // Pollers re-ask often: no caching while it runs, and a hint of when to ask again.
    const running = record.status === 'queued' || record.status === 'running';
    return ok(await presentJob(record), running ? { 'Cache-Control': 'no-store', 'Retry-After': '1' } : { 'Cache-Control': 'private, max-age=60' });
  },
});

export const listJobsRoute = defineRoute({
  name: 'listJobs',
  method: 'GET',
  path: 'v1/jobs',
  summary: 'Your jobs, newest first (admins: `all=true` for everyone’s)',
  description: 'The jobs you submitted. Webhook deliveries, which the platform runs after a job ends, are listed only with `kind=webhook.deliver`.',
  tags,
  access: ['reader', 'labeller'],
  query: z.strictObject({
    ...pageQuery,
    status: JobStatus.optional(),
    kind: JobKind.optional(),
    all: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  }),
  responses: { 200: { description: 'A page of jobs.', schema: pageOf(JobView, 'JobPage') } },
  handle: async ({ query, principal, request }) => {
    const { limit, cursor, ...filters } = query;
    const page = await listJobsFor(principal, filters, limit, cursor);
    return pageReply(page, request.url);
  },
});

export const cancelJobRoute = defineRoute({
  name: 'cancelJob',
  method: 'POST',
  path: 'v1/jobs/{jobId}/cancel',
  summary: 'Cancel a job: a queued job never runs; a running one is asked to stop',
  tags,
  access: ['reader', 'labeller'],
  params: JobParams,
  responses: { 200: { description: 'The job after the request.', schema: JobView }, 409: { description: 'The job has already ended.' } },
  handle: async ({ params, principal }) => ok(toJobView(await cancelJob(principal, params.jobId))),
});
