import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which addresses the platform's outbound calls (webhooks, `http` models, connectors) may connect
 * to. The targets are named by callers and admins, so without this a webhook URL could make the
 * platform reach its own host, the virtual network or the cloud's metadata service (SSRF).
 *
 * Deny by default: an address is allowed when `ipaddr.js` calls it `unicast` (public), which leaves
 * out loopback, private (RFC 1918), link-local, CGNAT, unique-local, unspecified, multicast,
 * reserved, IPv4-mapped and the other IPv6 forms that embed an IPv4 address (6to4, Teredo, NAT64).
 * `allowPrivateNetworks` (development: receivers on loopback) lifts that, but never for the cloud
 * metadata and wire-server addresses below: nothing the platform calls lives there.
 */
export interface OutboundPolicy {
  allowPrivateNetworks: boolean;
}

/** Azure IMDS / AWS / GCP (169.254.169.254), Azure's wire server, AWS IMDS over IPv6, Alibaba Cloud. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', '168.63.129.16', 'fd00:ec2::254', '100.100.100.200']);
/** Names that reach a metadata service without resolving through public DNS. */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);

/** `[::1]` → `::1`, `Example.ORG.` → `example.org`: the form the checks below compare. */
export function bareHost(hostname: string): string {
  const unbracketed = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return unbracketed.toLowerCase().replace(/\.$/, '');
}

/** Why `address` (an IP literal) is refused, or undefined when the policy allows it. */
export function refusedAddress(address: string, policy: OutboundPolicy): string | undefined {
  // A zone index (`fe80::1%eth0`) names an interface, not part of the address.
  const bare = bareHost(address).split('%')[0] ?? '';
  // net.isIP accepts only the canonical dotted/colon forms; anything else is no address to connect to.
  if (!isIP(bare)) return 'is not an IP address';
  const parsed = ipaddr.parse(bare);
  // process() unwraps IPv4-mapped IPv6 (`::ffff:a9fe:a9fe`), so the metadata list cannot be dodged that way.
  if (METADATA_ADDRESSES.has(ipaddr.process(bare).toString())) return 'is a cloud metadata address';
  if (policy.allowPrivateNetworks) return undefined;
  const range = parsed.range();
  return range === 'unicast' ? undefined : `is a ${range} address`;
}

/** Why the host name itself is refused (before any lookup), or undefined. */
export function refusedHostName(hostname: string): string | undefined {
  return METADATA_NAMES.has(bareHost(hostname)) ? 'is a cloud metadata host' : undefined;
}

/**
 * The quick check of a URL without any lookup: its scheme, and its host when that is an IP literal
 * or a metadata name. Used to refuse obviously bad URLs when they are submitted; the client checks
 * again at connect time (after resolving names), which is the real guard.
 */
export function refusedUrl(text: string, policy: OutboundPolicy): string | undefined {
  if (!URL.canParse(text)) return 'is not a URL';
  // WHATWG parsing already turns `http://2130706433/` and `http://127.1/` into `127.0.0.1`.
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be http or https';
  const host = bareHost(url.hostname);
  if (isIP(host)) return refusedAddress(host, policy);
  return refusedHostName(host);
}
