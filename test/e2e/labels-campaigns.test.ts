import { beforeAll, describe, expect, it } from 'vitest';
import type { Campaign } from '../../shared/labels/campaign.schema';
import type { Image } from '../../shared/labels/image.schema';
import type { Label } from '../../shared/labels/label.schema';
import { call, expectProblem, keyWithRoles } from '../support/api';
import { beachImageset, boxFor, TRANSLATIONS, VOCABULARY } from '../support/beach-campaigns';
import { addLabeller, storePredictions } from '../support/fixtures';

/**
 * Labelling over HTTP, in order: two campaigns over one imageset of fifty beach photos, with a
 * vocabulary and translations; labeller keys scoped to a campaign; model pre-annotations accepted or
 * edited; labels validated, replaced and bulk-ingested until campaign A completes. What a completed
 * campaign exports: labels-exports.test.ts.
 */
let alice = '';
let bob = '';
let imagesetId = '';
let images: Image[] = [];
let campaignA: Campaign;
let campaignB: Campaign;
let labellerA = '';
let labellerA2 = '';
let labellerB = '';

beforeAll(async () => {
  [alice, bob] = await Promise.all([keyWithRoles(['contributor']), keyWithRoles(['contributor'])]);
  ({ imagesetId, images } = await beachImageset(alice));
});

describe('campaigns', () => {
  it('are created with a vocabulary and translations, and move only along their lifecycle', async () => {
    const body = { title: 'Beach litter', imagesetIds: [imagesetId], labels: VOCABULARY, labelTranslations: TRANSLATIONS };
    const created = await call<Campaign>('POST', '/v1/campaigns', { key: alice, body });
    expect(created.status, created.text).toBe(201);
    campaignA = created.body;
    expect(campaignA).toMatchObject({ status: 'created', progress: { labelled: 0, total: 50 } });
    const second = await call<Campaign>('POST', '/v1/campaigns', { key: alice, body: { ...body, title: 'Second opinion' } });
    campaignB = second.body;

    const wrong = expectProblem(await call('POST', `/v1/campaigns/${campaignA.id}/status`, { key: alice, body: { status: 'completed' } }), 409);
    expect(wrong.detail).toContain("'created'");
    expect(wrong.detail).toContain("'completed'");
    for (const campaign of [campaignA, campaignB]) {
      const active = await call<Campaign>('POST', `/v1/campaigns/${campaign.id}/status`, { key: alice, body: { status: 'active' } });
      expect(active.status).toBe(200);
      expect(active.body.status).toBe('active');
    }
  });

  it('can be renamed (honouring If-Match), but not given new labels once active (409)', async () => {
    const current = await call<Campaign>('GET', `/v1/campaigns/${campaignB.id}`, { key: alice });
    const etag = current.headers.get('etag') ?? '';
    const renamed = await call<Campaign & { title: string }>('PATCH', `/v1/campaigns/${campaignB.id}`, {
      key: alice,
      body: { title: 'Second opinion (v2)', labelTranslations: { ...TRANSLATIONS, kapje: 'cap' } },
      headers: { 'If-Match': etag },
    });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.title).toBe('Second opinion (v2)');
    expectProblem(await call('PATCH', `/v1/campaigns/${campaignB.id}`, { key: alice, body: { title: 'stale' }, headers: { 'If-Match': etag } }), 412);
    expectProblem(await call('PATCH', `/v1/campaigns/${campaignB.id}`, { key: alice, body: { labels: ['tyre'] } }), 409);
  });

  it('refuse a translation to a label outside the vocabulary, unknown fields and unknown imagesets (400)', async () => {
    const body = { title: 'x', imagesetIds: [imagesetId], labels: VOCABULARY };
    expectProblem(await call('POST', '/v1/campaigns', { key: alice, body: { ...body, labelTranslations: { tyre: 'tire' } } }), 400);
    expectProblem(await call('POST', '/v1/campaigns', { key: alice, body: { ...body, colour: 'red' } }), 400);
    expectProblem(await call('POST', '/v1/campaigns', { key: alice, body: { ...body, imagesetIds: ['0123456789abcdef'] } }), 400);
  });

  it("cannot be managed by contributor B (403)", async () => {
    expectProblem(await call('PATCH', `/v1/campaigns/${campaignA.id}`, { key: bob, body: { title: 'mine now' } }), 403);
    expectProblem(await call('POST', `/v1/campaigns/${campaignA.id}/status`, { key: bob, body: { status: 'completed' } }), 403);
    expectProblem(await call('POST', `/v1/campaigns/${campaignA.id}/labellers`, { key: bob, body: { name: 'mallory' } }), 403);
    expectProblem(await call('PUT', `/v1/campaigns/${campaignA.id}/images/${images[0]?.id}/labels`, { key: bob, body: { labels: [] } }), 403);
  });

  it('issue labellers keys with the labeller role, scoped to the campaign', async () => {
    const added = await call<{ key: string; labeller: { keyId: string } }>('POST', `/v1/campaigns/${campaignA.id}/labellers`, {
      key: alice,
      body: { name: 'Ann' },
    });
    expect(added.status, added.text).toBe(201);
    labellerA = added.body.key;
    const key = await call<{ roles: string[]; scope: { campaignId: string } }>('GET', `/v1/api-keys/${added.body.labeller.keyId}`, {
      key: (await keyWithRoles(['admin'])),
    });
    expect(key.body).toMatchObject({ roles: ['labeller'], scope: { campaignId: campaignA.id } });
    labellerA2 = await addLabeller(alice, campaignA.id, 'Ben');
    labellerB = await addLabeller(alice, campaignB.id, 'Cy');
  });
});

describe('a labeller of campaign A', () => {
  it('reads campaign A and its images', async () => {
    const campaign = await call<Campaign>('GET', `/v1/campaigns/${campaignA.id}`, { key: labellerA });
    expect(campaign.status).toBe(200);
    const page = await call<{ items: (Image & { url: string; labelled: boolean })[]; nextCursor: string | null }>(
      'GET',
      `/v1/campaigns/${campaignA.id}/images?limit=30`,
      { key: labellerA },
    );
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(30);
    expect(page.body.items.every((item) => !item.labelled && item.url.includes('sp=r'))).toBe(true);
    const rest = await call<{ items: Image[] }>('GET', `/v1/campaigns/${campaignA.id}/images?limit=30&cursor=${page.body.nextCursor}`, { key: labellerA });
    expect(rest.body.items).toHaveLength(20);
    const content = await call('GET', `/v1/campaigns/${campaignA.id}/images/${images[0]?.id}/content`, { key: labellerA });
    expect(content.status).toBe(303);
  });

  it('cannot read or write campaign B (403)', async () => {
    expectProblem(await call('GET', `/v1/campaigns/${campaignB.id}`, { key: labellerA }), 403);
    expectProblem(await call('GET', `/v1/campaigns/${campaignB.id}/images`, { key: labellerA }), 403);
    expectProblem(await call('PUT', `/v1/campaigns/${campaignB.id}/images/${images[0]?.id}/labels`, { key: labellerA, body: { labels: [] } }), 403);
    expectProblem(await call('POST', `/v1/campaigns/${campaignB.id}/labels/bulk`, { key: labellerA, body: { labels: [{ imageId: images[0]?.id, ...boxFor(images[0] as Image, 0, 'net') }] } }), 403);
    expectProblem(await call('GET', `/v1/images/${images[0]?.id}/labels?campaign=${campaignB.id}`, { key: labellerA }), 403);
  });

  it('can do nothing outside its campaign: imagesets, other images, campaign lists, exports (403)', async () => {
    expectProblem(await call('GET', '/v1/imagesets', { key: labellerA }), 403);
    expectProblem(await call('GET', `/v1/imagesets/${imagesetId}/images`, { key: labellerA }), 403);
    expectProblem(await call('GET', '/v1/campaigns', { key: labellerA }), 403);
    expectProblem(await call('POST', `/v1/campaigns/${campaignA.id}/status`, { key: labellerA, body: { status: 'completed' } }), 403);
    expectProblem(await call('POST', `/v1/campaigns/${campaignA.id}/exports`, { key: labellerA, body: { format: 'coco' } }), 403);
  });
});

describe('model predictions', () => {
  it('are stored apart, shown least confident first, and become labels only when accepted or edited', async () => {
    const image = images[0] as Image;
    await storePredictions(alice, imagesetId, image.id, {
      model: { id: 'litter-detr', version: '3' },
      predictions: [
        { label: 'fles', confidence: 0.91, xMin: 1, yMin: 1, xMax: 9, yMax: 9 },
        { label: 'Netz', confidence: 0.34, xMin: 2, yMin: 3, xMax: 12, yMax: 13 },
      ],
    });
    expectProblem(await call('PUT', `/v1/imagesets/${imagesetId}/images/${image.id}/predictions`, { key: bob, body: { model: { id: 'm', version: '1' }, predictions: [] } }), 403);
    const outside = expectProblem(
      await call('PUT', `/v1/imagesets/${imagesetId}/images/${image.id}/predictions`, {
        key: alice,
        body: { model: { id: 'm', version: '1' }, predictions: [{ label: 'x', confidence: 0.5, xMin: 0, yMin: 0, xMax: image.width + 1, yMax: 5 }] },
      }),
      400,
    );
    expect(outside.errors).toEqual([{ pointer: '/body/predictions/0/xMax', message: expect.stringContaining('image width') }]);

    const predictions = await call<{ items: Label[] }>('GET', `/v1/campaigns/${campaignA.id}/images/${image.id}/predictions`, { key: labellerA });
    expect(predictions.body.items.map((p) => [p.confidence, p.labelTranslated, p.source])).toEqual([
      [0.34, 'net', 'model'],
      [0.91, 'bottle', 'model'],
    ]);
    const queue = await call<{ items: { imageId: string; minConfidence: number }[] }>('GET', `/v1/campaigns/${campaignA.id}/review-queue`, { key: labellerA });
    expect(queue.body.items[0]).toMatchObject({ imageId: image.id, minConfidence: 0.34 });
    const before = await call<{ labels: Label[] }>('GET', `/v1/images/${image.id}/labels`, { key: labellerA });
    expect(before.body.labels).toEqual([]);

    const [unsure, sure] = predictions.body.items as [Label, Label];
    const written = await call<{ labels: Label[] }>('PUT', `/v1/campaigns/${campaignA.id}/images/${image.id}/labels`, {
      key: labellerA,
      body: {
        labels: [
          { label: sure.label, xMin: sure.xMin, yMin: sure.yMin, xMax: sure.xMax, yMax: sure.yMax, predictionId: sure.id },
          { label: 'Netz', xMin: 2, yMin: 3, xMax: 14, yMax: 13, predictionId: unsure.id },
        ],
      },
    });
    expect(written.status, written.text).toBe(200);
    expect(written.body.labels.map((l) => [l.source, l.labelTranslated, l.fromPrediction?.edited])).toEqual([
      ['human', 'bottle', false],
      ['human', 'net', true],
    ]);
    const both = await call<{ labels: Label[]; predictions: Label[] }>('GET', `/v1/images/${image.id}/labels?source=all`, { key: labellerA });
    expect(both.body.labels).toHaveLength(2);
    expect(both.body.predictions).toHaveLength(2);
  });
});

describe('labelling', () => {
  it('validates boxes against the image size, labels against the vocabulary, and bodies strictly (400)', async () => {
    const image = images[1] as Image;
    const url = `/v1/campaigns/${campaignA.id}/images/${image.id}/labels`;
    const outside = expectProblem(await call('PUT', url, { key: labellerA, body: { labels: [{ label: 'cap', xMin: 0, yMin: 0, xMax: image.width + 1, yMax: 2 }] } }), 400);
    expect(JSON.stringify(outside.errors)).toContain('/body/labels/0/xMax');
    expectProblem(await call('PUT', url, { key: labellerA, body: { labels: [{ label: 'tyre', xMin: 0, yMin: 0, xMax: 2, yMax: 2 }] } }), 400);
    expectProblem(await call('PUT', url, { key: labellerA, body: { labels: [{ label: 'cap', xMin: 5, yMin: 0, xMax: 2, yMax: 2 }] } }), 400);
    expectProblem(await call('PUT', url, { key: labellerA, body: { labels: [{ label: 'cap', xMin: 0, yMin: 0, xMax: 2, yMax: 2, confidence: 2 }] } }), 400);
    expectProblem(await call('PUT', url, { key: labellerA, body: { labels: [{ label: 'cap', xMin: 0, yMin: 0, xMax: 2, yMax: 2, source: 'model' }] } }), 400);
    expectProblem(await call('PUT', url, { key: labellerA, body: { labels: [], extra: true } }), 400);
    expectProblem(await call('PUT', `/v1/campaigns/${campaignA.id}/images/${'f'.repeat(16)}~${'0'.repeat(20)}/labels`, { key: labellerA, body: { labels: [] } }), 404);
    const progress = await call<Campaign>('GET', `/v1/campaigns/${campaignA.id}`, { key: labellerA });
    expect(progress.body.progress).toEqual({ labelled: 1, total: 50 });
  });

  it('adds single labels and replaces an image’s labels, honouring If-Match', async () => {
    const image = images[1] as Image;
    const added = await call<Label>('POST', `/v1/campaigns/${campaignA.id}/images/${image.id}/labels`, {
      key: labellerA2,
      body: { ...boxFor(image, 1, 'dop'), confidence: 0.8 },
    });
    expect(added.status, added.text).toBe(201);
    expect(added.body).toMatchObject({ label: 'dop', labelTranslated: 'cap', confidence: 0.8, source: 'human' });
    const etag = added.headers.get('etag') ?? '';
    const replaced = await call<{ labels: Label[] }>('PUT', `/v1/campaigns/${campaignA.id}/images/${image.id}/labels`, {
      key: labellerA,
      body: { labels: [boxFor(image, 1, 'cap')] },
      headers: { 'If-Match': etag },
    });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.body.labels).toHaveLength(1);
    expectProblem(
      await call('PUT', `/v1/campaigns/${campaignA.id}/images/${image.id}/labels`, { key: labellerA, body: { labels: [] }, headers: { 'If-Match': etag } }),
      412,
    );
  });

  it('bulk-ingests the rest in one request, and the campaign completes when every image is labelled', async () => {
    const rest = images.slice(2);
    const labels = rest.flatMap((image, i) => [
      { imageId: image.id, ...boxFor(image, i + 2, i % 2 ? 'fles' : 'net') },
      ...(i % 3 === 0 ? [{ imageId: image.id, ...boxFor(image, i + 5, 'cap'), confidence: 0.6 }] : []),
    ]);
    const bad = [...labels, { imageId: rest[0]?.id, label: 'cap', xMin: 0, yMin: 0, xMax: 100_000, yMax: 1 }];
    expectProblem(await call('POST', `/v1/campaigns/${campaignA.id}/labels/bulk`, { key: labellerA, body: { labels: bad } }), 400);
    const unchanged = await call<Campaign>('GET', `/v1/campaigns/${campaignA.id}`, { key: labellerA });
    expect(unchanged.body.progress).toEqual({ labelled: 2, total: 50 });

    const sut = await call<{ images: number; labels: number; failed: unknown[]; campaignStatus: string }>(
      'POST',
      `/v1/campaigns/${campaignA.id}/labels/bulk`,
      { key: labellerA, body: { labels } },
    );
    expect(sut.status, sut.text).toBe(200);
    expect(sut.body).toEqual({ images: 48, labels: labels.length, failed: [], campaignStatus: 'completed' });
    const campaign = await call<Campaign>('GET', `/v1/campaigns/${campaignA.id}`, { key: alice });
    expect(campaign.body).toMatchObject({ status: 'completed', progress: { labelled: 50, total: 50 }, completedAt: expect.any(String) });
    expectProblem(await call('PUT', `/v1/campaigns/${campaignA.id}/images/${images[3]?.id}/labels`, { key: labellerA, body: { labels: [] } }), 409);
  });

  it('lets campaign B label the same image differently', async () => {
    const image = images[0] as Image;
    const sut = await call('PUT', `/v1/campaigns/${campaignB.id}/images/${image.id}/labels`, { key: labellerB, body: { labels: [boxFor(image, 9, 'cap')] } });
    expect(sut.status, sut.text).toBe(200);
  });
});
