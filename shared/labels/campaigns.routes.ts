import { z } from 'zod';
import { ifMatch, quoteEtag } from '../http/etag';
import { pageOf, pageReply } from '../http/pagination';
import { accepted, created, ok } from '../http/reply';
import { defineRoute } from '../http/route';
import {
  AddedLabeller,
  AddLabellerBody,
  Campaign,
  CampaignParams,
  CampaignStatusBody,
  CreateCampaignBody,
  Export,
  ExportAccepted,
  ExportBody,
  LabellerParams,
  ListCampaignsQuery,
  PatchCampaignBody,
} from './campaign.schema';
import {
  addLabeller,
  createCampaign,
  getCampaign,
  listCampaigns,
  patchCampaignFields,
  removeLabeller,
  transitionCampaign,
} from './campaign.service';
import { exportOnFinish, listExports, requestExport } from './export.service';
import { ImportAccepted, ImportQuery, ImportReport } from './import.schema';
import { requestImport } from './import.service';

/**
 * The campaign routes' definitions, registered by `functions/campaigns.ts` from name, method, path
 * and access alone and loaded here on their first request: a cold start builds none of these schemas.
 */

const tags = ['campaigns'];

export const createCampaignRoute = defineRoute({
  name: 'createCampaign',
  method: 'POST',
  path: 'v1/campaigns',
  summary: 'Create a labelling campaign over one or more imagesets, with its label vocabulary and translations',
  tags,
  access: ['contributor'],
  body: CreateCampaignBody,
  responses: { 201: { description: 'The campaign.', schema: Campaign } },
  handle: async ({ body, principal }) => {
    const { campaign, etag } = await createCampaign(principal, body);
    return created(campaign, `/api/v1/campaigns/${campaign.id}`, quoteEtag(etag));
  },
});

export const listCampaignsRoute = defineRoute({
  name: 'listCampaigns',
  method: 'GET',
  path: 'v1/campaigns',
  summary: 'List campaigns, newest first',
  tags,
  access: ['reader'],
  query: ListCampaignsQuery,
  responses: { 200: { description: 'A page of campaigns.', schema: pageOf(Campaign, 'CampaignPage') } },
  handle: async ({ query, principal, request }) => {
    const page = await listCampaigns(principal, query);
    return pageReply(page, request.url);
  },
});

export const getCampaignRoute = defineRoute({
  name: 'getCampaign',
  method: 'GET',
  path: 'v1/campaigns/{campaignId}',
  summary: 'Get a campaign with its progress (labelled / total images)',
  tags,
  access: ['reader', 'labeller'],
  params: CampaignParams,
  responses: { 200: { description: 'The campaign.', schema: Campaign } },
  handle: async ({ params, principal }) => {
    const { campaign, etag } = await getCampaign(principal, params.campaignId);
    return ok(campaign, { ETag: quoteEtag(etag), 'Cache-Control': 'no-cache' });
  },
});

export const patchCampaignRoute = defineRoute({
  name: 'patchCampaign',
  method: 'PATCH',
  path: 'v1/campaigns/{campaignId}',
  summary: 'Change a campaign’s title, description, translations (and, while created, imagesets and labels)',
  tags,
  access: ['contributor'],
  headers: { 'If-Match': 'optional' },
  params: CampaignParams,
  body: PatchCampaignBody,
  responses: {
    200: { description: 'The campaign.', schema: Campaign },
    409: { description: 'The campaign is finished, or no longer `created` for a change of imagesets or labels.' },
    412: { description: '`If-Match` does not match the current ETag, or the campaign changed meanwhile.' },
  },
  handle: async ({ params, body, principal, request }) => {
    const { campaign, etag } = await patchCampaignFields(principal, params.campaignId, body, ifMatch(request.headers));
    return ok(campaign, { ETag: quoteEtag(etag) });
  },
});

export const setCampaignStatusRoute = defineRoute({
  name: 'setCampaignStatus',
  method: 'POST',
  path: 'v1/campaigns/{campaignId}/status',
  summary: 'Move a campaign: created → active → completed ↔ active → finished (409 names both states)',
  description: 'Finishing a campaign starts a `labels.export` job writing every export format.',
  tags,
  access: ['contributor'],
  headers: { 'If-Match': 'optional' },
  params: CampaignParams,
  body: CampaignStatusBody,
  responses: {
    200: { description: 'The campaign.', schema: Campaign },
    409: { description: 'Not a valid transition.' },
    412: { description: '`If-Match` does not match the current ETag, or the campaign changed meanwhile.' },
  },
  handle: async ({ params, body, principal, request }) => {
    const { campaign, etag } = await transitionCampaign(principal, params.campaignId, body.status, ifMatch(request.headers), exportOnFinish);
    return ok(campaign, { ETag: quoteEtag(etag) });
  },
});

export const addLabellerRoute = defineRoute({
  name: 'addLabeller',
  method: 'POST',
  path: 'v1/campaigns/{campaignId}/labellers',
  summary: 'Add a labeller: issues an API key with the labeller role, scoped to this campaign (shown once)',
  tags,
  access: ['contributor'],
  params: CampaignParams,
  body: AddLabellerBody,
  responses: { 201: { description: 'The labeller and their key.', schema: AddedLabeller }, 409: { description: 'The campaign is finished or has its most labellers.' } },
  handle: async ({ params, body, principal }) => {
    const result = await addLabeller(principal, params.campaignId, body);
    return created(result, `/api/v1/campaigns/${params.campaignId}/labellers/${result.labeller.keyId}`);
  },
});

export const removeLabellerRoute = defineRoute({
  name: 'removeLabeller',
  method: 'DELETE',
  path: 'v1/campaigns/{campaignId}/labellers/{keyId}',
  summary: 'Remove a labeller: their key is revoked at once',
  tags,
  access: ['contributor'],
  params: LabellerParams,
  responses: { 200: { description: 'The campaign.', schema: Campaign }, 409: { description: 'The campaign kept changing; the key is revoked, retry to record the removal.' } },
  handle: async ({ params, principal }) => ok(await removeLabeller(principal, params.campaignId, params.keyId)),
});

export const createExportRoute = defineRoute({
  name: 'createExport',
  method: 'POST',
  path: 'v1/campaigns/{campaignId}/exports',
  summary: 'Export the campaign’s labels (COCO, YOLO, Pascal VOC, Azure ML JSONL) to blob storage',
  description: 'Small campaigns are exported in the request (201 with a read link); large ones run as a `labels.export` job (202).',
  tags,
  access: ['reader'],
  params: CampaignParams,
  body: ExportBody,
  responses: {
    201: { description: 'The export, with a read SAS link.', schema: Export },
    202: { description: 'The export job; poll `Location`.', schema: ExportAccepted },
  },
  handle: async ({ params, body, principal }) => {
    const result = await requestExport(principal, params.campaignId, body);
    if (result.kind === 'job') return accepted({ jobId: result.jobId }, `/api/v1/jobs/${result.jobId}`);
    return created(result.export, `/api/v1/campaigns/${params.campaignId}/exports`);
  },
});

export const listExportsRoute = defineRoute({
  name: 'listExports',
  method: 'GET',
  path: 'v1/campaigns/{campaignId}/exports',
  summary: 'The campaign’s exports, newest first, with fresh read links',
  tags,
  access: ['reader'],
  params: CampaignParams,
  responses: { 200: { description: 'The exports.', schema: z.object({ items: z.array(Export) }) } },
  handle: async ({ params, principal }) => ok({ items: await listExports(principal, params.campaignId) }, { 'Cache-Control': 'no-store' }),
});

export const importLabelsRoute = defineRoute({
  name: 'importLabels',
  method: 'POST',
  path: 'v1/campaigns/{campaignId}/imports',
  summary: 'Import labels from COCO JSON, or a zip/tar of YOLO or Pascal VOC files, matched to the campaign’s images by file name',
  description:
    'Each matched image’s labels are replaced, all-or-nothing per image; categories map through the vocabulary and ' +
    'translations (unknown ones are refused by name unless `addCategories=true`). Files up to 2 MiB are imported in the ' +
    'request (200 with the report); larger ones, or `mode=job`, run as a `labels.import` job (202).',
  tags,
  access: ['labeller', 'contributor'],
  params: CampaignParams,
  query: ImportQuery,
  rawBody: true,
  consumes: ['application/json', 'application/zip', 'application/x-tar', 'application/gzip', 'application/octet-stream'],
  bodyLimitBytes: 64 * 1024 * 1024,
  responses: {
    200: { description: 'What was imported, and what matched nothing or was rejected.', schema: ImportReport },
    202: { description: 'The import job; poll `Location` (its result is the report).', schema: ImportAccepted },
    409: { description: 'The campaign is not active, or it kept changing while categories were being added.' },
  },
  handle: async ({ params, query, rawBody, principal }) => {
    const result = await requestImport(principal, params.campaignId, query, rawBody);
    return result.kind === 'job' ? accepted({ jobId: result.jobId }, `/api/v1/jobs/${result.jobId}`) : ok(result.report);
  },
});
