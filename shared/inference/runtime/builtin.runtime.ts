import { z } from 'zod';
import { PermanentJobError } from '../../jobs/job.handler';
import { ImageInput, ImageOutput, type Prediction } from '../model.schema';
import { IrisInput, IrisOutput, type IrisParameters, predictIris } from '../models/iris.model';
import { SALIENT_REGION_VERSION, predictSalientRegion } from '../models/salient-region.model';
import { UnsupportedImage } from '../models/salient-region.png';

/**
 * Models shipped with the app, by the `name` a catalogue entry's `runtime: { kind: 'builtin', name }`
 * gives. Each declares what it accepts (one JSON input, or images), its schemas (seeded into the
 * catalogue entry) and a version that changes whenever its behaviour does (part of the cache key).
 */
export interface BuiltinModelInfo {
  name: string;
  title: string;
  description: string;
  accepts: 'json' | 'image';
  inputSchema: z.ZodType;
  outputSchema: z.ZodType;
  /** Loads what it needs on first use (the iris parameters); a missing artefact is a permanent failure. */
  version(): string;
  metrics?(): Record<string, unknown>;
}

export interface BuiltinJsonModel extends BuiltinModelInfo {
  accepts: 'json';
  predict(input: unknown): Promise<unknown>;
}

export interface BuiltinImageModel extends BuiltinModelInfo {
  accepts: 'image';
  predictImage(bytes: Buffer, image: ImageInput): Promise<Prediction[]>;
}

export type BuiltinModel = BuiltinJsonModel | BuiltinImageModel;

let irisParameters: IrisParameters | undefined;

/**
 * The trained parameters, written next to the compiled model by the build (`iris.train.ts`). A
 * literal `require` so that the esbuild bundle carries them inside the one deployed file.
 */
function iris(): IrisParameters {
  if (irisParameters) return irisParameters;
  try {
    irisParameters = require('../models/iris.model.json') as IrisParameters;
  } catch {
    throw new PermanentJobError('The iris classifier has not been trained in this build (run `npm run build`).', 'model-unavailable');
  }
  return irisParameters;
}

/** For tests: use these parameters instead of the trained file. */
export function useIrisParameters(parameters: IrisParameters | undefined): void {
  irisParameters = parameters;
}

function parseOrReject<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  throw new PermanentJobError(`${what}: ${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'not valid'}`);
}

const irisClassifier: BuiltinJsonModel = {
  name: 'iris-classifier',
  title: 'Iris species classifier',
  description:
    'Multinomial logistic regression on the four measurements of an iris flower (sepal and petal length and width, cm), ' +
    'trained at build time on the 150 rows of the shipped iris data (Fisher, 1936). Answers the most probable species ' +
    '(setosa, versicolor, virginica) with the probability of each. Its measured accuracy is in `metrics`.',
  accepts: 'json',
  inputSchema: IrisInput,
  outputSchema: IrisOutput,
  version: () => iris().version,
  metrics: () => ({ ...iris().metrics, algorithm: iris().algorithm }),
  async predict(input) {
    return predictIris(iris(), parseOrReject(IrisInput, input, 'not an iris measurement'));
  },
};

const salientRegion: BuiltinImageModel = {
  name: 'salient-region',
  title: 'Salient region (colour) detector',
  description:
    'Classical image processing, not a learned detector: takes the median border colour of a PNG image as its background ' +
    'and returns one bounding box around the pixels that differ from it, labelled with their dominant colour name ' +
    '(red, orange, yellow, green, cyan, blue, purple, pink, brown, black, white, grey). Useful for one object on a plain ' +
    'background and for trying model-assisted labelling; it knows no object classes. Other image formats are skipped.',
  accepts: 'image',
  inputSchema: ImageInput,
  outputSchema: ImageOutput,
  version: () => SALIENT_REGION_VERSION,
  async predictImage(bytes, image) {
    try {
      return predictSalientRegion(bytes);
    } catch (error) {
      if (error instanceof UnsupportedImage) throw new PermanentJobError(`${image.contentType}: ${error.message}`, 'unsupported-image');
      throw error;
    }
  },
};

const BUILTINS: readonly BuiltinModel[] = [irisClassifier, salientRegion];

export function builtinModel(name: string): BuiltinModel | undefined {
  return BUILTINS.find((model) => model.name === name);
}

export function builtinModels(): readonly BuiltinModel[] {
  return BUILTINS;
}
