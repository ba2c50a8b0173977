import { describe, expect, it } from 'vitest';
import { type ByteSource, bufferSource, displayedSize, readImageHeader, truncation } from '../../shared/labels/image-header';
import { jpegImage, pngImage } from '../support/images';

/** A source that counts what it was asked for, as a blob's ranged reads would be. */
function countingSource(bytes: Buffer): ByteSource & { bytesRead: number; reads: number } {
  const source = {
    size: bytes.length,
    bytesRead: 0,
    reads: 0,
    async read(offset: number, length: number) {
      source.reads++;
      const slice = bytes.subarray(offset, offset + length);
      source.bytesRead += slice.length;
      return slice;
    },
  };
  return source;
}

function gif(width: number, height: number): Buffer {
  const b = Buffer.alloc(20);
  b.write('GIF89a', 0, 'ascii');
  b.writeUInt16LE(width, 6);
  b.writeUInt16LE(height, 8);
  return b;
}

function riff(chunk: string, payload: Buffer): Buffer {
  const b = Buffer.alloc(20 + payload.length);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(12 + payload.length, 4);
  b.write('WEBP', 8, 'ascii');
  b.write(chunk, 12, 'ascii');
  b.writeUInt32LE(payload.length, 16);
  payload.copy(b, 20);
  return b;
}

function webpLossy(width: number, height: number): Buffer {
  const p = Buffer.alloc(10);
  p.set([0x9d, 0x01, 0x2a], 3);
  p.writeUInt16LE(width, 6);
  p.writeUInt16LE(height, 8);
  return riff('VP8 ', p);
}

function webpLossless(width: number, height: number): Buffer {
  const w = width - 1;
  const h = height - 1;
  const bits = w | (h << 14);
  const p = Buffer.alloc(5);
  p[0] = 0x2f;
  p.writeUInt32LE(bits >>> 0, 1);
  return riff('VP8L', p);
}

function webpExtended(width: number, height: number): Buffer {
  const p = Buffer.alloc(10);
  p.writeUIntLE(width - 1, 4, 3);
  p.writeUIntLE(height - 1, 7, 3);
  return riff('VP8X', p);
}

function bmp(width: number, height: number, headerSize = 40): Buffer {
  const b = Buffer.alloc(14 + headerSize);
  b.write('BM', 0, 'ascii');
  b.writeUInt32LE(headerSize, 14);
  if (headerSize === 12) {
    b.writeUInt16LE(width, 18);
    b.writeUInt16LE(height, 20);
  } else {
    b.writeInt32LE(width, 18);
    b.writeInt32LE(height, 22);
  }
  return b;
}

describe('readImageHeader', () => {
  it('reads a PNG’s size and channels from its IHDR in one read', async () => {
    const source = countingSource(pngImage(123, 45, 7));
    const sut = await readImageHeader(source);
    expect(sut).toMatchObject({ format: 'png', mime: 'image/png', width: 123, height: 45, channels: 3 });
    expect(source.reads).toBe(1);
  });

  it('reads a baseline JPEG’s size from its SOF0 segment', async () => {
    expect(await readImageHeader(bufferSource(jpegImage(640, 480, 1)))).toMatchObject({ format: 'jpeg', width: 640, height: 480, channels: 1 });
  });

  it('skips a large EXIF-like segment with a ranged read instead of reading the file', async () => {
    const bytes = jpegImage(1920, 1080, 2, 150_000);
    const source = countingSource(bytes);
    const sut = await readImageHeader(source);
    expect(sut).toMatchObject({ format: 'jpeg', width: 1920, height: 1080 });
    expect(source.bytesRead).toBeLessThan(20_000);
    expect(source.reads).toBeLessThanOrEqual(5);
  });

  it.each([
    ['GIF', gif(300, 200), { format: 'gif', width: 300, height: 200 }],
    ['lossy WebP', webpLossy(400, 300), { format: 'webp', width: 400, height: 300 }],
    ['lossless WebP', webpLossless(1000, 16_000), { format: 'webp', width: 1000, height: 16_000 }],
    ['extended WebP', webpExtended(5000, 70_000), { format: 'webp', width: 5000, height: 70_000 }],
    ['BMP (bottom-up)', bmp(64, 32), { format: 'bmp', width: 64, height: 32 }],
    ['BMP (top-down, negative height)', bmp(64, -32), { format: 'bmp', width: 64, height: 32 }],
    ['BMP (OS/2 core header)', bmp(10, 20, 12), { format: 'bmp', width: 10, height: 20 }],
  ])('reads a %s', async (_name, bytes, expected) => {
    expect(await readImageHeader(bufferSource(bytes))).toMatchObject(expected);
  });

  it.each([
    ['text', Buffer.from('hello, this is not an image at all')],
    ['an empty file', Buffer.alloc(0)],
    ['a truncated PNG', pngImage(10, 10).subarray(0, 20)],
    ['a JPEG cut before its frame header', jpegImage(10, 10, 0, 5000).subarray(0, 3000)],
    ['a PNG claiming zero width', (() => { const b = pngImage(10, 10); b.writeUInt32BE(0, 16); return b; })()],
    ['a JPEG whose scan starts before any frame', Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x08, 1, 2, 3, 4, 5, 6])],
  ])('says %s is not an image', async (_name, bytes) => {
    expect(await readImageHeader(bufferSource(bytes))).toBeUndefined();
  });
});

describe('EXIF orientation', () => {
  it.each([
    [1, 64, 48],
    [3, 64, 48],
    [6, 48, 64],
    [8, 48, 64],
  ])('orientation %i of a 64×48 JPEG displays as %i×%i, the raw size kept', async (orientation, width, height) => {
    const sut = await readImageHeader(bufferSource(jpegImage(64, 48, 1, 0, orientation)));
    expect(sut).toMatchObject({ width: 64, height: 48, orientation });
    expect(displayedSize(sut ?? { width: 0, height: 0 })).toEqual({ width, height });
  });

  it('reads a JPEG without EXIF as orientation 1', async () => {
    const sut = await readImageHeader(bufferSource(jpegImage(64, 48)));
    expect(sut?.orientation ?? 1).toBe(1);
  });
});

describe('truncation', () => {
  it('finds nothing wrong with whole PNG and JPEG files', async () => {
    expect(await truncation(bufferSource(pngImage(20, 10)), 'png')).toBeUndefined();
    expect(await truncation(bufferSource(jpegImage(20, 10)), 'jpeg')).toBeUndefined();
  });

  it('names what is missing when a PNG or JPEG was cut off', async () => {
    const png = pngImage(40, 30);
    const jpeg = jpegImage(40, 30, 1, 20_000);
    expect(await truncation(bufferSource(png.subarray(0, png.length - 20)), 'png')).toMatch(/truncated PNG.*IEND/);
    expect(await truncation(bufferSource(jpeg.subarray(0, jpeg.length - 5)), 'jpeg')).toMatch(/truncated JPEG.*FF D9/);
    // The header alone still reads: truncation is a separate check.
    expect(await readImageHeader(bufferSource(jpeg.subarray(0, jpeg.length - 5)))).toMatchObject({ width: 40, height: 30 });
  });
});
