import type { KnownValues, Tiers } from './json-schema';

/**
 * What exists on the stack, found through the API's own list operations so that requests reach
 * real things. A list operation is a GET whose answer is a page (`{ items: [...] }`); the item path
 * is the list path plus one parameter (`/imagesets` → `/imagesets/{imagesetId}`), and each item gives
 * that parameter its `id` (or the member of the parameter's own name: `principalId`, `name`).
 * Bindings remember the parent's parameters too, so `{ campaignId, imageId }` come as a pair.
 */

/** Path parameter values that go together: one item and the path it was listed under. */
export type Binding = Record<string, string>;

export interface ListOperation {
  /** `/api/v1/campaigns/{campaignId}/images` */
  path: string;
  /** The parameter an item fills in the paths below this one (`imageId`), if any. */
  itemParameter: string | undefined;
}

interface Listed {
  /** The collection's name: the last segment of the concrete list path (`images`, `models`). */
  collection: string;
  binding: Binding;
  item: Record<string, unknown>;
  /** Listed before the run wrote anything: seeded data. */
  seeded: boolean;
}

export const segmentsOf = (path: string) => path.split('/').filter(Boolean);
export const parameterName = (segment: string) => /^\{(.+)\}$/.exec(segment)?.[1];
export const pathParameters = (path: string) => segmentsOf(path).flatMap((segment) => parameterName(segment) ?? []);

/** The literal segment just before `{name}` in `path`: the collection its values come from. */
export function collectionOf(path: string, name: string): string | undefined {
  const segments = segmentsOf(path);
  const index = segments.indexOf(`{${name}}`);
  const before = index > 0 ? segments[index - 1] : undefined;
  return before !== undefined && parameterName(before) === undefined ? before : undefined;
}

export function concretePath(template: string, binding: Binding): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(binding[name] ?? ''));
}

function project(binding: Binding, names: readonly string[]): Binding | undefined {
  const projected: Binding = {};
  for (const name of names) {
    const value = binding[name];
    if (value === undefined) return undefined;
    projected[name] = value;
  }
  return projected;
}

function unique<T>(values: T[]): T[] {
  const seen = new Map<string, T>();
  for (const value of values) seen.set(JSON.stringify(value), value);
  return [...seen.values()];
}

/** Shares a parameter with `binding` and agrees on every one they share: an item the request is about. */
function isAround(entry: Listed, binding: Binding): boolean {
  const shared = Object.keys(entry.binding).filter((key) => binding[key] !== undefined);
  return shared.length > 0 && shared.every((key) => entry.binding[key] === binding[key]);
}

/** How many of the latest accepted writes' path values are remembered. */
const RECENT = 60;

export class KnownResources {
  private readonly listed: Listed[] = [];
  private readonly seen = new Set<string>();
  /** The items each concrete list path answered: examples of what the same path takes back. */
  private readonly items = new Map<string, Record<string, unknown>[]>();
  /** Path values of the latest accepted writes, newest last. */
  private recentValues: string[] = [];
  /** Until `seal()`: what is listed now is seeded data. */
  private sealed = false;

  constructor(
    /** Every path parameter name in the document: the only item members kept in bindings. */
    private readonly parameterNames: ReadonlySet<string>,
    /** Values never to put in a path or body: the fuzzer's own API key id, which a DELETE would revoke. */
    private readonly protectedValues: ReadonlySet<string>,
  ) {}

  /** What is listed from now on was (or may have been) made by the run. */
  seal(): void {
    this.sealed = true;
  }

  /** The app accepted a write on these path values: what they name is alive, and likely in a state worth more requests. */
  remember(binding: Binding): void {
    const values = Object.values(binding);
    this.recentValues = [...this.recentValues.filter((value) => !values.includes(value)), ...values].slice(-RECENT);
  }

  private isRecent(binding: Binding): boolean {
    return Object.values(binding).some((value) => this.recentValues.includes(value));
  }

  /** Records the items one list path answered. */
  add(list: ListOperation, parent: Binding, items: Record<string, unknown>[]): void {
    const concrete = concretePath(list.path, parent);
    const collection = segmentsOf(concrete).at(-1) ?? '';
    this.items.set(concrete, [...(this.items.get(concrete) ?? []), ...items].slice(-200));
    for (const item of items) {
      const binding = this.bindingOf(list, parent, item);
      if (Object.values(binding).some((value) => this.protectedValues.has(value))) continue;
      const key = `${collection} ${JSON.stringify(binding)}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.listed.push({ collection, binding, item, seeded: !this.sealed });
    }
  }

  private bindingOf(list: ListOperation, parent: Binding, item: Record<string, unknown>): Binding {
    const binding: Binding = {};
    for (const [key, value] of Object.entries(item)) {
      // An item's `id` is kept under its parameter's name only: a campaign's id is no catalogue `id`.
      if (typeof value === 'string' && this.parameterNames.has(key) && !(key === 'id' && list.itemParameter !== 'id')) binding[key] = value;
    }
    Object.assign(binding, parent);
    const name = list.itemParameter;
    if (name) {
      const own = item[name] ?? item.id ?? item.name;
      if (typeof own === 'string') binding[name] = own;
    }
    return binding;
  }

  /** Items a concrete list path answered. */
  itemsAt(concrete: string): Record<string, unknown>[] {
    return this.items.get(concrete) ?? [];
  }

  /**
   * Complete bindings for the parameters of `path`: from the collection its last parameter is
   * listed in (`/campaigns/{campaignId}/images/{imageId}` → `images`), else from anything that has
   * them all (`/platforms/{platform}/{type}/{platformResourceIdentifier}` ← a catalogue entry).
   */
  bindingsFor(path: string): Tiers<Binding> {
    const names = pathParameters(path);
    if (names.length === 0) return { around: [], recent: [], seeded: [], all: [] };
    const collection = collectionOf(path, names.at(-1) ?? '');
    const inCollection = this.listed.filter((entry) => entry.collection === collection);
    const entries = inCollection.some((entry) => project(entry.binding, names)) ? inCollection : this.listed;
    const full = (chosen: Listed[]) =>
      unique(
        chosen.flatMap((entry): Binding[] => {
          const projected = project(entry.binding, names);
          return projected ? [projected] : [];
        }),
      );
    const all = full(entries);
    return { around: [], recent: all.filter((binding) => this.isRecent(binding)), seeded: full(entries.filter((entry) => entry.seeded)), all };
  }

  /** Known values of one parameter of `path`: from its own collection (`/models/{id}` → models), else any of its name. */
  valuesFor(path: string, name: string): KnownValues {
    const collection = collectionOf(path, name);
    const own = this.listed.filter((entry) => entry.collection === collection && entry.binding[name] !== undefined);
    const entries = own.length > 0 ? own : this.listed.filter((entry) => entry.binding[name] !== undefined);
    const values = (chosen: Listed[]) => [...new Set(chosen.map((entry) => entry.binding[name] ?? ''))];
    const all = values(entries);
    return { around: [], recent: all.filter((value) => this.recentValues.includes(value)), seeded: values(entries.filter((entry) => entry.seeded)), all };
  }

  /**
   * Known values of a member or parameter called `name`: the path parameters of that name and the
   * elements of array members of its plural (`labels` → `label`) — first those of the items the
   * request is about (the campaign a label is sent to has the vocabulary it must be in).
   */
  valuesNamed(name: string, binding: Binding = {}): KnownValues {
    const of = (entry: Listed): string[] => {
      const plural = entry.item[`${name}s`];
      const elements = Array.isArray(plural) ? plural.filter((value): value is string => typeof value === 'string') : [];
      return [...(entry.binding[name] !== undefined ? [entry.binding[name]] : []), ...elements];
    };
    const values = (chosen: Listed[]) => [...new Set(chosen.flatMap(of))].filter((value) => !this.protectedValues.has(value));
    const all = values(this.listed);
    return {
      around: values(this.listed.filter((entry) => isAround(entry, binding))),
      recent: all.filter((value) => this.recentValues.includes(value)),
      seeded: values(this.listed.filter((entry) => entry.seeded)),
      all,
    };
  }

  /**
   * Examples of the body `path` takes for `binding`: the items its own GET lists (a collection takes
   * back what it lists) and, for a path that names one resource, that resource.
   */
  examplesFor(path: string, binding: Binding): Record<string, unknown>[] {
    const listedHere = this.itemsAt(concretePath(path, binding));
    const names = pathParameters(path);
    const last = names.at(-1);
    const namesOne = last !== undefined && segmentsOf(path).at(-1) === `{${last}}`;
    const itself = namesOne ? this.listed.filter((entry) => names.every((name) => entry.binding[name] === binding[name])).map((entry) => entry.item) : [];
    return [...listedHere, ...itself.slice(0, 1)];
  }

  /** Parents to list under: those of recent writes first, then the seeded ones, then the latest. */
  parentsAmong(bindings: Binding[], count: number): Binding[] {
    const recent = bindings.filter((binding) => this.isRecent(binding)).slice(-Math.ceil(count / 2));
    const rest = bindings.filter((binding) => !recent.includes(binding));
    const left = count - recent.length;
    const others = rest.length <= left ? rest : [...rest.slice(0, Math.ceil(left / 2)), ...rest.slice(-Math.floor(left / 2))];
    return [...recent, ...others];
  }
}
