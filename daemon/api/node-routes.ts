// The local API's routes, method + path → NodeApi call. All under /v1:
//   GET    /v1/status                   StatusInfo
//   GET    /v1/peers                    PeerInfo[]
//   GET    /v1/keys?prefix=P            Entry[] (live keys, sorted)
//   GET    /v1/keys/<key>               Entry              (404 NOT_FOUND if not live)
//   PUT    /v1/keys/<key>?prop=k=v...   body = blob bytes, streamed → PublishResult (after it is durable)
//   DELETE /v1/keys/<key>               RemoveResult       (tombstone; after it is durable)
//   POST   /v1/invite?role=R&ttlMs=N&uses=N   InviteResult { token, ... }
//   GET    /v1/members                  MemberInfo[]
//   POST   /v1/revoke?peer=P            RevokeResult       (after it is durable)
//   POST   /v1/join?via=ADDR...         body = invite token text → JoinResult (after admission)
//   GET    /v1/blobs/<ref>[/content]    blob status / bytes (daemon/blob/routes.ts)
// <key> is percent-encoded (encodeURIComponent), so keys may contain '/'.

import type { IncomingMessage, ServerResponse } from 'node:http'
import { MycelError } from '../../protocol/errors.js'
import { SYSTEM_KEY_PREFIX } from '../../protocol/event.js'
import { MAX_KEY_BYTES, MAX_PROP_KEY_BYTES, MAX_PROP_VALUE_BYTES, MAX_PROPS } from '../../protocol/limits.js'
import { MAX_LIST_ENTRIES } from '../limits.js'
import { readsAsContentRef } from '../blob/service.js'
import { sendError, sendJson } from './errors.js'
import type { NodeApi } from './contract.js'
import { inviteRequestOf, readToken } from './federation-params.js'

export async function route (api: NodeApi, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  const path = url.pathname
  const method = req.method ?? 'GET'

  if (path === '/v1/status' && method === 'GET') return sendJson(res, 200, api.status())
  if (path === '/v1/peers' && method === 'GET') return sendJson(res, 200, api.peers())
  if (path === '/v1/invite' && method === 'POST') return sendJson(res, 200, api.invite(inviteRequestOf(url.searchParams)))
  if (path === '/v1/members' && method === 'GET') return sendJson(res, 200, api.members())
  if (path === '/v1/join' && method === 'POST') return sendJson(res, 200, await api.join(await readToken(req), url.searchParams.getAll('via')))
  if (path === '/v1/revoke' && method === 'POST') return sendJson(res, 200, await api.revoke(url.searchParams.get('peer') ?? ''))
  if (path === '/v1/keys' && method === 'GET') {
    const entries = api.list(url.searchParams.get('prefix') ?? '')
    if (entries.length > MAX_LIST_ENTRIES) {
      throw new MycelError('TOO_LARGE', `${entries.length} keys match; narrow the prefix (limit ${MAX_LIST_ENTRIES})`)
    }
    return sendJson(res, 200, entries)
  }
  if (path.startsWith('/v1/blobs/') && api.blobRoute !== undefined) return await api.blobRoute(req, res, url)
  if (path.startsWith('/v1/keys/')) {
    const key = parseKey(path.slice('/v1/keys/'.length))
    if (method === 'GET') {
      const entry = api.get(key)
      if (entry === undefined) throw new MycelError('NOT_FOUND', `no key ${key}`)
      return sendJson(res, 200, entry)
    }
    if (method === 'PUT') {
      // Checked only for new puts: a key of that shape written by an older node can still be read and deleted.
      if (readsAsContentRef(key)) throw MycelError.usage(`key ${key} reads as a digest or CID, so fetch could not find it by name; choose another key`)
      const props = parseProps(url.searchParams.getAll('prop'))
      return sendJson(res, 201, await api.publish(key, props, req))
    }
    if (method === 'DELETE') return sendJson(res, 200, await api.remove(key))
  }
  sendError(res, 'NOT_FOUND', `no route ${method} ${path}`)
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
