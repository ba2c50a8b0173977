import type { BlobServiceClient, SASProtocol, StorageSharedKeyCredential, UserDelegationKey } from '@azure/storage-blob';
import { config } from '../config';
import { blobServiceClient } from './blob';
import { lazyRequire } from './load';

type BlobSdk = typeof import('@azure/storage-blob');

/** A signed URL and the moment it stops working. */
export interface SignedUrl {
  url: string;
  expiresOn: Date;
}

export interface ReadUrlOptions {
  /** Served as the response's Content-Disposition (e.g. `attachment; filename="coco.json"`). */
  contentDisposition?: string;
}

/**
 * Issues SAS URLs. One interface, two signers: the account-key signer (Azurite, or any account that
 * still has shared keys) and the user delegation signer (Azure, where shared keys are disabled and
 * the key comes from Entra ID through the managed identity). Callers never know which one runs.
 *
 * @example const { url } = await sasSigner().readUrl('exports', 'campaigns/abc/coco.json', 900);
 */
export interface SasSigner {
  readonly kind: 'accountKey' | 'userDelegation';
  /** A container SAS that can create and write blobs (`cw`) and nothing else: no read, list or delete. */
  uploadUrl(containerName: string, ttlSeconds: number): Promise<SignedUrl>;
  /** A blob SAS that can read this one blob (`r`) and nothing else. */
  readUrl(containerName: string, blobName: string, ttlSeconds: number, options?: ReadUrlOptions): Promise<SignedUrl>;
}

/** Tokens start this far in the past so a client whose clock runs behind is not refused (ARCHITECTURE.md 12). */
export const CLOCK_SKEW_MS = 10 * 60_000;

/**
 * The SAS version both Azure and Azurite 3.3x verify. The SDK's default (2026-04-06) adds fields to
 * the user delegation string-to-sign that Azurite does not know yet; Azure accepts older versions.
 */
export const SAS_VERSION = '2025-07-05';

/** User delegation keys are valid for at most 7 days (an Azure limit), and only from "now". */
const MAX_KEY_VALIDITY_MS = 7 * 86_400_000 - 5 * 60_000;

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || host === '::1' || host.startsWith('127.');
}

function sdk(): BlobSdk {
  return lazyRequire<BlobSdk>('@azure/storage-blob');
}

/** HTTPS only in Azure; the emulator on loopback speaks HTTP, so plain HTTP is allowed there. */
function protocolFor(serviceUrl: string): SASProtocol {
  const { SASProtocol: Protocol } = sdk();
  return isLoopback(serviceUrl) ? Protocol.HttpsAndHttp : Protocol.Https;
}

function blobUrl(serviceUrl: string, containerName: string, blobName?: string): string {
  const base = serviceUrl.replace(/\/+$/, '');
  const path = blobName === undefined ? '' : `/${blobName.split('/').map(encodeURIComponent).join('/')}`;
  return `${base}/${containerName}${path}`;
}

interface SignatureInput {
  containerName: string;
  blobName?: string;
  permissions: string;
  startsOn: Date;
  expiresOn: Date;
  contentDisposition?: string;
}

function sasValues(serviceUrl: string, input: SignatureInput) {
  const { BlobSASPermissions, ContainerSASPermissions } = sdk();
  return {
    containerName: input.containerName,
    blobName: input.blobName,
    permissions:
      input.blobName === undefined ? ContainerSASPermissions.parse(input.permissions) : BlobSASPermissions.parse(input.permissions),
    startsOn: input.startsOn,
    expiresOn: input.expiresOn,
    protocol: protocolFor(serviceUrl),
    version: SAS_VERSION,
    contentDisposition: input.contentDisposition,
  };
}

type Sign = (values: ReturnType<typeof sasValues>, expiresOn: Date) => Promise<{ query: string; expiresOn: Date }>;

function signerWith(kind: SasSigner['kind'], serviceUrl: string, clock: () => number, sign: Sign): SasSigner {
  const issue = async (input: Omit<SignatureInput, 'startsOn' | 'expiresOn'>, ttlSeconds: number): Promise<SignedUrl> => {
    const now = clock();
    const expiresOn = new Date(now + ttlSeconds * 1000);
    const values = sasValues(serviceUrl, { ...input, startsOn: new Date(now - CLOCK_SKEW_MS), expiresOn });
    const signed = await sign(values, expiresOn);
    return { url: `${blobUrl(serviceUrl, input.containerName, input.blobName)}?${signed.query}`, expiresOn: signed.expiresOn };
  };
  return {
    kind,
    uploadUrl: (containerName, ttlSeconds) => issue({ containerName, permissions: 'cw' }, ttlSeconds),
    readUrl: (containerName, blobName, ttlSeconds, options) =>
      issue({ containerName, blobName, permissions: 'r', contentDisposition: options?.contentDisposition }, ttlSeconds),
  };
}

/**
 * Signs with the account key (StorageSharedKeyCredential): Azurite locally, never in Azure (shared
 * keys are disabled there).
 */
export function accountKeySigner(options: {
  serviceUrl: string;
  accountName: string;
  accountKey: string;
  clock?: () => number;
}): SasSigner {
  const { StorageSharedKeyCredential: Credential, generateBlobSASQueryParameters } = sdk();
  const credential: StorageSharedKeyCredential = new Credential(options.accountName, options.accountKey);
  return signerWith('accountKey', options.serviceUrl, options.clock ?? Date.now, async (values, expiresOn) => ({
    query: generateBlobSASQueryParameters(values, credential).toString(),
    expiresOn,
  }));
}

/**
 * Signs with a user delegation key from `getUserDelegationKey` (Entra ID credential). The key is
 * cached and reused until 5 minutes before it expires; a SAS never outlives its key, so a token whose
 * TTL reaches past the cached key's expiry fetches a longer key (at most 7 days, Azure's limit).
 */
export function userDelegationSigner(
  client: BlobServiceClient,
  options: { keyValiditySeconds?: number; clock?: () => number } = {},
): SasSigner {
  const clock = options.clock ?? Date.now;
  const keyValidityMs = (options.keyValiditySeconds ?? 86_400) * 1000;
  const refreshMarginMs = 5 * 60_000;
  let cached: { key: UserDelegationKey; expiresOn: number } | undefined;
  let pending: Promise<{ key: UserDelegationKey; expiresOn: number }> | undefined;

  const keyValidUntil = async (neededUntil: number) => {
    const now = clock();
    if (cached && cached.expiresOn - refreshMarginMs > now && cached.expiresOn >= neededUntil) return cached;
    if (!pending) {
      const expiresOn = Math.min(now + MAX_KEY_VALIDITY_MS, Math.max(now + keyValidityMs, neededUntil));
      pending = client
        .getUserDelegationKey(new Date(now - CLOCK_SKEW_MS), new Date(expiresOn))
        .then((key) => {
          cached = { key, expiresOn: key.signedExpiresOn.getTime() };
          return cached;
        })
        .finally(() => {
          pending = undefined;
        });
    }
    return pending;
  };

  const { generateBlobSASQueryParameters } = sdk();
  return signerWith('userDelegation', client.url, clock, async (values, expiresOn) => {
    const { key, expiresOn: keyExpiresOn } = await keyValidUntil(expiresOn.getTime());
    // A 7-day upload token may meet a key that can only be 7 days long from now: never sign past the key.
    const bounded = new Date(Math.min(expiresOn.getTime(), keyExpiresOn));
    return {
      query: generateBlobSASQueryParameters({ ...values, expiresOn: bounded }, key, client.accountName).toString(),
      expiresOn: bounded,
    };
  });
}

function connectionStringParts(connectionString: string): Map<string, string> {
  return new Map(
    connectionString
      .split(';')
      .filter(Boolean)
      .map((part) => {
        const at = part.indexOf('=');
        return [part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim()] as const;
      }),
  );
}

let memo: SasSigner | undefined;

/** The process's signer, chosen by `config().storage.sasSigner` (SAS_SIGNER). */
export function sasSigner(): SasSigner {
  if (memo) return memo;
  const storage = config().storage;
  if (storage.sasSigner === 'userDelegation') {
    memo = userDelegationSigner(blobServiceClient());
    return memo;
  }
  if (storage.kind !== 'connectionString') throw new Error('SAS_SIGNER=accountKey needs STORAGE as a connection string');
  const parts = connectionStringParts(storage.connectionString);
  const accountName = parts.get('accountname');
  const accountKey = parts.get('accountkey');
  if (!accountName || !accountKey) throw new Error('SAS_SIGNER=accountKey needs AccountName and AccountKey in STORAGE');
  memo = accountKeySigner({ serviceUrl: blobServiceClient().url, accountName, accountKey });
  return memo;
}

/** Forgets the signer (tests that change the environment). */
export function resetSasSigner(): void {
  memo = undefined;
}
