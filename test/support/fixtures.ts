import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { z } from 'zod';
import { irisCsvPath } from '../../local/seed/query.seed';
import type { Image } from '../../shared/labels/image.schema';
import type { CreatedImageset } from '../../shared/labels/imageset.schema';
import { call } from './api';
import { waitForJob } from './jobs';

/**
 * Factories for what e2e tests set up again and again, through the API like any client, each
 * asserting that its own steps succeeded. API keys with roles: `keyWithRoles` (api.ts).
 */

/** A new open imageset owned by `key`, with its upload token. */
export async function newImageset(key: string, body: { title?: string; metadata?: Record<string, unknown> } = {}): Promise<z.infer<typeof CreatedImageset>> {
  const created = await call<z.infer<typeof CreatedImageset>>('POST', '/v1/imagesets', { key, body: { title: `set ${Math.random()}`, metadata: {}, ...body } });
  expect(created.status, created.text).toBe(201);
  return created.body;
}

/**
 * An imageset owned by `key` with these files uploaded through its SAS token and finalized by a job
 * that succeeded.
 *
 * @example const { imagesetId, images } = await readyImageset(alice, [{ name: 'a.png', bytes: pngImage(8, 8) }]);
 */
export async function readyImageset(
  key: string,
  files: { name: string; bytes: Buffer }[],
  body: { title?: string } = {},
): Promise<{ imagesetId: string; images: Image[] }> {
  const imageset = await newImageset(key, body);
  for (const file of files) {
    const url = new URL(imageset.uploadToken.url);
    url.pathname += `/${file.name}`;
    expect((await fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: file.bytes })).status).toBe(201);
  }
  const finalize = await call<{ jobId: string }>('POST', `/v1/imagesets/${imageset.id}/finalize`, { key });
  expect(finalize.status, finalize.text).toBe(202);
  expect((await waitForJob(finalize.body.jobId, key)).status).toBe('succeeded');
  const images = await call<{ items: Image[] }>('GET', `/v1/imagesets/${imageset.id}/images?limit=100`, { key });
  expect(images.status, images.text).toBe(200);
  return { imagesetId: imageset.id, images: images.body.items };
}

/** An active campaign owned by `key` over these imagesets. */
export async function activeCampaign(
  key: string,
  imagesetIds: string[],
  labels: string[],
  labelTranslations: Record<string, string> = {},
  title = `campaign ${Math.random()}`,
): Promise<string> {
  const created = await call<{ id: string }>('POST', '/v1/campaigns', { key, body: { title, imagesetIds, labels, labelTranslations } });
  expect(created.status, created.text).toBe(201);
  const active = await call('POST', `/v1/campaigns/${created.body.id}/status`, { key, body: { status: 'active' } });
  expect(active.status, active.text).toBe(200);
  return created.body.id;
}

/** A labeller added to a campaign by its owner `key`; answers the labeller's API key. */
export async function addLabeller(key: string, campaignId: string, name: string): Promise<string> {
  const added = await call<{ key: string }>('POST', `/v1/campaigns/${campaignId}/labellers`, { key, body: { name } });
  expect(added.status, added.text).toBe(201);
  return added.body.key;
}

export interface IrisRow {
  sepal_length: number;
  sepal_width: number;
  petal_length: number;
  petal_width: number;
  species: string;
}

/** The seeded iris dataset's rows, read from the shipped CSV independently of the API: what answers are checked against. */
export function irisRows(): IrisRow[] {
  return readFileSync(irisCsvPath(), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [sl, sw, pl, pw, species] = line.split(',');
      return { sepal_length: Number(sl), sepal_width: Number(sw), petal_length: Number(pl), petal_width: Number(pw), species: species ?? '' };
    });
}

/** Stores a model's predictions for an image of an imageset owned by `key`. */
export async function storePredictions(key: string, imagesetId: string, imageId: string, body: { model: { id: string; version: string }; predictions: Record<string, unknown>[] }): Promise<void> {
  const stored = await call('PUT', `/v1/imagesets/${imagesetId}/images/${imageId}/predictions`, { key, body });
  expect(stored.status, stored.text).toBe(200);
}
