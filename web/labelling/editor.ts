import { type Box, boxFromCorners, contains, type Handle, HANDLES, handleAt, handlePoint, isDrawable, moveBox, type Point, resizeBox, roundBox, toImagePoint } from './geometry';

export interface EditLabel extends Box {
  label: string;
  /** Set when the label accepts (or edits) a model prediction. */
  predictionId?: string;
}

export interface Prediction extends Box {
  id: string;
  label: string;
  confidence: number;
}

export type Selection = { kind: 'label' | 'prediction'; index: number } | null;

export interface EditorEvents {
  /** The labels changed (drawn, moved, resized). */
  changed(): void;
  /** The selection changed. */
  selected(): void;
  /** The category a newly drawn box gets. */
  category(): string;
}

type Drag =
  | { kind: 'draw'; start: Point; current: Point }
  | { kind: 'move'; index: number; start: Point; original: Box }
  | { kind: 'resize'; index: number; handle: Handle; original: Box };

const PALETTE = ['#2f80ed', '#27ae60', '#9b51e0', '#eb5757', '#00a3a3', '#f2994a', '#56ccf2', '#6fcf97', '#bb6bd9', '#828282'];
const PREDICTION_COLOUR = '#f2c94c';
/** Corner handles are grabbed within this many CSS pixels, whatever the image's scale. */
const HANDLE_CSS_PX = 8;

/** The canvas: the image scaled to fit, the labels (solid) and pending predictions (dashed) over it. */
export class Editor {
  labels: EditLabel[] = [];
  predictions: Prediction[] = [];
  selection: Selection = null;
  readOnly = true;
  private image: HTMLImageElement | null = null;
  private frame = { width: 1, height: 1 };
  private vocabulary: string[] = [];
  private drag: Drag | null = null;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly stage: HTMLElement,
    private readonly events: EditorEvents,
  ) {
    canvas.addEventListener('pointerdown', (event) => this.pointerDown(event));
    canvas.addEventListener('pointermove', (event) => this.pointerMove(event));
    canvas.addEventListener('pointerup', (event) => this.pointerUp(event));
    // Browser zoom changes the stage's size and the device pixel ratio: lay out again.
    new ResizeObserver(() => this.layout()).observe(stage);
    window.addEventListener('resize', () => this.layout());
  }

  /** Shows an image; `frame` is its registered size in pixels, the frame labels are stored in. */
  show(image: HTMLImageElement | null, frame: { width: number; height: number }, vocabulary: string[]): void {
    this.image = image;
    this.frame = frame;
    this.vocabulary = vocabulary;
    this.selection = null;
    this.drag = null;
    this.layout();
  }

  colourOf(label: string): string {
    const index = this.vocabulary.indexOf(label);
    return PALETTE[(index < 0 ? 0 : index) % PALETTE.length] ?? '#2f80ed';
  }

  /** Fits the image into the stage (up or down) and sizes the backing store for the device pixel ratio. */
  layout(): void {
    const available = this.stage.getBoundingClientRect();
    const scale = Math.max(0.01, Math.min(available.width / this.frame.width, available.height / this.frame.height));
    const cssWidth = Math.floor(this.frame.width * scale);
    const cssHeight = Math.floor(this.frame.height * scale);
    this.canvas.style.width = `${cssWidth}px`;
    this.canvas.style.height = `${cssHeight}px`;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(cssWidth * ratio));
    this.canvas.height = Math.max(1, Math.round(cssHeight * ratio));
    this.draw();
  }

  /** Image pixels per CSS pixel on screen now. */
  private imagePixelsPerCssPixel(): number {
    return this.frame.width / Math.max(1, this.canvas.getBoundingClientRect().width);
  }

  draw(): void {
    const context = this.canvas.getContext('2d');
    if (!context) return;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    // Draw in image pixels: one transform from the image frame to the backing store.
    context.setTransform(this.canvas.width / this.frame.width, 0, 0, this.canvas.height / this.frame.height, 0, 0);
    if (this.image) context.drawImage(this.image, 0, 0, this.frame.width, this.frame.height);
    const unit = this.imagePixelsPerCssPixel();
    this.predictions.forEach((prediction, index) => {
      const selected = this.selection?.kind === 'prediction' && this.selection.index === index;
      this.drawBox(context, prediction, PREDICTION_COLOUR, `${prediction.label} ${prediction.confidence.toFixed(2)}?`, selected, true, unit);
    });
    this.labels.forEach((label, index) => {
      const selected = this.selection?.kind === 'label' && this.selection.index === index;
      this.drawBox(context, label, this.colourOf(label.label), label.label, selected, false, unit);
    });
    if (this.drag?.kind === 'draw') {
      this.drawBox(context, boxFromCorners(this.drag.start, this.drag.current, this.frame), this.colourOf(this.events.category()), '', false, false, unit);
    }
  }

  private drawBox(context: CanvasRenderingContext2D, box: Box, colour: string, text: string, selected: boolean, dashed: boolean, unit: number): void {
    context.save();
    context.lineWidth = (selected ? 3 : 2) * unit;
    context.strokeStyle = colour;
    context.setLineDash(dashed ? [6 * unit, 4 * unit] : []);
    context.strokeRect(box.xMin, box.yMin, box.xMax - box.xMin, box.yMax - box.yMin);
    if (text) {
      context.font = `${12 * unit}px system-ui, sans-serif`;
      const width = context.measureText(text).width + 6 * unit;
      const top = Math.max(0, box.yMin - 16 * unit);
      context.fillStyle = colour;
      context.fillRect(box.xMin, top, width, 16 * unit);
      context.fillStyle = dashed ? '#000' : '#fff';
      context.fillText(text, box.xMin + 3 * unit, top + 12 * unit);
    }
    if (selected && !dashed && !this.readOnly) {
      context.fillStyle = '#fff';
      for (const handle of HANDLES) {
        const corner = handlePoint(box, handle);
        context.fillRect(corner.x - 4 * unit, corner.y - 4 * unit, 8 * unit, 8 * unit);
        context.strokeRect(corner.x - 4 * unit, corner.y - 4 * unit, 8 * unit, 8 * unit);
      }
    }
    context.restore();
  }

  private pointOf(event: PointerEvent): Point {
    return toImagePoint({ x: event.clientX, y: event.clientY }, this.canvas.getBoundingClientRect(), this.frame);
  }

  private topmost<T extends Box>(boxes: T[], point: Point): number {
    for (let i = boxes.length - 1; i >= 0; i--) if (contains(boxes[i] as Box, point)) return i;
    return -1;
  }

  private select(selection: Selection): void {
    this.selection = selection;
    this.events.selected();
  }

  private pointerDown(event: PointerEvent): void {
    if (event.button !== 0) return;
    const point = this.pointOf(event);
    const selected = this.selection?.kind === 'label' ? this.labels[this.selection.index] : undefined;
    const handle = selected && !this.readOnly ? handleAt(selected, point, HANDLE_CSS_PX * this.imagePixelsPerCssPixel()) : undefined;
    if (selected && handle && this.selection) {
      this.drag = { kind: 'resize', index: this.selection.index, handle, original: { ...selected } };
    } else {
      const label = this.topmost(this.labels, point);
      const prediction = label < 0 ? this.topmost(this.predictions, point) : -1;
      if (label >= 0) {
        this.select({ kind: 'label', index: label });
        if (!this.readOnly) this.drag = { kind: 'move', index: label, start: point, original: { ...(this.labels[label] as Box) } };
      } else if (prediction >= 0) {
        this.select({ kind: 'prediction', index: prediction });
      } else {
        this.select(null);
        if (!this.readOnly) this.drag = { kind: 'draw', start: point, current: point };
      }
    }
    if (this.drag) this.canvas.setPointerCapture(event.pointerId);
    this.draw();
  }

  private pointerMove(event: PointerEvent): void {
    const drag = this.drag;
    if (!drag) return;
    const point = this.pointOf(event);
    if (drag.kind === 'draw') drag.current = point;
    else this.reshape(drag, point, false);
    this.draw();
  }

  private pointerUp(event: PointerEvent): void {
    const drag = this.drag;
    if (!drag) return;
    this.drag = null;
    const point = this.pointOf(event);
    if (drag.kind === 'draw') {
      const box = boxFromCorners(drag.start, point, this.frame);
      if (isDrawable(box)) {
        this.labels.push({ label: this.events.category(), ...roundBox(box) });
        this.select({ kind: 'label', index: this.labels.length - 1 });
        this.events.changed();
      }
    } else {
      this.reshape(drag, point, true);
    }
    this.draw();
  }

  /** Moves or resizes the dragged label; on release, rounds to whole pixels and reports the change. */
  private reshape(drag: Exclude<Drag, { kind: 'draw' }>, point: Point, done: boolean): void {
    const label = this.labels[drag.index];
    if (!label) return;
    const box = drag.kind === 'move' ? moveBox(drag.original, point.x - drag.start.x, point.y - drag.start.y, this.frame) : resizeBox(drag.original, drag.handle, point, this.frame);
    if (!isDrawable(box)) return;
    Object.assign(label, done ? roundBox(box) : box);
    if (done && (drag.kind === 'resize' || point.x !== drag.start.x || point.y !== drag.start.y)) this.events.changed();
  }
}
