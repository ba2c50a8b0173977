import { lazyRequire } from '../azure/load';
import { errors } from '../errors';
import type { ImportedImage } from './import.schema';

const META = new Set(['classes.txt', 'images.txt', 'train.txt', 'val.txt', 'test.txt']);
const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** Class names by index: `names` of data.yaml (a list or an index map), else classes.txt or obj.names. */
function classNames(files: Map<string, Buffer>): Map<number, string> {
  const yamlFile = [...files.keys()].find((name) => /(^|\/)data\.ya?ml$/.test(name));
  if (yamlFile) {
    let names: unknown;
    try {
      names = (lazyRequire<typeof import('yaml')>('yaml').parse(files.get(yamlFile)?.toString('utf8') ?? '') as { names?: unknown } | null)?.names;
    } catch (error) {
      throw errors.invalidInput('', `${yamlFile} is not YAML: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (Array.isArray(names)) return new Map(names.map((name, i) => [i, String(name)]));
    if (names && typeof names === 'object') return new Map(Object.entries(names).map(([i, name]) => [Number(i), String(name)]));
    throw errors.invalidInput('', `${yamlFile} has no \`names\``);
  }
  const listFile = [...files.keys()].find((name) => ['classes.txt', 'obj.names'].includes(baseName(name)));
  if (!listFile) throw errors.invalidInput('', 'has no data.yaml, classes.txt or obj.names naming the classes');
  const lines = (files.get(listFile)?.toString('utf8') ?? '').split(/\r?\n/).map((line) => line.trim());
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  return new Map(lines.map((name, i) => [i, name]));
}

/** Our exports' images.txt: `images/<stem>.<ext>` ⇥ `<imagesetId>/<blob name>`, so a label file maps back to its source image. */
function exportIndex(files: Map<string, Buffer>): Map<string, string> {
  const index = new Map<string, string>();
  const text = files.get('images.txt')?.toString('utf8') ?? '';
  for (const line of text.split(/\r?\n/)) {
    const [placed, source] = line.split('\t');
    if (!placed?.startsWith('images/') || !source) continue;
    index.set(`labels/${placed.slice('images/'.length).replace(/\.[^./]*$/, '')}.txt`, source);
  }
  return index;
}

function readLines(text: string, classes: Map<number, string>): Pick<ImportedImage, 'boxes' | 'problems'> {
  const boxes: ImportedImage['boxes'] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const values = line.trim().split(/\s+/).map(Number);
    const [cls, cx, cy, w, h, confidence] = values as [number, number, number, number, number, number | undefined];
    if ((values.length !== 5 && values.length !== 6) || values.some((value) => !Number.isFinite(value))) {
      problems.push(`line ${i + 1} is not \`class cx cy w h\``);
      return;
    }
    const category = classes.get(cls);
    if (category === undefined) {
      problems.push(`line ${i + 1}: class ${cls} is not one of the ${classes.size} class names`);
      return;
    }
    boxes.push({ category, xMin: cx - w / 2, yMin: cy - h / 2, xMax: cx + w / 2, yMax: cy + h / 2, ...(confidence !== undefined ? { confidence } : {}) });
  });
  return { boxes, problems };
}

/**
 * A YOLO dataset (Ultralytics or Darknet) → one entry per label file, boxes as fractions of the
 * image. Label files are the `.txt` files under a `labels/` folder (or every `.txt` but the lists,
 * when there is none); each is matched by its stem (`labels/train/x.txt` → an image `train/x.*`,
 * else `x.*`), or by our exports' images.txt.
 */
export function parseYolo(files: Map<string, Buffer>): ImportedImage[] {
  const classes = classNames(files);
  const index = exportIndex(files);
  const texts = [...files.keys()].filter((name) => name.endsWith('.txt') && !META.has(baseName(name)));
  const underLabels = texts.filter((name) => name.startsWith('labels/') || name.includes('/labels/'));
  return (underLabels.length > 0 ? underLabels : texts).map((file) => {
    const source = index.get(file);
    const stem = file.slice(file.lastIndexOf('labels/') >= 0 ? file.lastIndexOf('labels/') + 'labels/'.length : 0, -'.txt'.length);
    return {
      file,
      name: source ?? stem,
      byStem: source === undefined,
      normalised: true,
      ...readLines(files.get(file)?.toString('utf8') ?? '', classes),
    };
  });
}
