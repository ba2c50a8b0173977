/**
 * Image dimensions from header bytes only: PNG, JPEG, GIF, WebP and BMP. The bytes come from a
 * `ByteSource` so a blob is read with a few small ranged reads, never downloaded whole: a JPEG's
 * segments are skipped by their lengths, so a 60 KB EXIF block costs one extra read, not 60 KB.
 */
export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';

export interface ImageInfo {
  format: ImageFormat;
  mime: string;
  width: number;
  height: number;
  /** Colour channels when the header says (PNG colour type, JPEG component count). */
  channels?: number;
  /** A JPEG's EXIF Orientation (1–8) when it has one: 5–8 show the image turned a quarter, width and height swapped. */
  orientation?: number;
}

/** Random access to the first bytes of a file or blob. `read` may return fewer bytes at the end. */
export interface ByteSource {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export const MIME: Record<ImageFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
};

/** The first read: enough for every header except a JPEG with large APPn segments before its SOF. */
export const FIRST_READ_BYTES = 4096;
/** Give up on a JPEG whose frame header is not within this many bytes (no real file does that). */
const JPEG_SCAN_LIMIT = 4 * 1024 * 1024;
/** Dimensions above this are treated as a corrupt header, not an image. */
const MAX_DIMENSION = 1 << 20;

export function bufferSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: async (offset, length) => bytes.subarray(offset, offset + length) };
}

/** Serves reads from the chunks already fetched; fetches a new chunk only when a read falls outside them. */
class ChunkedReader {
  private chunks: { offset: number; bytes: Uint8Array }[] = [];
  reads = 0;

  constructor(private readonly source: ByteSource) {}

  async bytes(offset: number, length: number): Promise<Uint8Array | undefined> {
    if (offset + length > this.source.size) return undefined;
    const hit = this.chunks.find((c) => offset >= c.offset && offset + length <= c.offset + c.bytes.length);
    if (hit) return hit.bytes.subarray(offset - hit.offset, offset - hit.offset + length);
    const chunk = await this.source.read(offset, Math.max(length, FIRST_READ_BYTES));
    this.reads++;
    this.chunks = [...this.chunks.slice(-3), { offset, bytes: chunk }];
    return chunk.length >= length ? chunk.subarray(0, length) : undefined;
  }
}

const u16be = (b: Uint8Array, i: number) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const u16le = (b: Uint8Array, i: number) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
const u24le = (b: Uint8Array, i: number) => u16le(b, i) | ((b[i + 2] ?? 0) << 16);
const u32be = (b: Uint8Array, i: number) => ((u16be(b, i) << 16) >>> 0) + u16be(b, i + 2);
const i32le = (b: Uint8Array, i: number) => (u16le(b, i) | (u16le(b, i + 2) << 16)) | 0;
const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

function info(format: ImageFormat, width: number, height: number, channels?: number): ImageInfo | undefined {
  if (!Number.isInteger(width) || !Number.isInteger(height)) return undefined;
  if (width < 1 || height < 1 || width > MAX_DIMENSION || height > MAX_DIMENSION) return undefined;
  return { format, mime: MIME[format], width, height, ...(channels ? { channels } : {}) };
}

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };

function png(b: Uint8Array): ImageInfo | undefined {
  if (b.length < 26 || ascii(b, 12, 4) !== 'IHDR') return undefined;
  return info('png', u32be(b, 16), u32be(b, 20), PNG_CHANNELS[b[25] ?? -1]);
}

function gif(b: Uint8Array): ImageInfo | undefined {
  return b.length < 10 ? undefined : info('gif', u16le(b, 6), u16le(b, 8), 3);
}

function webp(b: Uint8Array): ImageInfo | undefined {
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8 ' && b.length >= 30) {
    // Lossy: a 3-byte frame tag, the start code 9d 01 2a, then 14-bit width and height.
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
    return info('webp', u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff);
  }
  if (chunk === 'VP8L' && b.length >= 25) {
    // Lossless: signature 0x2f, then 14-bit width-1 and height-1 packed little-endian.
    if (b[20] !== 0x2f) return undefined;
    const b1 = b[21] ?? 0;
    const b2 = b[22] ?? 0;
    const b3 = b[23] ?? 0;
    const b4 = b[24] ?? 0;
    return info('webp', 1 + (((b2 & 0x3f) << 8) | b1), 1 + (((b4 & 0x0f) << 10) | (b3 << 2) | ((b2 & 0xc0) >> 6)));
  }
  if (chunk === 'VP8X' && b.length >= 30) return info('webp', 1 + u24le(b, 24), 1 + u24le(b, 27));
  return undefined;
}

function bmp(b: Uint8Array): ImageInfo | undefined {
  if (b.length < 26) return undefined;
  const headerSize = u16le(b, 14) | (u16le(b, 16) << 16);
  if (headerSize === 12) return info('bmp', u16le(b, 18), u16le(b, 20));
  if (headerSize < 40 || headerSize > 124) return undefined;
  // Height is negative for top-down bitmaps.
  return info('bmp', i32le(b, 18), Math.abs(i32le(b, 22)));
}

/** SOF0–SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/**
 * The Orientation tag (0x0112) of IFD0 in an APP1 `Exif` segment. Only this one tag is read, within
 * the first 4 KB of the segment (IFD0 entries are sorted by tag and Orientation is among the first),
 * so it costs no read beyond the ones the header walk makes: an EXIF library would parse the whole
 * segment (up to 64 KB) for a number we need once.
 */
async function exifOrientation(reader: ChunkedReader, start: number, length: number): Promise<number | undefined> {
  const signature = length >= 14 ? await reader.bytes(start, 6) : undefined;
  if (!signature || ascii(signature, 0, 6) !== 'Exif\0\0') return undefined;
  const b = await reader.bytes(start, Math.min(length, FIRST_READ_BYTES));
  if (!b) return undefined;
  const tiff = 6;
  const little = ascii(b, tiff, 2) === 'II';
  if (!little && ascii(b, tiff, 2) !== 'MM') return undefined;
  const u16 = (i: number) => (little ? u16le(b, i) : u16be(b, i));
  const u32 = (i: number) => (little ? (u16le(b, i) | (u16le(b, i + 2) << 16)) >>> 0 : u32be(b, i));
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > b.length) return undefined;
  const entries = u16(ifd);
  for (let i = 0; i < entries && ifd + 2 + i * 12 + 12 <= b.length; i++) {
    const entry = ifd + 2 + i * 12;
    if (u16(entry) !== 0x0112) continue;
    const value = u16(entry + 8);
    return value >= 1 && value <= 8 ? value : undefined;
  }
  return undefined;
}

async function jpeg(reader: ChunkedReader): Promise<ImageInfo | undefined> {
  let offset = 2;
  let orientation: number | undefined;
  while (offset < JPEG_SCAN_LIMIT) {
    const head = await reader.bytes(offset, 4);
    if (!head || head[0] !== 0xff) return undefined;
    const marker = head[1] ?? 0;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image / start of scan before any frame
    const length = u16be(head, 2);
    if (length < 2) return undefined;
    if (marker === 0xe1 && orientation === undefined) orientation = await exifOrientation(reader, offset + 4, length - 2);
    if (isStartOfFrame(marker)) {
      const frame = await reader.bytes(offset + 4, 6);
      if (!frame) return undefined;
      const found = info('jpeg', u16be(frame, 3), u16be(frame, 1), frame[5]);
      return found && orientation !== undefined ? { ...found, orientation } : found;
    }
    offset += 2 + length;
  }
  return undefined;
}

/**
 * The format and size of an image from its header bytes, or undefined when the bytes are not one of
 * the supported formats (or the header is truncated or corrupt).
 *
 * @example const header = await readImageHeader(bufferSource(await readFile('cat.jpg')));
 */
export async function readImageHeader(source: ByteSource): Promise<(ImageInfo & { reads: number }) | undefined> {
  const reader = new ChunkedReader(source);
  const first = await reader.bytes(0, Math.min(source.size, 32));
  if (!first || first.length < 4) return undefined;
  let result: ImageInfo | undefined;
  const head = await reader.bytes(0, Math.min(source.size, 64));
  const b = head ?? first;
  if (b[0] === 0x89 && ascii(b, 1, 3) === 'PNG' && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) {
    result = png(b);
  } else if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    result = await jpeg(reader);
  } else if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') {
    result = gif(b);
  } else if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') {
    result = webp(b);
  } else if (ascii(b, 0, 2) === 'BM') {
    result = bmp(b);
  }
  return result ? { ...result, reads: reader.reads } : undefined;
}

/**
 * The size the image is shown at: EXIF orientations 5–8 turn it a quarter, so width and height swap.
 *
 * @example displayedSize({ width: 640, height: 427, orientation: 6 }) // { width: 427, height: 640 }
 */
export function displayedSize(image: { width: number; height: number; orientation?: number }): { width: number; height: number } {
  const turned = (image.orientation ?? 1) >= 5;
  return turned ? { width: image.height, height: image.width } : { width: image.width, height: image.height };
}

/** How far from the end a file's end marker may sit (some writers pad after it). */
const TAIL_BYTES = 1024;

/**
 * Why a PNG or JPEG file is cut off, or undefined when it is whole: a PNG ends with its IEND chunk,
 * a JPEG with the end-of-image marker FF D9 (within the last kilobyte, for writers that pad).
 * One ranged read of the file's tail; other formats are not checked.
 */
export async function truncation(source: ByteSource, format: ImageFormat): Promise<string | undefined> {
  if (format !== 'png' && format !== 'jpeg') return undefined;
  const length = Math.min(source.size, TAIL_BYTES);
  const tail = Buffer.from(await source.read(source.size - length, length));
  if (format === 'png') return tail.includes('IEND', 0, 'latin1') ? undefined : 'truncated PNG: the file ends before its IEND chunk';
  return tail.includes(Buffer.from([0xff, 0xd9])) ? undefined : 'truncated JPEG: the file ends before its end-of-image marker (FF D9)';
}

/** The image formats by file extension (upload CLI: which files to send, and their Content-Type). */
export const IMAGE_EXTENSIONS: Record<string, string> = {
  '.png': MIME.png,
  '.jpg': MIME.jpeg,
  '.jpeg': MIME.jpeg,
  '.gif': MIME.gif,
  '.webp': MIME.webp,
  '.bmp': MIME.bmp,
};
