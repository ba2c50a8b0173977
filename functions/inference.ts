import { route } from '../shared/http/route';
import { registerJobHandler } from '../shared/jobs/job.handlers';

// Registered from name, method, path and access alone; each definition (schemas, service) loads
// with its first request — a literal `require` in a function, which the bundle runs only when called.
type InferenceRoutes = typeof import('../shared/inference/inference.routes');
const definitions = (): InferenceRoutes => require('../shared/inference/inference.routes') as InferenceRoutes;
type InferenceJob = typeof import('../shared/inference/inference.job');
type WebhookJob = typeof import('../shared/inference/webhook.job');

registerJobHandler('inference.run', () => (require('../shared/inference/inference.job') as InferenceJob).runInferenceJob);
registerJobHandler('webhook.deliver', () => (require('../shared/inference/webhook.job') as WebhookJob).deliverWebhookJob);

route({ name: 'submitInferenceJob', method: 'POST', path: 'v1/models/{id}/jobs', access: ['reader'] }, () => definitions().submitInferenceJobRoute);
route({ name: 'listModelJobs', method: 'GET', path: 'v1/models/{id}/jobs', access: ['reader'] }, () => definitions().listModelJobsRoute);
route({ name: 'getMyModelGrant', method: 'GET', path: 'v1/models/{id}/grant', access: ['reader'] }, () => definitions().getMyModelGrantRoute);
route({ name: 'listModelGrants', method: 'GET', path: 'v1/models/{id}/grants', access: ['admin'] }, () => definitions().listModelGrantsRoute);
route({ name: 'putModelGrant', method: 'PUT', path: 'v1/models/{id}/grants/{principalId}', access: ['admin'] }, () => definitions().putModelGrantRoute);
route({ name: 'getModelGrant', method: 'GET', path: 'v1/models/{id}/grants/{principalId}', access: ['admin'] }, () => definitions().getModelGrantRoute);
route({ name: 'deleteModelGrant', method: 'DELETE', path: 'v1/models/{id}/grants/{principalId}', access: ['admin'] }, () => definitions().deleteModelGrantRoute);
