import { z } from 'zod';
import { defineCatalogueType, EntryRef, list, shortText } from '../catalogue.schema';

export const experimentType = defineCatalogueType({
  name: 'experiments',
  singular: 'Experiment',
  description: 'A reproducible experiment: workflow, execution settings and the assets it used.',
  writeRoles: ['contributor'],
  fields: {
    experimentalWorkflow: z.string().max(10_000).optional(),
    executionSettings: z.string().max(10_000).optional(),
    reproducibilityExplanation: z.string().max(10_000).optional(),
    badges: list(shortText(100), 20).optional(),
    uses: list(EntryRef, 100).optional().describe('Datasets and models the experiment used.'),
  },
});
