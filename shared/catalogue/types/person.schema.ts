import { z } from 'zod';
import { defineCatalogueType, EntryRef, list, shortText } from '../catalogue.schema';

export const personType = defineCatalogueType({
  name: 'persons',
  singular: 'Person',
  description: 'A researcher, engineer or other contributor.',
  writeRoles: ['contributor'],
  fields: {
    givenName: shortText(200).optional(),
    surname: shortText(200).optional(),
    email: z.email().max(320).optional().describe('Masked for anonymous callers.'),
    expertise: list(shortText(200), 50).optional(),
    languages: list(z.string().regex(/^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/, 'is not a language tag'), 20).optional(),
    memberOf: list(EntryRef, 50).optional(),
  },
});
