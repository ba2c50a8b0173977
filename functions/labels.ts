import { route } from '../shared/http/route';

// Registered from name, method, path and access alone; each definition (schemas, service) loads
// with its first request — a literal `require` in a function, which the bundle runs only when called.
type LabelRoutes = typeof import('../shared/labels/labels.routes');
const definitions = (): LabelRoutes => require('../shared/labels/labels.routes') as LabelRoutes;

route({ name: 'listCampaignImages', method: 'GET', path: 'v1/campaigns/{campaignId}/images', access: ['reader', 'labeller'] }, () => definitions().listCampaignImagesRoute);
route({ name: 'getCampaignImageContent', method: 'GET', path: 'v1/campaigns/{campaignId}/images/{imageId}/content', access: ['reader', 'labeller'] }, () => definitions().getCampaignImageContentRoute);
route({ name: 'putImageLabels', method: 'PUT', path: 'v1/campaigns/{campaignId}/images/{imageId}/labels', access: ['labeller', 'contributor'] }, () => definitions().putImageLabelsRoute);
route({ name: 'addImageLabel', method: 'POST', path: 'v1/campaigns/{campaignId}/images/{imageId}/labels', access: ['labeller', 'contributor'] }, () => definitions().addImageLabelRoute);
route({ name: 'getLabelHistory', method: 'GET', path: 'v1/campaigns/{campaignId}/images/{imageId}/history', access: ['reader', 'labeller'] }, () => definitions().getLabelHistoryRoute);
route({ name: 'restoreLabelVersion', method: 'POST', path: 'v1/campaigns/{campaignId}/images/{imageId}/history/{version}/restore', access: ['labeller', 'contributor'] }, () => definitions().restoreLabelVersionRoute);
route({ name: 'bulkPutLabels', method: 'POST', path: 'v1/campaigns/{campaignId}/labels/bulk', access: ['labeller', 'contributor'] }, () => definitions().bulkPutLabelsRoute);
route({ name: 'getCampaignImagePredictions', method: 'GET', path: 'v1/campaigns/{campaignId}/images/{imageId}/predictions', access: ['reader', 'labeller'] }, () => definitions().getCampaignImagePredictionsRoute);
route({ name: 'getReviewQueue', method: 'GET', path: 'v1/campaigns/{campaignId}/review-queue', access: ['reader', 'labeller'] }, () => definitions().getReviewQueueRoute);
route({ name: 'getImageLabels', method: 'GET', path: 'v1/images/{imageId}/labels', access: ['reader', 'labeller'] }, () => definitions().getImageLabelsRoute);
