import { defineCatalogueType, httpUrl, shortText } from '../catalogue.schema';

export const serviceType = defineCatalogueType({
  name: 'services',
  singular: 'Service',
  description: 'A service or tool offered to AI practitioners (an API, a notebook service, a training platform).',
  writeRoles: ['contributor'],
  fields: {
    slogan: shortText(300).optional(),
    termsOfService: httpUrl.optional(),
    endpointUrl: httpUrl.optional().describe('Where the service is reached.'),
    sourceCode: httpUrl.optional(),
    dockerImage: shortText(300).optional(),
  },
});
