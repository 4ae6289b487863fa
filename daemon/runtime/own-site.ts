// What a site says of itself, from its config.
import type { DaemonConfig } from '../config.js'
import type { ReplicateMode } from '../../protocol/event.js'
import { defaultSiteName, type OwnSite } from '../federation/site-directory.js'

/** What this site says of itself, from the config: its name (default from the host name), groups and policy. */
export function ownSite (config: DaemonConfig): OwnSite {
  const prefixes = Object.entries(config.replicatePrefixes).sort((a, b) => b[0].length - a[0].length) as Array<[string, ReplicateMode]>
  return { name: config.name ?? defaultSiteName(), explicit: config.name !== undefined, groups: config.groups, policy: { mode: config.replicate, prefixes } }
}
