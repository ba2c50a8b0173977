import { z } from 'zod';
import { ifMatch, quoteEtag } from '../http/etag';
import { pageOf, pageReply } from '../http/pagination';
import { created, ok, seeOther } from '../http/reply';
import { defineRoute } from '../http/route';
import {
  BulkLabelsBody,
  BulkLabelsResult,
  CampaignImage,
  CampaignImageParams,
  CampaignImagesQuery,
  ImageLabels,
  ImageLabelsQuery,
  Label,
  LabelInput,
  LabelsByImageParams,
  LabelVersion,
  LabelVersionParams,
  PredictionsQuery,
  PutLabelsBody,
  ReviewQueueItem,
  ReviewQueueQuery,
} from './label.schema';
import { CampaignParams } from './campaign.schema';
import { campaignImageContentUrl, campaignLabelsEtag, getCampaignPredictions, getImageLabels, listCampaignImages, reviewQueue } from './label.read';
import { labelHistory, restoreLabelVersion } from './label.history';
import { addImageLabel, bulkPutLabels, putImageLabels } from './label.service';

/**
 * The label routes' definitions, registered by `functions/labels.ts` from name, method, path and
 * access alone and loaded here on their first request: a cold start builds none of these schemas.
 */

const tags = ['labels'];

export const listCampaignImagesRoute = defineRoute({
  name: 'listCampaignImages',
  method: 'GET',
  path: 'v1/campaigns/{campaignId}/images',
  summary: 'The campaign’s images, with read URLs and whether each is labelled',
  tags,
  access: ['reader', 'labeller'],
  params: CampaignParams,
  query: CampaignImagesQuery,
  responses: { 200: { description: 'A page of images.', schema: pageOf(CampaignImage, 'CampaignImagePage') } },
  handle: async ({ params, query, principal, request }) => {
    const page = await listCampaignImages(principal, params.campaignId, query.limit, query.cursor);
    return pageReply(page, request.url);
  },
});

export const getCampaignImageContentRoute = defineRoute({
  name: 'getCampaignImageContent',
  method: 'GET',
  path: 'v1/campaigns/{campaignId}/images/{imageId}/content',
  summary: 'Redirect (303) to an image of the campaign through a short-lived read-only SAS URL',
  tags,
  access: ['reader', 'labeller'],
  params: CampaignImageParams,
  responses: { 303: { description: 'See `Location`.' } },
  handle: async ({ params, principal }) => {
    const reply = seeOther(await campaignImageContentUrl(principal, params.campaignId, params.imageId));
    return { ...reply, headers: { ...reply.headers, 'Cache-Control': 'no-store' } };
  },
});

export const putImageLabelsRoute = defineRoute({
  name: 'putImageLabels',
  method: 'PUT',
  path: 'v1/campaigns/{campaignId}/images/{imageId}/labels',
  summary: 'Replace an image’s labels in a campaign (only while active; honours If-Match)',
  tags,
  access: ['labeller', 'contributor'],
  headers: { 'If-Match': 'optional' },
  params: CampaignImageParams,
  body: PutLabelsBody,
  responses: {
    200: { description: 'The image’s labels.', schema: ImageLabels },
    409: { description: 'The campaign is not active, or the labels kept changing.' },
    412: { description: '`If-Match` does not match the current ETag.' },
  },
  handle: async ({ params, body, principal, request }) => {
    const { labels, etag } = await putImageLabels(principal, params.campaignId, params.imageId, body.labels, ifMatch(request.headers));
    return ok(labels, { ETag: quoteEtag(etag) });
  },
});

export const addImageLabelRoute = defineRoute({
  name: 'addImageLabel',
  method: 'POST',
  path: 'v1/campaigns/{campaignId}/images/{imageId}/labels',
  summary: 'Add one label to an image in a campaign (only while active)',
  tags,
  access: ['labeller', 'contributor'],
  params: CampaignImageParams,
  body: LabelInput,
  responses: { 201: { description: 'The label.', schema: Label }, 409: { description: 'The campaign is not active, the image has its most labels, or its labels kept changing.' } },
  handle: async ({ params, body, principal }) => {
    const { label, etag } = await addImageLabel(principal, params.campaignId, params.imageId, body);
    return created(label, `/api/v1/images/${params.imageId}/labels?campaign=${params.campaignId}`, quoteEtag(etag));
  },
});

export const getLabelHistoryRoute = defineRoute({
  name: 'getLabelHistory',
  method: 'GET',
  path: 'v1/campaigns/{campaignId}/images/{imageId}/history',
  summary: 'An image’s label versions in a campaign, newest (the current one) first: who wrote each, when, and its labels',
  tags,
  access: ['reader', 'labeller'],
  params: CampaignImageParams,
  responses: { 200: { description: 'The versions.', schema: z.object({ items: z.array(LabelVersion) }) } },
  handle: async ({ params, principal }) =>
    ok({ items: await labelHistory(principal, params.campaignId, params.imageId) }, { 'Cache-Control': 'no-store' }),
});

export const restoreLabelVersionRoute = defineRoute({
  name: 'restoreLabelVersion',
  method: 'POST',
  path: 'v1/campaigns/{campaignId}/images/{imageId}/history/{version}/restore',
  summary: 'Make an earlier version the image’s labels again (a new version; If-Match with the current ETag is required)',
  tags,
  access: ['labeller', 'contributor'],
  headers: { 'If-Match': 'required' },
  params: LabelVersionParams,
  responses: {
    200: { description: 'The image’s labels.', schema: ImageLabels },
    409: { description: 'The campaign is not active, or the version has more labels than an image may hold.' },
    412: { description: 'The labels changed since the ETag sent.' },
    428: { description: 'If-Match is missing.' },
  },
  handle: async ({ params, principal, request }) => {
    const { labels, etag } = await restoreLabelVersion(principal, params.campaignId, params.imageId, params.version, ifMatch(request.headers));
    return ok(labels, { ETag: quoteEtag(etag) });
  },
});

export const bulkPutLabelsRoute = defineRoute({
  name: 'bulkPutLabels',
  method: 'POST',
  path: 'v1/campaigns/{campaignId}/labels/bulk',
  summary: 'Bulk ingest up to 10,000 labels: replaces each named image’s labels, all-or-nothing per image',
  tags,
  access: ['labeller', 'contributor'],
  params: CampaignParams,
  body: BulkLabelsBody,
  bodyLimitBytes: 8 * 1024 * 1024,
  responses: { 200: { description: 'What was written.', schema: BulkLabelsResult }, 409: { description: 'The campaign is not active.' } },
  handle: async ({ params, body, principal }) => ok(await bulkPutLabels(principal, params.campaignId, body.labels)),
});

export const getCampaignImagePredictionsRoute = defineRoute({
  name: 'getCampaignImagePredictions',
  method: 'GET',
  path: 'v1/campaigns/{campaignId}/images/{imageId}/predictions',
  summary: 'Model pre-annotations of an image, least confident first (accept or edit one by writing a label with its predictionId)',
  tags,
  access: ['reader', 'labeller'],
  params: CampaignImageParams,
  query: PredictionsQuery,
  responses: { 200: { description: 'The predictions.', schema: z.object({ items: z.array(Label) }) } },
  handle: async ({ params, query, principal }) =>
    ok({ items: await getCampaignPredictions(principal, params.campaignId, params.imageId, query.order) }),
});

export const getReviewQueueRoute = defineRoute({
  name: 'getReviewQueue',
  method: 'GET',
  path: 'v1/campaigns/{campaignId}/review-queue',
  summary: 'The images to review next: lowest prediction confidence first',
  tags,
  access: ['reader', 'labeller'],
  params: CampaignParams,
  query: ReviewQueueQuery,
  responses: { 200: { description: 'The queue.', schema: z.object({ items: z.array(ReviewQueueItem) }) } },
  handle: async ({ params, query, principal }) =>
    ok({ items: await reviewQueue(principal, params.campaignId, query.limit, query.unlabelled) }, { 'Cache-Control': 'no-store' }),
});

export const getImageLabelsRoute = defineRoute({
  name: 'getImageLabels',
  method: 'GET',
  path: 'v1/images/{imageId}/labels',
  summary: 'An image’s labels: of the named campaign(s), else of the most recently finished campaign that labelled it (with one campaign named, with the ETag a save sends as If-Match)',
  tags,
  access: ['reader', 'labeller'],
  params: LabelsByImageParams,
  query: ImageLabelsQuery,
  responses: { 200: { description: 'The labels.', schema: ImageLabels } },
  handle: async ({ params, query, principal }) => {
    const labels = await getImageLabels(principal, params.imageId, query);
    // Read for one campaign, the labels carry the ETag a save of them sends as If-Match.
    const [campaignId, ...others] = query.campaign;
    const etag = campaignId && others.length === 0 ? await campaignLabelsEtag(params.imageId, campaignId) : undefined;
    return ok(labels, etag ? { ETag: quoteEtag(etag) } : {});
  },
});
