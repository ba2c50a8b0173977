// Cosmos DB for NoSQL, serverless, one database `mlassets`.
// Keys are disabled (disableLocalAuth): the app reaches the data plane only through Entra ID and the
// SQL role assignment below. Data-plane RBAC cannot create databases or containers, which is why
// every container is declared here and the app never calls createIfNotExists in Azure.
//
// Partition keys follow each container's dominant access path: a point read or single-partition
// query costs the fewest request units, and a cross-partition fan-out costs one query per partition.
// A logical partition (all items with one key value) is capped at 20 GB, so a key must never collect
// an unbounded number of items.

param location string
param tags object
param name string

@description('Name of the app\'s user-assigned managed identity (gets Cosmos DB Built-in Data Contributor).')
param appIdentityName string

@description('Principal ID of the deploying user; empty = no data-plane access for the user.')
param userPrincipalId string = ''

@description('Time to live of inference result cache items, in seconds.')
@minValue(1)
param resultCacheTtlSeconds int

var databaseName = 'mlassets'

// Cosmos DB's default policy: every path indexed (ad-hoc filters and ORDER BY work everywhere).
var indexAll = {
  indexingMode: 'consistent'
  automatic: true
  includedPaths: [{ path: '/*' }]
  excludedPaths: [{ path: '/"_etag"/?' }]
}

// Point reads by id only: indexing the (possibly large) payload would cost RUs on every write
// and buy nothing. Queries still work on these containers, as scans.
var indexNothing = {
  indexingMode: 'consistent'
  automatic: true
  includedPaths: []
  excludedPaths: [{ path: '/*' }]
}

// The catalogue indexes only what its queries filter, sort or group on
// (shared/catalogue/catalogue.repository.ts): descriptions, distributions and the rest of an entry
// are never query terms, and indexing them would cost RUs on every connector write. Search matches
// `searchTokens` by equality (ARRAY_CONTAINS of a value), which the range index serves.
var catalogueIndex = {
  indexingMode: 'consistent'
  automatic: true
  includedPaths: [
    { path: '/type/?' }
    { path: '/docType/?' }
    { path: '/deletedAt/?' }
    { path: '/status/?' }
    { path: '/owner/?' }
    { path: '/platform/?' }
    { path: '/license/?' }
    { path: '/keywords/[]/?' }
    { path: '/searchTokens/[]/?' }
    { path: '/name/?' }
    { path: '/dateCreated/?' }
    { path: '/dateModified/?' }
  ]
  excludedPaths: [{ path: '/*' }]
}

type containerSpec = {
  name: string
  partitionKey: string
  indexingPolicy: object
  @description('Seconds until items expire; absent = items never expire.')
  defaultTtl: int?
}

var containers containerSpec[] = [
  // Catalogue entries and their claim documents: one logical partition each (`/id`), so no type is
  // capped at 20 GB or one partition's throughput (a connector adds up to ~240k entries a day), and a
  // point read stays id → id. Lists, searches, counts and facets are cross-partition queries whose
  // every filter the index serves (catalogueIndex). Lists sort on one property (ORDER BY c.<field>),
  // which the range index serves: no composite index (one would only be used by an ORDER BY naming
  // both of its paths, and would cost RUs on every write).
  { name: 'catalogue', partitionKey: '/id', indexingPolicy: catalogueIndex }
  // Imagesets are point-read on every image and label call (1 RU by id); the list is small and rare.
  { name: 'imagesets', partitionKey: '/id', indexingPolicy: indexAll }
  // Images are listed and registered per imageset (bulk ≤ 100 ops per partition); one imageset
  // holds ~1 KB per image, so even a million images stays well below 20 GB.
  { name: 'images', partitionKey: '/imagesetId', indexingPolicy: indexAll }
  // Labels are read per image and exported per imageset (COCO): both single-partition.
  { name: 'labels', partitionKey: '/imagesetId', indexingPolicy: indexAll }
  // Labelling campaigns are read by id.
  { name: 'campaigns', partitionKey: '/id', indexingPolicy: indexAll }
  // Tabular rows in buckets (`pk` = `<datasetId>:<bucket>`, RECORDS_BUCKET_BYTES of rows each): a
  // dataset is bounded by the account, not by a 20 GB logical partition; a small one is one bucket,
  // and every filter and aggregate runs within a bucket (results of several combined by the app).
  { name: 'records', partitionKey: '/pk', indexingPolicy: indexAll }
  // Jobs are point-read by id on every poll (1 RU) and spread writes evenly; a job's part documents
  // share its partition (`jobId`: the job's id), recorded with its counters in one transactional batch. "My jobs" filters on
  // owner and sorts on createdAt alone, which the range indexes serve (an (owner, createdAt)
  // composite index is only used when the ORDER BY names owner first).
  { name: 'jobs', partitionKey: '/jobId', indexingPolicy: indexAll }
  // API keys, access grants and quota counters: point reads by id on every authenticated request.
  { name: 'principals', partitionKey: '/id', indexingPolicy: indexAll }
  // Inference result cache: point read by the hash of (model, version, input); items expire by TTL.
  { name: 'cache', partitionKey: '/id', indexingPolicy: indexNothing, defaultTtl: resultCacheTtlSeconds }
  // Idempotency-Key records (caller + key → job): point reads, kept for a day.
  { name: 'idempotency', partitionKey: '/id', indexingPolicy: indexNothing, defaultTtl: 86400 }
  // One small document per connector (cursor, counts, errors): point reads.
  { name: 'connectorState', partitionKey: '/id', indexingPolicy: indexAll }
]

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: appIdentityName
}

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    capabilities: [{ name: 'EnableServerless' }]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    disableLocalAuth: true
    // Schema changes only through ARM (this template), never through a data-plane call.
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
  }
}

// Serverless: no throughput settings (each container may burst to 5,000 RU/s).
resource sqlContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [
  for c in containers: {
    parent: database
    name: c.name
    properties: {
      resource: {
        id: c.name
        partitionKey: {
          paths: [c.partitionKey]
          kind: 'Hash'
          version: 2
        }
        indexingPolicy: c.indexingPolicy
        defaultTtl: c.?defaultTtl
      }
    }
  }
]

// Built-in "Cosmos DB Built-in Data Contributor": read/write items, run queries; no control plane.
var dataContributorRoleId = '00000000-0000-0000-0000-000000000002'
var dataContributor = '${account.id}/sqlRoleDefinitions/${dataContributorRoleId}'

resource appDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {
  parent: account
  name: guid(account.id, appIdentity.id, dataContributorRoleId)
  properties: {
    roleDefinitionId: dataContributor
    principalId: appIdentity.properties.principalId
    // The account holds only `mlassets`; account scope also covers the metadata reads the SDK makes.
    scope: account.id
  }
}

resource userDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = if (!empty(userPrincipalId)) {
  parent: account
  name: guid(account.id, userPrincipalId, dataContributorRoleId)
  properties: {
    roleDefinitionId: dataContributor
    principalId: userPrincipalId
    scope: account.id
  }
}

output name string = account.name
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
output containerNames string[] = [for (c, i) in containers: sqlContainers[i].name]
