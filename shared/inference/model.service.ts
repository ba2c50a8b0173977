import type { Principal } from '../auth/auth.schema';
import { lazyRequire } from '../azure/load';
import { getEntry, type ModelEntry } from '../catalogue/catalogue.service';
import { errors, type FieldError } from '../errors';
import { PermanentJobError } from '../jobs/job.handler';
import { compileJsonSchema, JsonSchemaRefused, type SchemaCheck } from './json-schema';
import { type ImageInput, ImageOutput, type ModelSnapshot, type Prediction } from './model.schema';
import { builtinModel, type BuiltinModel } from './runtime/builtin.runtime';
import { callHttpModel, TransientModelError } from './runtime/http.runtime';

/**
 * Models as inference runs them: resolving a catalogue entry to something runnable, validating an
 * input against the entry's `inputSchema` (JSON Schema, see json-schema.ts: patterns run on RE2), and calling
 * the runtime — a builtin model or a remote scoring endpoint — checking what it answers against the
 * entry's `outputSchema`.
 */
export interface RunnableModel {
  entry: ModelEntry;
  snapshot: ModelSnapshot;
  /** `json`: one input per job; `image`: imageset jobs only; `any`: an http model, whose input schema decides. */
  accepts: 'json' | 'image' | 'any';
}

/**
 * The entry's schema as a check; a schema stored before schemas were checked on write (a pattern RE2
 * cannot run, not JSON Schema at all) is its owner's to fix: ModelSchemaError.
 */
function schemaOf(jsonSchema: Record<string, unknown>, what: string): SchemaCheck {
  try {
    return compileJsonSchema(jsonSchema);
  } catch (error) {
    if (error instanceof JsonSchemaRefused) throw new ModelSchemaError(`${what} is not a JSON Schema this platform can apply: ${error.message}`);
    throw error;
  }
}

/** A model entry whose schema cannot be used: its owner must fix the entry (422, not a server fault). */
export class ModelSchemaError extends Error {}

function versionOf(entry: ModelEntry): string {
  return entry.version ?? entry.dateModified;
}

function builtinOrThrow(name: string, modelId: string): BuiltinModel {
  const builtin = builtinModel(name);
  if (!builtin) throw errors.unprocessable(`Model '${modelId}' names a builtin model '${name}' this platform does not ship.`);
  return builtin;
}

/** The model entry as something to run: 404 if the caller cannot see it, 422 if it has no usable runtime. */
export async function resolveModel(principal: Principal, modelId: string): Promise<RunnableModel> {
  const entry = await getEntry(principal, 'models', modelId);
  const runtime = entry.runtime;
  if (!runtime) throw errors.unprocessable(`Model '${modelId}' is in the catalogue but has no runtime, so it cannot be run here.`);
  if (runtime.kind === 'http') {
    return { entry, accepts: 'any', snapshot: { id: entry.id, version: versionOf(entry), runtime, outputSchema: entry.outputSchema } };
  }
  const builtin = builtinOrThrow(runtime.name, modelId);
  let builtinVersion: string;
  try {
    builtinVersion = builtin.version();
  } catch (error) {
    // A model missing from this build comes with the next deployment: minutes, not seconds.
    if (error instanceof PermanentJobError) throw errors.unavailable(error.message, 300);
    throw error;
  }
  return {
    entry,
    accepts: builtin.accepts,
    snapshot: { id: entry.id, version: `${versionOf(entry)}+${builtinVersion}`, runtime, outputSchema: entry.outputSchema },
  };
}

/** 400 naming each bad field (`/input/sepal_length`, by its path in the caller's input) when `input` does not fit the model's inputSchema. */
export function validateModelInput(model: RunnableModel, input: unknown, pointer = '/input'): void {
  if (!model.entry.inputSchema) return;
  let check: SchemaCheck;
  try {
    check = schemaOf(model.entry.inputSchema, `The inputSchema of model '${model.entry.id}'`);
  } catch (error) {
    if (error instanceof ModelSchemaError) throw errors.unprocessable(error.message);
    throw error;
  }
  const issues = check(input);
  if (issues.length === 0) return;
  // Ajv's instancePath is already a JSON pointer into the input.
  const fieldErrors: FieldError[] = issues.map((issue) => ({ pointer: `${pointer}${issue.pointer}`, message: issue.message }));
  throw errors.invalidInputs(fieldErrors);
}

/** 422 unless the model runs on images (a builtin image model, or an http model whose inputSchema takes an ImageInput). */
export function assertRunsOnImages(model: RunnableModel): void {
  if (model.accepts === 'json') throw errors.unprocessable(`Model '${model.entry.id}' takes one JSON input, not images; send \`input\`.`);
  if (model.accepts === 'image' || !model.entry.inputSchema) return;
  const sample: ImageInput = {
    imageId: '0000000000000000~00000000000000000000',
    imageUrl: 'https://example.invalid/image.png',
    contentType: 'image/png',
    width: 1,
    height: 1,
  };
  try {
    validateModelInput(model, sample, '/model/inputSchema');
  } catch {
    throw errors.unprocessable(
      `Model '${model.entry.id}' does not take images: its inputSchema does not accept { imageId, imageUrl, contentType, width, height }.`,
    );
  }
}

/** 422 unless the model takes one JSON input (an image model runs on imagesets only). */
export function assertTakesInput(model: RunnableModel): void {
  if (model.accepts === 'image') throw errors.unprocessable(`Model '${model.entry.id}' runs on images; send \`imagesetId\`.`);
}

function checkOutput(snapshot: ModelSnapshot, output: unknown): unknown {
  if (!snapshot.outputSchema) return output;
  let check: SchemaCheck;
  try {
    check = schemaOf(snapshot.outputSchema, `The outputSchema of model '${snapshot.id}'`);
  } catch (error) {
    if (error instanceof ModelSchemaError) throw new PermanentJobError(error.message, 'model-misconfigured');
    throw error;
  }
  const [first] = check(output);
  if (!first) return output;
  throw new PermanentJobError(
    `The model's answer does not match its outputSchema: ${first.pointer || '(root)'}: ${first.message}`,
    'model-output',
  );
}

/**
 * Runs the model on one input (in the worker). Bad input → PermanentJobError; transient trouble →
 * thrown; `signal` aborts a remote call in flight (a `canceled` PermanentJobError).
 */
export async function runModel(snapshot: ModelSnapshot, input: unknown, signal?: AbortSignal): Promise<unknown> {
  const runtime = snapshot.runtime;
  if (runtime.kind === 'http') return checkOutput(snapshot, await callHttpModel(runtime, input, { signal }));
  const builtin = builtinModel(runtime.name);
  if (!builtin || builtin.accepts !== 'json') throw new PermanentJobError(`No builtin model '${runtime.name}' that takes JSON input.`, 'model-misconfigured');
  return checkOutput(snapshot, await builtin.predict(input));
}

const MAX_IMAGE_BYTES = 50 * 1024 * 1024;

/**
 * The image's bytes through its read SAS URL, as a remote model would fetch them. Through the Blob
 * SDK, not the outbound client: the URL is minted by the job for the platform's own storage (never
 * given by a caller), which in Azure may sit behind a private endpoint the outbound policy refuses.
 * At most MAX_IMAGE_BYTES + 1 bytes are asked for (a range), so a larger blob is never read whole.
 */
async function downloadImage(image: ImageInput): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    const download = await new (lazyRequire<typeof import('@azure/storage-blob')>('@azure/storage-blob').BlobClient)(image.imageUrl).download(0, MAX_IMAGE_BYTES + 1, { abortSignal: AbortSignal.timeout(60_000) });
    for await (const chunk of download.readableStreamBody ?? []) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      total += bytes.length;
      chunks.push(bytes);
    }
  } catch (error) {
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status < 500 && status !== 408 && status !== 429) {
      throw new PermanentJobError(`The image could not be read (HTTP ${status}).`, 'unsupported-image');
    }
    throw new TransientModelError(`The image could not be read${typeof status === 'number' ? ` (HTTP ${status})` : ''}.`, { cause: error });
  }
  if (total > MAX_IMAGE_BYTES) throw new PermanentJobError(`The image is larger than ${MAX_IMAGE_BYTES} bytes.`, 'unsupported-image');
  return Buffer.concat(chunks, total);
}

/** Runs an image model on one image (in the worker): its predicted boxes, clamped to the image. */
export async function runModelOnImage(snapshot: ModelSnapshot, image: ImageInput, signal?: AbortSignal): Promise<Prediction[]> {
  const runtime = snapshot.runtime;
  let predictions: Prediction[];
  if (runtime.kind === 'http') {
    const parsed = ImageOutput.safeParse(await callHttpModel(runtime, image, { signal }));
    if (!parsed.success) throw new PermanentJobError('The model did not answer { predictions: [ { label, confidence, xMin, yMin, xMax, yMax } ] }.', 'model-output');
    predictions = parsed.data.predictions;
  } else {
    const builtin = builtinModel(runtime.name);
    if (!builtin || builtin.accepts !== 'image') throw new PermanentJobError(`No builtin model '${runtime.name}' that takes images.`, 'model-misconfigured');
    predictions = await builtin.predictImage(await downloadImage(image), image);
  }
  return predictions
    .map((p) => ({ ...p, xMin: Math.max(0, p.xMin), yMin: Math.max(0, p.yMin), xMax: Math.min(image.width, p.xMax), yMax: Math.min(image.height, p.yMax) }))
    .filter((p) => p.xMax > p.xMin && p.yMax > p.yMin);
}
