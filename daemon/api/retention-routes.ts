// The retention endpoints of the local API (what `mycel retention` calls), in the table of
// routes.ts; all need the bearer token. Shapes in retention/types.ts, re-exported by contract.ts:
//   GET  /v1/retention/plan?prefix=P     RetentionPlanInfo: the dry run under the rules in force
//   POST /v1/retention/plan?prefix=P     body {"rules":[...]}: the dry run under rules not set (yet)
//   POST /v1/retention/run?prefix=P      RetentionRunInfo: run now from this site (writer or admin;
//                                        PERMISSION_DENIED otherwise), after its deletes are durable
// `prefix` narrows the deletes to keys under it; folders are still ranked whole.

import { MycelError } from '../../protocol/errors.js'
import { MAX_KEY_BYTES } from '../../protocol/limits.js'
import type { RetentionService } from '../retention/service.js'
import { sendJson } from './errors.js'
import { readRulesBody } from './rules-body.js'
import type { Route } from './router.js'

export function retentionRoutes (retention: () => RetentionService | undefined): Route[] {
  const need = (): RetentionService => {
    const r = retention()
    if (r === undefined) throw new MycelError('UNAVAILABLE', 'the node is starting')
    return r
  }
  return [
    { method: 'GET', path: '/v1/retention/plan', auth: 'token', handle: (_req, res, { url }) => { sendJson(res, 200, need().plan({ only: prefixParam(url) })) } },
    {
      method: 'POST',
      path: '/v1/retention/plan',
      auth: 'token',
      handle: async (req, res, { url }) => { sendJson(res, 200, need().plan({ only: prefixParam(url), rules: await readRulesBody(req, { bareList: true }) })) }
    },
    { method: 'POST', path: '/v1/retention/run', auth: 'token', handle: async (req, res, { url }) => { req.resume(); sendJson(res, 200, await need().run({ only: prefixParam(url) })) } }
  ]
}

function prefixParam (url: URL): string | undefined {
  const prefix = url.searchParams.get('prefix') ?? undefined
  if (prefix !== undefined && Buffer.byteLength(prefix) > MAX_KEY_BYTES) throw MycelError.tooLarge('prefix', Buffer.byteLength(prefix), MAX_KEY_BYTES)
  return prefix
}
