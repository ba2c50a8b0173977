import type { Prediction } from '../model.schema';
import { decodePng, type RgbImage } from './salient-region.png';

/**
 * The salient-region detector: classical image processing, not a learned model. It takes the median
 * colour of the image's border as the background, marks every pixel whose colour differs from it by
 * more than a threshold, and reports the bounding box of those pixels (trimmed of stray specks)
 * labelled with their dominant colour name (`red`, `blue`, …). The confidence is the share of the box
 * that differs from the background times the share of those pixels that have the dominant colour.
 *
 * What it is good for: one object on a plain background (product shots, specimens on a tray, litter
 * on sand photographed from above) and exercising model-assisted labelling end to end. What it is
 * not: an object detector — one region per image at most, no object classes, PNG only (other formats
 * are skipped with a reason).
 */
export const SALIENT_REGION_VERSION = '1.0.0';

/** Per-channel difference from the background above which a pixel counts as foreground. */
const THRESHOLD = 48;
/** Below this share of foreground there is nothing salient; above the upper one the "border" is no background. */
const MIN_FOREGROUND = 0.002;
const MAX_FOREGROUND = 0.9;
/** The image is sampled on a grid of at most this many points. */
const MAX_SAMPLES = 1_000_000;

export function colourName(r: number, g: number, b: number): string {
  const max = Math.max(r, g, b) / 255;
  const min = Math.min(r, g, b) / 255;
  const saturation = max === 0 ? 0 : (max - min) / max;
  if (max < 0.2) return 'black';
  if (saturation < 0.2) return max > 0.85 ? 'white' : 'grey';
  const delta = max - min;
  const [rn, gn, bn] = [r / 255, g / 255, b / 255];
  let hue = max === rn ? ((gn - bn) / delta) % 6 : max === gn ? (bn - rn) / delta + 2 : (rn - gn) / delta + 4;
  hue = (hue * 60 + 360) % 360;
  if (hue < 15 || hue >= 345) return 'red';
  if (hue < 40) return max < 0.6 ? 'brown' : 'orange';
  if (hue < 70) return 'yellow';
  if (hue < 165) return 'green';
  if (hue < 195) return 'cyan';
  if (hue < 255) return 'blue';
  if (hue < 290) return 'purple';
  return 'pink';
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((sorted.length - 1) * p)))] ?? 0;
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** The salient region of a decoded image: zero or one prediction. */
export function detectSalientRegion(image: RgbImage): Prediction[] {
  const { width, height, pixels } = image;
  const step = Math.max(1, Math.ceil(Math.sqrt((width * height) / MAX_SAMPLES)));
  const border = Math.max(1, Math.round(Math.min(width, height) * 0.02));
  const at = (x: number, y: number) => (y * width + x) * 3;
  const borderSamples: [number[], number[], number[]] = [[], [], []];
  for (let y = 0; y < height; y += step) {
    for (let x = 0; x < width; x += step) {
      if (x >= border && x < width - border && y >= border && y < height - border) continue;
      const i = at(x, y);
      borderSamples[0].push(pixels[i]!);
      borderSamples[1].push(pixels[i + 1]!);
      borderSamples[2].push(pixels[i + 2]!);
    }
  }
  const background = borderSamples.map(median);
  const xs: number[] = [];
  const ys: number[] = [];
  let samples = 0;
  for (let y = 0; y < height; y += step) {
    for (let x = 0; x < width; x += step) {
      samples++;
      const i = at(x, y);
      const difference = Math.max(
        Math.abs(pixels[i]! - background[0]!),
        Math.abs(pixels[i + 1]! - background[1]!),
        Math.abs(pixels[i + 2]! - background[2]!),
      );
      if (difference > THRESHOLD) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  const share = xs.length / samples;
  if (share < MIN_FOREGROUND || share > MAX_FOREGROUND) return [];
  // Trim the outermost half percent on each side so a few noisy pixels do not stretch the box.
  const sortedX = [...xs].sort((a, b) => a - b);
  const sortedY = [...ys].sort((a, b) => a - b);
  const xMin = percentile(sortedX, 0.005);
  const xMax = Math.min(width, percentile(sortedX, 0.995) + step);
  const yMin = percentile(sortedY, 0.005);
  const yMax = Math.min(height, percentile(sortedY, 0.995) + step);
  const colours = new Map<string, number>();
  let inside = 0;
  for (let k = 0; k < xs.length; k++) {
    const x = xs[k]!;
    const y = ys[k]!;
    if (x < xMin || x >= xMax || y < yMin || y >= yMax) continue;
    inside++;
    const i = at(x, y);
    const name = colourName(pixels[i]!, pixels[i + 1]!, pixels[i + 2]!);
    colours.set(name, (colours.get(name) ?? 0) + 1);
  }
  const [label, count] = [...colours].sort((a, b) => b[1] - a[1])[0] ?? ['region', 0];
  const boxSamples = Math.max(1, Math.ceil((xMax - xMin) / step) * Math.ceil((yMax - yMin) / step));
  const confidence = round3(Math.min(1, inside / boxSamples) * (inside === 0 ? 0 : count / inside));
  return [{ label, confidence, xMin, yMin, xMax, yMax }];
}

/** Decodes the image bytes and detects; throws `UnsupportedImage` for what it cannot decode. */
export function predictSalientRegion(bytes: Buffer): Prediction[] {
  return detectSalientRegion(decodePng(bytes));
}
