import { z } from 'zod';
import { DateOrDateTime, defineCatalogueType, freeformObject, list, shortText } from '../catalogue.schema';

export const DatasetSize = z
  .strictObject({
    value: z.number().int().min(0),
    unit: shortText(40).describe('What is counted: `rows`, `instances`, `images`, `files`, `bytes`, …'),
  })
  .meta({ id: 'CatalogueDatasetSize' });

export const TemporalCoverage = z
  .strictObject({ startDate: DateOrDateTime.optional(), endDate: DateOrDateTime.optional() })
  .refine((value) => value.startDate !== undefined || value.endDate !== undefined, 'give `startDate`, `endDate` or both')
  .refine((value) => !value.startDate || !value.endDate || value.startDate <= value.endDate, 'must not end before it starts')
  .meta({ id: 'CatalogueTemporalCoverage' });

export const SpatialCoverage = z
  .strictObject({
    name: shortText(256).optional().describe('A place name: `North Atlantic`, `Spain`.'),
    geo: z
      .strictObject({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) })
      .optional(),
    box: z
      .strictObject({
        south: z.number().min(-90).max(90),
        west: z.number().min(-180).max(180),
        north: z.number().min(-90).max(90),
        east: z.number().min(-180).max(180),
      })
      .refine((box) => box.south <= box.north, 'south must not be north of north')
      .optional()
      .describe('A bounding box in WGS 84 degrees.'),
  })
  .refine((value) => value.name !== undefined || value.geo !== undefined || value.box !== undefined, 'give `name`, `geo` or `box`')
  .meta({ id: 'CatalogueSpatialCoverage' });

export const datasetType = defineCatalogueType({
  name: 'datasets',
  singular: 'Dataset',
  description: 'A dataset: files or records with their distributions, coverage and measurement technique.',
  writeRoles: ['contributor'],
  fields: {
    size: DatasetSize.optional(),
    measurementTechnique: list(shortText(256), 20).optional(),
    temporalCoverage: TemporalCoverage.optional(),
    spatialCoverage: SpatialCoverage.optional(),
    issn: z.string().regex(/^\d{4}-\d{3}[\dX]$/, 'is not an ISSN').optional(),
    citeAs: z.string().max(4_000).optional().describe('How to cite the dataset (BibTeX or text).'),
    hosting: freeformObject()
      .optional()
      .describe('Set by the platform when it hosts the dataset’s records (the query API); read-only for callers.'),
  },
  systemFields: ['hosting'],
});
