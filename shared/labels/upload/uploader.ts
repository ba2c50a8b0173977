import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IMAGE_EXTENSIONS } from '../image-header';

/**
 * Uploads a folder of images to an imageset with nothing but its upload SAS URL (create/write only).
 *
 * - Small files go in one Put Blob; larger ones as blocks (Put Block × n, then Put Block List), with
 *   at most `concurrency` requests in flight across all files.
 * - Every request is retried with exponential backoff and jitter on network errors, 408, 429 and
 *   5xx (honouring Retry-After). 403 stops everything: the token expired or is for another imageset.
 * - Resumable: the SAS cannot read or list, so the uploader keeps a local manifest
 *   (`.upload-state.json` in the folder) of what it uploaded to which container, with each file's
 *   size and MD5; a rerun skips files whose MD5 and size match. The blob's Content-MD5 is set, so
 *   the finalize step registers the MD5 without reading the blob again.
 */
export interface UploadOptions {
  folder: string;
  /** Container SAS URL (`https://…/imageset-<id>?sv=…`). */
  sasUrl: string;
  concurrency?: number;
  /** Files up to this size go in one request; larger ones in blocks of `blockSize`. */
  singleShotMaxBytes?: number;
  blockSize?: number;
  retries?: number;
  /** Upload every file, not only images (by extension). */
  allFiles?: boolean;
  stateFile?: string;
  onProgress?: (progress: UploadProgress) => void;
  /** Injected for tests: how long to wait before retry `attempt` (ms). */
  backoffMs?: (attempt: number) => number;
}

export interface UploadProgress {
  filesTotal: number;
  filesDone: number;
  filesSkipped: number;
  filesFailed: number;
  bytesTotal: number;
  bytesDone: number;
  startedAt: number;
}

export interface UploadSummary extends UploadProgress {
  uploaded: string[];
  skipped: string[];
  failed: { file: string; error: string }[];
  retries: number;
  /** Bytes sent in this run (skipped files not counted). */
  bytesUploaded: number;
  elapsedMs: number;
  /** Files left out because they are not images (without `allFiles`), by their path in the folder. */
  leftOut: string[];
}

export const STATE_FILE = '.upload-state.json';

interface StateEntry {
  md5: string;
  size: number;
  uploadedAt: string;
}

interface StateDocument {
  version: 1;
  /** The container URL without its SAS: a manifest for another imageset is not reused. */
  target: string;
  files: Record<string, StateEntry>;
}

/** A failure no retry can fix (403 from the SAS, 400 from a bad request). */
export class FatalUploadError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'FatalUploadError';
  }
}

function targetOf(sasUrl: string): string {
  const url = new URL(sasUrl);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function blobUrl(sasUrl: string, blobName: string, query: Record<string, string> = {}): string {
  const url = new URL(sasUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${blobName.split('/').map(encodeURIComponent).join('/')}`;
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

/** The files to send, in name order, and the non-images left out (hidden files are never sent nor listed). */
async function listFiles(folder: string, allFiles: boolean): Promise<{ files: { file: string; blobName: string }[]; leftOut: string[] }> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const visible = entries
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      return { file, blobName: path.relative(folder, file).split(path.sep).join('/') };
    })
    .filter(({ blobName }) => !blobName.split('/').some((part) => part.startsWith('.')))
    .sort((a, b) => (a.blobName < b.blobName ? -1 : a.blobName > b.blobName ? 1 : 0));
  const isImage = ({ blobName }: { blobName: string }) => path.extname(blobName).toLowerCase() in IMAGE_EXTENSIONS;
  return {
    files: visible.filter((entry) => allFiles || isImage(entry)),
    leftOut: allFiles ? [] : visible.filter((entry) => !isImage(entry)).map(({ blobName }) => blobName),
  };
}

async function md5File(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('base64');
}

async function readState(stateFile: string, target: string): Promise<StateDocument> {
  try {
    const parsed = JSON.parse(await readFile(stateFile, 'utf8')) as Partial<StateDocument>;
    if (parsed.version === 1 && parsed.target === target && parsed.files && typeof parsed.files === 'object') {
      return { version: 1, target, files: parsed.files };
    }
  } catch {
    // no manifest yet, or an unreadable one: start afresh
  }
  return { version: 1, target, files: {} };
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

function defaultBackoff(attempt: number): number {
  return Math.min(8_000, 250 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

/** Uploads the folder; resolves with a summary (failed files are listed, not thrown). */
export async function uploadFolder(options: UploadOptions): Promise<UploadSummary> {
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const singleShotMax = options.singleShotMaxBytes ?? 8 * 1024 * 1024;
  const blockSize = Math.max(1, Math.floor(options.blockSize ?? 4 * 1024 * 1024));
  const maxRetries = options.retries ?? 5;
  const backoff = options.backoffMs ?? defaultBackoff;
  const target = targetOf(options.sasUrl);
  const stateFile = options.stateFile ?? path.join(options.folder, STATE_FILE);
  const state = await readState(stateFile, target);
  const { files, leftOut } = await listFiles(options.folder, options.allFiles ?? false);
  const sizes = await Promise.all(files.map(async ({ file }) => (await stat(file)).size));
  const progress: UploadProgress = {
    filesTotal: files.length,
    filesDone: 0,
    filesSkipped: 0,
    filesFailed: 0,
    bytesTotal: sizes.reduce((sum, size) => sum + size, 0),
    bytesDone: 0,
    startedAt: Date.now(),
  };
  const summary = {
    uploaded: [] as string[],
    skipped: [] as string[],
    failed: [] as { file: string; error: string }[],
    retries: 0,
    bytesUploaded: 0,
  };
  // p-limit ships only as an ES module: this CommonJS build loads it with import().
  const { default: pLimit } = await import('p-limit');
  const requests = pLimit(concurrency);
  const fileSlots = pLimit(concurrency);
  let fatal: FatalUploadError | undefined;
  let stateWrite: Promise<void> = Promise.resolve();
  const report = () => options.onProgress?.({ ...progress });

  const saveState = () => {
    // Serialised, and atomic (write + rename): an interrupted run never leaves a torn manifest.
    stateWrite = stateWrite.then(async () => {
      const temporary = `${stateFile}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(temporary, JSON.stringify(state, null, 1));
      await rename(temporary, stateFile);
    });
    return stateWrite;
  };

  const send = async (url: string, init: { headers: Record<string, string>; body: Buffer | string }): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      if (fatal) throw fatal;
      let status: number | undefined;
      let retryAfter: number | undefined;
      let detail = '';
      try {
        const response = await requests(() => fetch(url, { method: 'PUT', headers: init.headers, body: init.body }));
        status = response.status;
        const text = await response.text();
        if (status < 300) return;
        detail = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? text.slice(0, 200);
        retryAfter = Number(response.headers.get('retry-after')) || undefined;
        if (!RETRYABLE.has(status)) {
          const error = new FatalUploadError(`${status} ${detail}`, status);
          // 403: the token is expired or not for this container; nothing else will work either.
          if (status === 403) fatal = error;
          throw error;
        }
      } catch (error) {
        if (error instanceof FatalUploadError) throw error;
        detail = error instanceof Error ? error.message : String(error);
      }
      if (attempt >= maxRetries) throw new Error(`gave up after ${attempt + 1} attempts: ${status ?? ''} ${detail}`.trim());
      summary.retries++;
      await new Promise((resolve) => setTimeout(resolve, retryAfter ? retryAfter * 1000 : backoff(attempt)));
    }
  };

  const contentType = (blobName: string) => IMAGE_EXTENSIONS[path.extname(blobName).toLowerCase()] ?? 'application/octet-stream';

  const uploadOne = async (file: string, blobName: string, size: number): Promise<void> => {
    const md5 = await md5File(file);
    const previous = state.files[blobName];
    if (previous && previous.md5 === md5 && previous.size === size) {
      progress.filesSkipped++;
      progress.bytesDone += size;
      summary.skipped.push(blobName);
      report();
      return;
    }
    const common = { 'x-ms-version': '2021-08-06', 'x-ms-blob-content-type': contentType(blobName) };
    if (size <= singleShotMax) {
      const body = await readFile(file);
      await send(blobUrl(options.sasUrl, blobName), {
        headers: { ...common, 'x-ms-blob-type': 'BlockBlob', 'Content-MD5': md5 },
        body,
      });
      progress.bytesDone += size;
      report();
    } else {
      const handle = await open(file, 'r');
      try {
        const count = Math.ceil(size / blockSize);
        const ids = Array.from({ length: count }, (_, i) => Buffer.from(`block-${String(i).padStart(6, '0')}`).toString('base64'));
        await Promise.all(
          ids.map(async (blockId, i) => {
            const length = Math.min(blockSize, size - i * blockSize);
            const buffer = Buffer.alloc(length);
            await handle.read(buffer, 0, length, i * blockSize);
            await send(blobUrl(options.sasUrl, blobName, { comp: 'block', blockid: blockId }), {
              headers: { ...common, 'Content-MD5': createHash('md5').update(buffer).digest('base64') },
              body: buffer,
            });
            progress.bytesDone += length;
            report();
          }),
        );
        const list = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join('')}</BlockList>`;
        await send(blobUrl(options.sasUrl, blobName, { comp: 'blocklist' }), {
          headers: { ...common, 'Content-Type': 'application/xml', 'x-ms-blob-content-md5': md5 },
          body: list,
        });
      } finally {
        await handle.close();
      }
    }
    state.files[blobName] = { md5, size, uploadedAt: new Date().toISOString() };
    summary.uploaded.push(blobName);
    summary.bytesUploaded += size;
    progress.filesDone++;
    report();
    await saveState();
  };

  report();
  await Promise.all(
    files.map(({ file, blobName }, i) =>
      fileSlots(async () => {
        try {
          if (fatal) throw fatal;
          await uploadOne(file, blobName, sizes[i] ?? 0);
        } catch (error) {
          progress.filesFailed++;
          summary.failed.push({ file: blobName, error: error instanceof Error ? error.message : String(error) });
          report();
        }
      }),
    ),
  );
  await stateWrite.catch(() => undefined);
  return { ...progress, ...summary, elapsedMs: Date.now() - progress.startedAt, leftOut };
}
