import path from 'node:path';
import { launchBrowser } from '../test/support/browser';
import { pngImage } from '../shared/labels/sample-images';
import { startStack } from './stack';

/**
 * `npm run docs:screenshot`: starts the embedded stack, makes a small campaign with labels and a
 * model's predictions, opens the labelling page in headless Chromium (test/support/browser.ts finds
 * it) and writes docs/labelling-page.png for the README.
 */
const OUT = path.resolve(__dirname, '..', '..', 'docs', 'labelling-page.png');

async function main(): Promise<void> {
  const stack = await startStack({ port: 0, seed: true, verbose: false });
  try {
    const base = `${stack.baseUrl ?? ''}/api`;
    const api = async <T>(method: string, route: string, body?: unknown, key = stack.adminKey ?? ''): Promise<T> => {
      const response = await fetch(`${base}${route}`, {
        method,
        headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    const imageset = await api<{ id: string; uploadToken: { url: string } }>('POST', '/v1/imagesets', { title: 'Beach survey', metadata: {} });
    for (let i = 0; i < 6; i++) {
      const url = new URL(imageset.uploadToken.url);
      url.pathname += `/beach-${i + 1}.png`;
      const put = await fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: pngImage(640, 420, i * 3) });
      if (put.status !== 201) throw new Error(`upload: ${put.status}`);
    }
    const { jobId } = await api<{ jobId: string }>('POST', `/v1/imagesets/${imageset.id}/finalize`);
    while ((await api<{ status: string }>('GET', `/v1/jobs/${jobId}`)).status !== 'succeeded') await new Promise((resolve) => setTimeout(resolve, 200));
    const images = (await api<{ items: { id: string; blobName: string }[] }>('GET', `/v1/imagesets/${imageset.id}/images`)).items.sort((a, b) => a.blobName.localeCompare(b.blobName));
    const campaign = await api<{ id: string }>('POST', '/v1/campaigns', { title: 'Beach litter', imagesetIds: [imageset.id], labels: ['bottle', 'net', 'cap', 'rope'] });
    await api('POST', `/v1/campaigns/${campaign.id}/status`, { status: 'active' });
    const { key } = await api<{ key: string }>('POST', `/v1/campaigns/${campaign.id}/labellers`, { name: 'Ann' });
    const [first, second] = images;
    if (!first || !second) throw new Error('no images registered');
    await api('PUT', `/v1/imagesets/${imageset.id}/images/${first.id}/predictions`, {
      model: { id: 'litter-detector', version: '2' },
      predictions: [
        { label: 'cap', confidence: 0.41, xMin: 420, yMin: 250, xMax: 520, yMax: 330 },
        { label: 'rope', confidence: 0.77, xMin: 300, yMin: 60, xMax: 600, yMax: 140 },
      ],
    });
    await api('PUT', `/v1/campaigns/${campaign.id}/images/${first.id}/labels`, {
      labels: [
        { label: 'bottle', xMin: 60, yMin: 80, xMax: 190, yMax: 300 },
        { label: 'net', xMin: 230, yMin: 200, xMax: 400, yMax: 390 },
      ],
    }, key);
    await api('PUT', `/v1/campaigns/${campaign.id}/images/${second.id}/labels`, { labels: [{ label: 'cap', xMin: 10, yMin: 10, xMax: 50, yMax: 40 }] }, key);

    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 });
      await page.goto(`${base}/label?campaign=${campaign.id}`);
      await page.fill('#credential', key);
      await page.click('#sign-in-form button[type=submit]');
      await page.locator('#image-name:not(:empty)').waitFor({ timeout: 60_000 });
      await page.click(`#image-list button:text-is("${first.blobName}")`);
      await page.locator('#predictions li').first().waitFor({ timeout: 60_000 });
      await page.locator('#labels li').first().click();
      await page.screenshot({ path: OUT });
      console.log(`wrote ${path.relative(process.cwd(), OUT)}`);
    } finally {
      await browser.close();
    }
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
