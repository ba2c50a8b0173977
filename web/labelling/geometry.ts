/**
 * Boxes live in the image's pixel frame (what the API stores); the canvas shows the image scaled.
 * Everything here is pure, so the page's coordinate rules are the same at any zoom or image size.
 */
export interface Box {
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

export interface Point {
  x: number;
  y: number;
}

export type Handle = 'nw' | 'ne' | 'sw' | 'se';

export const HANDLES: readonly Handle[] = ['nw', 'ne', 'sw', 'se'];

/**
 * A pointer position on the page → image pixels. `rect` is the canvas's box on screen in CSS
 * pixels (getBoundingClientRect), which already includes browser zoom and device pixel ratio.
 * @example toImagePoint({ x: 150, y: 50 }, { left: 100, top: 0, width: 200, height: 100 }, { width: 800, height: 400 }) // { x: 200, y: 200 }
 */
export function toImagePoint(client: Point, rect: { left: number; top: number; width: number; height: number }, image: { width: number; height: number }): Point {
  return { x: ((client.x - rect.left) * image.width) / rect.width, y: ((client.y - rect.top) * image.height) / rect.height };
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** The box spanned by two corners, in any order, kept inside the image. */
export function boxFromCorners(a: Point, b: Point, image: { width: number; height: number }): Box {
  return {
    xMin: clamp(Math.min(a.x, b.x), 0, image.width),
    yMin: clamp(Math.min(a.y, b.y), 0, image.height),
    xMax: clamp(Math.max(a.x, b.x), 0, image.width),
    yMax: clamp(Math.max(a.y, b.y), 0, image.height),
  };
}

/** Whole pixels, as stored: the API keeps what it is given, and labellers work in pixels. */
export function roundBox(box: Box): Box {
  return { xMin: Math.round(box.xMin), yMin: Math.round(box.yMin), xMax: Math.round(box.xMax), yMax: Math.round(box.yMax) };
}

/** A box the API accepts: at least one pixel wide and high once rounded. */
export function isDrawable(box: Box): boolean {
  const rounded = roundBox(box);
  return rounded.xMax > rounded.xMin && rounded.yMax > rounded.yMin;
}

export function contains(box: Box, point: Point): boolean {
  return point.x >= box.xMin && point.x <= box.xMax && point.y >= box.yMin && point.y <= box.yMax;
}

export function handlePoint(box: Box, handle: Handle): Point {
  return { x: handle.endsWith('w') ? box.xMin : box.xMax, y: handle.startsWith('n') ? box.yMin : box.yMax };
}

/** The corner handle within `radius` image pixels of the point, if any. */
export function handleAt(box: Box, point: Point, radius: number): Handle | undefined {
  return HANDLES.find((handle) => {
    const corner = handlePoint(box, handle);
    return Math.abs(corner.x - point.x) <= radius && Math.abs(corner.y - point.y) <= radius;
  });
}

/** The box moved by (dx, dy), kept whole inside the image. */
export function moveBox(box: Box, dx: number, dy: number, image: { width: number; height: number }): Box {
  const w = box.xMax - box.xMin;
  const h = box.yMax - box.yMin;
  const xMin = clamp(box.xMin + dx, 0, image.width - w);
  const yMin = clamp(box.yMin + dy, 0, image.height - h);
  return { xMin, yMin, xMax: xMin + w, yMax: yMin + h };
}

/** The box with one corner dragged to `point`; the opposite corner stays put. */
export function resizeBox(box: Box, handle: Handle, point: Point, image: { width: number; height: number }): Box {
  const opposite = handlePoint(box, ({ nw: 'se', ne: 'sw', sw: 'ne', se: 'nw' } as const)[handle]);
  return boxFromCorners(opposite, point, image);
}
