import { app, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { config } from '../shared/config';
import { pageOf, pageReply } from '../shared/http/pagination';
import { pageQuery } from '../shared/query/cursor';
import { ok } from '../shared/http/reply';
import { resourceId } from '../shared/http/params';
import { route } from '../shared/http/route';
import { jobHandler } from '../shared/jobs/job.handlers';
import { JobKind, JobStatus, JobView } from '../shared/jobs/job.schema';
import { cancelJob, getJobFor, listJobsFor, presentJob, toJobView } from '../shared/jobs/job.service';
import { processDeadLetter, processJobMessage, reapJobs } from '../shared/jobs/job.worker';

const tags = ['jobs'];
const JobParams = z.strictObject({ jobId: resourceId });

route({
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

route({
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

route({
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

function deliveryOf(context: InvocationContext) {
  const metadata = context.triggerMetadata ?? {};
  return {
    messageId: String(metadata.messageId ?? ''),
    deliveryCount: Number(metadata.deliveryCount ?? 1),
    maxDeliveryCount: config().jobs.maxDeliveryCount,
  };
}

/** Service Bus keeps a dead-lettered message's reason among its application properties (`DeadLetterReason`). */
function deadLetterReasonOf(context: InvocationContext): string {
  const properties = context.triggerMetadata?.applicationProperties;
  const reason = typeof properties === 'object' && properties !== null ? (properties as Record<string, unknown>).deadLetterReason : undefined;
  return typeof reason === 'string' ? reason : '';
}

app.serviceBusQueue('jobsWorker', {
  connection: 'SERVICEBUS',
  queueName: '%JOBS_QUEUE%',
  handler: (message, context) => processJobMessage(message, deliveryOf(context), jobHandler, (line) => context.info(line)),
});

app.serviceBusQueue('jobsDeadLetter', {
  connection: 'SERVICEBUS',
  queueName: '%JOBS_QUEUE%/$deadletterqueue',
  handler: (message, context) => processDeadLetter(message, deadLetterReasonOf(context)),
});

app.timer('reapStuckJobs', {
  schedule: '%JOBS_REAPER_SCHEDULE%',
  handler: async (_timer, context) => {
    const reaped = await reapJobs(config().jobs);
    if (reaped.failed + reaped.canceled + reaped.requeued > 0) context.info(`reaped jobs: ${JSON.stringify(reaped)}`);
  },
});
