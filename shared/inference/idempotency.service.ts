import { randomUUID } from 'node:crypto';
import { claimIdempotency } from '../idempotency/idempotency.service';
import { findJob } from '../jobs/job.service';

export type Claim = { kind: 'new'; jobId: string; release(): Promise<void> } | { kind: 'replay'; jobId: string };

/**
 * Claims `key` for a job submission. `fingerprint` identifies the request (model, body, deadline
 * header): a replay must match it. The job is created with the claim's `jobId`, so a replay finds it.
 */
export async function claimIdempotencyKey(principalId: string, key: string, fingerprint: string): Promise<Claim> {
  const jobId = randomUUID();
  const claim = await claimIdempotency({ principalId, key, fingerprint, resourceId: jobId, find: findJob });
  return claim.kind === 'new' ? { kind: 'new', jobId, release: claim.release } : { kind: 'replay', jobId: claim.resourceId };
}
