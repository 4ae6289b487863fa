// The local API's node routes, method + path → NodeApi call (the whole table
// is routes.ts). <key> is percent-encoded (encodeURIComponent), so keys may
// contain '/'.

import type { IncomingMessage } from 'node:http'
import { MycelError } from '../../protocol/errors.js'
import { SYSTEM_KEY_PREFIX } from '../../protocol/event.js'
import { MAX_KEY_BYTES, MAX_PROP_KEY_BYTES, MAX_PROP_VALUE_BYTES, MAX_PROPS } from '../../protocol/limits.js'
import { readsAsContentRef } from '../blob/service.js'
import { MAX_LIST_ENTRIES } from '../limits.js'
import type { Entry, RulesInfo, InviteRequest, InviteResult, JoinResult, MemberInfo, PeerInfo, PublishResult, RemoveResult, RevokeResult, StatusInfo } from './contract.js'
import { sendJson } from './errors.js'
import { inviteRequestOf, readToken } from './federation-params.js'
import { readRulesBody } from './rules-body.js'
import type { Route } from './router.js'

/** What the node routes call: the running node (local-node.ts), through the facade that outlives a federation switch. */
export interface NodeApi {
  status: () => StatusInfo
  peers: () => PeerInfo[]
  list: (prefix: string) => Entry[]
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
        const entries = api.list(url.searchParams.get('prefix') ?? '')
        if (entries.length > MAX_LIST_ENTRIES) {
          throw new MycelError('TOO_LARGE', `${entries.length} keys match; narrow the prefix (limit ${MAX_LIST_ENTRIES})`)
        }
        sendJson(res, 200, entries)
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
