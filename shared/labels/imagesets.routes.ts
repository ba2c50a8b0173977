import { z } from 'zod';
import { ifMatch, quoteEtag } from '../http/etag';
import { pageOf, pageReply } from '../http/pagination';
import { accepted, created, ok, seeOther } from '../http/reply';
import { defineRoute } from '../http/route';
import { Image, ImageListQuery, ImageParams } from './image.schema';
import { getImage, imageContentUrl, listImages } from './image.service';
import {
  CreatedImageset,
  CreateImagesetBody,
  FinalizeAccepted,
  Imageset,
  ImagesetParams,
  ListImagesetsQuery,
  PatchImagesetBody,
  UploadToken,
} from './imageset.schema';
import {
  createImageset,
  finalizeImageset,
  getImageset,
  listImagesets,
  newUploadToken,
  patchImagesetFields,
} from './imageset.service';
import { Label, PredictionParams, PutPredictionsBody } from './label.schema';
import { putImagePredictions } from './label.service';

/**
 * The imageset routes' definitions, registered by `functions/imagesets.ts` from name, method, path
 * and access alone and loaded here on their first request: a cold start builds none of these schemas.
 */

const tags = ['imagesets'];

export const createImagesetRoute = defineRoute({
  name: 'createImageset',
  method: 'POST',
  path: 'v1/imagesets',
  summary: 'Create an imageset and get an upload token (create/write-only SAS for its container)',
  tags,
  access: ['contributor'],
  body: CreateImagesetBody,
  responses: { 201: { description: 'The imageset with its upload token.', schema: CreatedImageset }, 409: { description: 'The title is taken.' } },
  handle: async ({ body, principal }) => {
    const { imageset, uploadToken, etag } = await createImageset(principal, body);
    return created({ ...imageset, uploadToken }, `/api/v1/imagesets/${imageset.id}`, quoteEtag(etag));
  },
});

export const listImagesetsRoute = defineRoute({
  name: 'listImagesets',
  method: 'GET',
  path: 'v1/imagesets',
  summary: 'List imagesets, newest first',
  tags,
  access: ['reader'],
  query: ListImagesetsQuery,
  responses: { 200: { description: 'A page of imagesets.', schema: pageOf(Imageset, 'ImagesetPage') } },
  handle: async ({ query, principal, request }) => {
    const page = await listImagesets(principal, query);
    return pageReply(page, request.url);
  },
});

export const getImagesetRoute = defineRoute({
  name: 'getImageset',
  method: 'GET',
  path: 'v1/imagesets/{imagesetId}',
  summary: 'Get an imageset',
  tags,
  access: ['reader'],
  params: ImagesetParams,
  responses: { 200: { description: 'The imageset.', schema: Imageset } },
  handle: async ({ params, principal }) => {
    const { imageset, etag } = await getImageset(principal, params.imagesetId);
    return ok(imageset, { ETag: quoteEtag(etag) });
  },
});

export const patchImagesetRoute = defineRoute({
  name: 'patchImageset',
  method: 'PATCH',
  path: 'v1/imagesets/{imagesetId}',
  summary: 'Change an imageset’s title or metadata (owner or admin; honours If-Match)',
  tags,
  access: ['contributor'],
  headers: { 'If-Match': 'optional' },
  params: ImagesetParams,
  body: PatchImagesetBody,
  responses: {
    200: { description: 'The imageset.', schema: Imageset },
    409: { description: 'The title is taken.' },
    412: { description: '`If-Match` does not match the current ETag, or the imageset changed meanwhile.' },
  },
  handle: async ({ params, body, principal, request }) => {
    const { imageset, etag } = await patchImagesetFields(principal, params.imagesetId, body, ifMatch(request.headers));
    return ok(imageset, { ETag: quoteEtag(etag) });
  },
});

export const createUploadTokenRoute = defineRoute({
  name: 'createUploadToken',
  method: 'POST',
  path: 'v1/imagesets/{imagesetId}/upload-token',
  summary: 'A fresh upload token (only while the imageset is open)',
  tags,
  access: ['contributor'],
  params: ImagesetParams,
  responses: { 200: { description: 'The token.', schema: UploadToken }, 409: { description: 'The imageset is no longer open.' } },
  handle: async ({ params, principal }) => ok(await newUploadToken(principal, params.imagesetId), { 'Cache-Control': 'no-store' }),
});

export const finalizeImagesetRoute = defineRoute({
  name: 'finalizeImageset',
  method: 'POST',
  path: 'v1/imagesets/{imagesetId}/finalize',
  summary: 'Register the uploaded blobs as images (a job): open → finalizing → ready',
  tags,
  access: ['contributor'],
  params: ImagesetParams,
  responses: {
    202: { description: 'The finalize job; poll `Location`.', schema: FinalizeAccepted },
    409: { description: 'The imageset is already ready.' },
  },
  handle: async ({ params, principal }) => {
    const result = await finalizeImageset(principal, params.imagesetId);
    return accepted(result, `/api/v1/jobs/${result.jobId}`);
  },
});

export const listImagesRoute = defineRoute({
  name: 'listImages',
  method: 'GET',
  path: 'v1/imagesets/{imagesetId}/images',
  summary: 'List an imageset’s images (each with a short-lived read URL)',
  tags,
  access: ['reader'],
  params: ImagesetParams,
  query: ImageListQuery,
  responses: { 200: { description: 'A page of images.', schema: pageOf(Image, 'ImagePage') } },
  handle: async ({ params, query, principal, request }) => {
    const page = await listImages(principal, params.imagesetId, query.limit, query.cursor);
    return pageReply(page, request.url);
  },
});

export const getImageRoute = defineRoute({
  name: 'getImage',
  method: 'GET',
  path: 'v1/imagesets/{imagesetId}/images/{imageId}',
  summary: 'Get an image (with a short-lived read URL)',
  tags,
  access: ['reader'],
  params: ImageParams,
  responses: { 200: { description: 'The image.', schema: Image } },
  handle: async ({ params, principal }) => ok(await getImage(principal, params.imagesetId, params.imageId), { 'Cache-Control': 'no-store' }),
});

export const getImageContentRoute = defineRoute({
  name: 'getImageContent',
  method: 'GET',
  path: 'v1/imagesets/{imagesetId}/images/{imageId}/content',
  summary: 'Redirect (303) to the image’s bytes through a short-lived read-only SAS URL',
  tags,
  access: ['reader'],
  params: ImageParams,
  responses: { 303: { description: 'See `Location`.' } },
  handle: async ({ params, principal }) => {
    const reply = seeOther(await imageContentUrl(principal, params.imagesetId, params.imageId));
    return { ...reply, headers: { ...reply.headers, 'Cache-Control': 'no-store' } };
  },
});

export const putImagePredictionsRoute = defineRoute({
  name: 'putImagePredictions',
  method: 'PUT',
  path: 'v1/imagesets/{imagesetId}/images/{imageId}/predictions',
  summary: 'Store a model’s predictions for an image (pre-annotations; replaces that model version’s earlier output)',
  tags,
  access: ['contributor'],
  params: PredictionParams,
  body: PutPredictionsBody,
  responses: { 200: { description: 'The stored predictions.', schema: z.object({ id: z.string(), predictions: z.array(Label) }) } },
  handle: async ({ params, body, principal }) =>
    ok(await putImagePredictions(principal, params.imagesetId, params.imageId, body.predictions, body.model)),
});
