import { defineCatalogueType, httpUrl, PlatformName } from '../catalogue.schema';

/**
 * The registry of source platforms. An entry's `name` is the platform's key (`openml`), the value
 * other entries put in `platform`; it is unique among live platforms.
 */
export const platformType = defineCatalogueType({
  name: 'platforms',
  singular: 'Platform',
  description: 'A source platform (OpenML, Hugging Face, Zenodo, …) whose assets the catalogue lists.',
  writeRoles: ['admin'],
  fields: {
    homepage: httpUrl.optional(),
    resourceUrlTemplate: httpUrl
      .optional()
      // A URI template (RFC 6570), not a URI: `{identifier}` is no valid URI character.
      .meta({ format: 'uri-template', description: 'The page of an asset on the platform, with `{identifier}` for its platform identifier.' }),
  },
  refine: (value, ctx) => {
    if (!PlatformName.safeParse(value.name).success) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'a platform name is lower-case letters, digits, ".", "_" or "-" (at most 64)' });
    }
  },
});
