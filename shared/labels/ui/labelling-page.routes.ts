import { z } from 'zod';
import { raw } from '../../http/reply';
import { defineRoute } from '../../http/route';
import { labellingPageFile, labellingPageSecurityHeaders } from './labelling-page.service';

/**
 * The labelling page's routes, registered by `functions/labelling-page.ts` from name, method, path
 * and access alone and loaded here on their first request: a cold start builds none of these schemas.
 */

const tags = ['labels'];

export const labellingPageRoute = defineRoute({
  name: 'labellingPage',
  method: 'GET',
  path: 'label',
  summary: 'The labelling page: draw, review and save a campaign’s labels in the browser',
  tags,
  access: 'public',
  responses: { 200: { description: 'The page.', contentType: 'text/html' } },
  handle: async () => {
    const page = await labellingPageFile('index.html');
    return raw(page.body, page.contentType, { ...labellingPageSecurityHeaders(), 'Cache-Control': 'no-cache' });
  },
});

export const labellingPageAssetRoute = defineRoute({
  name: 'labellingPageAsset',
  method: 'GET',
  path: 'label/{file}',
  summary: 'A file of the labelling page (its script and style sheet)',
  tags,
  access: 'public',
  params: z.strictObject({ file: z.string().max(100) }),
  responses: { 200: { description: 'The file.', contentType: 'text/javascript', alsoAs: ['text/css'] } },
  handle: async ({ params }) => {
    const asset = await labellingPageFile(params.file);
    return raw(asset.body, asset.contentType, { ...labellingPageSecurityHeaders(), 'Cache-Control': 'no-cache' });
  },
});
