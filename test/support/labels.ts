import { expect } from 'vitest';
import type { Image } from '../../shared/labels/image.schema';
import { call } from './api';
import { waitForJob } from './jobs';

/** An imageset owned by `key` with these files uploaded through its SAS token and finalized. */
export async function readyImageset(key: string, files: { name: string; bytes: Buffer }[]): Promise<{ imagesetId: string; images: Image[] }> {
  const imageset = await call<{ id: string }>('POST', '/v1/imagesets', { key, body: { title: `set ${Math.random()}`, metadata: {} } });
  expect(imageset.status, imageset.text).toBe(201);
  const imagesetId = imageset.body.id;
  const token = await call<{ url: string }>('POST', `/v1/imagesets/${imagesetId}/upload-token`, { key });
  for (const file of files) {
    const url = new URL(token.body.url);
    url.pathname += `/${file.name}`;
    expect((await fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: file.bytes })).status).toBe(201);
  }
  const finalize = await call<{ jobId: string }>('POST', `/v1/imagesets/${imagesetId}/finalize`, { key });
  expect(finalize.status, finalize.text).toBe(202);
  await waitForJob(finalize.body.jobId, key);
  const images = (await call<{ items: Image[] }>('GET', `/v1/imagesets/${imagesetId}/images?limit=100`, { key })).body.items;
  return { imagesetId, images };
}

/** An active campaign over these imagesets. */
export async function activeCampaign(key: string, imagesetIds: string[], labels: string[], labelTranslations: Record<string, string> = {}): Promise<string> {
  const created = await call<{ id: string }>('POST', '/v1/campaigns', {
    key,
    body: { title: `campaign ${Math.random()}`, imagesetIds, labels, labelTranslations },
  });
  expect(created.status, created.text).toBe(201);
  expect((await call('POST', `/v1/campaigns/${created.body.id}/status`, { key, body: { status: 'active' } })).status).toBe(200);
  return created.body.id;
}
