// The daemon's settings: defaults, then `<dir>/config.json`, then flags
// (flags win; parseDaemonFlags checks the CLI's). The data dir itself comes from --dir, else $MYCEL_DIR, else
// ~/.mycel. A malformed config file is a USAGE error naming the field, never a
// silent fallback to defaults.

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseDurationInRange } from '../protocol/duration.js'
import { MycelError } from '../protocol/errors.js'
import { checkRules, type Rule } from '../protocol/rules.js'
import { isLogLevel, type LogLevel } from './log.js'
import { DEFAULT_MAX_BLOB_BYTES, MAX_LISTEN_ADDRS } from './limits.js'
import { DEFAULT_BLOB_GRACE_MS, DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES, MIN_QUOTA_BYTES } from './blob/constants.js'
import { BYTE_SIZE_HINT, parseByteSize } from './byte-size.js'
import { DEFAULT_SCRUB_BYTES_PER_SEC, DEFAULT_SCRUB_INTERVAL_MS, MIN_SCRUB_BYTES_PER_SEC } from './blob/integrity-limits.js'
import { isReplicateMode, type ReplicateMode } from './blob/policy.js'
import { MIN_UPLOAD_BYTES_PER_SEC, parseRate } from './blob/upload-rate.js'
import { parseWebhooks, type WebhookConfig } from './visibility/webhooks/config.js'
import { parseListenAddr } from './listen-addr.js'
import { checkSiteName } from './federation/site-directory.js'
import { MAX_SITE_GROUPS } from '../protocol/limits.js'
import { multiaddr } from '@multiformats/multiaddr'
import { DEFAULT_LIMITS } from './net/limits.js'
import { DEFAULT_RETENTION_INTERVAL_MS } from './retention/constants.js'

export interface DaemonConfig {
  /**
   * libp2p listen multiaddrs. Default one TCP port on every interface. `/p2p-circuit` means "reachable
   * through a relay": the node holds a reservation on a connected member and announces that address
   * (a site behind NAT: docs/deployment.md "Sites behind NAT").
   */
  listen: string[]
  /**
   * Serve as a circuit relay for members (libp2p-node.ts; limits in net/limits.ts RELAY_LIMITS).
   * Default: on when the node listens on some address and not on /p2p-circuit.
   */
  relay?: boolean
  /** Lowest log level written to stderr. Default 'info'. */
  logLevel: LogLevel
  /** Local API port on 127.0.0.1; 0 picks a free one (written to api.json). Default 0. */
  apiPort: number
  /** Members to keep connections with (passed to the mesh). Default 8. */
  maxPeers: number
  /** Period of anti-entropy rounds (passed to the core). Default 1000 ms. */
  antiEntropyIntervalMs: number
  /** Largest blob one publish accepts. Default 64 GiB. */
  maxBlobBytes: number
  /** What to do with other members' blob bytes: eager (mirror at once), on-demand, none. Default eager. */
  replicate: ReplicateMode
  /** Per key prefix overrides of `replicate`; the longest matching prefix wins. Default {}. */
  replicatePrefixes: Record<string, ReplicateMode>
  /** Chunk size of the manifests this node makes at publish. Default 1 MiB. */
  blobChunkBytes: number
  /** How long a blob no live key references is kept before it is deleted. Default 10 min. */
  blobGraceMs: number
  /** Cap on the blob bytes this node serves to members, all streams together; 0 = none. Default 0. */
  maxUploadBytesPerSec: number
  /** POST a JSON body per event to each (docs/visibility.md). Default none. */
  webhooks: WebhookConfig[]
  /** Also serve GET /metrics without the token on this HOST:PORT (api/metrics-server.ts). Default none. */
  metricsListen?: string
  /** This site's name, unique in the federation (docs/visibility.md, sites). Default: from the host name. */
  name?: string
  /** Groups this site is in (`publish --wait-group`). Default none. */
  groups: string[]
  /** Serve the OCI Distribution API (a container registry) on this HOST:PORT (docs/registry.md). Default none: off. */
  registryListen?: string
  /** How long a registry blob no live manifest references is kept. Default 1 h. */
  registryGcGraceMs?: number
  /** Registry requests without credentials get this role ('reader': anonymous pulls). Default none. */
  registryAnonymous?: 'reader'
  /** Serve the npm registry API on this HOST:PORT (docs/npm.md); a bare PORT listens on 127.0.0.1. Default none: off. */
  npmListen?: string
  /** Role of npm requests without a token: "reader" makes installs anonymous. Default none. */
  npmAnonymous?: 'reader'
  /** Inbound connections of peers not (yet) proven members, in all / per remote IP (docs/daemon.md "Limits"). Default 32 / 8. */
  maxStrangerConnections: number
  maxStrangerConnectionsPerIp: number
  /** A stranger's connection is closed unless it proves membership (or is in a join) within this. Default 5 s. */
  strangerDeadlineMs: number
  /** Period of the blob scrub (every held blob re-hashed against its manifest); 0 = off. Default 24 h. */
  blobScrubIntervalMs: number
  /** A site disconnected this long is down (site-down; docs/visibility.md "Sites"). Default 3 s. */
  siteDownAfterMs?: number
  /** A site lacking events held here for this long is behind (site-behind). Default 60 s. */
  siteBehindMs?: number
  /** A site lacking this many events held here is behind (site-behind). Default 1000. */
  siteBehindEvents?: number
  /** Read rate of the blob scrub, bytes per second. Default 20 MB/s. */
  blobScrubBytesPerSec: number
  /** How often this site runs the retention rules it is the runner of (docs/rules.md, "Retention"). Default 60 s. */
  retentionIntervalMs: number
  /**
   * The federation's artifact rules (docs/rules.md), written at start when this site is an admin and
   * they differ from the rules in force; a site that is not an admin logs that it cannot. Default: none.
   */
  rules?: Rule[]
  /**
   * Disk quota: bytes of blobs this site holds, at least 1 MiB (blob/quota.ts; docs/rules.md "Disk quota
   * and eviction"). Past it, other sites' bytes kept on demand are evicted, least recently used first.
   * Default none: unbounded.
   */
  quotaBytes?: number
}

/** Port 4710: fixed so that a restarted node comes back where members remember it; not 4001 (IPFS's). */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/4710']

export const DEFAULT_CONFIG: DaemonConfig = {
  listen: DEFAULT_LISTEN,
  logLevel: 'info',
  apiPort: 0,
  maxPeers: 8,
  antiEntropyIntervalMs: 1000,
  maxBlobBytes: DEFAULT_MAX_BLOB_BYTES,
  replicate: 'eager',
  replicatePrefixes: {},
  blobChunkBytes: DEFAULT_CHUNK_BYTES,
  blobGraceMs: DEFAULT_BLOB_GRACE_MS,
  maxUploadBytesPerSec: 0,
  webhooks: [],
  groups: [],
  maxStrangerConnections: DEFAULT_LIMITS.maxStrangers,
  maxStrangerConnectionsPerIp: DEFAULT_LIMITS.maxStrangersPerIp,
  strangerDeadlineMs: DEFAULT_LIMITS.strangerDeadlineMs,
  blobScrubIntervalMs: DEFAULT_SCRUB_INTERVAL_MS,
  blobScrubBytesPerSec: DEFAULT_SCRUB_BYTES_PER_SEC,
  retentionIntervalMs: DEFAULT_RETENTION_INTERVAL_MS
}

export const CONFIG_FILE = 'config.json'

/** Prefix overrides in `replicatePrefixes`: each key lookup scans them. */
const MAX_REPLICATE_PREFIXES = 256

/** --dir, else $MYCEL_DIR, else ~/.mycel; always absolute. */
export { resolveDataDir } from './data-dir-path.js'

/** Reads `<dir>/config.json` (absent ⇒ {}), validated field by field. */
export async function readConfigFile (dir: string): Promise<Partial<DaemonConfig>> {
  const path = join(dir, CONFIG_FILE)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new MycelError('USAGE', `cannot read ${path}: ${(err as Error).message}`, { cause: err })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw new MycelError('USAGE', `${path} is not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  return validateConfig(raw, path)
}

export function validateConfig (raw: unknown, where: string): Partial<DaemonConfig> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw MycelError.usage(`${where}: expected a JSON object`)
  const out: Partial<DaemonConfig> = {}
  for (const [field, value] of Object.entries(raw as Record<string, unknown>)) {
    const bad = (expected: string): MycelError => MycelError.usage(`${where}: "${field}" must be ${expected}`)
    switch (field) {
      case 'listen':
        if (!Array.isArray(value) || value.length > MAX_LISTEN_ADDRS || !value.every(a => typeof a === 'string')) {
          throw bad(`a list of at most ${MAX_LISTEN_ADDRS} multiaddr strings`)
        }
        out.listen = checkListen(value as string[], where)
        break
      case 'relay':
        if (typeof value !== 'boolean') throw bad('true or false')
        out.relay = value
        break
      case 'logLevel':
        if (!isLogLevel(value)) throw bad('one of debug, info, warn, error')
        out.logLevel = value
        break
      case 'apiPort':
        if (!isInt(value, 0, 65535)) throw bad('an integer port in 0..65535')
        out.apiPort = value
        break
      case 'maxPeers':
        if (!isInt(value, 1, 1000)) throw bad('an integer in 1..1000')
        out.maxPeers = value
        break
      case 'antiEntropyIntervalMs':
        out.antiEntropyIntervalMs = durationField(value, `${where}: "${field}"`, 10, 3_600_000)
        break
      case 'maxBlobBytes':
        if (!isInt(value, 0, Number.MAX_SAFE_INTEGER)) throw bad('a non-negative integer')
        out.maxBlobBytes = value
        break
      case 'replicate':
        if (!isReplicateMode(value)) throw bad('one of eager, on-demand, none')
        out.replicate = value
        break
      case 'replicatePrefixes':
        if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length > MAX_REPLICATE_PREFIXES ||
          !Object.values(value).every(isReplicateMode)) {
          throw bad(`an object of at most ${MAX_REPLICATE_PREFIXES} "prefix": "eager" | "on-demand" | "none" entries`)
        }
        out.replicatePrefixes = value as Record<string, ReplicateMode>
        break
      case 'blobChunkBytes':
        if (!isInt(value, MIN_CHUNK_BYTES, MAX_CHUNK_BYTES)) throw bad(`an integer number of bytes in ${MIN_CHUNK_BYTES}..${MAX_CHUNK_BYTES}`)
        out.blobChunkBytes = value
        break
      case 'blobGraceMs':
        out.blobGraceMs = durationField(value, `${where}: "${field}"`, 0, 365 * 24 * 3_600_000)
        break
      case 'maxUploadBytesPerSec':
        if (!(value === 0 || isInt(value, MIN_UPLOAD_BYTES_PER_SEC, Number.MAX_SAFE_INTEGER))) throw bad(`0 (no cap) or an integer number of bytes per second of at least ${MIN_UPLOAD_BYTES_PER_SEC}`)
        out.maxUploadBytesPerSec = value
        break
      case 'webhooks':
        out.webhooks = parseWebhooks(value, where)
        break
      case 'rules':
        out.rules = checkRules(value, `${where}: "rules"`)
        break
      case 'metricsListen':
        if (typeof value !== 'string') throw bad('a HOST:PORT string, e.g. "0.0.0.0:9464"')
        parseListenAddr(value, `${where}: "metricsListen"`)
        out.metricsListen = value
        break
      case 'name':
        if (typeof value !== 'string') throw bad('a site name: lowercase letters, digits, "-", "." or "_"')
        out.name = checkSiteName(value, `${where}: "name"`)
        break
      case 'groups':
        if (!Array.isArray(value) || value.length > MAX_SITE_GROUPS || !value.every(g => typeof g === 'string')) throw bad(`a list of at most ${MAX_SITE_GROUPS} group names`)
        out.groups = (value as string[]).map(g => checkSiteName(g, `${where}: a group`))
        break
      case 'registryListen':
        if (typeof value !== 'string') throw bad('a HOST:PORT string, e.g. "0.0.0.0:5000"')
        parseListenAddr(value, `${where}: "registryListen"`)
        out.registryListen = value
        break
      case 'registryGcGraceMs':
        out.registryGcGraceMs = durationField(value, `${where}: "${field}"`, 0, 365 * 24 * 3_600_000)
        break
      case 'registryAnonymous':
        if (value !== 'reader') throw bad('"reader" (anonymous pulls), or absent')
        out.registryAnonymous = value
        break
      case 'npmListen':
        if (typeof value !== 'string') throw bad('a HOST:PORT string, e.g. "127.0.0.1:4873"')
        parseListenAddr(value, `${where}: "npmListen"`)
        out.npmListen = value
        break
      case 'npmAnonymous':
        if (value !== 'reader') throw bad('"reader" (anonymous installs), or absent')
        out.npmAnonymous = value
        break
      case 'maxStrangerConnections':
      case 'maxStrangerConnectionsPerIp':
        if (!isInt(value, 1, 10_000)) throw bad('an integer in 1..10000')
        out[field] = value
        break
      case 'siteDownAfterMs':
      case 'siteBehindMs':
        out[field] = durationField(value, `${where}: "${field}"`, 500, 7 * 24 * 3_600_000)
        break
      case 'siteBehindEvents':
        if (!isInt(value, 1, 1_000_000_000)) throw bad('an integer of at least 1')
        out.siteBehindEvents = value
        break
      case 'strangerDeadlineMs':
        if (!isInt(value, 500, 600_000)) throw bad('an integer number of ms in 500..600000')
        out.strangerDeadlineMs = value
        break
      case 'blobScrubIntervalMs':
        if (!isInt(value, 0, 365 * 24 * 3_600_000)) throw bad('0 (off) or a number of ms up to a year')
        out.blobScrubIntervalMs = value
        break
      case 'quotaBytes':
        out.quotaBytes = quotaField(value, `${where}: "${field}"`)
        break
      case 'blobScrubBytesPerSec':
        if (!isInt(value, MIN_SCRUB_BYTES_PER_SEC, Number.MAX_SAFE_INTEGER)) throw bad(`an integer number of bytes per second of at least ${MIN_SCRUB_BYTES_PER_SEC}`)
        out.blobScrubBytesPerSec = value
        break
      case 'retentionIntervalMs':
        // No "off": the other sites count on the runner they chose running it (retention/service.ts).
        out.retentionIntervalMs = durationField(value, `${where}: "${field}"`, 100, 24 * 3_600_000)
        break
      default:
        throw MycelError.usage(`${where}: unknown setting "${field}"`)
    }
  }
  return out
}

/** The `mycel daemon` flags that are settings, as the CLI's parser hands them over (strings, unchecked). */
export interface DaemonFlags {
  listen?: unknown
  'log-level'?: unknown
  replicate?: unknown
  'max-upload-rate'?: unknown
  'metrics-listen'?: unknown
  registry?: unknown
  npm?: unknown
  name?: unknown
  group?: unknown
  quota?: unknown
}

/** Flags → settings, each checked with a USAGE error naming the flag; absent flags stay undefined. */
export function parseDaemonFlags (flags: DaemonFlags): Partial<DaemonConfig> {
  const level = flags['log-level']
  if (level !== undefined && !isLogLevel(level)) throw MycelError.usage(`--log-level must be debug, info, warn or error, not ${String(level)}`)
  const replicate = flags.replicate
  if (replicate !== undefined && !isReplicateMode(replicate)) throw MycelError.usage(`--replicate must be eager, on-demand or none, not ${String(replicate)}`)
  const rateFlag = flags['max-upload-rate']
  const maxUploadBytesPerSec = rateFlag === undefined ? undefined : parseRate(String(rateFlag))
  if (rateFlag !== undefined && maxUploadBytesPerSec === undefined) throw MycelError.usage(`--max-upload-rate must be bytes per second such as 50M, 800K or 0, not ${String(rateFlag)}`)
  const metricsListen = flags['metrics-listen'] as string | undefined
  if (metricsListen !== undefined) parseListenAddr(metricsListen, '--metrics-listen')
  const registryListen = flags.registry as string | undefined
  if (registryListen !== undefined) parseListenAddr(registryListen, '--registry')
  const npmListen = flags.npm as string | undefined
  if (npmListen !== undefined) parseListenAddr(npmListen, '--npm')
  const name = flags.name === undefined ? undefined : checkSiteName(String(flags.name), '--name')
  const groupFlags = flags.group as string[] | undefined
  if (groupFlags !== undefined && groupFlags.length > MAX_SITE_GROUPS) throw MycelError.usage(`at most ${MAX_SITE_GROUPS} --group`)
  const groups = groupFlags?.map(g => checkSiteName(g, '--group'))
  const listen = flags.listen as string[] | undefined
  const quotaBytes = flags.quota === undefined ? undefined : quotaField(String(flags.quota), '--quota')
  return { listen: listen === undefined ? undefined : checkListen(listen, '--listen'), logLevel: level, replicate, maxUploadBytesPerSec, metricsListen, registryListen, npmListen, name, groups, quotaBytes }
}

/** Defaults < file < flags. Undefined flags do not override. */
export function mergeConfig (file: Partial<DaemonConfig>, flags: Partial<DaemonConfig>): DaemonConfig {
  const merged: DaemonConfig = { ...DEFAULT_CONFIG }
  for (const layer of [file, flags]) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue
      if (k === 'listen' && Array.isArray(v) && v.length === 0) continue
      ;(merged as unknown as Record<string, unknown>)[k] = v
    }
  }
  return validated(merged)
}

function validated (config: DaemonConfig): DaemonConfig {
  validateConfig(config, 'flags')
  return config
}

/**
 * A `…Ms` setting: a JSON number is milliseconds (as the name says); a string is a duration of the one
 * parser (protocol/duration.ts: "10m", "500ms", "30" = 30 s). Either way within [minMs, maxMs].
 */
function durationField (value: unknown, what: string, minMs: number, maxMs: number): number {
  if (typeof value === 'string') return parseDurationInRange(value, what, minMs, maxMs)
  if (!isInt(value, minMs, maxMs)) throw MycelError.usage(`${what} must be an integer number of ms in ${minMs}..${maxMs}, or a duration string such as "10m"`)
  return value
}

/** A disk quota: a JSON number of bytes, or a size string ("50GiB"; byte-size.ts); at least MIN_QUOTA_BYTES. */
function quotaField (value: unknown, what: string): number {
  const bytes = typeof value === 'string' ? parseByteSize(value) : value
  if (typeof value === 'string' && bytes === undefined) throw MycelError.usage(`${what} must be ${BYTE_SIZE_HINT}, not ${JSON.stringify(value)}`)
  if (!isInt(bytes, MIN_QUOTA_BYTES, Number.MAX_SAFE_INTEGER)) {
    throw MycelError.usage(`${what} must be at least ${MIN_QUOTA_BYTES} bytes (1 MiB), as a number of bytes or ${BYTE_SIZE_HINT}; got ${JSON.stringify(value)}`)
  }
  return bytes
}

function isInt (value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

/** Why `addr` does not parse as a multiaddr, or undefined if it does. */
function listenProblem (addr: string): string | undefined {
  try {
    multiaddr(addr)
  } catch (err) {
    return (err as Error).message
  }
  // A relay named in a listen address (<relay>/p2p-circuit) is reserved on at start, before a joiner is
  // a member, and refused; mycel picks among its connected members instead (host.ts nudgeRelay).
  if (addr.includes('/p2p-circuit') && addr !== '/p2p-circuit') return 'a relay is not named: listen on /p2p-circuit alone'
  return undefined
}

/** Listen addresses from `where` (the config file, or --listen), each checked; a bad one is a usage error. */
function checkListen (addrs: string[], where: string): string[] {
  for (const addr of addrs) {
    const why = listenProblem(addr)
    if (why !== undefined) throw MycelError.usage(`${where}: listen address ${JSON.stringify(addr)} is not a multiaddr (${why}); e.g. /ip4/0.0.0.0/tcp/4710 or /p2p-circuit`)
  }
  return addrs
}

/** Whether the node serves as a circuit relay: as configured, else when it listens directly and not through a relay. */
export function relayServes (config: Pick<DaemonConfig, 'listen' | 'relay'>): boolean {
  return config.relay ?? (config.listen.length > 0 && !config.listen.includes('/p2p-circuit'))
}
