import { z } from 'zod';
import { raw } from '../shared/http/reply';
import { route } from '../shared/http/route';
import { labellingPageFile, labellingPageSecurityHeaders } from '../shared/labels/ui/labelling-page.service';

// The labelling page is static: anonymous routes serve its files, and the page calls the API with
// the campaign key (or bearer token) its user signs in with, like any other client.
const tags = ['labels'];

route({
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

route({
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
