import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTAINERS } from '../../shared/azure/containers';
import { REQUIRED_AZURE_SETTINGS } from '../../shared/config';
import { type OrderField, orderByClauses } from '../support/order-by';

/**
 * Checks the compiled ARM template (`bash .ci/bicep.sh` writes it) for the promises the app and
 * the docs make about the Azure deployment: settings, identities, partition keys.
 *
 * Bicep compiles each module into a `Microsoft.Resources/deployments` resource whose
 * `properties.template` is a complete template, so every check walks the nested templates.
 * Values are either literals or ARM expressions kept as strings (`"[parameters('x')]"`).
 */

const ARM_TEMPLATE = resolve(__dirname, '../../.tools/arm/main.json');

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

const CONTROL_PLANE_ROLES: Record<string, string> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a4-ab45-2da22d9bd6e9': 'Contributor',
  '18d742ab-a5a9-4c9f-87f0-b4ec1c8fbe24': 'User Access Administrator',
};

const DATA_PLANE_ROLES: Record<string, string> = {
  // The deploying user's role (optional, for running against Azure from a workstation).
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  // Host storage (AzureWebJobsStorage: leases, keys, timer locks), the Flex package container and the
  // app's blobs: functions-reference.md, "Connecting to host storage with an identity".
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  'db58b8e5-c6ad-4a2a-8342-4190687cbf4a': 'Storage Blob Delegator',
  '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39': 'Azure Service Bus Data Sender',
  '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0': 'Azure Service Bus Data Receiver',
  // The Service Bus trigger's second role (functions-bindings-service-bus.md, "Grant permission to the
  // identity"): Manage rights let the scale controller read the queue's message count.
  '090c5cfd-751d-490a-894a-3ce6f1109419': 'Azure Service Bus Data Owner',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
};

const COSMOS_DATA_CONTRIBUTOR = '00000000-0000-0000-0000-000000000002';

const EXPECTED_CONTAINERS: Record<string, string> = {
  catalogue: '/id',
  imagesets: '/id',
  images: '/imagesetId',
  labels: '/imagesetId',
  campaigns: '/id',
  records: '/pk',
  jobs: '/jobId',
  principals: '/id',
  cache: '/id',
  idempotency: '/id',
  connectorState: '/id',
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface ArmResource extends JsonObject {
  type: string;
}

interface ArmTemplate extends JsonObject {
  resources: ArmResource[] | Record<string, ArmResource>;
}

/** A resource together with the template that declares it (its variables resolve its expressions). */
interface Found {
  resource: ArmResource;
  template: ArmTemplate;
  /** Module path, e.g. `main/cosmos`, for failure messages. */
  where: string;
}

function loadTemplate(): ArmTemplate {
  if (!existsSync(ARM_TEMPLATE)) {
    throw new Error(
      `${ARM_TEMPLATE} is missing: run \`bash .ci/bicep.sh\` first (it compiles infra/main.bicep and fails on any Bicep warning).`,
    );
  }
  return JSON.parse(readFileSync(ARM_TEMPLATE, 'utf8')) as ArmTemplate;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every resource in the template and in every nested deployment, depth first. */
function allResources(template: ArmTemplate, where = 'main'): Found[] {
  // languageVersion 2.0 templates key resources by symbolic name; older ones use an array.
  const resources = Array.isArray(template.resources) ? template.resources : Object.values(template.resources);
  return resources.flatMap((resource) => {
    const found: Found[] = [{ resource, template, where }];
    const nested = isObject(resource.properties) ? resource.properties.template : undefined;
    if (resource.type === 'Microsoft.Resources/deployments' && isObject(nested)) {
      found.push(...allResources(nested as ArmTemplate, `${where}/${String(resource.name)}`));
    }
    return found;
  });
}

function ofType(found: Found[], type: string): Found[] {
  return found.filter((f) => f.resource.type.toLowerCase() === type.toLowerCase() && f.resource.existing !== true);
}

function get(value: Json | undefined, ...path: (string | number)[]): Json | undefined {
  let current: Json | undefined = value;
  for (const key of path) {
    if (Array.isArray(current) && typeof key === 'number') current = current[key];
    else if (isObject(current) && typeof key === 'string') current = current[key];
    else return undefined;
  }
  return current;
}

/**
 * GUIDs an expression can evaluate to: GUID literals in it, plus those in any `variables('x')`
 * (or `variables('x').a['b']`) it references, followed recursively. Parameters are deliberately
 * not followed: a role must be fixed in the template, not chosen by whoever deploys it.
 */
function guidsOf(value: Json | undefined, template: ArmTemplate, depth = 0): Set<string> {
  const guids = new Set<string>();
  if (value === undefined || depth > 10) return guids;
  if (typeof value !== 'string') {
    for (const inner of Array.isArray(value) ? value : isObject(value) ? Object.values(value) : []) {
      for (const guid of guidsOf(inner, template, depth + 1)) guids.add(guid);
    }
    return guids;
  }
  for (const match of value.match(GUID) ?? []) guids.add(match.toLowerCase());
  const reference = /variables\('([^']+)'\)((?:\.[A-Za-z_$][\w$]*|\['[^']+'\])*)/g;
  for (const [, name, rawPath] of value.matchAll(reference)) {
    const path = [...(rawPath ?? '').matchAll(/\.([A-Za-z_$][\w$]*)|\['([^']+)'\]/g)].map((m) => m[1] ?? m[2] ?? '');
    const resolved = get(get(template, 'variables', name ?? ''), ...path);
    for (const guid of guidsOf(resolved, template, depth + 1)) guids.add(guid);
  }
  return guids;
}

/**
 * Evaluates the expressions a copy loop over a variable produces for item `index`:
 * `[variables('v')[copyIndex()].field]` and `[tryGet(variables('v')[copyIndex()], 'field')]`.
 * Anything else is returned as written.
 */
function evaluateCopyItem(value: Json | undefined, template: ArmTemplate, index: number): Json | undefined {
  if (typeof value !== 'string') return value;
  const direct = /^\[variables\('([^']+)'\)\[copyIndex\(\)\]\.(\w+)\]$/.exec(value);
  const tryGet = /^\[tryGet\(variables\('([^']+)'\)\[copyIndex\(\)\], '(\w+)'\)\]$/.exec(value);
  const match = direct ?? tryGet;
  if (!match) return value;
  const item = get(template, 'variables', match[1] ?? '', index);
  const field = get(item, match[2] ?? '');
  return field === undefined && tryGet ? null : field;
}

/** The resource's instances: one for a plain resource, one per item for `copy` over a variable. */
function instances(found: Found): ((value: Json | undefined) => Json | undefined)[] {
  const copy = found.resource.copy;
  if (!isObject(copy)) return [(value) => value];
  const count = /^\[length\(variables\('([^']+)'\)\)\]$/.exec(String(copy.count));
  const items = count ? get(found.template, 'variables', count[1] ?? '') : undefined;
  if (!Array.isArray(items)) throw new Error(`${found.where}: cannot expand copy loop ${JSON.stringify(copy)}`);
  return items.map((_, index) => (value: Json | undefined) => evaluateCopyItem(value, found.template, index));
}

describe('infra/main.bicep (compiled ARM template)', () => {
  const template = loadTemplate();
  const resources = allResources(template);

  describe('function app', () => {
    const sites = ofType(resources, 'Microsoft.Web/sites');
    const site = sites[0]?.resource;
    const appSettings = get(site, 'properties', 'siteConfig', 'appSettings');
    const settingNames = Array.isArray(appSettings) ? appSettings.map((s) => String(get(s, 'name'))) : [];

    it('is one Flex Consumption app with its settings as a literal list', () => {
      expect(sites).toHaveLength(1);
      expect(get(site, 'kind')).toBe('functionapp,linux');
      expect(get(site, 'properties', 'functionAppConfig', 'runtime')).toEqual({ name: 'node', version: '22' });
      expect(Array.isArray(appSettings), 'siteConfig.appSettings must be a literal array').toBe(true);
    });

    it('sets every setting the app requires in Azure (REQUIRED_AZURE_SETTINGS)', () => {
      const missing = REQUIRED_AZURE_SETTINGS.filter((name) => !settingNames.includes(name));
      expect(missing).toEqual([]);
    });

    it('connects the host to storage and Application Insights through the managed identity', () => {
      expect(settingNames).toEqual(
        expect.arrayContaining([
          'AzureWebJobsStorage__accountName',
          'AzureWebJobsStorage__credential',
          'AzureWebJobsStorage__clientId',
          'APPLICATIONINSIGHTS_CONNECTION_STRING',
          'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
        ]),
      );
      // Flex Consumption rejects these: the runtime is declared in functionAppConfig.
      expect(settingNames).not.toContain('FUNCTIONS_WORKER_RUNTIME');
      expect(settingNames).not.toContain('FUNCTIONS_EXTENSION_VERSION');
      // No connection string that could carry a key.
      expect(settingNames).not.toContain('AzureWebJobsStorage');
    });

    it('sets each setting once', () => {
      expect(new Set(settingNames).size).toBe(settingNames.length);
    });
  });

  describe('role assignments', () => {
    const assignments = [
      ...ofType(resources, 'Microsoft.Authorization/roleAssignments'),
      ...ofType(resources, 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments'),
    ];

    it('exist (the walker reaches the nested module templates)', () => {
      expect(assignments.length).toBeGreaterThanOrEqual(6);
    });

    it('never grant a control-plane role (Owner, Contributor, User Access Administrator)', () => {
      const granted = assignments.flatMap((f) => [...guidsOf(get(f.resource, 'properties', 'roleDefinitionId'), f.template)]);
      const forbidden = granted.filter((guid) => guid in CONTROL_PLANE_ROLES).map((guid) => CONTROL_PLANE_ROLES[guid]);
      expect(forbidden).toEqual([]);
      // Belt and braces: the IDs appear nowhere, not even in a variable a later edit might use.
      const text = readFileSync(ARM_TEMPLATE, 'utf8').toLowerCase();
      expect(Object.keys(CONTROL_PLANE_ROLES).filter((guid) => text.includes(guid))).toEqual([]);
    });

    it('grant only the expected data-plane roles, each fixed in the template', () => {
      for (const f of assignments) {
        const roleDefinitionId = get(f.resource, 'properties', 'roleDefinitionId');
        const guids = [...guidsOf(roleDefinitionId, f.template)];
        const allowed = f.resource.type.endsWith('sqlRoleAssignments') ? [COSMOS_DATA_CONTRIBUTOR] : Object.keys(DATA_PLANE_ROLES);
        expect(guids.length, `${f.where}: cannot resolve role ${JSON.stringify(roleDefinitionId)}`).toBeGreaterThan(0);
        expect(guids.filter((guid) => !allowed.includes(guid)), `${f.where}: ${JSON.stringify(roleDefinitionId)}`).toEqual([]);
      }
    });

    it('give the app identity Storage Blob Data Owner (host storage) and the trigger’s roles on the jobs queue only', () => {
      const appRoles = (scope: string) =>
        ofType(resources, 'Microsoft.Authorization/roleAssignments')
          // The app identity's assignments carry principalType ServicePrincipal; the deploying user's do not.
          .filter((f) => get(f.resource, 'properties', 'principalType') === 'ServicePrincipal')
          .filter((f) => String(get(f.resource, 'scope')).includes(scope))
          .flatMap((f) => [...guidsOf(get(f.resource, 'properties', 'roleDefinitionId'), f.template)].map((g) => DATA_PLANE_ROLES[g] ?? g))
          .sort();
      expect(appRoles('Microsoft.Storage/storageAccounts')).toEqual(['Storage Blob Data Owner', 'Storage Blob Delegator']);
      expect(appRoles('queues')).toEqual(['Azure Service Bus Data Owner', 'Azure Service Bus Data Receiver', 'Azure Service Bus Data Sender']);
    });

    it('give the app identity every data-plane role it needs', () => {
      const granted = new Set(
        ofType(resources, 'Microsoft.Authorization/roleAssignments').flatMap((f) => [
          ...guidsOf(get(f.resource, 'properties', 'roleDefinitionId'), f.template),
        ]),
      );
      expect(Object.keys(DATA_PLANE_ROLES).filter((guid) => !granted.has(guid)).map((g) => DATA_PLANE_ROLES[g])).toEqual([]);
    });
  });

  describe('local authentication', () => {
    it('is disabled on Cosmos DB', () => {
      const accounts = ofType(resources, 'Microsoft.DocumentDB/databaseAccounts');
      expect(accounts).toHaveLength(1);
      expect(get(accounts[0]?.resource, 'properties', 'disableLocalAuth')).toBe(true);
    });

    it('is disabled on Service Bus', () => {
      const namespaces = ofType(resources, 'Microsoft.ServiceBus/namespaces');
      expect(namespaces).toHaveLength(1);
      expect(get(namespaces[0]?.resource, 'properties', 'disableLocalAuth')).toBe(true);
    });

    it('is disabled on Storage (no shared key, so no account-key SAS)', () => {
      const accounts = ofType(resources, 'Microsoft.Storage/storageAccounts');
      expect(accounts).toHaveLength(1);
      expect(get(accounts[0]?.resource, 'properties', 'allowSharedKeyAccess')).toBe(false);
      expect(get(accounts[0]?.resource, 'properties', 'allowBlobPublicAccess')).toBe(false);
    });

    it('is disabled on Application Insights', () => {
      const components = ofType(resources, 'Microsoft.Insights/components');
      expect(components).toHaveLength(1);
      expect(get(components[0]?.resource, 'properties', 'DisableLocalAuth')).toBe(true);
    });
  });

  describe('Cosmos DB containers', () => {
    const containers = ofType(resources, 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers').flatMap((f) =>
      instances(f).map((evaluate) => {
        const resource = get(f.resource, 'properties', 'resource');
        return {
          id: evaluate(get(resource, 'id')),
          partitionKeys: (get(resource, 'partitionKey', 'paths') as Json[]).map((path) => evaluate(path)),
          defaultTtl: evaluate(get(resource, 'defaultTtl')),
          indexingPolicy: evaluate(get(resource, 'indexingPolicy')),
        };
      }),
    );
    const byId = new Map(containers.map((c) => [String(c.id), c]));

    it('exist, each with the partition key the app queries by', () => {
      const actual = Object.fromEntries(containers.map((c) => [String(c.id), c.partitionKeys]));
      const expected = Object.fromEntries(Object.entries(EXPECTED_CONTAINERS).map(([id, key]) => [id, [key]]));
      expect(actual).toEqual(expected);
    });

    it('match the list the local stack creates (shared/azure/containers.ts)', () => {
      const actual = Object.fromEntries(containers.map((c) => [String(c.id), c.partitionKeys]));
      const local = Object.fromEntries(Object.values(CONTAINERS).map((c) => [c.id, [c.partitionKey]]));
      expect(actual).toEqual(local);
    });

    it('expire items by TTL where the local stack does, with the same default', () => {
      const cacheTtl = get(template, 'parameters', 'resultCacheTtlSeconds', 'defaultValue');
      for (const local of Object.values(CONTAINERS)) {
        const deployed = byId.get(local.id)?.defaultTtl;
        const expected = 'defaultTtl' in local ? local.defaultTtl : null;
        // The result cache's TTL is a deployment parameter; its default must match the local stack.
        const value = deployed === "[parameters('resultCacheTtlSeconds')]" ? cacheTtl : (deployed ?? null);
        expect(value, `${local.id}.defaultTtl`).toBe(expected);
      }
      expect(byId.get('cache')?.defaultTtl).toBe("[parameters('resultCacheTtlSeconds')]");
    });

    describe('composite indexes match the queries’ ORDER BY clauses (test/support/order-by.ts)', () => {
      // index-policy.md: an ORDER BY on two or more properties needs a composite index with the same
      // paths in the same sequence and order (or all reversed); a filter on one property plus ORDER BY
      // on another does not use one unless the filter property leads the ORDER BY. Any other
      // composite index only costs RUs on every write.
      const clauses = orderByClauses(resolve(__dirname, '../..'));
      const indexes = containers.flatMap((c) => {
        const composite = get(c.indexingPolicy, 'compositeIndexes');
        return (Array.isArray(composite) ? composite : []).map((paths) => ({
          container: String(c.id),
          fields: (paths as Json[]).map((p) => ({ path: String(get(p, 'path')), order: String(get(p, 'order') ?? 'ascending') })),
        }));
      });
      const serves = (index: { fields: { path: string; order: string }[] }, fields: OrderField[]) => {
        if (index.fields.length !== fields.length) return false;
        const same = index.fields.every((f, i) => f.path === fields[i]?.path && f.order === fields[i]?.order);
        const reversed = index.fields.every((f, i) => f.path === fields[i]?.path && f.order !== fields[i]?.order);
        return same || reversed;
      };
      const multi = clauses.filter((clause) => clause.fields.length > 1);

      it('finds the queries (the scanner is not blind)', () => {
        // Newest-first listings share one query (newestFirst in shared/azure/cosmos.ts), so few clauses remain.
        expect(clauses.length).toBeGreaterThanOrEqual(5);
        expect(clauses.some((clause) => clause.text.startsWith('c.createdAt DESC'))).toBe(true);
      });

      it('give every multi-property ORDER BY its index', () => {
        const dynamic = multi.filter((clause) => clause.fields.some((f) => f.path === undefined)).map((c) => `${c.file}: ${c.text}`);
        expect(dynamic, 'a multi-property ORDER BY must name its fields literally').toEqual([]);
        const missing = multi.filter((clause) => !indexes.some((index) => serves(index, clause.fields))).map((c) => `${c.file}: ${c.text}`);
        expect(missing).toEqual([]);
      });

      it('define no composite index that no ORDER BY uses', () => {
        const unused = indexes.filter((index) => !multi.some((clause) => serves(index, clause.fields)));
        expect(unused.map((index) => `${index.container}: ${JSON.stringify(index.fields)}`)).toEqual([]);
      });
    });
  });

  it('tags every tracked resource (those with a location) for azd', () => {
    const untagged = resources
      .filter((f) => f.resource.location !== undefined && f.resource.existing !== true)
      .filter((f) => f.resource.tags === undefined)
      .map((f) => `${f.where}: ${f.resource.type}`);
    expect(untagged).toEqual([]);
  });
});
