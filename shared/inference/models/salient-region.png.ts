import type { PNG } from 'pngjs';
import { lazyRequire } from '../../azure/load';

/**
 * PNGs for the salient-region model, decoded by `pngjs` (every colour type, bit depth and
 * interlacing the format has) to 8-bit RGB. What does not decode is refused with a reason (the
 * model then skips the image), never guessed at.
 */
export interface RgbImage {
  width: number;
  height: number;
  /** width × height × 3 bytes, row by row; alpha is dropped. */
  pixels: Uint8Array;
}

export class UnsupportedImage extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedImage';
  }
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Refuse pictures whose decoded size would be out of proportion for a function's memory. */
export const MAX_PIXELS = 40_000_000;

/** The size from the IHDR chunk, read before decoding so that an oversized picture is never inflated. */
function declaredSize(bytes: Buffer): { width: number; height: number } {
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE)) throw new UnsupportedImage('not a PNG file');
  if (bytes.length < 24 || bytes.toString('ascii', 12, 16) !== 'IHDR') throw new UnsupportedImage('the PNG has no header');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

export function decodePng(bytes: Buffer): RgbImage {
  const { width, height } = declaredSize(bytes);
  if (width < 1 || height < 1 || width * height > MAX_PIXELS) throw new UnsupportedImage(`a ${width}×${height} PNG is too large`);
  let rgba: Buffer;
  try {
    // CRCs are not checked: a picture whose pixels inflate is worth looking at, as before pngjs.
    rgba = lazyRequire<{ PNG: typeof PNG }>('pngjs').PNG.sync.read(bytes, { checkCRC: false }).data;
  } catch (error) {
    throw new UnsupportedImage(`the PNG does not decode: ${error instanceof Error ? error.message : String(error)}`);
  }
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    pixels[i * 3] = rgba[i * 4]!;
    pixels[i * 3 + 1] = rgba[i * 4 + 1]!;
    pixels[i * 3 + 2] = rgba[i * 4 + 2]!;
  }
  return { width, height, pixels };
}
