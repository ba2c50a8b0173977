import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jpegImage, pngImage, rgbPng } from '../../shared/labels/sample-images';

export { jpegImage, pngImage, rgbPng };

export interface GeneratedImage {
  blobName: string;
  width: number;
  height: number;
  format: 'png' | 'jpeg';
  bytes: Buffer;
}

/** `count` small images, alternating PNG and JPEG, each with its own size and bytes. */
export function generateImages(count: number, prefix = 'img'): GeneratedImage[] {
  return Array.from({ length: count }, (_, i) => {
    const width = 32 + (i % 7) * 9;
    const height = 24 + (i % 5) * 11;
    const png = i % 2 === 0;
    const folder = i % 3 === 0 ? 'sub/' : '';
    return {
      blobName: `${folder}${prefix}-${String(i).padStart(3, '0')}.${png ? 'png' : 'jpg'}`,
      width,
      height,
      format: png ? 'png' : 'jpeg',
      // Every fourth JPEG carries a 20 KB APP1 block before its frame header (EXIF-like).
      bytes: png ? pngImage(width, height, i) : jpegImage(width, height, i, i % 4 === 1 ? 20_000 : 0),
    };
  });
}

/** Writes images into a fresh temporary folder (keeping sub-folders) and returns its path. */
export async function writeImageFolder(images: GeneratedImage[], extra: Record<string, string | Buffer> = {}): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'labels-upload-'));
  for (const image of images) {
    await mkdir(path.dirname(path.join(folder, image.blobName)), { recursive: true });
    await writeFile(path.join(folder, image.blobName), image.bytes);
  }
  for (const [name, content] of Object.entries(extra)) await writeFile(path.join(folder, name), content);
  return folder;
}
