import { promises as dns } from 'node:dns';
import { BlockList, isIP, isIPv4 } from 'node:net';

/**
 * Where a webhook may go. A tenant admin chooses the URL, so without these checks a webhook
 * is a request forgery primitive into our own network (the database, Redis, the cloud
 * metadata service at 169.254.169.254). The check runs on resolved addresses, at creation
 * and again at every send; the sender then connects to exactly the address checked.
 */

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Why an address is not on the public Internet. Documentation ranges are public on purpose: tests use them. */
export type NonPublicRange =
  'unspecified' | 'loopback' | 'private' | 'link-local' | 'shared' | 'multicast' | 'broadcast' | 'reserved';

const RANGE_NAMES: Record<NonPublicRange, string> = {
  unspecified: 'an unspecified',
  loopback: 'a loopback',
  private: 'a private',
  'link-local': 'a link-local',
  shared: 'a carrier-grade NAT',
  multicast: 'a multicast',
  broadcast: 'the broadcast',
  reserved: 'a reserved',
};

/** In order: the first range that holds an address names it (broadcast sits inside 240/4). */
const NON_PUBLIC_NETWORKS: ReadonlyArray<readonly [NonPublicRange, string, number]> = [
  ['unspecified', '0.0.0.0', 8],
  ['loopback', '127.0.0.0', 8],
  ['private', '10.0.0.0', 8],
  ['private', '172.16.0.0', 12],
  ['private', '192.168.0.0', 16],
  ['link-local', '169.254.0.0', 16],
  ['shared', '100.64.0.0', 10],
  // IETF protocol assignments (NAT64 discovery, DS-Lite) and benchmarking: never a customer's server.
  ['reserved', '192.0.0.0', 24],
  ['reserved', '198.18.0.0', 15],
  ['multicast', '224.0.0.0', 4],
  ['broadcast', '255.255.255.255', 32],
  ['reserved', '240.0.0.0', 4],
  ['unspecified', '::', 128],
  ['loopback', '::1', 128],
  ['private', 'fc00::', 7],
  ['link-local', 'fe80::', 10],
  // Site-local: deprecated, but still routed inside some networks.
  ['private', 'fec0::', 10],
  ['multicast', 'ff00::', 8],
  ['reserved', '100::', 64],
  // Local-use NAT64 (RFC 8215): translates into whatever IPv4 network the operator has.
  ['private', '64:ff9b:1::', 48],
];

const blockLists = NON_PUBLIC_NETWORKS.map(([range, network, prefix]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, isIPv4(network) ? 'ipv4' : 'ipv6');
  return [range, list] as const;
});

export class WebhookDestinationRefused extends Error {
  constructor(
    readonly hostname: string,
    readonly range: NonPublicRange,
  ) {
    // The resolved address stays out of the message: it would map the internal DNS for whoever reads it.
    super(`webhooks may not be sent to ${hostname}: it resolves to ${RANGE_NAMES[range]} address`);
    this.name = 'WebhookDestinationRefused';
  }
}

export interface PinnedAddress {
  address: string;
  family: 4 | 6;
}

/** The syntax rules for an endpoint URL: a problem to show its owner, or null when it is acceptable. */
export function checkWebhookUrl(url: string): string | null {
  if (url.length > MAX_WEBHOOK_URL_LENGTH) return `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  // The URL parser silently drops tabs and newlines and trims spaces: what is stored must be what is sent.
  if (hasSpaceOrControl(url)) return 'must not contain spaces or control characters';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must use http or https';
  if (parsed.username !== '' || parsed.password !== '') return 'must not contain a user name or password';
  // An empty fragment ("…/#") parses to hash "", so look at the text itself.
  if (url.includes('#')) return 'must not contain a fragment (#)';
  return null;
}

function hasSpaceOrControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Resolves `hostname` (a name, or an IP literal, bracketed or not) and answers the address to
 * connect to. Every address DNS answers is checked, not just the one used: a name answering a
 * public and a private address would otherwise reach the private one on a later connection.
 */
export async function resolvePublicAddress(
  hostname: string,
  { allowPrivate }: { allowPrivate: boolean },
): Promise<PinnedAddress> {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const literalFamily = isIP(host);
  const answers =
    literalFamily === 4 || literalFamily === 6
      ? [{ address: host, family: literalFamily }]
      : await dns.lookup(host, { all: true });
  if (answers.length === 0) throw new Error(`${hostname} has no address`);
  if (!allowPrivate) {
    for (const { address } of answers) {
      const range = nonPublicRange(address);
      if (range) throw new WebhookDestinationRefused(hostname, range);
    }
  }
  const [first] = answers;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** The range that keeps `address` off the public Internet, or null for a public address. */
export function nonPublicRange(address: string): NonPublicRange | null {
  // A zone (fe80::1%eth0) only says which interface; the address alone decides.
  const bare = address.split('%')[0];
  const family = isIP(bare);
  if (family === 0) throw new Error(`not an IP address: ${address}`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [range, list] of blockLists) {
    if (list.check(bare, type)) return range;
  }
  if (family === 6) {
    const embedded = embeddedIpv4(ipv6Bytes(bare));
    if (embedded) return nonPublicRange(embedded);
  }
  return null;
}

/**
 * The IPv4 address an IPv6 address carries to the IPv4 network, where the carrying is
 * mechanical: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), IPv4-translated
 * (::ffff:0:a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002::/16) and Teredo (2001::/32, whose
 * client address is stored inverted). Any of them reaches 127.0.0.1 as well as 127.0.0.1 does.
 */
function embeddedIpv4(bytes: Buffer): string | null {
  const zeros = (from: number, to: number) => bytes.subarray(from, to).every((byte) => byte === 0);
  const word = (offset: number) => bytes.readUInt16BE(offset);
  const ipv4 = (offset: number, invert = false) =>
    [...bytes.subarray(offset, offset + 4)].map((byte) => (invert ? byte ^ 0xff : byte)).join('.');

  if (zeros(0, 10) && word(10) === 0xffff) return ipv4(12);
  if (zeros(0, 12)) return ipv4(12);
  if (zeros(0, 8) && word(8) === 0xffff && word(10) === 0) return ipv4(12);
  if (word(0) === 0x64 && word(2) === 0xff9b && zeros(4, 12)) return ipv4(12);
  if (word(0) === 0x2002) return ipv4(2);
  if (word(0) === 0x2001 && word(2) === 0) return ipv4(12, true);
  return null;
}

/** The 16 bytes of a valid IPv6 address (validated by the caller through `isIP`). */
function ipv6Bytes(address: string): Buffer {
  // The WHATWG URL parser writes every valid form (embedded dotted quad, upper case, "::")
  // as eight hex groups with at most one "::", which leaves only that "::" to expand here.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head, tail] = canonical.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const gap = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(gap).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, index) => bytes.writeUInt16BE(parseInt(group, 16), index * 2));
  return bytes;
}
