import type { Box } from './geometry';

/** The shapes of the API answers the page reads (see /api/openapi.json). */
export interface Campaign {
  id: string;
  title: string;
  status: string;
  labels: string[];
  labellers: { keyId: string; removedAt: string | null }[];
  progress?: { labelled: number; total: number };
}

export interface CampaignImage {
  id: string;
  imagesetId: string;
  blobName: string;
  width: number;
  height: number;
  url: string;
  urlExpiresAt: string;
  labelled: boolean;
  labelCount: number;
}

export interface StoredLabel extends Box {
  id: string;
  label: string;
  labelTranslated: string | null;
  confidence: number;
  model?: { id: string; version: string };
  fromPrediction?: { id: string };
}

export interface ImageLabels {
  labels: StoredLabel[];
  predictions?: StoredLabel[];
}

export interface ReviewQueueItem {
  imageId: string;
  minConfidence: number;
}

export interface LabelInput extends Box {
  label: string;
  predictionId?: string;
}

/** A refusal from the API (problem+json): its status and the detail worth showing to a person. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** An API key is `<24 hex key id>.<secret>`; anything else is taken to be a bearer token. */
export function keyIdOf(credential: string): string | undefined {
  return /^([a-f0-9]{24})\./.exec(credential)?.[1];
}

export class Api {
  /** The API root next to the page: the page is served at `<root>label`. */
  private readonly root = new URL('.', window.location.href);

  constructor(private readonly credential: string) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const auth: Record<string, string> = keyIdOf(this.credential) ? { 'X-API-Key': this.credential } : { Authorization: `Bearer ${this.credential}` };
    return { Accept: 'application/json', ...auth, ...extra };
  }

  private async send<T>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<{ body: T; etag: string | null }> {
    const init: RequestInit = { method, headers: this.headers(body === undefined ? extra : { 'Content-Type': 'application/json', ...extra }), cache: 'no-store' };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(new URL(path, this.root), init);
    const text = await response.text();
    if (!response.ok) {
      let detail = text;
      try {
        const problem = JSON.parse(text) as { detail?: string; title?: string };
        detail = problem.detail ?? problem.title ?? text;
      } catch {
        // not problem+json (a proxy's page): show it as it came
      }
      throw new ApiError(response.status, detail || `HTTP ${response.status}`);
    }
    return { body: (text ? JSON.parse(text) : undefined) as T, etag: response.headers.get('ETag') };
  }

  async campaign(campaignId: string): Promise<Campaign> {
    return (await this.send<Campaign>('GET', `v1/campaigns/${encodeURIComponent(campaignId)}`)).body;
  }

  /** Every image of the campaign, following the pages (100 at a time). */
  async images(campaignId: string): Promise<CampaignImage[]> {
    const all: CampaignImage[] = [];
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
      const page = (await this.send<{ items: CampaignImage[]; nextCursor?: string | null }>('GET', `v1/campaigns/${encodeURIComponent(campaignId)}/images?${query}`)).body;
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all;
  }

  /** The campaign's labels of an image and the model's predictions (least confident first). */
  async labels(campaignId: string, imageId: string): Promise<{ labels: ImageLabels; etag: string | null }> {
    const query = new URLSearchParams({ campaign: campaignId, source: 'all' });
    const reply = await this.send<ImageLabels>('GET', `v1/images/${encodeURIComponent(imageId)}/labels?${query}`);
    return { labels: reply.body, etag: reply.etag };
  }

  /** Replaces the image's labels; with an ETag, only if nobody saved since (else 412). */
  async save(campaignId: string, imageId: string, labels: LabelInput[], etag: string | null): Promise<{ labels: ImageLabels; etag: string | null }> {
    const path = `v1/campaigns/${encodeURIComponent(campaignId)}/images/${encodeURIComponent(imageId)}/labels`;
    const reply = await this.send<ImageLabels>('PUT', path, { labels }, etag ? { 'If-Match': etag } : {});
    return { labels: reply.body, etag: reply.etag };
  }

  async reviewQueue(campaignId: string): Promise<ReviewQueueItem[]> {
    const path = `v1/campaigns/${encodeURIComponent(campaignId)}/review-queue?limit=100`;
    return (await this.send<{ items: ReviewQueueItem[] }>('GET', path)).body.items;
  }
}
