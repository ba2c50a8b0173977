// ML asset platform: everything `azd up` (or `az deployment group create`) provisions in one
// resource group. Local modules only (no br/public: registry modules): the template must compile
// without network access.
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(64)
@description('Name of the environment (azd: AZURE_ENV_NAME); part of every resource name via resourceToken.')
param environmentName string

@description('Region for all resources. Must offer Flex Consumption.')
param location string = resourceGroup().location

@description('Object ID of the deploying user or service principal; gets data-plane access to Storage, Service Bus and Cosmos DB. Empty = skip.')
param principalId string = ''

@description('Browser origins allowed to call the API and to upload to Blob Storage with SAS, e.g. https://labels.example.org.')
param corsAllowedOrigins string[] = []

@description('Memory per Function App instance, in MB.')
@allowed([512, 2048, 4096])
param functionInstanceMemoryMB int = 2048

@description('Maximum number of Function App instances.')
@minValue(1)
@maxValue(1000)
param functionMaximumInstanceCount int = 100

@description('OIDC issuer of bearer tokens. Empty = Microsoft Entra ID of this tenant (v2.0 endpoint). Used only when oidcAudience is set.')
param oidcIssuer string = ''

@description('Expected audience (aud) of bearer tokens, e.g. the API app registration\'s client ID. Empty = bearer tokens are not accepted (API keys only).')
param oidcAudience string = ''

@description('Days before blobs in the exports container are deleted.')
@minValue(1)
param exportsRetentionDays int = 7

@description('Time to live of inference result cache items, in seconds.')
@minValue(1)
param resultCacheTtlSeconds int = 86400

var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = { 'azd-env-name': environmentName }

// Names are computed here (not read from module outputs) so What-If can predict every resource.
var names = {
  identity: 'id-${resourceToken}'
  logAnalytics: 'log-${resourceToken}'
  applicationInsights: 'appi-${resourceToken}'
  storage: 'st${resourceToken}'
  cosmos: 'cosmos-${resourceToken}'
  serviceBus: 'sb-${resourceToken}'
  plan: 'plan-${resourceToken}'
  functionApp: 'func-${resourceToken}'
}

// Fixed name: the app reads it from JOBS_QUEUE, the role assignments are scoped to it.
var jobsQueueName = 'jobs'

// The app accepts bearer tokens only with both issuer and audience set ("both or neither"), so
// without an audience the issuer is left empty too.
var entraIssuer = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
var effectiveOidcIssuer = empty(oidcAudience) ? '' : (empty(oidcIssuer) ? entraIssuer : oidcIssuer)

// The one identity the app runs as. User-assigned so that role assignments exist before the app
// is created (a system-assigned identity would start without them) and survive app re-creation.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.identity
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    tags: tags
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    tags: tags
    name: names.storage
    corsAllowedOrigins: corsAllowedOrigins
    exportsRetentionDays: exportsRetentionDays
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    location: location
    tags: tags
    name: names.cosmos
    appIdentityName: identity.name
    userPrincipalId: principalId
    resultCacheTtlSeconds: resultCacheTtlSeconds
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    location: location
    tags: tags
    name: names.serviceBus
    queueName: jobsQueueName
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  // The scopes are referenced by name, so the order has to be spelled out.
  dependsOn: [storage, serviceBus, monitoring]
  params: {
    appIdentityName: identity.name
    userPrincipalId: principalId
    storageAccountName: names.storage
    serviceBusNamespaceName: names.serviceBus
    jobsQueueName: jobsQueueName
    applicationInsightsName: names.applicationInsights
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  // The host reads its storage and the deployment package with the identity as soon as it
  // starts, so the role assignments must exist first (Cosmos DB's are in the cosmos module,
  // which this module already waits for through its outputs).
  dependsOn: [rbac]
  params: {
    location: location
    tags: tags
    planName: names.plan
    name: names.functionApp
    identityId: identity.id
    identityClientId: identity.properties.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabaseName: cosmos.outputs.databaseName
    serviceBusFullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
    jobsQueueName: serviceBus.outputs.queueName
    oidcIssuer: effectiveOidcIssuer
    oidcAudience: oidcAudience
    corsAllowedOrigins: corsAllowedOrigins
    instanceMemoryMB: functionInstanceMemoryMB
    maximumInstanceCount: functionMaximumInstanceCount
  }
}

// azd stores these in .azure/<env>/.env; AZURE_* names are the ones azd itself reads.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup().name

output API_BASE_URL string = 'https://${functionApp.outputs.defaultHostName}/api'
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_PLAN_NAME string = functionApp.outputs.planName
output AZURE_MANAGED_IDENTITY_NAME string = identity.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.properties.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_STORAGE_DEPLOYMENT_CONTAINER string = storage.outputs.deploymentContainerName
output AZURE_STORAGE_EXPORTS_CONTAINER string = storage.outputs.exportsContainerName
output AZURE_COSMOS_ACCOUNT_NAME string = cosmos.outputs.name
output AZURE_COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output AZURE_COSMOS_DATABASE string = cosmos.outputs.databaseName
output AZURE_SERVICEBUS_NAMESPACE_NAME string = serviceBus.outputs.name
output AZURE_SERVICEBUS_FULLY_QUALIFIED_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace
output AZURE_SERVICEBUS_QUEUE_NAME string = serviceBus.outputs.queueName
output AZURE_LOG_ANALYTICS_NAME string = monitoring.outputs.logAnalyticsName
output AZURE_APPLICATION_INSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output AUTH_OIDC_ISSUER string = effectiveOidcIssuer
