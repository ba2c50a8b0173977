import type { XMLParser } from 'fast-xml-parser';
import { lazyRequire } from '../azure/load';
import type { ImportedImage } from './import.schema';

let parser: XMLParser | undefined;
const vocParser = (): XMLParser =>
  (parser ??= new (lazyRequire<typeof import('fast-xml-parser')>('fast-xml-parser').XMLParser)({ isArray: (name) => name === 'object', parseTagValue: false, processEntities: true }));

interface VocObject {
  name?: unknown;
  bndbox?: { xmin?: unknown; ymin?: unknown; xmax?: unknown; ymax?: unknown };
}

interface VocAnnotation {
  folder?: unknown;
  filename?: unknown;
  path?: unknown;
  object?: VocObject[];
}

const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value).trim() : '');

/** The name to match: `<path>` when it is relative (our exports: `<imagesetId>/<blob>`), else `<folder>/<filename>`, else `<filename>`. */
function imageName(annotation: VocAnnotation, file: string): string {
  const path = text(annotation.path);
  if (path && !path.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(path)) return path;
  const filename = text(annotation.filename) || path.replace(/^.*[\\/]/, '') || file.replace(/^.*\//, '').replace(/\.xml$/, '');
  const folder = text(annotation.folder);
  return folder ? `${folder}/${filename}` : filename;
}

/**
 * Pascal VOC XML files (one per image) → pixel boxes. VOC numbers pixels from 1, inclusive, so
 * `[xmin - 1, xmax]` is the box in our 0-based frame (the inverse of the export's `vocBox`).
 */
export function parseVoc(files: Map<string, Buffer>): ImportedImage[] {
  return [...files]
    .filter(([name]) => name.toLowerCase().endsWith('.xml'))
    .map(([file, content]) => {
      const problems: string[] = [];
      let annotation: VocAnnotation | undefined;
      try {
        annotation = (vocParser().parse(content.toString('utf8')) as { annotation?: VocAnnotation }).annotation;
      } catch (error) {
        problems.push(`not XML: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!annotation && problems.length === 0) problems.push('has no <annotation>');
      const boxes = (annotation?.object ?? []).flatMap((object, i) => {
        const raw = ['xmin', 'ymin', 'xmax', 'ymax'].map((key) => text(object.bndbox?.[key as 'xmin']));
        const [xmin, ymin, xmax, ymax] = raw.map(Number);
        const category = text(object.name);
        if (!category || raw.some((value) => value === '' || !Number.isFinite(Number(value)))) {
          problems.push(`object ${i + 1} has no name or no numeric bndbox`);
          return [];
        }
        return [{ category, xMin: (xmin ?? 0) - 1, yMin: (ymin ?? 0) - 1, xMax: xmax ?? 0, yMax: ymax ?? 0 }];
      });
      return { file, name: annotation ? imageName(annotation, file) : file, byStem: false, normalised: false, boxes, problems };
    });
}
