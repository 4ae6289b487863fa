// What a webhook receives: the event object of `mycel watch --json` (every
// field of it, unchanged: a contract) with the sending site added, so a
// receiver fed by several sites knows which one speaks. A ping carries the
// site alone. The exact string built here is stored, signed and sent.

import type { VisEvent } from '../events.js'
import { PING_TYPE } from './constants.js'

export interface SiteInfo {
  peerId: string
  /** The site's name (federation/site-directory.ts: `daemon --name`, config `name`, or from the host name). */
  name: string
}

export function eventBody (event: VisEvent, site: SiteInfo): string {
  return JSON.stringify({ ...event, site })
}

/** `mycel webhooks ping`: { type: "ping", atMs, site }. */
export function pingBody (atMs: number, site: SiteInfo): string {
  return JSON.stringify({ type: PING_TYPE, atMs, site })
}
