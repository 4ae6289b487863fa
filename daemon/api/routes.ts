// Every endpoint of the local API, in one table (router.ts says how it is read):
//   GET    /  and  /ui                  the status page (public: it carries no data)
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
//   GET    /v1/rules                    RulesInfo (the artifact rules in force; docs/rules.md)
//   PUT    /v1/rules                    body = {"rules": [...]} → RulesInfo (an admin; after it is durable)
//   GET    /v1/blobs/<ref>[/content]    blob status / bytes (blob-routes.ts)
//   GET    /v1/events, /v1/where/<key>, /v1/sync, /v1/sync/members, /metrics   (visibility-routes.ts)
//   GET /v1/webhooks, GET /v1/webhooks/log, POST /v1/webhooks/ping|redeliver   (webhook-routes.ts)
//   POST|GET|DELETE /v1/registry/users   the container registry's users (registry-routes.ts)
// The shapes are in contract.ts.

import { blobRoutes, type BlobRouteComponents } from './blob-routes.js'
import { nodeRoutes, type NodeApi } from './node-routes.js'
import type { ProcessMetricsText } from './metrics-route.js'
import { registryRoutes, type RegistryRouteParts } from './registry-routes.js'
import type { Route } from './router.js'
import { statusPageRoutes, visibilityRoutes } from './visibility-routes.js'
import { webhookRoutes } from './webhook-routes.js'
import type { VisibilityHub } from '../visibility/hub.js'

export interface LocalApiParts {
  /** The node's operations (a NodeFacade: it outlives a federation switch). */
  node: NodeApi
  /** The running federation's blob layer and visibility hub (they change when the node switches federation). */
  blobs: () => BlobRouteComponents
  visibility: () => VisibilityHub | undefined
  /** process_* and nodejs_* for /metrics (visibility/process-metrics.ts); absent: only mycel_*. */
  processMetrics?: ProcessMetricsText
  /** The container registry's users, when this site serves one (registry-routes.ts). */
  registry?: () => RegistryRouteParts | undefined
}

export function localApiRoutes (parts: LocalApiParts): Route[] {
  return [
    ...statusPageRoutes(),
    ...nodeRoutes(parts.node),
    ...blobRoutes(parts.blobs),
    ...visibilityRoutes(parts.visibility, parts.processMetrics),
    ...webhookRoutes(parts.visibility),
    ...registryRoutes(parts.registry ?? (() => undefined))
  ]
}
