import { z } from 'zod';

export const DependencyHealth = z.object({
  status: z.enum(['ok', 'failed']),
  latencyMs: z.number(),
  error: z.string().optional().describe('What failed, without secrets or SDK internals.'),
});

export const Health = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    checks: z.object({ cosmos: DependencyHealth, blob: DependencyHealth, queue: DependencyHealth }),
  })
  .meta({ id: 'Health' });
export type Health = z.infer<typeof Health>;
export type DependencyHealth = z.infer<typeof DependencyHealth>;
