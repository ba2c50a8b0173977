import { app, type InvocationContext } from '@azure/functions';
import { route } from '../shared/http/route';
import { jobHandler } from '../shared/jobs/job.handlers';

// Registered from name, method, path and access alone; each definition (schemas, service) loads
// with its first request — a literal `require` in a function, which the bundle runs only when called.
type JobRoutes = typeof import('../shared/jobs/jobs.routes');
const definitions = (): JobRoutes => require('../shared/jobs/jobs.routes') as JobRoutes;
// The worker and the settings (parsed with zod) load with the first message or timer tick, likewise.
type Worker = typeof import('../shared/jobs/job.worker');
const worker = (): Worker => require('../shared/jobs/job.worker') as Worker;
type Config = typeof import('../shared/config');
const settings = (): ReturnType<Config['config']> => (require('../shared/config') as Config).config();

route({ name: 'getJob', method: 'GET', path: 'v1/jobs/{jobId}', access: ['reader', 'labeller'] }, () => definitions().getJobRoute);
route({ name: 'listJobs', method: 'GET', path: 'v1/jobs', access: ['reader', 'labeller'] }, () => definitions().listJobsRoute);
route({ name: 'cancelJob', method: 'POST', path: 'v1/jobs/{jobId}/cancel', access: ['reader', 'labeller'] }, () => definitions().cancelJobRoute);

function deliveryOf(context: InvocationContext) {
  const metadata = context.triggerMetadata ?? {};
  return {
    messageId: String(metadata.messageId ?? ''),
    deliveryCount: Number(metadata.deliveryCount ?? 1),
    maxDeliveryCount: settings().jobs.maxDeliveryCount,
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
  handler: (message, context) => worker().processJobMessage(message, deliveryOf(context), jobHandler, (line) => context.info(line)),
});

app.serviceBusQueue('jobsDeadLetter', {
  connection: 'SERVICEBUS',
  queueName: '%JOBS_QUEUE%/$deadletterqueue',
  handler: (message, context) => worker().processDeadLetter(message, deadLetterReasonOf(context)),
});

app.timer('reapStuckJobs', {
  schedule: '%JOBS_REAPER_SCHEDULE%',
  handler: async (_timer, context) => {
    const reaped = await worker().reapJobs(settings().jobs);
    if (reaped.failed + reaped.canceled + reaped.requeued > 0) context.info(`reaped jobs: ${JSON.stringify(reaped)}`);
  },
});
