import { z } from 'zod';
import { datasetType } from './types/dataset.schema';
import { experimentType } from './types/experiment.schema';
import { modelType } from './types/model.schema';
import { organisationType } from './types/organisation.schema';
import { personType } from './types/person.schema';
import { platformType } from './types/platform.schema';
import { publicationType } from './types/publication.schema';
import { serviceType } from './types/service.schema';

/** The one list of catalogue types: add a type's schema file, then add it here. */
export const catalogueTypes = [
  datasetType,
  modelType,
  publicationType,
  serviceType,
  experimentType,
  organisationType,
  personType,
  platformType,
] as const;

type Definitions = (typeof catalogueTypes)[number];
export type CatalogueTypeName = Definitions['name'];

/** One entry as callers see it: the common fields, the entry record and its type's own fields. */
export type CatalogueEntry = z.infer<Definitions['entry']>;
/** The entry of one type, e.g. `EntryOf<'models'>` has `runtime`, `inputSchema`, `outputSchema`. */
export type EntryOf<T extends string> = T extends CatalogueTypeName ? Extract<CatalogueEntry, { type: T }> : CatalogueEntry;
export type DatasetEntry = EntryOf<'datasets'>;
export type ModelEntry = EntryOf<'models'>;
export type CatalogueInput = z.input<Definitions['input']>;

const byName = new Map<string, Definitions>(catalogueTypes.map((definition) => [definition.name, definition]));

export function isCatalogueType(name: string): name is CatalogueTypeName {
  return byName.has(name);
}

/** The definition of a type, or undefined for a name that is not one. */
export function catalogueType(name: string): Definitions | undefined {
  return byName.get(name);
}

export const catalogueTypeNames: readonly CatalogueTypeName[] = catalogueTypes.map((definition) => definition.name);

/** Any entry, for documentation (responses): one of the types' entry schemas, told apart by `type`. */
export const AnyCatalogueEntry = z
  .union(catalogueTypes.map((definition) => definition.entry) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]])
  .meta({ id: 'CatalogueEntry', description: 'An entry of any type; `type` says which schema applies.' });
