import type { TokenCredential } from '@azure/identity';
import { config } from '../config';
import { lazyRequire } from './load';

let credential: TokenCredential | undefined;

/**
 * The app's Entra ID credential. In Azure `AZURE_CLIENT_ID` selects the user-assigned identity and
 * `AZURE_TOKEN_CREDENTIALS=prod` keeps DefaultAzureCredential from probing developer tools.
 */
export function azureCredential(): TokenCredential {
  if (!credential) {
    const { DefaultAzureCredential } = lazyRequire<typeof import('@azure/identity')>('@azure/identity');
    const clientId = config().settings.AZURE_CLIENT_ID;
    credential = new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
  }
  return credential;
}
