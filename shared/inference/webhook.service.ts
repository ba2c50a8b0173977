import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { OutboundError, outboundClient } from '../outbound/outbound.client';

/**
 * Webhooks in the Standard Webhooks style (standardwebhooks.com): every call carries `webhook-id`
 * (the same on retries, so receivers can drop duplicates), `webhook-timestamp` (Unix seconds) and
 * `webhook-signature`: `v1,` + base64 HMAC-SHA256 of `${id}.${timestamp}.${body}` keyed with the
 * job's secret (`whsec_` + base64 of 24 random bytes, returned once when the job is submitted).
 */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * Seconds to wait before each attempt after the first: attempts at 0 s, 2 s, 10 s, 1 min, 5 min and
 * 15 min — six in all. Each wait is a scheduled message, never a sleep; the longest stays below the
 * reaper's stuck threshold (30 min), and each attempt refreshes the job's heartbeat.
 */
export const WEBHOOK_RETRY_DELAYS_S = [2, 10, 60, 300, 900] as const;
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_S.length + 1;

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/**
 * The `webhook-signature` value for one call.
 *
 * @example signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** What a receiver does: true when one of the header's signatures matches (constant-time compare). */
export function verifyWebhook(secret: string, headers: { id: string; timestamp: string; signature: string }, body: string): boolean {
  const expected = Buffer.from(signWebhook(secret, headers.id, Number(headers.timestamp), body));
  return headers.signature.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * One attempt as the webhook's owner may see it: delivered or not, and the receiver's status code only
 * when the target passed the outbound policy — never why a connection failed (that would make the
 * platform a port scanner of whatever the URL names). `refused`: the policy refuses the target, so
 * trying again cannot help.
 */
export interface WebhookAttempt {
  delivered: boolean;
  status?: number;
  refused: boolean;
}

/** One delivery attempt; never throws (a refused or unreachable receiver is an outcome, retried by schedule). */
export async function postWebhook(url: string, secret: string, id: string, payload: unknown): Promise<WebhookAttempt> {
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const response = await outboundClient().send({
      method: 'POST',
      url,
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'ml-asset-platform-webhooks/1',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(secret, id, timestamp, body),
      },
      body,
      timeoutMs: WEBHOOK_TIMEOUT_MS,
      // The status is the whole answer: the receiver's body is never read.
      maxBytes: 0,
    });
    return { delivered: response.status >= 200 && response.status < 300, status: response.status, refused: false };
  } catch (error) {
    return { delivered: false, refused: error instanceof OutboundError && error.kind === 'refused' };
  }
}
