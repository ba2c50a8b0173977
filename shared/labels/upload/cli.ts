import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { STATE_FILE, type UploadProgress, type UploadSummary, uploadFolder } from './uploader';

/**
 * `mlassets-upload <folder> (--sas <url> | --imageset <id> --api <baseUrl> --key <apiKey>)`
 *
 * Uploads a folder of images to an imageset. With `--imageset` it asks the API for a fresh upload
 * token (`POST /api/v1/imagesets/{id}/upload-token`) and, with `--finalize`, finalizes afterwards.
 * Exit codes: 0 all uploaded, 1 some files failed, 2 usage or setup errors.
 */
export const USAGE = `Usage: mlassets-upload <folder> [options]

Where to upload (one of):
  --sas <url>              the imageset's upload SAS URL (create/write only)
  --imageset <id>          fetch a fresh token from the API (needs --api and --key)
    --api <baseUrl>        e.g. http://127.0.0.1:7071 (env MLASSETS_API)
    --key <apiKey>         X-API-Key value (env MLASSETS_API_KEY)
    --finalize             finalize the imageset after a complete upload
    --wait                 with --finalize: wait for the finalize job and print its report

Options:
  --concurrency <n>        requests in flight (default 8)
  --block-size <MiB>       files above this go in blocks of this size (default 4)
  --retries <n>            retries per request (default 5)
  --all                    upload every file, not only images (.png .jpg .jpeg .gif .webp .bmp)
  --state <file>           resume manifest (default <folder>/${STATE_FILE})
  --quiet                  only the summary
  -h, --help               this text
`;

interface Io {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function rate(progress: UploadProgress): number {
  const seconds = Math.max(0.001, (Date.now() - progress.startedAt) / 1000);
  return progress.bytesDone / seconds;
}

function progressLine(progress: UploadProgress, width = 24): string {
  const fraction = progress.bytesTotal > 0 ? progress.bytesDone / progress.bytesTotal : 1;
  const filled = Math.round(fraction * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const files = progress.filesDone + progress.filesSkipped;
  const perSecond = rate(progress);
  const eta = perSecond > 0 ? Math.ceil((progress.bytesTotal - progress.bytesDone) / perSecond) : 0;
  const failed = progress.filesFailed > 0 ? `, ${progress.filesFailed} failed` : '';
  return (
    `[${bar}] ${files}/${progress.filesTotal} files${failed}  ${formatBytes(progress.bytesDone)}/${formatBytes(progress.bytesTotal)}  ` +
    `${formatBytes(perSecond)}/s  ETA ${eta}s`
  );
}

/** A progress display: a redrawn bar on a TTY, a plain line every few seconds otherwise. */
function progressReporter(io: Io, quiet: boolean) {
  const tty = Boolean(io.out.isTTY);
  let latest: UploadProgress | undefined;
  let lastPrinted = 0;
  const draw = () => {
    if (!latest || quiet) return;
    if (tty) io.out.write(`\r\x1b[K${progressLine(latest)}`);
    else io.out.write(`${progressLine(latest)}\n`);
  };
  const timer = setInterval(
    () => {
      if (!tty && latest && Date.now() - lastPrinted < 5_000) return;
      lastPrinted = Date.now();
      draw();
    },
    tty ? 200 : 1_000,
  );
  timer.unref();
  return {
    update: (progress: UploadProgress) => {
      latest = progress;
    },
    stop: () => {
      clearInterval(timer);
      draw();
      if (tty && !quiet) io.out.write('\n');
    },
  };
}

function summaryText(summary: UploadSummary): string {
  const seconds = summary.elapsedMs / 1000;
  const uploadedBytes = summary.bytesUploaded;
  // A rate only means something when bytes were sent.
  const sent =
    uploadedBytes > 0
      ? `${formatBytes(uploadedBytes)} in ${seconds.toFixed(1)} s (${formatBytes(uploadedBytes / Math.max(0.001, seconds))}/s, ${summary.retries} retries)`
      : `nothing sent (${summary.retries} retries)`;
  const lines = [`Uploaded ${summary.uploaded.length} file(s), skipped ${summary.skipped.length} already uploaded, ${summary.failed.length} failed; ${sent}.`];
  if (summary.leftOut.length > 0) {
    const shown = summary.leftOut.slice(0, 20).join(', ');
    const more = summary.leftOut.length > 20 ? ` and ${summary.leftOut.length - 20} more` : '';
    lines.push(`Left out ${summary.leftOut.length} file(s) that are not images (--all uploads them): ${shown}${more}`);
  }
  for (const failure of summary.failed.slice(0, 20)) lines.push(`  failed: ${failure.file}: ${failure.error}`);
  if (summary.failed.length > 20) lines.push(`  … and ${summary.failed.length - 20} more`);
  return lines.join('\n');
}

async function apiCall(baseUrl: string, key: string, path: string, method = 'POST'): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl.replace(/\/+$/, '')}/api${path}`, {
    method,
    headers: { 'X-API-Key': key, Accept: 'application/json' },
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: reported below
  }
  if (!response.ok) throw new Error(`${response.status} ${typeof body.detail === 'string' ? body.detail : text.slice(0, 200)}`);
  return body;
}

/** Polls the job until it ends (every second: finalize takes seconds to minutes). */
async function finishedJob(api: string, key: string, jobId: string): Promise<Record<string, unknown>> {
  for (;;) {
    const job = await apiCall(api, key, `/v1/jobs/${encodeURIComponent(jobId)}`, 'GET');
    if (['succeeded', 'failed', 'canceled'].includes(String(job.status))) return job;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function finalizeText(job: Record<string, unknown>): string {
  if (job.status !== 'succeeded') {
    const error = job.error as { message?: unknown } | undefined;
    return `Finalize ${String(job.status)}: ${String(error?.message ?? 'no reason given')}`;
  }
  const result = (job.result ?? {}) as { registered?: unknown; skippedCount?: unknown; skipped?: { blobName: string; reason: string }[] };
  const lines = [`Finalized: ${String(result.registered ?? 0)} image(s) registered, ${String(result.skippedCount ?? 0)} skipped.`];
  for (const skip of (result.skipped ?? []).slice(0, 20)) lines.push(`  skipped: ${skip.blobName}: ${skip.reason}`);
  return lines.join('\n');
}

function numberOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number`);
  return parsed;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: Io = { out: process.stdout, err: process.stderr, env: process.env }): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    io.err.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.out.write(USAGE);
    return 0;
  }
  const folder = positionals[0];
  const api = values.api ?? io.env.MLASSETS_API;
  const key = values.key ?? io.env.MLASSETS_API_KEY;
  try {
    if (!folder || positionals.length > 1) throw new Error('Name exactly one folder.');
    if (!(await stat(folder).catch(() => undefined))?.isDirectory()) throw new Error(`'${folder}' is not a folder.`);
    if (Boolean(values.sas) === Boolean(values.imageset)) throw new Error('Give either --sas or --imageset.');
    if (values.imageset && (!api || !key)) throw new Error('--imageset needs --api and --key (or MLASSETS_API and MLASSETS_API_KEY).');
    if (values.finalize && !values.imageset) throw new Error('--finalize needs --imageset.');
    if (values.wait && !values.finalize) throw new Error('--wait needs --finalize.');
    const concurrency = numberOption(values.concurrency, 'concurrency', 8);
    const blockSize = Math.max(1024, Math.floor(numberOption(values['block-size'], 'block-size', 4) * 1024 * 1024));
    const retries = numberOption(values.retries, 'retries', 5);
    let sasUrl = values.sas ?? '';
    if (values.imageset && api && key) {
      const token = await apiCall(api, key, `/v1/imagesets/${encodeURIComponent(values.imageset)}/upload-token`);
      if (typeof token.url !== 'string') throw new Error('The API returned no upload URL.');
      sasUrl = token.url;
    }
    new URL(sasUrl);
    const reporter = progressReporter(io, Boolean(values.quiet));
    const summary = await uploadFolder({
      folder,
      sasUrl,
      concurrency,
      blockSize,
      singleShotMaxBytes: blockSize,
      retries,
      allFiles: values.all,
      stateFile: values.state,
      onProgress: reporter.update,
    });
    reporter.stop();
    io.out.write(`${summaryText(summary)}\n`);
    if (summary.failed.length > 0) return 1;
    if (values.finalize && values.imageset && api && key) {
      const result = await apiCall(api, key, `/v1/imagesets/${encodeURIComponent(values.imageset)}/finalize`);
      io.out.write(`Finalizing: job ${String(result.jobId)} (GET ${api.replace(/\/+$/, '')}/api/v1/jobs/${String(result.jobId)})\n`);
      if (values.wait) {
        const job = await finishedJob(api, key, String(result.jobId));
        io.out.write(`${finalizeText(job)}\n`);
        return job.status === 'succeeded' ? 0 : 1;
      }
    }
    return 0;
  } catch (error) {
    io.err.write(`upload: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      sas: { type: 'string' },
      imageset: { type: 'string' },
      api: { type: 'string' },
      key: { type: 'string' },
      finalize: { type: 'boolean' },
      wait: { type: 'boolean' },
      concurrency: { type: 'string' },
      'block-size': { type: 'string' },
      retries: { type: 'string' },
      all: { type: 'boolean' },
      state: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
