import { lazyRequire } from '../azure/load';

// fflate, yaml and the XML parser load with the first import or export that needs them, not on every
// cold start (issue 22).
const fflate = () => lazyRequire<typeof import('fflate')>('fflate');
import { errors } from '../errors';
import { readTar } from './tar';

/** Files above this size inside an archive are refused (label files are small; this bounds a zip bomb). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MAX_TOTAL_BYTES = 256 * 1024 * 1024;

const isZip = (bytes: Buffer) => bytes.length >= 4 && bytes.readUInt32LE(0) === 0x04034b50;
const isEmptyZip = (bytes: Buffer) => bytes.length >= 4 && bytes.readUInt32LE(0) === 0x06054b50;
const isGzip = (bytes: Buffer) => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
const isTar = (bytes: Buffer) => bytes.length >= 512 && bytes.subarray(257, 262).toString('latin1') === 'ustar';

/** `./a\b.txt` → `a/b.txt`; macOS resource forks and folders are dropped (undefined). */
function cleanName(name: string): string | undefined {
  const clean = name.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/^\/+/, '');
  if (!clean || clean.endsWith('/') || clean.startsWith('__MACOSX/') || clean.split('/').some((part) => part.startsWith('._'))) return undefined;
  return clean;
}

/**
 * The files of a zip, ustar tar or gzipped tar (YOLO and VOC datasets travel as one of these), by
 * name. Anything else is a 400 naming the body.
 *
 * @example readArchive(zipBytes).get('labels/a/x.txt')
 */
export function readArchive(bytes: Buffer): Map<string, Buffer> {
  let raw: Map<string, Buffer>;
  try {
    if (isZip(bytes) || isEmptyZip(bytes)) {
      let total = 0;
      const entries = fflate().unzipSync(bytes, {
        filter: (file) => {
          total += file.originalSize;
          if (file.originalSize > MAX_FILE_BYTES || total > MAX_TOTAL_BYTES) throw new Error(`'${file.name}' is too large`);
          return !file.name.endsWith('/');
        },
      });
      raw = new Map(Object.entries(entries).map(([name, content]) => [name, Buffer.from(content)]));
    } else if (isGzip(bytes)) {
      // ISIZE, the last four bytes: the unpacked size (mod 2^32), checked before inflating.
      if (bytes.readUInt32LE(bytes.length - 4) > MAX_TOTAL_BYTES) throw new Error('the unpacked archive is too large');
      raw = readTar(Buffer.from(fflate().gunzipSync(bytes)));
    } else if (isTar(bytes)) {
      raw = readTar(bytes);
    } else {
      throw new Error('not a zip, tar or tar.gz archive');
    }
  } catch (error) {
    throw errors.invalidInput('', `cannot be read as an archive: ${error instanceof Error ? error.message : String(error)}`);
  }
  const files = new Map<string, Buffer>();
  for (const [name, content] of raw) {
    const clean = cleanName(name);
    if (clean) files.set(clean, content);
  }
  return files;
}
