import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, call, keyWithRoles, signToken } from '../support/api';
import { launchBrowser } from '../support/browser';
import { pngImage } from '../support/images';
import { activeCampaign, addLabeller, readyImageset, storePredictions } from '../support/fixtures';
import type { Image } from '../../shared/labels/image.schema';
import type { Label } from '../../shared/labels/label.schema';

/**
 * The labelling page in headless Chromium (test/support/browser.ts finds it): a labeller draws,
 * accepts and saves through the page, and the API reads back what the page wrote.
 */

const VOCABULARY = ['bottle', 'net', 'cap'];
// Generous: two cores shared by the stack, the browser and other test workers.
const SLOW = { timeout: 180_000 };
const WAIT = { timeout: 60_000 };
// Natural sizes chosen to differ from what the page displays: one shrunk, the others enlarged.
const PICTURES = [
  { blobName: 'large.png', width: 900, height: 600 },
  { blobName: 'small.png', width: 37, height: 29 },
  { blobName: 'third.png', width: 60, height: 40 },
  // Never labelled, so the campaign stays active (it completes itself once every image is labelled).
  { blobName: 'spare.png', width: 20, height: 20 },
];

let alice = '';
let reader = '';
let campaignA = '';
let campaignB = '';
let labellerA = '';
let labellerA2 = '';
let labellerB = '';
const images = new Map<string, Image>();
let browser: Browser;
let context: BrowserContext;
const cspViolations: string[] = [];

async function storedLabels(imageId: string, campaignId = campaignA): Promise<Label[]> {
  const response = await call<{ labels: Label[] }>('GET', `/v1/images/${imageId}/labels?campaign=${campaignId}`, { key: labellerA });
  expect(response.status, response.text).toBe(200);
  return response.body.labels;
}

function image(blobName: string): Image {
  const found = images.get(blobName);
  if (!found) throw new Error(`no image ${blobName}`);
  return found;
}

/** Opens the page and signs in; resolves when the first image (or the refusal) shows. */
async function signIn(campaignId: string, credential: string): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  await page.goto(`${baseUrl()}/api/label?campaign=${campaignId}`);
  await page.fill('#credential', credential);
  await page.click('#sign-in-form button[type=submit]');
  await page.locator('#image-name:not(:empty), #sign-in-error:not(:empty)').first().waitFor(WAIT);
  return page;
}

async function openImage(page: Page, blobName: string): Promise<void> {
  await page.click(`#image-list button:text-is("${blobName}")`);
  await untilText(page, '#image-name', blobName);
}

async function untilText(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector).filter({ hasText: text }).waitFor(WAIT).catch(async (error: unknown) => {
    // Say what the page showed instead, and any error it reported.
    const shown = await page.locator(selector).textContent();
    const reported = await page.locator('#error').textContent();
    throw new Error(`waited for ${selector} to say '${text}'; it says '${shown}' (page error: '${reported}')`, { cause: error });
  });
}

/** Where an image pixel is on screen, from the canvas's box and the image's natural size. */
async function screenPoint(page: Page, picture: Image, x: number, y: number): Promise<{ x: number; y: number }> {
  const box = await page.locator('#canvas').boundingBox();
  if (!box) throw new Error('the canvas is not on screen');
  return { x: box.x + (x * box.width) / picture.width, y: box.y + (y * box.height) / picture.height };
}

async function drag(page: Page, picture: Image, from: [number, number], to: [number, number]): Promise<void> {
  const start = await screenPoint(page, picture, ...from);
  const end = await screenPoint(page, picture, ...to);
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  await page.mouse.move(end.x, end.y, { steps: 5 });
  await page.mouse.up();
}

/** Within a pixel: the mouse lands on whole CSS pixels, which are not whole image pixels. */
function expectBox(label: Label | undefined, box: [number, number, number, number]): void {
  expect(label, 'no label stored').toBeDefined();
  const [xMin, yMin, xMax, yMax] = box;
  for (const [actual, wanted] of [[label?.xMin, xMin], [label?.yMin, yMin], [label?.xMax, xMax], [label?.yMax, yMax]] as const) {
    expect(Math.abs((actual ?? -100) - wanted), JSON.stringify(label)).toBeLessThanOrEqual(1);
  }
}

beforeAll(async () => {
  alice = await keyWithRoles(['contributor']);
  reader = await keyWithRoles(['reader']);
  const files = PICTURES.map((picture, i) => ({ name: picture.blobName, bytes: pngImage(picture.width, picture.height, i) }));
  const { imagesetId, images: listed } = await readyImageset(alice, files, { title: `page ${Date.now()}` });
  for (const item of listed) images.set(item.blobName, item);
  campaignA = await activeCampaign(alice, [imagesetId], VOCABULARY, {}, 'Page campaign');
  campaignB = await activeCampaign(alice, [imagesetId], VOCABULARY, {}, 'Another campaign');
  labellerA = await addLabeller(alice, campaignA, 'Ann');
  labellerA2 = await addLabeller(alice, campaignA, 'Ben');
  labellerB = await addLabeller(alice, campaignB, 'Cy');
  await storePredictions(alice, imagesetId, image('small.png').id, {
    model: { id: 'detector', version: '1' },
    predictions: [
      { label: 'cap', confidence: 0.9, xMin: 20, yMin: 2, xMax: 35, yMax: 12 },
      { label: 'bottle', confidence: 0.25, xMin: 2, yMin: 14, xMax: 15, yMax: 27 },
    ],
  });
  browser = await launchBrowser();
  // A device pixel ratio that is not 1, as on a zoomed or high-density screen.
  context = await browser.newContext({ viewport: { width: 1200, height: 760 }, deviceScaleFactor: 1.5 });
}, SLOW.timeout);

afterAll(async () => {
  await browser?.close();
});

describe('GET /api/label', () => {
  it('serves the page with a strict Content-Security-Policy', async () => {
    const sut = await call('GET', '/label');
    expect(sut.status).toBe(200);
    expect(sut.headers.get('content-type')).toMatch(/^text\/html/);
    expect(sut.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' http:\/\/127\.0\.0\.1:\d+;/);
    expect((await call('GET', '/label/labelling.js')).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await call('GET', '/label/..%2Fpackage.json')).status).toBe(404);
  });
});

describe('the labelling page', () => {
  it('stores a box drawn with the mouse in the image’s pixels, on a shrunk image', SLOW, async () => {
    const page = await signIn(campaignA, labellerA);
    await untilText(page, '#progress', '0 / 4 labelled');
    const large = image('large.png');
    await openImage(page, 'large.png');
    await drag(page, large, [100, 80], [400, 330]);
    await page.keyboard.press('2');
    await page.keyboard.press('s');
    await untilText(page, '#save-state', 'Saved 1 label(s)');
    const [label] = await storedLabels(large.id);
    expect(label?.label).toBe('net');
    expectBox(label, [100, 80, 400, 330]);
    await untilText(page, '#progress', '1 / 4 labelled');
    await page.close();
  });

  it('moves and resizes a box, and stores an enlarged image’s box in its own pixels', SLOW, async () => {
    const page = await signIn(campaignA, labellerA);
    const third = image('third.png');
    await openImage(page, 'third.png');
    await drag(page, third, [10, 10], [30, 25]);
    await drag(page, third, [20, 18], [25, 20]); // move by (+5, +2)
    await drag(page, third, [35, 27], [50, 35]); // the south-east corner
    await page.keyboard.press('s');
    await untilText(page, '#save-state', 'Saved 1 label(s)');
    const [label] = await storedLabels(third.id);
    expect(label?.label).toBe('bottle');
    expectBox(label, [15, 12, 50, 35]);
    await page.close();
  });

  it('walks the review queue and accepts the least confident prediction', SLOW, async () => {
    const page = await signIn(campaignA, labellerA);
    await page.keyboard.press('q');
    await untilText(page, '#mode-badge', 'Review queue: 1 image(s)');
    await untilText(page, '#image-name', 'small.png');
    await untilText(page, '#predictions', 'bottle 0.25');
    await page.keyboard.press('a');
    await untilText(page, '#labels', 'bottle [2, 14 – 15, 27] (from prediction)');
    await page.keyboard.press('s');
    await untilText(page, '#save-state', 'Saved 1 label(s)');
    const labels = await storedLabels(image('small.png').id);
    expect(labels).toHaveLength(1);
    expect(labels[0]).toMatchObject({ label: 'bottle', xMin: 2, yMin: 14, xMax: 15, yMax: 27, fromPrediction: { edited: false } });
    await page.close();
  });

  it('says someone else saved (412) and reloads their labels', SLOW, async () => {
    const page = await signIn(campaignA, labellerA);
    const third = image('third.png');
    await openImage(page, 'third.png');
    await drag(page, third, [2, 2], [8, 8]);
    await page.keyboard.press('s');
    await untilText(page, '#save-state', 'Saved 2 label(s)');
    const theirs = await call('PUT', `/v1/campaigns/${campaignA}/images/${third.id}/labels`, {
      key: labellerA2,
      body: { labels: [{ label: 'cap', xMin: 40, yMin: 20, xMax: 55, yMax: 38 }] },
    });
    expect(theirs.status, theirs.text).toBe(200);
    await drag(page, third, [2, 30], [9, 38]);
    await page.keyboard.press('s');
    await page.waitForSelector('#conflict:not([hidden])', WAIT);
    await untilText(page, '#conflict-text', 'Someone else saved this image');
    expect(await storedLabels(third.id)).toMatchObject([{ label: 'cap', xMin: 40 }]);
    await page.click('#reload');
    await untilText(page, '#labels', 'cap [40, 20 – 55, 38]');
    expect(await page.locator('#labels li').count()).toBe(1);
    await page.close();
  });

  it('refuses a labeller of another campaign', SLOW, async () => {
    const page = await signIn(campaignA, labellerB);
    await untilText(page, '#sign-in-error', 'This key is limited to another campaign. (HTTP 403)');
    expect(await page.locator('#workspace').isHidden()).toBe(true);
    await page.close();
  });

  it('shows a reader the labels without letting them change anything', SLOW, async () => {
    const page = await signIn(campaignA, reader);
    await openImage(page, 'large.png');
    await untilText(page, '#labels', 'net');
    expect(await page.locator('#readonly-badge').isVisible()).toBe(true);
    expect(await page.locator('#save').isDisabled()).toBe(true);
    await drag(page, image('large.png'), [500, 400], [700, 500]);
    expect(await page.locator('#labels li').count()).toBe(1);
    await page.close();
  });

  it('signs in with a bearer token instead of a key', SLOW, async () => {
    const page = await signIn(campaignA, await signToken({ roles: ['reader'] }, { expiresIn: '10m' }));
    await untilText(page, '#progress', '/ 4 labelled');
    expect(await page.locator('#readonly-badge').isVisible()).toBe(true);
    await page.close();
  });

  it('loads everything within its Content-Security-Policy', () => {
    expect(cspViolations).toEqual([]);
  });
});
