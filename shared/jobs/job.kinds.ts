import { z } from 'zod';
import { ConnectorJobInput } from '../catalogue/connectors/connector.schema';
import { ImageBatch, InferenceJobInput } from '../inference/model.schema';
import { WebhookJobInput, WebhookPart } from '../inference/webhook.schema';
import { ExportInput, FinalizeInput, ImportInput } from '../labels/job.schema';
import type { JobKind } from './job.schema';

/**
 * The one registry of job kinds: the payload each kind's job carries (`input`) and what its part
 * messages carry (`part`; `z.never()` for kinds that do not fan out). The worker parses both once,
 * before it calls the kind's handler with them typed; a job whose payload does not parse fails at
 * once, naming the field. Adding a kind: its schemas here, its name in `JobKind`, its handler.
 */
const JOB_KINDS = {
  'imageset.finalize': { input: FinalizeInput, part: z.never() },
  'labels.export': { input: ExportInput, part: z.never() },
  'labels.import': { input: ImportInput, part: z.never() },
  'inference.run': { input: InferenceJobInput, part: ImageBatch },
  'webhook.deliver': { input: WebhookJobInput, part: WebhookPart },
  'connector.run': { input: ConnectorJobInput, part: z.never() },
} satisfies Record<JobKind, { input: z.ZodType; part: z.ZodType }>;

type Kinds = typeof JOB_KINDS;
/** The payload of a job of kind `K`, as its handler gets it. */
export type JobInput<K extends JobKind> = z.output<Kinds[K]['input']>;
/** What submitting a job of kind `K` gives (defaults not yet applied). */
export type JobInputToSubmit<K extends JobKind> = z.input<Kinds[K]['input']>;
/** What a part message of a job of kind `K` carries. */
export type JobPart<K extends JobKind> = z.output<Kinds[K]['part']>;

const registry: { [K in JobKind]: { input: z.ZodType<JobInput<K>>; part: z.ZodType<JobPart<K>> } } = JOB_KINDS;

export type ParsedPayload<K extends JobKind> = { ok: true; input: JobInput<K>; part: JobPart<K> | undefined } | { ok: false; problem: string };

function problemOf(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  const at = issue?.path.length ? `/${issue.path.join('/')}` : '';
  return `${what}${at}: ${issue?.message ?? 'invalid'}`;
}

/** The job's payload (and its message's part) parsed with the kind's schemas. */
export function parseJobPayload<K extends JobKind>(kind: K, input: unknown, part: unknown): ParsedPayload<K> {
  const spec = registry[kind];
  const parsedInput = spec.input.safeParse(input);
  if (!parsedInput.success) return { ok: false, problem: problemOf(parsedInput.error, `The payload of this ${kind} job is not valid at input`) };
  if (part === undefined) return { ok: true, input: parsedInput.data, part: undefined };
  const parsedPart = spec.part.safeParse(part);
  if (!parsedPart.success) return { ok: false, problem: problemOf(parsedPart.error, `A part message of this ${kind} job is not valid at part`) };
  return { ok: true, input: parsedInput.data, part: parsedPart.data };
}
