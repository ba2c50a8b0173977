import { z } from 'zod';

/**
 * An id in a path: what Cosmos DB accepts as an item id (no `/`, `\`, `#`, `?`), bounded, printable.
 * Every `{id}` parameter uses it so a hostile id is a 400 naming the parameter, never an SDK error.
 *
 * @example params: z.strictObject({ jobId: resourceId })
 */
export const resourceId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:~-]*$/, 'must be letters, digits and . _ : ~ - (starting with a letter or digit)');
