import type { AgentRef, Distribution, EntryRef } from '../catalogue.schema';
import type { CatalogueEntry } from '../catalogue.types';

/** What every exporter needs besides the entry: where the API lives, for `@id`s. */
export interface ExportOptions {
  /** The API's origin, e.g. `https://assets.example.org`. */
  baseUrl: string;
}

export type JsonLd = Record<string, unknown>;

/** The canonical URL of an entry in this catalogue: its `@id` in every export. */
export function entryUrl(options: ExportOptions, type: string, id: string): string {
  return `${options.baseUrl}/api/v1/catalogue/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
}

/** The description as plain text (HTML tags dropped when only HTML was given). */
export function plainDescription(entry: CatalogueEntry): string | undefined {
  if (entry.description?.plain) return entry.description.plain;
  const html = entry.description?.html;
  return html
    ? html
        .replace(/<[^>]*>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
    : undefined;
}

/** A licence as a URL: URLs as given, SPDX identifiers as their spdx.org page. */
export function licenseUrl(license: string | undefined): string | undefined {
  if (!license) return undefined;
  if (/^https?:\/\//i.test(license)) return license;
  return `https://spdx.org/licenses/${encodeURIComponent(license.trim())}.html`;
}

export function refUrl(options: ExportOptions, ref: EntryRef): string {
  return entryUrl(options, ref.type, ref.id);
}

export function agentUrl(options: ExportOptions, agent: AgentRef): string | undefined {
  return agent.id ? entryUrl(options, agent.type, agent.id) : undefined;
}

/** A file name for a distribution: its name, else the last segment of its URL. */
export function fileName(distribution: Distribution, index: number): string {
  if (distribution.name) return distribution.name;
  try {
    const last = new URL(distribution.contentUrl).pathname.split('/').filter(Boolean).pop();
    if (last) return decodeURIComponent(last);
  } catch {
    // the URL was validated on write; fall through
  }
  return `distribution-${index}`;
}

/** Drops undefined members and empty arrays, so exports carry no empty statements. */
export function compact(node: JsonLd): JsonLd {
  const out: JsonLd = {};
  for (const [key, value] of Object.entries(node)) {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    out[key] = value;
  }
  return out;
}

/** Type-specific fields, read without narrowing the entry's union type. */
export function field<T>(entry: CatalogueEntry, name: string): T | undefined {
  return (entry as Record<string, unknown>)[name] as T | undefined;
}

/**
 * Where a hosted dataset serves all its rows as CSV (the records API's URL form with `_stream=on`),
 * or undefined for a dataset the platform does not host.
 *
 * @example hostedCsvUrl(iris, { baseUrl: 'https://a.example' }) // 'https://a.example/api/v1/datasets/seed-dataset-iris/records?_format=csv&_stream=on'
 */
export function hostedCsvUrl(entry: CatalogueEntry, options: ExportOptions): string | undefined {
  const hosting = field<{ records?: unknown }>(entry, 'hosting');
  if (entry.type !== 'datasets' || typeof hosting?.records !== 'string') return undefined;
  return `${options.baseUrl}/api/v1/datasets/${encodeURIComponent(entry.id)}/records?_format=csv&_stream=on`;
}
