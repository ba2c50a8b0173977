import { describe, expect, it } from 'vitest';
import { boxFromCorners, handleAt, isDrawable, moveBox, resizeBox, roundBox, toImagePoint } from '../../web/labelling/geometry';

const image = { width: 800, height: 400 };

describe('the labelling page’s coordinates', () => {
  it('maps a point on screen to image pixels through the canvas’s on-screen box', () => {
    // The canvas shows 800×400 pixels in a 200×100 CSS box at (100, 50): 4 image pixels per CSS pixel.
    expect(toImagePoint({ x: 150, y: 75 }, { left: 100, top: 50, width: 200, height: 100 }, image)).toEqual({ x: 200, y: 100 });
    // The same image enlarged: 1600×800 on screen, half an image pixel per CSS pixel.
    expect(toImagePoint({ x: 101, y: 51 }, { left: 100, top: 50, width: 1600, height: 800 }, image)).toEqual({ x: 0.5, y: 0.5 });
  });

  it('builds a box from corners in any order, inside the image', () => {
    expect(boxFromCorners({ x: 300, y: -20 }, { x: 100, y: 500 }, image)).toEqual({ xMin: 100, yMin: 0, xMax: 300, yMax: 400 });
  });

  it('rounds to whole pixels and refuses boxes without area', () => {
    expect(roundBox({ xMin: 1.4, yMin: 1.6, xMax: 9.5, yMax: 10.49 })).toEqual({ xMin: 1, yMin: 2, xMax: 10, yMax: 10 });
    expect(isDrawable({ xMin: 1, yMin: 1, xMax: 1.4, yMax: 20 })).toBe(false);
    expect(isDrawable({ xMin: 1, yMin: 1, xMax: 2, yMax: 2 })).toBe(true);
  });

  it('moves a box without letting it leave the image or change size', () => {
    expect(moveBox({ xMin: 700, yMin: 10, xMax: 780, yMax: 50 }, 100, -30, image)).toEqual({ xMin: 720, yMin: 0, xMax: 800, yMax: 40 });
  });

  it('resizes from a corner, keeping the opposite corner, and finds corners within a radius', () => {
    const box = { xMin: 10, yMin: 10, xMax: 50, yMax: 40 };
    expect(resizeBox(box, 'se', { x: 60, y: 45 }, image)).toEqual({ xMin: 10, yMin: 10, xMax: 60, yMax: 45 });
    // Dragged past the opposite corner: the box flips instead of turning inside out.
    expect(resizeBox(box, 'nw', { x: 70, y: 50 }, image)).toEqual({ xMin: 50, yMin: 40, xMax: 70, yMax: 50 });
    expect(handleAt(box, { x: 51, y: 9 }, 2)).toBe('ne');
    expect(handleAt(box, { x: 30, y: 25 }, 2)).toBeUndefined();
  });
});
