import { describe, expect, it } from 'vitest';
import type { Image } from '../../shared/labels/image.schema';
import { call, keyWithRoles } from '../support/api';
import { jpegImage, pngImage } from '../support/images';
import { readyImageset } from '../support/fixtures';

/** Finalize registers what viewers see (EXIF orientation) and refuses files that were cut off. */
describe('finalize registration details', () => {
  it('registers an Orientation=6 photo at its displayed size and keeps the raw one; reports truncated PNG and JPEG files', async () => {
    const alice = await keyWithRoles(['contributor']);
    const png = pngImage(30, 20, 1);
    const jpeg = jpegImage(30, 20, 2, 5000);
    const { imagesetId, images } = await readyImageset(alice, [
      { name: 'turned.jpg', bytes: jpegImage(64, 40, 3, 0, 6) },
      { name: 'upright.jpg', bytes: jpegImage(64, 40, 4, 0, 1) },
      { name: 'cut.png', bytes: png.subarray(0, png.length - 16) },
      { name: 'cut.jpg', bytes: jpeg.subarray(0, jpeg.length - 40) },
    ]);
    const byName = new Map(images.map((image: Image) => [image.blobName, image]));
    expect(byName.get('turned.jpg')).toMatchObject({ width: 40, height: 64, orientation: 6, rawWidth: 64, rawHeight: 40 });
    expect(byName.get('upright.jpg')).toMatchObject({ width: 64, height: 40, orientation: 1 });
    expect(byName.get('upright.jpg')).not.toHaveProperty('rawWidth');
    expect([...byName.keys()].sort()).toEqual(['turned.jpg', 'upright.jpg']);
    const imageset = await call<{ finalizeReport: { skipped: { blobName: string; reason: string }[] } }>('GET', `/v1/imagesets/${imagesetId}`, { key: alice });
    expect(imageset.body.finalizeReport.skipped.sort((a, b) => a.blobName.localeCompare(b.blobName))).toEqual([
      { blobName: 'cut.jpg', reason: expect.stringContaining('truncated JPEG') },
      { blobName: 'cut.png', reason: expect.stringContaining('truncated PNG') },
    ]);
  });
});
