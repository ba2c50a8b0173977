// Azure RBAC role assignments: data-plane roles only, each on the narrowest scope that works.
// Nothing here can change resources, read keys or grant access (no Owner, Contributor or
// User Access Administrator). Cosmos DB data access is a Cosmos SQL role assignment (cosmos.bicep).

@description('Name of the app\'s user-assigned managed identity.')
param appIdentityName string

@description('Principal ID of the deploying user; empty = no roles for the user.')
param userPrincipalId string = ''

param storageAccountName string
param serviceBusNamespaceName string
param jobsQueueName string
param applicationInsightsName string

// Built-in role definition IDs (the same in every tenant).
var roles = {
  // Host storage (AzureWebJobsStorage: host id lock, keys, timer-trigger locks and schedules), the Flex
  // Consumption package container, and the app's own blobs. Microsoft's table for identity-based host
  // storage (functions-reference.md, "Connecting to host storage with an identity") lists Storage
  // Blob Data Owner for the host and for timer triggers; queue and table roles only for blob triggers
  // and Durable Functions, which this app does not use, so none are granted.
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // The deploying user's blob role (below): data only, enough to run the app from a workstation.
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  // Get a user delegation key, to sign SAS tokens with shared keys disabled. Contributor includes
  // this action already; it is assigned explicitly so SAS signing keeps working if Contributor is
  // ever narrowed to individual containers (a user delegation key is an account-level request).
  storageBlobDelegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
  // The Service Bus trigger needs Data Receiver and Data Owner (functions-bindings-service-bus.md,
  // "Grant permission to the identity"): Owner's Manage rights let the scale controller read the
  // queue's message count for target-based scaling. Sender is the app's own sends (job submission).
  // All three on the jobs queue only, not the namespace.
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  serviceBusDataOwner: '090c5cfd-751d-490a-894a-3ce6f1109419'
  // Send telemetry to Application Insights, which refuses instrumentation-key ingestion.
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: appIdentityName
}

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName

  resource jobsQueue 'queues' existing = {
    name: jobsQueueName
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// --- The app's identity -------------------------------------------------------------------------
// principalType avoids failures while a newly created identity replicates through Entra ID.

resource appBlobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, appIdentity.id, roles.storageBlobDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource appBlobDelegator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, appIdentity.id, roles.storageBlobDelegator)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDelegator)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Queue scope, not namespace scope: the app can use only the jobs queue.
resource appQueueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: serviceBus::jobsQueue
  name: guid(serviceBus::jobsQueue.id, appIdentity.id, roles.serviceBusDataSender)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource appQueueReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: serviceBus::jobsQueue
  name: guid(serviceBus::jobsQueue.id, appIdentity.id, roles.serviceBusDataReceiver)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource appQueueOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: serviceBus::jobsQueue
  name: guid(serviceBus::jobsQueue.id, appIdentity.id, roles.serviceBusDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataOwner)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource appMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: applicationInsights
  name: guid(applicationInsights.id, appIdentity.id, roles.monitoringMetricsPublisher)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// --- The deploying user (optional) --------------------------------------------------------------
// Lets a developer run the app locally against these resources (`func start` with
// DefaultAzureCredential) and inspect data. principalType is left out: it may be a user or, in CI,
// a service principal.

resource userBlobDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  scope: storage
  name: guid(storage.id, userPrincipalId, roles.storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: userPrincipalId
  }
}

resource userBlobDelegator 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  scope: storage
  name: guid(storage.id, userPrincipalId, roles.storageBlobDelegator)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDelegator)
    principalId: userPrincipalId
  }
}

resource userQueueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  scope: serviceBus::jobsQueue
  name: guid(serviceBus::jobsQueue.id, userPrincipalId, roles.serviceBusDataSender)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: userPrincipalId
  }
}

resource userQueueReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  scope: serviceBus::jobsQueue
  name: guid(serviceBus::jobsQueue.id, userPrincipalId, roles.serviceBusDataReceiver)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: userPrincipalId
  }
}
