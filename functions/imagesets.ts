import { route } from '../shared/http/route';
import { registerJobHandler } from '../shared/jobs/job.handlers';

// Registered from name, method, path and access alone; each definition (schemas, service) loads
// with its first request — a literal `require` in a function, which the bundle runs only when called.
type ImagesetRoutes = typeof import('../shared/labels/imagesets.routes');
const definitions = (): ImagesetRoutes => require('../shared/labels/imagesets.routes') as ImagesetRoutes;
type FinalizeJob = typeof import('../shared/labels/finalize.job');

// The job's handler module (and its schemas) loads with the first message of its kind.
registerJobHandler('imageset.finalize', () => (require('../shared/labels/finalize.job') as FinalizeJob).finalizeImagesetJob);

route({ name: 'createImageset', method: 'POST', path: 'v1/imagesets', access: ['contributor'] }, () => definitions().createImagesetRoute);
route({ name: 'listImagesets', method: 'GET', path: 'v1/imagesets', access: ['reader'] }, () => definitions().listImagesetsRoute);
route({ name: 'getImageset', method: 'GET', path: 'v1/imagesets/{imagesetId}', access: ['reader'] }, () => definitions().getImagesetRoute);
route({ name: 'patchImageset', method: 'PATCH', path: 'v1/imagesets/{imagesetId}', access: ['contributor'] }, () => definitions().patchImagesetRoute);
route({ name: 'createUploadToken', method: 'POST', path: 'v1/imagesets/{imagesetId}/upload-token', access: ['contributor'] }, () => definitions().createUploadTokenRoute);
route({ name: 'finalizeImageset', method: 'POST', path: 'v1/imagesets/{imagesetId}/finalize', access: ['contributor'] }, () => definitions().finalizeImagesetRoute);
route({ name: 'listImages', method: 'GET', path: 'v1/imagesets/{imagesetId}/images', access: ['reader'] }, () => definitions().listImagesRoute);
route({ name: 'getImage', method: 'GET', path: 'v1/imagesets/{imagesetId}/images/{imageId}', access: ['reader'] }, () => definitions().getImageRoute);
route({ name: 'getImageContent', method: 'GET', path: 'v1/imagesets/{imagesetId}/images/{imageId}/content', access: ['reader'] }, () => definitions().getImageContentRoute);
route({ name: 'putImagePredictions', method: 'PUT', path: 'v1/imagesets/{imagesetId}/images/{imageId}/predictions', access: ['contributor'] }, () => definitions().putImagePredictionsRoute);
