import { ApiError, type StoredLabel } from './api';
import type { EditLabel, Prediction } from './editor';

/** Small DOM and conversion helpers of the labelling page. */
export function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

export function toEditLabel(stored: StoredLabel): EditLabel {
  const { xMin, yMin, xMax, yMax } = stored;
  return { label: stored.labelTranslated ?? stored.label, xMin, yMin, xMax, yMax, ...(stored.fromPrediction ? { predictionId: stored.fromPrediction.id } : {}) };
}

export function toPrediction(stored: StoredLabel): Prediction {
  const { id, xMin, yMin, xMax, yMax, confidence } = stored;
  return { id, label: stored.labelTranslated ?? stored.label, xMin, yMin, xMax, yMax, confidence };
}

export function listItem(text: string): HTMLLIElement {
  const item = document.createElement('li');
  item.textContent = text;
  return item;
}

export function actionButton(text: string, action: () => void): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = text;
  button.addEventListener('click', (event) => {
    event.stopPropagation();
    action();
  });
  return button;
}

/** The image through its read SAS URL; null when it cannot be loaded (the labels still show). */
export function loadPicture(url: string): Promise<HTMLImageElement | null> {
  return new Promise((resolve) => {
    const picture = new Image();
    picture.onload = () => resolve(picture);
    picture.onerror = () => resolve(null);
    picture.src = url;
  });
}

export function describe(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (HTTP ${error.status})`;
  return error instanceof Error ? error.message : String(error);
}
