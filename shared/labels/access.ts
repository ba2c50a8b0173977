import { hasAnyRole, isAdmin } from '../auth/auth.service';
import type { Principal } from '../auth/auth.schema';
import { conditionHolds, type VersionCondition } from '../azure/condition';
import { errors } from '../errors';

/**
 * Who may do what in the label store. Route declarations say which roles may call at all; these
 * checks add ownership and campaign scope:
 * - admins: everything;
 * - contributors: create imagesets and campaigns, and manage the ones they own;
 * - readers: read imagesets, images, campaigns and labels;
 * - labeller keys (scoped to one campaign): read that campaign's images and write its labels, nothing else.
 */
export function isScoped(principal: Principal): boolean {
  return principal.scope !== undefined;
}

/** Unscoped readers (and everyone above them) read the whole label store. */
export function canReadAll(principal: Principal): boolean {
  return !isScoped(principal) && hasAnyRole(principal, ['reader']);
}

export function assertCanReadAll(principal: Principal): void {
  if (!canReadAll(principal)) throw errors.forbidden('This key is limited to one labelling campaign.');
}

/** Admins manage everything; contributors manage what they own. */
export function assertCanManage(principal: Principal, resource: { owner: string }, what: string): void {
  if (isAdmin(principal)) return;
  if (!isScoped(principal) && hasAnyRole(principal, ['contributor']) && resource.owner === principal.id) return;
  throw errors.forbidden(`Only the ${what}'s owner or an admin can change it.`);
}

/**
 * Putting an imageset in a campaign: its owner or an admin. A campaign's labels show on its images
 * for everyone, so a campaign over somebody else's imageset would write on their images.
 */
export function assertCanUseImageset(principal: Principal, imageset: { id: string; owner: string }): void {
  if (isAdmin(principal) || imageset.owner === principal.id) return;
  throw errors.forbidden(`Imageset '${imageset.id}' is not yours: a campaign may only use its creator's imagesets (or an admin's choice).`);
}

/** Reading a campaign: unscoped readers, or a labeller key scoped to exactly this campaign. */
export function assertCanReadCampaign(principal: Principal, campaign: { id: string }): void {
  if (canReadAll(principal)) return;
  if (principal.scope?.campaignId === campaign.id && hasAnyRole(principal, ['labeller'])) return;
  throw errors.forbidden('This key is not scoped to this campaign.');
}

/** Writing a campaign's labels: its labellers, its owner, admins. */
export function assertCanLabel(principal: Principal, campaign: { id: string; owner: string }): void {
  if (isAdmin(principal)) return;
  if (principal.scope) {
    if (principal.scope.campaignId === campaign.id && hasAnyRole(principal, ['labeller'])) return;
    throw errors.forbidden('This key is not scoped to this campaign.');
  }
  if (hasAnyRole(principal, ['contributor']) && campaign.owner === principal.id) return;
  throw errors.forbidden("Only the campaign's labellers, its owner or an admin can write its labels.");
}

/** 412 unless the caller's If-Match holds for the stored version (`etag`; undefined: nothing stored). */
export function assertIfMatch(ifMatch: VersionCondition | undefined, etag: string | undefined): void {
  if (ifMatch !== undefined && !conditionHolds(ifMatch, etag)) throw errors.preconditionFailed();
}
