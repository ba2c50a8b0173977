import { config } from '../../config';
import { errors } from '../../errors';
import type { ConnectorEntryType, ConnectorSource } from './connector.source';
import { readState } from './connector.repository';
import { type ConnectorInstance, type RunOptions, syncConnector } from './connector.run';
import { CONNECTOR_NAMES, SCHEDULE_SETTINGS } from './connector.names';
import { ConnectorName, type ConnectorView, type RunReport } from './connector.schema';
import { newState } from './connector.state';
import { huggingfaceDatasets, huggingfaceModels } from './huggingface.connector';
import { openmlDatasets, openmlFlows } from './openml.connector';
import { zenodoRecords } from './zenodo.connector';

// The platforms' connectors and their settings; a run is connector.run.ts, its state connector.state.ts.

type UrlSetting = 'CONNECTOR_OPENML_URL' | 'CONNECTOR_HUGGINGFACE_URL' | 'CONNECTOR_ZENODO_URL';

interface ConnectorDefinition {
  name: ConnectorName;
  platform: string;
  type: ConnectorEntryType;
  urlSetting: UrlSetting;
  source: ConnectorSource;
}

export const CONNECTORS: Record<ConnectorName, ConnectorDefinition> = {
  'openml-datasets': {
    name: 'openml-datasets',
    platform: 'openml',
    type: 'datasets',
    urlSetting: 'CONNECTOR_OPENML_URL',
    source: openmlDatasets,
  },
  'openml-flows': {
    name: 'openml-flows',
    platform: 'openml',
    type: 'models',
    urlSetting: 'CONNECTOR_OPENML_URL',
    source: openmlFlows,
  },
  'huggingface-datasets': {
    name: 'huggingface-datasets',
    platform: 'huggingface',
    type: 'datasets',
    urlSetting: 'CONNECTOR_HUGGINGFACE_URL',
    source: huggingfaceDatasets,
  },
  'huggingface-models': {
    name: 'huggingface-models',
    platform: 'huggingface',
    type: 'models',
    urlSetting: 'CONNECTOR_HUGGINGFACE_URL',
    source: huggingfaceModels,
  },
  'zenodo-records': {
    name: 'zenodo-records',
    platform: 'zenodo',
    type: 'datasets',
    urlSetting: 'CONNECTOR_ZENODO_URL',
    source: zenodoRecords,
  },
};

export function connectorInstance(name: ConnectorName, overrides: Partial<ConnectorInstance> = {}): ConnectorInstance {
  const definition = CONNECTORS[name];
  const s = config().settings;
  return {
    name: definition.name,
    platform: definition.platform,
    type: definition.type,
    source: definition.source,
    baseUrl: s[definition.urlSetting],
    pageSize: s.CONNECTOR_PAGE_SIZE,
    requestIntervalMs: s.CONNECTOR_REQUEST_INTERVAL_MS,
    maxRetries: s.CONNECTOR_MAX_RETRIES,
    retryBaseMs: 1000,
    concurrency: 8,
    ...overrides,
  };
}

/** Runs a named connector with its settings (timer and job). */
export async function runConnector(name: ConnectorName, options: RunOptions = {}): Promise<RunReport> {
  return syncConnector(connectorInstance(name), options);
}

export function parseConnectorName(name: string): ConnectorName {
  const parsed = ConnectorName.safeParse(name);
  if (!parsed.success) throw errors.notFound('connector', name);
  return parsed.data;
}

export async function connectorStatus(name: string): Promise<ConnectorView> {
  const definition = CONNECTORS[parseConnectorName(name)];
  const s = config().settings;
  const doc = (await readState(definition.name))?.doc ?? newState(definition.name);
  return {
    name: definition.name,
    platform: definition.platform,
    type: definition.type,
    baseUrl: s[definition.urlSetting],
    scheduleSetting: SCHEDULE_SETTINGS[definition.name],
    schedule: s[SCHEDULE_SETTINGS[definition.name]],
    running: doc.lease !== null && Date.parse(doc.lease.until) > Date.now(),
    pass: doc.pass,
    phase: doc.phase,
    pagesDoneInPass: doc.page,
    passStats: doc.passStats,
    lastCompletedPass: doc.lastCompletedPass,
    lastRun: doc.lastRun,
    errors: doc.errors,
  };
}

export async function listConnectors(): Promise<ConnectorView[]> {
  return Promise.all(CONNECTOR_NAMES.map((name) => connectorStatus(name)));
}
