// Function App on the Flex Consumption plan (Linux, Node.js 22) running as a user-assigned managed
// identity. Every connection is identity-based: no connection strings, keys or SAS secrets are
// stored in settings. On Flex the runtime and its version live in functionAppConfig, so
// FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION must not be set.

param location string
param tags object
param planName string
param name string

@description('Resource ID of the user-assigned managed identity the app runs as.')
param identityId string
@description('Client ID of that identity (selects it in DefaultAzureCredential and the host).')
param identityClientId string

param storageAccountName string
param storageBlobEndpoint string
param deploymentContainerName string
param applicationInsightsConnectionString string
param cosmosEndpoint string
param cosmosDatabaseName string
param serviceBusFullyQualifiedNamespace string
param jobsQueueName string
param oidcIssuer string
param oidcAudience string
param corsAllowedOrigins string[]

@description('Memory per instance in MB (Flex Consumption: 512, 2048 or 4096).')
@allowed([512, 2048, 4096])
param instanceMemoryMB int

@description('Upper bound on instances the plan scales out to (Flex Consumption: 1–1000).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds the deployment target of service `api` (azure.yaml) by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          // The host pulls the package from this container with the app identity, not a key.
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      runtime: {
        name: 'node'
        version: '22'
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      // No platform CORS: it would answer preflights before the app sees them. The app applies
      // CORS_ALLOWED_ORIGINS itself.
      appSettings: [
        // Host storage (leases, keys, timer schedules) through the identity.
        { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        // Application Insights with local auth disabled: telemetry is sent with an Entra token.
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identityClientId}' }
        // DefaultAzureCredential: use this identity and skip developer credentials entirely.
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'AZURE_TOKEN_CREDENTIALS', value: 'prod' }
        { name: 'COSMOS__accountEndpoint', value: cosmosEndpoint }
        { name: 'COSMOS_DATABASE', value: cosmosDatabaseName }
        { name: 'STORAGE__blobServiceUri', value: storageBlobEndpoint }
        // Connection `SERVICEBUS` of the Service Bus trigger and of the app's sender.
        { name: 'SERVICEBUS__fullyQualifiedNamespace', value: serviceBusFullyQualifiedNamespace }
        { name: 'SERVICEBUS__credential', value: 'managedidentity' }
        { name: 'SERVICEBUS__clientId', value: identityClientId }
        { name: 'JOBS_QUEUE', value: jobsQueueName }
        // Must equal the queue's maxDeliveryCount: the worker records a failure on the last delivery.
        { name: 'JOBS_MAX_DELIVERY_COUNT', value: '10' }
        // Timer schedules are app settings (`%NAME%` in the trigger), resolved by the host at start.
        { name: 'JOBS_REAPER_SCHEDULE', value: '0 */5 * * * *' }
        { name: 'CATALOGUE_PURGE_SCHEDULE', value: '0 0 3 * * *' }
        { name: 'CONNECTOR_OPENML_DATASETS_SCHEDULE', value: '0 5 */6 * * *' }
        { name: 'CONNECTOR_OPENML_FLOWS_SCHEDULE', value: '0 15 */6 * * *' }
        { name: 'CONNECTOR_HUGGINGFACE_DATASETS_SCHEDULE', value: '0 25 * * * *' }
        { name: 'CONNECTOR_HUGGINGFACE_MODELS_SCHEDULE', value: '0 35,50 * * * *' }
        { name: 'CONNECTOR_ZENODO_RECORDS_SCHEDULE', value: '0 45 */6 * * *' }
        { name: 'AUTH_OIDC_ISSUER', value: oidcIssuer }
        { name: 'AUTH_OIDC_AUDIENCE', value: oidcAudience }
        { name: 'CORS_ALLOWED_ORIGINS', value: join(corsAllowedOrigins, ',') }
        // Shared keys are disabled on the account, so SAS tokens are user delegation SAS.
        { name: 'SAS_SIGNER', value: 'userDelegation' }
      ]
    }
  }
}

output name string = site.name
output planName string = plan.name
output defaultHostName string = site.properties.defaultHostName
