import { inflateSync } from 'node:zlib';

/**
 * A small PNG decoder for the salient-region model: 8-bit greyscale, RGB, palette, grey+alpha and
 * RGBA, non-interlaced — what cameras' PNG exports and image tools write. Anything else is refused
 * with a reason (the model then skips the image), never guessed at.
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

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes the per-row filters (PNG spec section 9) in place into `out`. */
function unfilter(data: Buffer, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  if (data.length < height * (stride + 1)) throw new UnsupportedImage('the PNG image data is truncated');
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = data[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const raw = data[src + x]!;
      const left = x >= bpp ? out[row + x - bpp]! : 0;
      const up = y > 0 ? out[prev + x]! : 0;
      const upLeft = y > 0 && x >= bpp ? out[prev + x - bpp]! : 0;
      let value: number;
      switch (filter) {
        case 0:
          value = raw;
          break;
        case 1:
          value = raw + left;
          break;
        case 2:
          value = raw + up;
          break;
        case 3:
          value = raw + ((left + up) >> 1);
          break;
        case 4:
          value = raw + paeth(left, up, upLeft);
          break;
        default:
          throw new UnsupportedImage(`unknown PNG row filter ${String(filter)}`);
      }
      out[row + x] = value & 0xff;
    }
  }
  return out;
}

export function decodePng(bytes: Buffer): RgbImage {
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE)) throw new UnsupportedImage('not a PNG file');
  let offset = 8;
  let width = 0;
  let height = 0;
  let colourType = -1;
  let palette: Buffer | undefined;
  const idat: Buffer[] = [];
  while (offset + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('ascii', offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (data.length < length) throw new UnsupportedImage('the PNG file is truncated');
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      colourType = data[9] ?? -1;
      if (depth !== 8) throw new UnsupportedImage(`PNG bit depth ${String(depth)} is not supported (8 only)`);
      if (data[12] !== 0) throw new UnsupportedImage('interlaced PNGs are not supported');
      if (CHANNELS[colourType] === undefined) throw new UnsupportedImage(`PNG colour type ${colourType} is not supported`);
      if (width < 1 || height < 1 || width * height > MAX_PIXELS) throw new UnsupportedImage(`a ${width}×${height} PNG is too large`);
    } else if (type === 'PLTE') {
      palette = Buffer.from(data);
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    offset += 12 + length;
  }
  const channels = CHANNELS[colourType];
  if (!channels || idat.length === 0) throw new UnsupportedImage('the PNG has no header or no image data');
  if (colourType === 3 && !palette) throw new UnsupportedImage('a palette PNG without a palette');
  let inflated: Buffer;
  try {
    inflated = inflateSync(Buffer.concat(idat), { maxOutputLength: height * (width * channels + 1) + 1024 });
  } catch {
    throw new UnsupportedImage('the PNG image data does not inflate');
  }
  const raw = unfilter(inflated, width, height, channels);
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const at = i * channels;
    if (colourType === 3) {
      const index = raw[at]! * 3;
      pixels[i * 3] = palette?.[index] ?? 0;
      pixels[i * 3 + 1] = palette?.[index + 1] ?? 0;
      pixels[i * 3 + 2] = palette?.[index + 2] ?? 0;
    } else if (channels <= 2) {
      pixels[i * 3] = pixels[i * 3 + 1] = pixels[i * 3 + 2] = raw[at]!;
    } else {
      pixels[i * 3] = raw[at]!;
      pixels[i * 3 + 1] = raw[at + 1]!;
      pixels[i * 3 + 2] = raw[at + 2]!;
    }
  }
  return { width, height, pixels };
}
