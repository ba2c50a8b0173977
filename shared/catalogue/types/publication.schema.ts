import { z } from 'zod';
import { defineCatalogueType, httpUrl, shortText } from '../catalogue.schema';

export const publicationType = defineCatalogueType({
  name: 'publications',
  singular: 'Publication',
  description: 'A scholarly publication: article, paper, thesis, report.',
  writeRoles: ['contributor'],
  fields: {
    publicationType: shortText(100).optional().describe('`journal-article`, `conference-paper`, `preprint`, `thesis`, …'),
    permanentIdentifier: httpUrl.optional().describe('A persistent identifier URL, e.g. `https://doi.org/10.…`.'),
    isbn: z.string().regex(/^(?:97[89])?\d{9}[\dX]$/, 'is not an ISBN (digits only)').optional(),
    issn: z.string().regex(/^\d{4}-\d{3}[\dX]$/, 'is not an ISSN').optional(),
    journal: shortText(300).optional(),
  },
});
