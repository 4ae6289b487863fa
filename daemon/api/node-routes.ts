// The local API's node routes, method + path → NodeApi call (the whole table
// is routes.ts). <key> is percent-encoded (encodeURIComponent), so keys may
// contain '/'.

import type { IncomingMessage } from 'node:http'
import { MycelError } from '../../protocol/errors.js'
import { SYSTEM_KEY_PREFIX } from '../../protocol/event.js'
import { MAX_KEY_BYTES, MAX_PROP_KEY_BYTES, MAX_PROP_VALUE_BYTES, MAX_PROPS } from '../../protocol/limits.js'
import { readsAsContentRef } from '../blob/service.js'
import { DEFAULT_LIST_PAGE_ENTRIES, MAX_LIST_ENTRIES, MAX_LIST_PAGE_ENTRIES } from '../limits.js'
import { NEXT_AFTER_HEADER, type Entry, type EntryPage, type RulesInfo, type InviteRequest, type InviteResult, type JoinResult, type MemberInfo, type PeerInfo, type PublishResult, type RemoveResult, type RevokeResult, type StatusInfo } from './contract.js'
import { sendJson } from './errors.js'
import { inviteRequestOf, readToken } from './federation-params.js'
import { readRulesBody } from './rules-body.js'
import type { Route } from './router.js'

/** What the node routes call: the running node (local-node.ts), through the facade that outlives a federation switch. */
export interface NodeApi {
  status: () => StatusInfo
  peers: () => PeerInfo[]
  /** Up to `limit` live keys under `prefix` whose key is greater than `after`, in key order. */
  page: (prefix: string, after: string | undefined, limit: number) => EntryPage
  get: (key: string) => Entry | undefined
  publish: (key: string, props: Record<string, string>, body: AsyncIterable<Uint8Array>) => Promise<PublishResult>
  /** The same for a file the CLI staged in the data dir (`?staged=NAME`): no bytes through HTTP. */
  publishStaged: (key: string, props: Record<string, string>, staged: string) => Promise<PublishResult>
  remove: (key: string) => Promise<RemoveResult>
  invite: (req?: InviteRequest) => InviteResult
  members: () => MemberInfo[]
  revoke: (peer: string) => Promise<RevokeResult>
  /** The artifact rules in force (docs/rules.md). */
  rules: () => RulesInfo
  /** Sets the federation's rules (an admin only); the JSON body's `rules` list, checked. */
  setRules: (rules: unknown) => Promise<RulesInfo>
  /** `mycel join`: a running node joins the federation of a token (see Daemon.switchFederation). */
  join: (token: string, via: string[]) => Promise<JoinResult>
}

const KEY_PATH = /^\/v1\/keys\/(.*)$/

export function nodeRoutes (api: NodeApi): Route[] {
  const key = (groups: RegExpExecArray | null): string => parseKey(groups?.[1] ?? '')
  return [
    { method: 'GET', path: '/v1/status', auth: 'token', handle: (_req, res) => { sendJson(res, 200, api.status()) } },
    { method: 'GET', path: '/v1/peers', auth: 'token', handle: (_req, res) => { sendJson(res, 200, api.peers()) } },
    { method: 'POST', path: '/v1/invite', auth: 'token', handle: (_req, res, { url }) => { sendJson(res, 200, api.invite(inviteRequestOf(url.searchParams))) } },
    { method: 'GET', path: '/v1/members', auth: 'token', handle: (_req, res) => { sendJson(res, 200, api.members()) } },
    { method: 'GET', path: '/v1/rules', auth: 'token', handle: (_req, res) => { sendJson(res, 200, api.rules()) } },
    { method: 'PUT', path: '/v1/rules', auth: 'token', handle: async (req, res) => { sendJson(res, 200, await api.setRules(await readRulesBody(req))) } },
    {
      method: 'POST',
      path: '/v1/join',
      auth: 'token',
      handle: async (req, res, { url }) => { sendJson(res, 200, await api.join(await readToken(req), url.searchParams.getAll('via'))) }
    },
    { method: 'POST', path: '/v1/revoke', auth: 'token', handle: async (_req, res, { url }) => { sendJson(res, 200, await api.revoke(url.searchParams.get('peer') ?? '')) } },
    {
      method: 'GET',
      path: '/v1/keys',
      auth: 'token',
      handle: (_req, res, { url }) => {
        const { prefix, after, limit } = listParams(url.searchParams)
        if (limit === undefined && after === undefined) {
          // Unpaged, as before paging: every key or TOO_LARGE.
          const { entries, more } = api.page(prefix, undefined, MAX_LIST_ENTRIES)
          if (more) throw new MycelError('TOO_LARGE', `more than ${MAX_LIST_ENTRIES} keys match; page with ?after=KEY&limit=N or narrow the prefix (mycel ls pages itself)`)
          sendJson(res, 200, entries)
          return
        }
        const { entries, more } = api.page(prefix, after, limit ?? DEFAULT_LIST_PAGE_ENTRIES)
        const last = entries[entries.length - 1]
        sendJson(res, 200, entries, more && last !== undefined ? { [NEXT_AFTER_HEADER]: encodeURIComponent(last.key) } : {})
      }
    },
    {
      method: 'GET',
      path: KEY_PATH,
      auth: 'token',
      handle: (_req, res, { groups }) => {
        const k = key(groups)
        const entry = api.get(k)
        if (entry === undefined) throw new MycelError('NOT_FOUND', `no key ${k}`)
        sendJson(res, 200, entry)
      }
    },
    {
      method: 'PUT',
      path: KEY_PATH,
      auth: 'token',
      handle: async (req: IncomingMessage, res, { url, groups }) => {
        const k = key(groups)
        // Checked only for new puts: a key of that shape written by an older node can still be read and deleted.
        if (readsAsContentRef(k)) throw MycelError.usage(`key ${k} reads as a digest or CID, so fetch could not find it by name; choose another key`)
        const props = parseProps(url.searchParams.getAll('prop'))
        const staged = url.searchParams.get('staged')
        sendJson(res, 201, staged === null ? await api.publish(k, props, req) : await api.publishStaged(k, props, staged))
      }
    },
    { method: 'DELETE', path: KEY_PATH, auth: 'token', handle: async (_req, res, { groups }) => { sendJson(res, 200, await api.remove(key(groups))) } }
  ]
}

/**
 * GET /v1/keys's query: `prefix`, and the page: `after` (list keys greater than it; empty is from
 * the start) and `limit` (1 to MAX_LIST_PAGE_ENTRIES), each at most once.
 */
export function listParams (query: URLSearchParams): { prefix: string, after?: string, limit?: number } {
  const one = (name: string): string | undefined => {
    const all = query.getAll(name)
    if (all.length > 1) throw MycelError.usage(`${name} given ${all.length} times`)
    return all[0]
  }
  const prefix = query.get('prefix') ?? '' // the first, as before paging
  const after = one('after')
  const rawLimit = one('limit')
  if (after !== undefined && Buffer.byteLength(after) > MAX_KEY_BYTES) throw MycelError.usage(`after is longer than a key may be (${MAX_KEY_BYTES} bytes)`)
  if (rawLimit === undefined) return { prefix, after }
  const limit = /^[0-9]{1,6}$/.test(rawLimit) ? Number(rawLimit) : NaN
  if (!(limit >= 1 && limit <= MAX_LIST_PAGE_ENTRIES)) throw MycelError.usage(`limit must be a whole number from 1 to ${MAX_LIST_PAGE_ENTRIES}, not "${rawLimit.slice(0, 32)}"`)
  return { prefix, after, limit }
}

export function parseKey (encoded: string): string {
  let key: string
  try {
    key = decodeURIComponent(encoded)
  } catch {
    throw MycelError.usage('key is not valid percent-encoding')
  }
  validateKey(key)
  return key
}

export function validateKey (key: string): void {
  if (key.length === 0) throw MycelError.usage('key is empty')
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw MycelError.tooLarge('key', Buffer.byteLength(key), MAX_KEY_BYTES)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw MycelError.usage('key contains control characters')
  if (key.startsWith(SYSTEM_KEY_PREFIX)) throw MycelError.usage(`keys under ${SYSTEM_KEY_PREFIX} are reserved for the system`)
}

/** `k=v` strings → props; the first '=' splits, so values may contain '='. */
export function parseProps (pairs: string[]): Record<string, string> {
  if (pairs.length > MAX_PROPS) throw MycelError.tooLarge('props count', pairs.length, MAX_PROPS)
  const props: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw MycelError.usage(`prop "${pair}" is not k=v`)
    const k = pair.slice(0, eq)
    const v = pair.slice(eq + 1)
    if (Buffer.byteLength(k) > MAX_PROP_KEY_BYTES) throw MycelError.tooLarge(`prop name ${k}`, Buffer.byteLength(k), MAX_PROP_KEY_BYTES)
    if (Buffer.byteLength(v) > MAX_PROP_VALUE_BYTES) throw MycelError.tooLarge(`prop ${k}`, Buffer.byteLength(v), MAX_PROP_VALUE_BYTES)
    if (Object.hasOwn(props, k)) throw MycelError.usage(`prop ${k} given twice`)
    props[k] = v
  }
  return props
}
