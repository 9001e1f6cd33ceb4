import { writeFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * A small MaxMind DB (format 2.0) writer, so tests can build a GeoLite2-City-shaped database
 * locally instead of downloading one. Spec: https://maxmind.github.io/MaxMind-DB/
 *
 * The file is an IPv6 database (ip_version 6) with 28-bit records, as GeoLite2-City is. IPv4
 * networks live at ::a.b.c.d (under ::/96), where readers start IPv4 lookups; ::ffff:0:0/96
 * (IPv4-mapped, which Node reports for IPv4 clients of a dual-stack socket) and 2002::/16
 * (6to4) are aliased to that subtree, as in MaxMind's own databases. Where entries overlap,
 * the later one wins; identical records are stored once.
 */

export interface MmdbEntry {
  /** CIDR: `81.2.69.0/24` or `2001:db8::/32`. */
  network: string;
  /** Nested maps, strings, numbers, booleans and arrays. */
  record: Record<string, unknown>;
}

export interface MmdbOptions {
  /** Default `GeoLite2-City`. */
  databaseType?: string;
  /** English description; default `Test database`. */
  description?: string;
  /** Languages of the `names` maps; default `['en']`. */
  languages?: string[];
  /** Seconds since the epoch; default now. */
  buildEpoch?: number;
}

export function buildMmdb(entries: MmdbEntry[], options: MmdbOptions = {}): Buffer {
  const data = new DataSection();
  let root: Slot = null;
  for (const { network, record } of entries) {
    const { address, prefixLength } = parseNetwork(network);
    root = insert(root, address, 0, prefixLength, new Leaf(data.add(record)));
  }
  root = aliasIpv4(root);
  const tree = writeSearchTree(root, data.size);
  return Buffer.concat([tree.bytes, DATA_SECTION_SEPARATOR, data.bytes(), metadata(tree.nodeCount, options)]);
}

export function writeMmdb(path: string, entries: MmdbEntry[], options?: MmdbOptions): void {
  writeFileSync(path, buildMmdb(entries, options));
}

// ---------------------------------------------------------------------------------------------
// Addresses: everything is a 16-byte IPv6 address; IPv4 a.b.c.d/n becomes ::a.b.c.d/(96 + n).

const IPV4_SUBTREE_DEPTH = 96;

interface Network {
  address: Buffer;
  prefixLength: number;
}

function parseNetwork(cidr: string): Network {
  const [ip, length, ...rest] = cidr.split('/');
  const bits = Number(length);
  const ipv4 = isIPv4(ip);
  if (rest.length > 0 || !/^\d+$/.test(length ?? '') || bits > (ipv4 ? 32 : 128) || !(ipv4 || isIPv6(ip))) {
    throw new Error(`Not a CIDR network: ${cidr}`);
  }
  const network = ipv4
    ? { address: Buffer.concat([Buffer.alloc(12), ipv4Bytes(ip)]), prefixLength: IPV4_SUBTREE_DEPTH + bits }
    : { address: ipv6Bytes(ip), prefixLength: bits };
  // Host bits are ignored by the tree anyway; refusing them catches a mistyped network early.
  if (!network.address.equals(masked(network))) throw new Error(`Host bits set in ${cidr}`);
  if (!ipv4 && ALIASES.some((alias) => contains(alias, network))) {
    throw new Error(`${cidr} lies in an IPv4 alias (::ffff:0:0/96, 2002::/16): write the IPv4 network instead`);
  }
  return network;
}

function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

function ipv4Groups(ip: string): string {
  const hex = ipv4Bytes(ip).toString('hex');
  return `${hex.slice(0, 4)}:${hex.slice(4)}`;
}

/** Expands `::`, and a dotted IPv4 tail (`::ffff:1.2.3.4`), into 8 groups of 16 bits. */
function ipv6Bytes(ip: string): Buffer {
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  // A dotted IPv4 tail stands for the last two groups.
  const groupsText = dotted ? ip.slice(0, dotted.index) + ipv4Groups(dotted[1]) : ip;
  const [head, tail] = groupsText.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = new Array<string>(tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length).fill('0');
  const bytes = Buffer.alloc(16);
  [...headGroups, ...zeros, ...tailGroups].forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

function bitAt(address: Buffer, index: number): 0 | 1 {
  return ((address[index >> 3] >> (7 - (index & 7))) & 1) as 0 | 1;
}

function masked({ address, prefixLength }: Network): Buffer {
  const bytes = Buffer.alloc(16);
  for (let i = 0; i < prefixLength; i++) bytes[i >> 3] |= bitAt(address, i) << (7 - (i & 7));
  return bytes;
}

function contains(outer: Network, inner: Network): boolean {
  if (inner.prefixLength < outer.prefixLength) return false;
  return masked(outer).equals(masked({ address: inner.address, prefixLength: outer.prefixLength }));
}

// ---------------------------------------------------------------------------------------------
// Search tree: a binary trie over address bits. A slot is a node, a record, or empty (null).

class TrieNode {
  constructor(public readonly children: [Slot, Slot]) {}
}

class Leaf {
  constructor(public readonly dataOffset: number) {}
}

type Slot = TrieNode | Leaf | null;

/** Puts `value` at `address/prefixLength` below `slot` (at `depth`), and returns the new slot. */
function insert(slot: Slot, address: Buffer, depth: number, prefixLength: number, value: Slot): Slot {
  if (depth === prefixLength) return value;
  // Going below a record (or an empty slot) splits it: both halves keep what the whole had.
  const node = slot instanceof TrieNode ? slot : new TrieNode([slot, slot]);
  const bit = bitAt(address, depth);
  node.children[bit] = insert(node.children[bit], address, depth + 1, prefixLength, value);
  return node;
}

const ALIASES: Network[] = [
  { address: ipv6Bytes('::ffff:0:0'), prefixLength: 96 },
  { address: ipv6Bytes('2002::'), prefixLength: 16 },
];

/** Points the IPv4-mapped and 6to4 ranges at the IPv4 subtree (the same nodes, not a copy). */
function aliasIpv4(root: Slot): Slot {
  let ipv4Subtree = root;
  for (let depth = 0; depth < IPV4_SUBTREE_DEPTH && ipv4Subtree instanceof TrieNode; depth++) {
    ipv4Subtree = ipv4Subtree.children[0];
  }
  if (ipv4Subtree === null) return root;
  return ALIASES.reduce((tree, alias) => insert(tree, alias.address, 0, alias.prefixLength, ipv4Subtree), root);
}

const RECORD_SIZE = 28;
const NODE_BYTES = (RECORD_SIZE * 2) / 8;
const DATA_SECTION_SEPARATOR = Buffer.alloc(16);

/**
 * Numbers the nodes breadth-first (the root must be node 0; an aliased subtree is numbered once)
 * and writes each as two records: a node number, `nodeCount` for "no data", or
 * `nodeCount + 16 + offset` for a record at `offset` in the data section.
 */
function writeSearchTree(root: Slot, dataSize: number): { bytes: Buffer; nodeCount: number } {
  // The root has to be a node, even for an empty tree or a single ::/0 record.
  const nodes = [root instanceof TrieNode ? root : new TrieNode([root, root])];
  const numbers = new Map(nodes.map((node, i) => [node, i]));
  for (let i = 0; i < nodes.length; i++) {
    for (const child of nodes[i].children) {
      if (child instanceof TrieNode && !numbers.has(child)) numbers.set(child, nodes.push(child) - 1);
    }
  }
  const nodeCount = nodes.length;
  if (nodeCount + DATA_SECTION_SEPARATOR.length + dataSize >= 2 ** RECORD_SIZE) {
    throw new Error('Too much data for 28-bit records');
  }
  const recordValue = (slot: Slot): number => {
    if (slot instanceof TrieNode) return numbers.get(slot)!;
    if (slot instanceof Leaf) return nodeCount + DATA_SECTION_SEPARATOR.length + slot.dataOffset;
    return nodeCount;
  };
  const bytes = Buffer.alloc(nodeCount * NODE_BYTES);
  nodes.forEach((node, i) =>
    writeNode(bytes, i * NODE_BYTES, recordValue(node.children[0]), recordValue(node.children[1])),
  );
  return { bytes, nodeCount };
}

/** A 28-bit node is 7 bytes: left's low 24 bits, left's and right's high 4 bits in one byte, right's low 24 bits. */
function writeNode(bytes: Buffer, offset: number, left: number, right: number): void {
  bytes.writeUIntBE(left & 0xffffff, offset, 3);
  bytes[offset + 3] = ((left >>> 24) << 4) | (right >>> 24);
  bytes.writeUIntBE(right & 0xffffff, offset + 4, 3);
}

// ---------------------------------------------------------------------------------------------
// Data section: each value is a control byte (type in the top 3 bits, size in the low 5), an
// extra type byte for types above 7, extra size bytes for sizes of 29 and up, then the payload.

const DataType = {
  Utf8String: 2,
  Double: 3,
  Uint16: 5,
  Uint32: 6,
  Map: 7,
  Int32: 8,
  Uint64: 9,
  Array: 11,
  Boolean: 14,
} as const;
type DataType = (typeof DataType)[keyof typeof DataType];

/** Metadata fields the spec types as uint16 or uint64, which plain numbers would not give. */
class Sized {
  constructor(
    public readonly type: typeof DataType.Uint16 | typeof DataType.Uint64,
    public readonly value: number,
  ) {}
}

/** The records, each encoded once; identical records share one offset. */
class DataSection {
  private readonly chunks: Buffer[] = [];
  private readonly offsets = new Map<string, number>();
  size = 0;

  add(record: Record<string, unknown>): number {
    const encoded = encode(record);
    const key = encoded.toString('latin1');
    let offset = this.offsets.get(key);
    if (offset === undefined) {
      offset = this.size;
      this.offsets.set(key, offset);
      this.chunks.push(encoded);
      this.size += encoded.length;
    }
    return offset;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function encode(value: unknown): Buffer {
  if (value instanceof Sized) return withHeader(value.type, unsignedBytes(value.value));
  if (typeof value === 'string') return withHeader(DataType.Utf8String, Buffer.from(value, 'utf8'));
  // A boolean has no payload: its size field is the value.
  if (typeof value === 'boolean') return header(DataType.Boolean, value ? 1 : 0);
  if (typeof value === 'number') return encodeNumber(value);
  if (Array.isArray(value)) return encodeArray(value);
  if (typeof value === 'object' && value !== null) return encodeMap(value as Record<string, unknown>);
  throw new Error(`MaxMind DB cannot hold ${String(value)}`);
}

/** Non-negative integers as uint32, negative ones as int32, the rest as doubles. */
function encodeNumber(value: number): Buffer {
  if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff && !Object.is(value, -0)) {
    return withHeader(DataType.Uint32, unsignedBytes(value));
  }
  if (Number.isInteger(value) && value < 0 && value >= -(2 ** 31)) {
    const payload = Buffer.alloc(4);
    payload.writeInt32BE(value);
    return withHeader(DataType.Int32, payload);
  }
  const payload = Buffer.alloc(8);
  payload.writeDoubleBE(value);
  return withHeader(DataType.Double, payload);
}

/** Maps and arrays: the size field counts entries, and the entries follow. */
function encodeMap(map: Record<string, unknown>): Buffer {
  const pairs = Object.entries(map).flatMap(([key, value]) => [encode(key), encode(value)]);
  return Buffer.concat([header(DataType.Map, pairs.length / 2), ...pairs]);
}

function encodeArray(items: unknown[]): Buffer {
  return Buffer.concat([header(DataType.Array, items.length), ...items.map(encode)]);
}

/** Unsigned integers take as few big-endian bytes as they need (zero takes none). */
function unsignedBytes(value: number): Buffer {
  const hex = value === 0 ? '' : BigInt(value).toString(16);
  return Buffer.from(hex.padStart(hex.length + (hex.length % 2), '0'), 'hex');
}

function withHeader(type: DataType, payload: Buffer): Buffer {
  return Buffer.concat([header(type, payload.length), payload]);
}

function header(type: DataType, size: number): Buffer {
  // Types above 7 are "extended": type bits 0, and the byte after the control byte holds the type minus 7.
  const [typeBits, extendedType] = type > 7 ? [0, [type - 7]] : [type << 5, []];
  if (size < 29) return Buffer.from([typeBits | size, ...extendedType]);
  // Larger sizes: 29, 30 or 31 in the control byte, then 1, 2 or 3 bytes counting on from 29, 285 or 65,821.
  const [marker, base, width] = size < 285 ? [29, 29, 1] : size < 65_821 ? [30, 285, 2] : [31, 65_821, 3];
  const extra = Buffer.alloc(width);
  extra.writeUIntBE(size - base, 0, width);
  return Buffer.concat([Buffer.from([typeBits | marker, ...extendedType]), extra]);
}

// ---------------------------------------------------------------------------------------------
// Metadata: found by readers from the end of the file, after this marker.

const METADATA_MARKER = Buffer.concat([Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com', 'ascii')]);

function metadata(nodeCount: number, options: MmdbOptions): Buffer {
  const fields = {
    binary_format_major_version: new Sized(DataType.Uint16, 2),
    binary_format_minor_version: new Sized(DataType.Uint16, 0),
    build_epoch: new Sized(DataType.Uint64, options.buildEpoch ?? Math.floor(Date.now() / 1000)),
    database_type: options.databaseType ?? 'GeoLite2-City',
    description: { en: options.description ?? 'Test database' },
    ip_version: new Sized(DataType.Uint16, 6),
    languages: options.languages ?? ['en'],
    node_count: nodeCount,
    record_size: new Sized(DataType.Uint16, RECORD_SIZE),
  };
  return Buffer.concat([METADATA_MARKER, encode(fields)]);
}
