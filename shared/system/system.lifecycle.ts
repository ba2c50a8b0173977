import { disposeBlobServiceClient } from '../azure/blob';
import { disposeCosmosClient } from '../azure/cosmos';
import { disposeQueueSender } from '../azure/queue';
import { resetConfig } from '../config';
import { missingJobHandlers } from '../jobs/job.handlers';
import { JobKind } from '../jobs/job.schema';
import { disposeOutboundClient } from '../outbound/outbound.client';

/** The app's start and stop hooks (`functions/system.ts`), loaded when the host runs them, not at import. */

/** Every job kind needs a handler, registered by the area that owns it. */
export function checkJobHandlers(): void {
  const unhandled = missingJobHandlers(JobKind.options);
  if (unhandled.length > 0) throw new Error(`No handler registered for job kinds: ${unhandled.join(', ')}`);
}

/** Closes the clients so sockets and timers do not outlive the app, and forgets the parsed settings. */
export async function disposeClients(): Promise<void> {
  resetConfig();
  disposeCosmosClient();
  disposeBlobServiceClient();
  await disposeQueueSender();
  await disposeOutboundClient();
}
