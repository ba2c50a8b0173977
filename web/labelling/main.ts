import { Api, ApiError, type Campaign, type CampaignImage, keyIdOf } from './api';
import { actionButton, describe, element, listItem, loadPicture, toEditLabel, toPrediction } from './dom';
import { Editor, type Prediction } from './editor';

const SESSION_KEY = 'labelling.session';

interface Session {
  campaignId: string;
  credential: string;
}

interface Current {
  image: CampaignImage;
  predictions: Prediction[];
  dirty: boolean;
}

/**
 * The labelling page: sign in with a campaign key (or bearer token), walk the campaign's images (or
 * its review queue), draw and fix boxes, accept or reject predictions, save with If-Match.
 */
class LabellingPage {
  private api: Api | null = null;
  private campaign: Campaign | null = null;
  private images: CampaignImage[] = [];
  private order: string[] = [];
  private position = 0;
  /** Counts opens, so an image that finishes loading after a later click is not shown. */
  private opening = 0;
  private mode: 'all' | 'review' = 'all';
  private category = '';
  private canEdit = false;
  private current: Current | null = null;
  /** The ETag of each image's labels as this page last saw them; a save sends it as If-Match. */
  private readonly etags = new Map<string, string>();
  /** Rejected predictions stay hidden for this session (the API keeps no rejections). */
  private readonly rejected = new Set<string>();
  private readonly editor: Editor;

  constructor() {
    this.editor = new Editor(element('canvas'), element('stage'), {
      changed: () => this.markDirty(),
      selected: () => this.renderSide(),
      category: () => this.category,
    });
    element<HTMLFormElement>('sign-in-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.signIn({ campaignId: element<HTMLInputElement>('campaign-id').value.trim(), credential: element<HTMLInputElement>('credential').value.trim() });
    });
    element('sign-out').addEventListener('click', () => this.signOut());
    element('mode').addEventListener('click', () => void this.toggleMode());
    element('edit').addEventListener('click', () => this.setEditing(this.editor.readOnly));
    element('save').addEventListener('click', () => void this.save());
    element('delete').addEventListener('click', () => this.deleteSelected());
    element('accept').addEventListener('click', () => this.accept());
    element('reject').addEventListener('click', () => this.reject());
    element('reload').addEventListener('click', () => void this.reload());
    element<HTMLSelectElement>('category').addEventListener('change', (event) => this.setCategory((event.target as HTMLSelectElement).value));
    document.addEventListener('keydown', (event) => this.onKey(event));
    const requested = new URLSearchParams(window.location.search).get('campaign');
    if (requested) element<HTMLInputElement>('campaign-id').value = requested;
    const saved = sessionStorage.getItem(SESSION_KEY);
    if (saved) void this.signIn(JSON.parse(saved) as Session);
  }

  private async signIn(session: Session): Promise<void> {
    element('sign-in-error').textContent = '';
    try {
      const api = new Api(session.credential);
      const campaign = await api.campaign(session.campaignId);
      this.images = await api.images(session.campaignId);
      this.api = api;
      this.campaign = campaign;
    } catch (error) {
      sessionStorage.removeItem(SESSION_KEY);
      element('sign-in-error').textContent = `Refused: ${describe(error)}`;
      return;
    }
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    const keyId = keyIdOf(session.credential);
    const active = this.campaign.status === 'active';
    const labeller = this.campaign.labellers.some((entry) => entry.keyId === keyId && entry.removedAt === null);
    this.canEdit = active;
    // Labellers edit; anyone else (readers, the owner, admins) starts read-only and may switch.
    this.setEditing(active && labeller);
    element('edit').hidden = !active || labeller;
    this.category = this.campaign.labels[0] ?? '';
    element('sign-in').hidden = true;
    element('workspace').hidden = false;
    element('sign-out').hidden = false;
    element('mode').hidden = false;
    element('campaign-title').textContent = `${this.campaign.title} (${this.campaign.status})`;
    this.renderVocabulary();
    this.renderProgress();
    this.order = this.images.map((image) => image.id);
    this.renderImageList();
    if (this.order.length > 0) await this.open(0);
  }

  private signOut(): void {
    sessionStorage.removeItem(SESSION_KEY);
    window.location.reload();
  }

  private setEditing(editing: boolean): void {
    this.editor.readOnly = !(editing && this.canEdit);
    element('readonly-badge').hidden = !this.editor.readOnly;
    element('edit').textContent = this.editor.readOnly ? 'Edit' : 'View only';
    for (const id of ['save', 'delete', 'accept', 'reject', 'category']) (element(id) as HTMLButtonElement).disabled = this.editor.readOnly;
    this.editor.draw();
  }

  private async open(position: number): Promise<void> {
    if (!this.api || !this.campaign || position < 0 || position >= this.order.length) return;
    if (!(await this.save())) return;
    const ticket = ++this.opening;
    const image = await this.freshImage(this.order[position] ?? '').catch((error: unknown) => {
      element('error').textContent = describe(error);
      return undefined;
    });
    if (!image) return;
    element('error').textContent = '';
    element('conflict').hidden = true;
    const [picture, labels] = await Promise.all([loadPicture(image.url), this.api.labels(this.campaign.id, image.id)]).catch((error: unknown) => {
      element('error').textContent = describe(error);
      return [null, null] as const;
    });
    if (!labels || ticket !== this.opening) return;
    this.position = position;
    if (labels.etag) this.etags.set(image.id, labels.etag);
    const predictions = (labels.labels.predictions ?? []).map(toPrediction);
    this.current = { image, predictions, dirty: false };
    this.editor.labels = labels.labels.labels.map(toEditLabel);
    this.editor.show(picture, { width: image.width, height: image.height }, this.campaign.labels);
    this.refreshPredictions();
    element('image-name').textContent = `${position + 1} / ${this.order.length}: ${image.blobName} (${image.width}×${image.height})`;
    element('save-state').textContent = picture ? '' : 'The image could not be loaded; its labels are shown.';
    this.renderImageList();
    this.renderSide();
  }

  /**
   * The image with a read URL that is still valid: the SAS URLs of the listing expire
   * (IMAGE_READ_TOKEN_TTL, 15 minutes by default), so the listing is read again when they do.
   */
  private async freshImage(imageId: string): Promise<CampaignImage | undefined> {
    const listed = this.images.find((candidate) => candidate.id === imageId);
    if (!listed || !this.api || !this.campaign || Date.parse(listed.urlExpiresAt) - Date.now() > 60_000) return listed;
    const fresh = new Map((await this.api.images(this.campaign.id)).map((image) => [image.id, image]));
    for (const image of this.images) {
      const renewed = fresh.get(image.id);
      if (renewed) Object.assign(image, { url: renewed.url, urlExpiresAt: renewed.urlExpiresAt });
    }
    return listed;
  }

  /** Pending predictions: neither accepted by a label nor rejected. */
  private refreshPredictions(): void {
    if (!this.current) return;
    const accepted = new Set(this.editor.labels.map((label) => label.predictionId));
    this.editor.predictions = this.current.predictions.filter((prediction) => !accepted.has(prediction.id) && !this.rejected.has(prediction.id));
    this.editor.selection = null;
    this.editor.draw();
  }

  private markDirty(): void {
    if (!this.current) return;
    this.current.dirty = true;
    element('save-state').textContent = 'Unsaved changes';
    this.renderSide();
  }

  /** Saves the current image if it changed; false when it could not (a conflict or a refusal). */
  private async save(): Promise<boolean> {
    const current = this.current;
    if (!current?.dirty || !this.api || !this.campaign || this.editor.readOnly) return true;
    const inputs = this.editor.labels.map(({ label, xMin, yMin, xMax, yMax, predictionId }) => ({ label, xMin, yMin, xMax, yMax, ...(predictionId ? { predictionId } : {}) }));
    element('save-state').textContent = 'Saving…';
    try {
      const saved = await this.api.save(this.campaign.id, current.image.id, inputs, this.etags.get(current.image.id) ?? null);
      if (saved.etag) this.etags.set(current.image.id, saved.etag);
      current.dirty = false;
      current.image.labelled = true;
      current.image.labelCount = inputs.length;
      element('save-state').textContent = `Saved ${inputs.length} label(s)`;
      this.campaign = await this.api.campaign(this.campaign.id);
      this.renderProgress();
      this.renderImageList();
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) {
        element('conflict-text').textContent = 'Someone else saved this image since you loaded it. Reload it to see their labels (your unsaved changes are dropped).';
        element('conflict').hidden = false;
        element('save-state').textContent = 'Not saved';
      } else {
        element('error').textContent = `Not saved: ${describe(error)}`;
        element('save-state').textContent = 'Not saved';
      }
      return false;
    }
  }

  /** After a conflict: drop local edits and show what is stored now. */
  private async reload(): Promise<void> {
    if (!this.current) return;
    this.current.dirty = false;
    this.etags.delete(this.current.image.id);
    await this.open(this.position);
  }

  private selectedPrediction(): Prediction | undefined {
    const selection = this.editor.selection;
    if (selection?.kind === 'prediction') return this.editor.predictions[selection.index];
    return this.editor.predictions[0];
  }

  private accept(): void {
    const prediction = this.selectedPrediction();
    if (!prediction || this.editor.readOnly) return;
    const { xMin, yMin, xMax, yMax } = prediction;
    const label = this.campaign?.labels.includes(prediction.label) ? prediction.label : this.category;
    this.editor.labels.push({ label, xMin, yMin, xMax, yMax, predictionId: prediction.id });
    this.refreshPredictions();
    this.editor.selection = { kind: 'label', index: this.editor.labels.length - 1 };
    this.markDirty();
    this.editor.draw();
  }

  private reject(): void {
    const prediction = this.selectedPrediction();
    if (!prediction || this.editor.readOnly) return;
    this.rejected.add(prediction.id);
    this.refreshPredictions();
    this.renderSide();
  }

  private deleteSelected(): void {
    const selection = this.editor.selection;
    if (this.editor.readOnly || selection?.kind !== 'label') return;
    this.editor.labels.splice(selection.index, 1);
    this.refreshPredictions();
    this.markDirty();
  }

  private setCategory(category: string): void {
    if (!this.campaign?.labels.includes(category)) return;
    this.category = category;
    const selection = this.editor.selection;
    const label = selection?.kind === 'label' ? this.editor.labels[selection.index] : undefined;
    if (label && !this.editor.readOnly && label.label !== category) {
      label.label = category;
      this.markDirty();
    }
    element<HTMLSelectElement>('category').value = category;
    this.editor.draw();
    this.renderSide();
  }

  private async toggleMode(): Promise<void> {
    if (!this.api || !this.campaign) return;
    if (!(await this.save())) return;
    if (this.mode === 'review') {
      this.mode = 'all';
      this.order = this.images.map((image) => image.id);
    } else {
      const known = new Set(this.images.map((image) => image.id));
      const queue = await this.api.reviewQueue(this.campaign.id);
      this.mode = 'review';
      this.order = queue.map((item) => item.imageId).filter((id) => known.has(id));
    }
    element('mode-badge').textContent = this.mode === 'review' ? `Review queue: ${this.order.length} image(s), least confident first` : '';
    element('mode').textContent = this.mode === 'review' ? 'All images (q)' : 'Review queue (q)';
    if (this.order.length > 0) await this.open(0);
    else this.renderImageList();
  }

  private onKey(event: KeyboardEvent): void {
    const target = event.target as HTMLElement | null;
    if (target && ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName)) return;
    if (!this.current) return;
    const digit = /^[1-9]$/.test(event.key) ? Number(event.key) - 1 : -1;
    if (digit >= 0 && this.campaign?.labels[digit] !== undefined) this.setCategory(this.campaign.labels[digit]);
    else if (event.key === 'ArrowRight') void this.open(this.position + 1);
    else if (event.key === 'ArrowLeft') void this.open(this.position - 1);
    else if (event.key === 'Delete' || event.key === 'Backspace') this.deleteSelected();
    else if (event.key === 'a') this.accept();
    else if (event.key === 'r') this.reject();
    else if (event.key === 's' || (event.key === 'S' && event.ctrlKey)) void this.save();
    else if (event.key === 'q') void this.toggleMode();
    else if (event.key === 'Escape') {
      this.editor.selection = null;
      this.editor.draw();
      this.renderSide();
    } else return;
    event.preventDefault();
  }

  private renderVocabulary(): void {
    const select = element<HTMLSelectElement>('category');
    select.replaceChildren(...(this.campaign?.labels ?? []).map((label, i) => new Option(i < 9 ? `${i + 1} ${label}` : label, label)));
    select.value = this.category;
  }

  private renderProgress(): void {
    const progress = this.campaign?.progress;
    element('progress').textContent = progress ? `${progress.labelled} / ${progress.total} labelled` : '';
  }

  private renderImageList(): void {
    const byId = new Map(this.images.map((image) => [image.id, image]));
    const buttons = this.order.map((id, position) => {
      const image = byId.get(id);
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = image?.blobName ?? id;
      button.className = image?.labelled ? 'labelled' : '';
      button.setAttribute('aria-current', String(position === this.position && this.current?.image.id === id));
      // The image already open stays as it is: opening it again would replace what is being drawn
      // with the stored labels once the reload lands (Reload is the way to fetch it again).
      button.addEventListener('click', () => {
        if (position !== this.position || this.current?.image.id !== id) void this.open(position);
      });
      return button;
    });
    element('image-list').replaceChildren(...buttons);
  }

  private renderSide(): void {
    const selection = this.editor.selection;
    const selected = selection?.kind === 'label' ? this.editor.labels[selection.index] : undefined;
    element<HTMLSelectElement>('category').value = selected?.label ?? this.category;
    const labelItems = this.editor.labels.map((label, index) => {
      const item = listItem(`${label.label} [${label.xMin}, ${label.yMin} – ${label.xMax}, ${label.yMax}]${label.predictionId ? ' (from prediction)' : ''}`);
      item.setAttribute('aria-selected', String(selection?.kind === 'label' && selection.index === index));
      item.addEventListener('click', () => this.selectBox('label', index));
      return item;
    });
    const predictionItems = this.editor.predictions.map((prediction, index) => {
      const item = listItem(`${prediction.label} ${prediction.confidence.toFixed(2)}`);
      item.setAttribute('aria-selected', String(selection?.kind === 'prediction' && selection.index === index));
      item.addEventListener('click', () => this.selectBox('prediction', index));
      if (!this.editor.readOnly) item.append(actionButton('Accept', () => (this.selectBox('prediction', index), this.accept())), actionButton('Reject', () => (this.selectBox('prediction', index), this.reject())));
      return item;
    });
    element('labels').replaceChildren(...labelItems);
    element('predictions').replaceChildren(...predictionItems);
  }

  private selectBox(kind: 'label' | 'prediction', index: number): void {
    this.editor.selection = { kind, index };
    this.editor.draw();
    this.renderSide();
  }
}

new LabellingPage();
