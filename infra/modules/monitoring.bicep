// Log Analytics + workspace-based Application Insights.
// Local (instrumentation-key) auth is disabled: telemetry is accepted only from Entra identities
// holding "Monitoring Metrics Publisher" (granted to the app identity in rbac.bicep), which is why
// the app sets APPLICATIONINSIGHTS_AUTHENTICATION_STRING.

param location string
param tags object
param logAnalyticsName string
param applicationInsightsName string

@description('Days Log Analytics keeps data (30 is included in the price).')
param retentionInDays int = 30

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

output logAnalyticsName string = logAnalytics.name
output applicationInsightsName string = applicationInsights.name
// Not a secret once local auth is off: it only says where to send; sending needs an Entra token.
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
