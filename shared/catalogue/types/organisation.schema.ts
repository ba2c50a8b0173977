import { z } from 'zod';
import { defineCatalogueType, EntryRef, httpUrl, list, shortText } from '../catalogue.schema';

export const organisationType = defineCatalogueType({
  name: 'organisations',
  singular: 'Organisation',
  description: 'A university, company, research centre or other organisation.',
  writeRoles: ['contributor'],
  fields: {
    legalName: shortText(300).optional(),
    organisationType: shortText(100).optional().describe('`research-institution`, `company`, `public-body`, …'),
    dateFounded: z.iso.date().optional(),
    email: z.email().max(320).optional().describe('Masked for anonymous callers.'),
    url: httpUrl.optional(),
    aiRelevance: z.string().max(2_000).optional(),
    members: list(EntryRef, 1000).optional(),
  },
});
