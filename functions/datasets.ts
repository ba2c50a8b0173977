import { route } from '../shared/http/route';

// Registered from name, method, path and access alone; each definition (schemas, service) loads
// with its first request — a literal `require` in a function, which the bundle runs only when called.
type DatasetRoutes = typeof import('../shared/datasets/datasets.routes');
const definitions = (): DatasetRoutes => require('../shared/datasets/datasets.routes') as DatasetRoutes;

route({ name: 'putRecordSchema', method: 'PUT', path: 'v1/datasets/{id}/schema', access: ['contributor'] }, () => definitions().putRecordSchemaRoute);
route({ name: 'getRecordSchema', method: 'GET', path: 'v1/datasets/{id}/schema', access: 'optional' }, () => definitions().getRecordSchemaRoute);
route({ name: 'ingestRecords', method: 'POST', path: 'v1/datasets/{id}/records', access: ['contributor'] }, () => definitions().ingestRecordsRoute);
route({ name: 'deleteRecords', method: 'DELETE', path: 'v1/datasets/{id}/records', access: ['contributor'] }, () => definitions().deleteRecordsRoute);
route({ name: 'queryRecords', method: 'POST', path: 'v1/datasets/{id}/records/query', access: 'optional' }, () => definitions().queryRecordsRoute);
route({ name: 'recordStats', method: 'POST', path: 'v1/datasets/{id}/records/stats', access: 'optional' }, () => definitions().recordStatsRoute);
route({ name: 'browseRecords', method: 'GET', path: 'v1/datasets/{id}/records', access: 'optional' }, () => definitions().browseRecordsRoute);
route({ name: 'browseRecordsJson', method: 'GET', path: 'v1/datasets/{id}/records.json', access: 'optional' }, () => definitions().browseRecordsJsonRoute);
route({ name: 'browseRecordsCsv', method: 'GET', path: 'v1/datasets/{id}/records.csv', access: 'optional' }, () => definitions().browseRecordsCsvRoute);
