import { z } from 'zod';
import { sha256 } from '../../hash';

/**
 * The iris classifier: multinomial logistic regression (softmax) on the four standardised
 * measurements, trained at build time on the shipped iris data (`iris.train.ts`, run by
 * `postbuild`) and loaded from `iris.model.json` beside the compiled code on first use.
 */
export const IRIS_CLASSES = ['setosa', 'versicolor', 'virginica'] as const;
export type IrisClass = (typeof IRIS_CLASSES)[number];
export const IRIS_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;

const centimetres = z.number().positive().max(100).describe('Centimetres.');

export const IrisInput = z
  .strictObject({
    sepal_length: centimetres,
    sepal_width: centimetres,
    petal_length: centimetres,
    petal_width: centimetres,
  })
  .meta({ id: 'IrisInput', description: 'The four measurements of one iris flower, in centimetres.' });
export type IrisInput = z.infer<typeof IrisInput>;

const probability = z.number().min(0).max(1);

export const IrisOutput = z
  .object({
    species: z.enum(IRIS_CLASSES),
    probabilities: z.object({ setosa: probability, versicolor: probability, virginica: probability }),
  })
  .meta({ id: 'IrisOutput', description: 'The most probable species and the probability of each.' });
export type IrisOutput = z.infer<typeof IrisOutput>;

export interface IrisRow {
  features: [number, number, number, number];
  label: number;
}

export interface IrisParameters {
  name: 'iris-classifier';
  /** A digest of the parameters: part of the cache key, so a retrained model never serves old results. */
  version: string;
  algorithm: string;
  classes: readonly IrisClass[];
  features: readonly string[];
  mean: number[];
  std: number[];
  /** One row of weights per class, over the standardised features. */
  weights: number[][];
  bias: number[];
  metrics: {
    rows: number;
    trainingAccuracy: number;
    crossValidation: { folds: number; accuracy: number };
    leaveOneOutAccuracy: number;
  };
  data: { file: string; sha256: string };
}

export interface TrainOptions {
  /** Newton steps at most (it converges in far fewer). */
  iterations?: number;
  /** L2 penalty on every parameter, per row. */
  l2?: number;
}

/** Column names as the CSV spells them (`sepal_length`, `Sepal.Length`, `SepalLengthCm`) → the feature. */
function featureOfHeader(header: string): string | undefined {
  const key = header.toLowerCase().replace(/[^a-z]/g, '').replace(/cm$/, '');
  const known: Record<string, string> = {
    sepallength: 'sepal_length',
    sepalwidth: 'sepal_width',
    petallength: 'petal_length',
    petalwidth: 'petal_width',
  };
  return known[key];
}

/** Parses the iris CSV: a header naming the four measurements and the species, then one row per flower. */
export function parseIrisCsv(text: string): IrisRow[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((cell) => cell.trim().replace(/^"|"$/g, ''));
  const featureColumns = IRIS_FEATURES.map((feature) => header.findIndex((cell) => featureOfHeader(cell) === feature));
  const labelColumn = header.findIndex((cell) => /^(species|variety|class)$/i.test(cell));
  if (featureColumns.some((column) => column < 0) || labelColumn < 0) {
    throw new Error(`iris CSV header must name the four measurements and the species, got: ${header.join(',')}`);
  }
  return lines.slice(1).map((line, index) => {
    const cells = line.split(',').map((cell) => cell.trim().replace(/^"|"$/g, ''));
    const values = featureColumns.map((column) => Number(cells[column]));
    const species = String(cells[labelColumn]).toLowerCase().replace(/^iris[-_ ]?/, '');
    const label = IRIS_CLASSES.indexOf(species as IrisClass);
    if (values.some((value) => !Number.isFinite(value)) || label < 0) throw new Error(`iris CSV row ${index + 2} is not valid: ${line}`);
    return { features: values as IrisRow['features'], label };
  });
}

function softmax(scores: number[]): number[] {
  const max = Math.max(...scores);
  const exps = scores.map((score) => Math.exp(score - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((value) => value / sum);
}

function standardiser(rows: IrisRow[]): { mean: number[]; std: number[] } {
  const n = rows.length;
  const mean = [0, 1, 2, 3].map((j) => rows.reduce((sum, row) => sum + row.features[j]!, 0) / n);
  const std = [0, 1, 2, 3].map((j) => Math.sqrt(rows.reduce((sum, row) => sum + (row.features[j]! - mean[j]!) ** 2, 0) / n) || 1);
  return { mean, std };
}

interface Fitted {
  mean: number[];
  std: number[];
  weights: number[][];
  bias: number[];
}

const CLASSES = IRIS_CLASSES.length;
const WIDTH = 5; // four standardised features and a bias term
const SIZE = CLASSES * WIDTH;

/** Mean cross-entropy plus (l2/2)·‖θ‖², and its gradient and Hessian, over standardised rows. */
function objective(theta: Float64Array, z: Float64Array, y: Int32Array, l2: number, withDerivatives: boolean) {
  const n = y.length;
  const gradient = new Float64Array(SIZE);
  const hessian = withDerivatives ? new Float64Array(SIZE * SIZE) : undefined;
  const p = new Float64Array(CLASSES);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const o = i * WIDTH;
    let max = -Infinity;
    for (let c = 0; c < CLASSES; c++) {
      let score = 0;
      for (let j = 0; j < WIDTH; j++) score += theta[c * WIDTH + j]! * z[o + j]!;
      p[c] = score;
      if (score > max) max = score;
    }
    let sum = 0;
    for (let c = 0; c < CLASSES; c++) sum += Math.exp(p[c]! - max);
    const label = y[i]!;
    loss += -(p[label]! - max - Math.log(sum)) / n;
    for (let c = 0; c < CLASSES; c++) p[c] = Math.exp(p[c]! - max) / sum;
    if (!withDerivatives || !hessian) continue;
    for (let c = 0; c < CLASSES; c++) {
      const error = p[c]! - (label === c ? 1 : 0);
      for (let j = 0; j < WIDTH; j++) gradient[c * WIDTH + j]! += (error * z[o + j]!) / n;
      for (let d = 0; d < CLASSES; d++) {
        const weight = (p[c]! * ((c === d ? 1 : 0) - p[d]!)) / n;
        for (let j = 0; j < WIDTH; j++) {
          for (let l = 0; l < WIDTH; l++) hessian[(c * WIDTH + j) * SIZE + d * WIDTH + l]! += weight * z[o + j]! * z[o + l]!;
        }
      }
    }
  }
  for (let a = 0; a < SIZE; a++) {
    loss += (l2 / 2) * theta[a]! ** 2;
    gradient[a]! += l2 * theta[a]!;
    if (hessian) hessian[a * SIZE + a]! += l2;
  }
  return { loss, gradient, hessian };
}

/** Solves H·x = g by Gaussian elimination with partial pivoting (H is 15×15 and positive definite). */
function solve(h: Float64Array, g: Float64Array): Float64Array {
  const n = g.length;
  const a = Float64Array.from(h);
  const x = Float64Array.from(g);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (Math.abs(a[row * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = row;
    if (pivot !== col) {
      for (let k = 0; k < n; k++) [a[col * n + k], a[pivot * n + k]] = [a[pivot * n + k]!, a[col * n + k]!];
      [x[col], x[pivot]] = [x[pivot]!, x[col]!];
    }
    for (let row = col + 1; row < n; row++) {
      const factor = a[row * n + col]! / a[col * n + col]!;
      for (let k = col; k < n; k++) a[row * n + k]! -= factor * a[col * n + k]!;
      x[row]! -= factor * x[col]!;
    }
  }
  for (let row = n - 1; row >= 0; row--) {
    let sum = x[row]!;
    for (let k = row + 1; k < n; k++) sum -= a[row * n + k]! * x[k]!;
    x[row] = sum / a[row * n + row]!;
  }
  return x;
}

/**
 * Newton's method with backtracking on the L2-regularised cross-entropy: the objective is strictly
 * convex, so the optimum is unique and the fit deterministic (the same data always gives the same
 * parameters and version digest), in a few dozen steps.
 */
export function fit(rows: IrisRow[], options: TrainOptions = {}): Fitted {
  const l2 = options.l2 ?? 1e-3;
  const { mean, std } = standardiser(rows);
  const z = new Float64Array(rows.length * WIDTH);
  const y = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    for (let j = 0; j < 4; j++) z[i * WIDTH + j] = (row.features[j]! - mean[j]!) / std[j]!;
    z[i * WIDTH + 4] = 1;
    y[i] = row.label;
  });
  let theta = new Float64Array(SIZE);
  for (let step = 0; step < (options.iterations ?? 100); step++) {
    const { loss, gradient, hessian } = objective(theta, z, y, l2, true);
    if (!hessian || Math.hypot(...gradient) < 1e-10) break;
    const direction = solve(hessian, gradient);
    const decrease = gradient.reduce((sum, g, a) => sum + g * direction[a]!, 0);
    let t = 1;
    let next = theta.map((value, a) => value - t * direction[a]!);
    while (objective(next, z, y, l2, false).loss > loss - 0.25 * t * decrease && t > 1e-8) {
      t /= 2;
      next = theta.map((value, a) => value - t * direction[a]!);
    }
    theta = next;
  }
  const weights = Array.from({ length: CLASSES }, (_, c) => Array.from(theta.subarray(c * WIDTH, c * WIDTH + 4)));
  const bias = Array.from({ length: CLASSES }, (_, c) => theta[c * WIDTH + 4]!);
  return { mean, std, weights, bias };
}

function probabilities(model: Fitted, features: readonly number[]): number[] {
  const z = features.map((value, j) => (value - model.mean[j]!) / model.std[j]!);
  return softmax(model.weights.map((w, c) => model.bias[c]! + w.reduce((sum, weight, j) => sum + weight * z[j]!, 0)));
}

function argmax(values: number[]): number {
  return values.reduce((best, value, index) => (value > values[best]! ? index : best), 0);
}

export function accuracy(model: Fitted, rows: IrisRow[]): number {
  const right = rows.filter((row) => argmax(probabilities(model, row.features)) === row.label).length;
  return right / rows.length;
}

/** Stratified k-fold: row i of each class goes to fold i mod k, so every fold holds all three species. */
export function crossValidate(rows: IrisRow[], folds: number, options: TrainOptions = {}): number {
  const seen = new Map<number, number>();
  const foldOf = rows.map((row) => {
    const index = seen.get(row.label) ?? 0;
    seen.set(row.label, index + 1);
    return index % folds;
  });
  let right = 0;
  for (let fold = 0; fold < folds; fold++) {
    const model = fit(rows.filter((_, i) => foldOf[i] !== fold), options);
    const test = rows.filter((_, i) => foldOf[i] === fold);
    right += accuracy(model, test) * test.length;
  }
  return right / rows.length;
}

export function leaveOneOut(rows: IrisRow[], options: TrainOptions = {}): number {
  let right = 0;
  rows.forEach((row, i) => {
    const model = fit(rows.filter((_, j) => j !== i), options);
    if (argmax(probabilities(model, row.features)) === row.label) right++;
  });
  return right / rows.length;
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;

/** Trains on every row and measures: training accuracy, stratified 10-fold and leave-one-out accuracy. */
export function trainIris(rows: IrisRow[], data: { file: string; sha256: string }, options: TrainOptions = {}): IrisParameters {
  const model = fit(rows, options);
  const rounded = {
    mean: model.mean.map(round),
    std: model.std.map(round),
    weights: model.weights.map((row) => row.map(round)),
    bias: model.bias.map(round),
  };
  const version = sha256(JSON.stringify(rounded)).slice(0, 12);
  return {
    name: 'iris-classifier',
    version,
    algorithm: 'multinomial logistic regression (softmax) on standardised features, L2 1e-3, fitted by Newton’s method',
    classes: IRIS_CLASSES,
    features: IRIS_FEATURES,
    ...rounded,
    metrics: {
      rows: rows.length,
      trainingAccuracy: round(accuracy(model, rows)),
      crossValidation: { folds: 10, accuracy: round(crossValidate(rows, 10, options)) },
      leaveOneOutAccuracy: round(leaveOneOut(rows, options)),
    },
    data,
  };
}

/** Scores one flower with trained parameters. */
export function predictIris(parameters: Pick<IrisParameters, 'mean' | 'std' | 'weights' | 'bias'>, input: IrisInput): IrisOutput {
  const p = probabilities(parameters, IRIS_FEATURES.map((feature) => input[feature]));
  const best = argmax(p);
  return {
    species: IRIS_CLASSES[best] ?? 'setosa',
    probabilities: { setosa: round(p[0] ?? 0), versicolor: round(p[1] ?? 0), virginica: round(p[2] ?? 0) },
  };
}

export const IRIS_MODEL_FILE = 'iris.model.json';
