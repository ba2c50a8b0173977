// Parameters for main.bicep. Values come from environment variables so that the same file serves
// `azd up` (azd exports its environment: AZURE_ENV_NAME, AZURE_PRINCIPAL_ID, and anything set with
// `azd env set NAME value`) and `az deployment group create` (export the variables in your shell).
// `location` is not set here: it defaults to the resource group's region.
using 'main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'mlassets-dev')

// Object ID of whoever deploys; azd sets it. Empty = no data-plane roles for the deployer.
param principalId = readEnvironmentVariable('AZURE_PRINCIPAL_ID', '')

// Comma-separated, e.g. "https://labels.example.org,http://localhost:5173".
param corsAllowedOrigins = filter(split(readEnvironmentVariable('CORS_ALLOWED_ORIGINS', ''), ','), o => !empty(trim(o)))

// 512, 2048 or 4096 (a literal: the parameter only accepts these values).
param functionInstanceMemoryMB = 2048
param functionMaximumInstanceCount = int(readEnvironmentVariable('FUNCTION_MAXIMUM_INSTANCE_COUNT', '100'))

// Bearer tokens: set the audience to turn them on (empty = API keys only). Empty issuer with an
// audience = Microsoft Entra ID of the deployment's tenant.
param oidcIssuer = readEnvironmentVariable('AUTH_OIDC_ISSUER', '')
param oidcAudience = readEnvironmentVariable('AUTH_OIDC_AUDIENCE', '')

param exportsRetentionDays = int(readEnvironmentVariable('EXPORTS_RETENTION_DAYS', '7'))
param resultCacheTtlSeconds = int(readEnvironmentVariable('RESULT_CACHE_TTL_SECONDS', '86400'))
