import { route } from '../shared/http/route';
import { registerJobHandler } from '../shared/jobs/job.handlers';

// Registered from name, method, path and access alone; each definition (schemas, service) loads
// with its first request — a literal `require` in a function, which the bundle runs only when called.
type CampaignRoutes = typeof import('../shared/labels/campaigns.routes');
const definitions = (): CampaignRoutes => require('../shared/labels/campaigns.routes') as CampaignRoutes;
type ExportJob = typeof import('../shared/labels/export.job');
type ImportJob = typeof import('../shared/labels/import.job');

// A job's handler module (and its schemas) loads with the first message of its kind.
registerJobHandler('labels.export', () => (require('../shared/labels/export.job') as ExportJob).exportLabelsJob);
registerJobHandler('labels.import', () => (require('../shared/labels/import.job') as ImportJob).importLabelsJob);

route({ name: 'createCampaign', method: 'POST', path: 'v1/campaigns', access: ['contributor'] }, () => definitions().createCampaignRoute);
route({ name: 'listCampaigns', method: 'GET', path: 'v1/campaigns', access: ['reader'] }, () => definitions().listCampaignsRoute);
route({ name: 'getCampaign', method: 'GET', path: 'v1/campaigns/{campaignId}', access: ['reader', 'labeller'] }, () => definitions().getCampaignRoute);
route({ name: 'patchCampaign', method: 'PATCH', path: 'v1/campaigns/{campaignId}', access: ['contributor'] }, () => definitions().patchCampaignRoute);
route({ name: 'setCampaignStatus', method: 'POST', path: 'v1/campaigns/{campaignId}/status', access: ['contributor'] }, () => definitions().setCampaignStatusRoute);
route({ name: 'addLabeller', method: 'POST', path: 'v1/campaigns/{campaignId}/labellers', access: ['contributor'] }, () => definitions().addLabellerRoute);
route({ name: 'removeLabeller', method: 'DELETE', path: 'v1/campaigns/{campaignId}/labellers/{keyId}', access: ['contributor'] }, () => definitions().removeLabellerRoute);
route({ name: 'createExport', method: 'POST', path: 'v1/campaigns/{campaignId}/exports', access: ['reader'] }, () => definitions().createExportRoute);
route({ name: 'listExports', method: 'GET', path: 'v1/campaigns/{campaignId}/exports', access: ['reader'] }, () => definitions().listExportsRoute);
route({ name: 'importLabels', method: 'POST', path: 'v1/campaigns/{campaignId}/imports', access: ['labeller', 'contributor'] }, () => definitions().importLabelsRoute);
