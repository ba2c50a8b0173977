import type { Settings } from '../../config';
import type { ConnectorName } from './connector.schema';

/**
 * The connectors' names and the app settings holding their timer schedules, apart from their
 * schemas and sources: `functions/connectors.ts` registers a timer per connector from these on a
 * cold start, which builds no schema.
 */
export const CONNECTOR_NAMES = ['openml-datasets', 'openml-flows', 'huggingface-datasets', 'huggingface-models', 'zenodo-records'] as const;

export type ScheduleSetting = Extract<keyof Settings, `CONNECTOR_${string}_SCHEDULE`>;

export const SCHEDULE_SETTINGS: Record<ConnectorName, ScheduleSetting> = {
  'openml-datasets': 'CONNECTOR_OPENML_DATASETS_SCHEDULE',
  'openml-flows': 'CONNECTOR_OPENML_FLOWS_SCHEDULE',
  'huggingface-datasets': 'CONNECTOR_HUGGINGFACE_DATASETS_SCHEDULE',
  'huggingface-models': 'CONNECTOR_HUGGINGFACE_MODELS_SCHEDULE',
  'zenodo-records': 'CONNECTOR_ZENODO_RECORDS_SCHEDULE',
};
