import { PNG } from 'pngjs';

/**
 * Small, real images made from scratch: the local seed, the benchmark and the tests upload these.
 * The PNGs are written by `pngjs`; the JPEGs are baseline greyscale files that any decoder opens
 * (one flat colour, minimal Huffman tables).
 */

/**
 * An 8-bit RGB PNG whose pixel at (x, y) is `pixel(x, y)`.
 *
 * @example rgbPng(2, 1, (x) => (x === 0 ? [255, 0, 0] : [0, 0, 255])) // red, then blue
 */
export function rgbPng(width: number, height: number, pixel: (x: number, y: number) => readonly [number, number, number]): Buffer {
  const image = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      image.data.set([...pixel(x, y), 255], (y * width + x) * 4);
    }
  }
  return PNG.sync.write(image, { colorType: 2 });
}

/** An RGB PNG of this size; `seed` varies the colours so every image has its own bytes and MD5. */
export function pngImage(width: number, height: number, seed = 0): Buffer {
  return rgbPng(width, height, (x, y) => [(x * 7 + seed * 31) & 0xff, (y * 5 + seed * 17) & 0xff, (x + y + seed * 13) & 0xff]);
}

/** An EXIF APP1 payload (big-endian TIFF) whose IFD0 holds Make and Orientation, as cameras write it. */
function exifOrientation(orientation: number): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 2 * 12 + 4 + 8);
  tiff.write('MM', 0, 'ascii');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4); // IFD0 right after the header
  tiff.writeUInt16BE(2, 8); // two entries
  // 0x010F Make, ASCII, 6 bytes at offset 38 ("Cam 1\0")
  tiff.writeUInt16BE(0x010f, 10);
  tiff.writeUInt16BE(2, 12);
  tiff.writeUInt32BE(6, 14);
  tiff.writeUInt32BE(38, 18);
  // 0x0112 Orientation, SHORT, 1 value (left-justified in the 4-byte field)
  tiff.writeUInt16BE(0x0112, 22);
  tiff.writeUInt16BE(3, 24);
  tiff.writeUInt32BE(1, 26);
  tiff.writeUInt16BE(orientation, 30);
  tiff.writeUInt32BE(0, 34); // no next IFD
  tiff.write('Cam 1\0', 38, 'ascii');
  return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
}

function segment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = 0xff;
  head[1] = marker;
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/**
 * A baseline greyscale JPEG of this size. `padding` inserts an APP1 segment of that many bytes
 * before the frame header, as EXIF blocks do, to exercise ranged header reads.
 */
export function jpegImage(width: number, height: number, seed = 0, padding = 0, orientation?: number): Buffer {
  const jfif = Buffer.from([0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  const parts = [Buffer.from([0xff, 0xd8]), segment(0xe0, jfif)];
  if (orientation !== undefined) parts.push(segment(0xe1, exifOrientation(orientation)));
  let remaining = padding;
  while (remaining > 0) {
    const size = Math.min(remaining, 65_000);
    parts.push(segment(0xe1, Buffer.alloc(size, 0x20)));
    remaining -= size;
  }
  parts.push(segment(0xfe, Buffer.from(`sample ${seed}`, 'ascii')));
  parts.push(segment(0xdb, Buffer.concat([Buffer.from([0x00]), Buffer.alloc(64, 1)]))); // one quantisation table
  const frame = Buffer.alloc(9);
  frame[0] = 8; // precision
  frame.writeUInt16BE(height, 1);
  frame.writeUInt16BE(width, 3);
  frame[5] = 1; // components
  frame[6] = 1; // component id
  frame[7] = 0x11; // sampling factors
  frame[8] = 0; // quantisation table
  parts.push(segment(0xc0, frame));
  // Huffman tables with one code each ('0'): DC category 0, AC end-of-block. Every block is "00".
  const oneCode = (tableClass: number) => Buffer.concat([Buffer.from([tableClass << 4]), Buffer.from([1, ...new Array<number>(15).fill(0)]), Buffer.from([0])]);
  parts.push(segment(0xc4, Buffer.concat([oneCode(0), oneCode(1)])));
  parts.push(segment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0])));
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const bits = blocks * 2;
  const scan = Buffer.alloc(Math.ceil(bits / 8));
  const used = bits % 8;
  if (used > 0) scan[scan.length - 1] = 0xff >> used; // pad the last byte with 1 bits
  parts.push(scan, Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}
