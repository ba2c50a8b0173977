import { type JobContext, type JobOutcome, PermanentJobError } from '../../jobs/job.handler';
import { runConnector } from './connector.service';

/** The `connector.run` job (`POST /api/v1/connectors/{name}/runs`): one run of a connector, as the timers do. */
export async function runConnectorJob(context: JobContext<'connector.run'>): Promise<JobOutcome> {
  const { connector, maxPages, restart } = context.input;
  // Progress is checkpointed in the connector's own state after every page, so a redelivery resumes
  // there; the job shows pages done, and a cancel (which its progress report throws) ends the run at
  // the page boundary.
  let canceled: PermanentJobError | undefined;
  const report = await runConnector(connector, {
    trigger: 'job',
    maxPages,
    restart,
    afterPage: async (pages, budget) => {
      try {
        await context.progress(pages, budget);
        return 'continue';
      } catch (error) {
        if (!(error instanceof PermanentJobError)) throw error;
        canceled = error;
        return 'stop';
      }
    },
  });
  if (canceled) throw canceled;
  context.log(`connector ${connector}: ${report.outcome} ${JSON.stringify(report.stats)}`);
  // The run keeps its progress in the connector state; the job just says how this run ended.
  if (report.outcome === 'failed') throw new PermanentJobError(report.error ?? 'The run failed; the next run resumes.', 'connector-failed');
  return { kind: 'done', result: report };
}
