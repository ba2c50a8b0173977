// One StorageV2 account for both the Functions host (AzureWebJobsStorage, the Flex deployment
// package) and the application's blobs. Shared-key access is off, so every request — including
// the SAS tokens the app hands to browsers — is authorised through Entra ID: the app signs
// user delegation SAS with a key obtained through its managed identity.
//
// Containers:
// - `deployment`: the Flex Consumption package (functionAppConfig.deployment.storage).
// - `exports`: generated exports (COCO, DCAT, …); deleted by the lifecycle
//   policy below after `exportsRetentionDays`.
// - `imageset-<id>`: one per imageset, created by the app at runtime (not here), so an upload SAS
//   can be scoped to a single imageset's container. The app identity's Storage Blob Data
//   Contributor role includes container create/delete.

param location string
param tags object
param name string

@description('Origins allowed to upload/read blobs from a browser with a SAS (CORS). Empty = no CORS rule.')
param corsAllowedOrigins string[]

@description('Days after which blobs in the exports container are deleted.')
@minValue(1)
param exportsRetentionDays int

var deploymentContainerName = 'deployment'
var exportsContainerName = 'exports'

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    // The portal and CLI then use Entra too; keys would be refused anyway.
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Browsers upload straight to the blob endpoint, so it must be reachable from the internet;
    // the SAS token (write-only, one container, short-lived) is the access control.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    cors: {
      corsRules: empty(corsAllowedOrigins)
        ? []
        : [
            {
              allowedOrigins: corsAllowedOrigins
              // PUT uploads a blob (single shot or Put Block/Put Block List), OPTIONS is the
              // preflight, GET/HEAD read images through short-lived read SAS URLs.
              allowedMethods: ['PUT', 'OPTIONS', 'GET', 'HEAD']
              allowedHeaders: ['x-ms-blob-type', 'content-type', 'x-ms-*']
              exposedHeaders: ['etag', 'content-md5', 'x-ms-*']
              maxAgeInSeconds: 3600
            }
          ]
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource exportsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: exportsContainerName
  properties: {
    publicAccess: 'None'
  }
}

// Inference results over ~100 KB (smaller ones stay inline in the job document). They share the
// exports' lifetime: a job's `expiresAt` tells callers when its result goes.
resource jobResultsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: 'job-results'
  properties: {
    publicAccess: 'None'
  }
}

// Exports are regenerated on demand, so old ones are only cost.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2024-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-old-exports'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['${exportsContainer.name}/', '${jobResultsContainer.name}/']
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: exportsRetentionDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output deploymentContainerName string = deploymentContainer.name
output exportsContainerName string = exportsContainer.name
