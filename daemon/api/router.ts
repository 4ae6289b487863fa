// The local API's one route table. Every endpoint is a Route: method, path (an
// exact string, or a RegExp whose groups the handler reads), and whether it
// needs the bearer token. The server (server.ts) finds the route, checks the
// token unless the route is public, and runs the handler; a request no route
// matches is NOT_FOUND, after the token check, so a caller without the token
// learns nothing about which paths exist.

import type { IncomingMessage, ServerResponse } from 'node:http'

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE'

export interface RouteMatch {
  url: URL
  /** The path's RegExp match (its groups), or null for an exact path. */
  groups: RegExpExecArray | null
}

export interface Route {
  method: Method
  /** An exact path, or a pattern matched against the whole path (anchor it with ^…$). */
  path: string | RegExp
  /** 'public': served without the token (the status page, which carries no data). */
  auth: 'token' | 'public'
  handle: (req: IncomingMessage, res: ServerResponse, match: RouteMatch) => Promise<void> | void
}

/** The first route matching the request's method and path, with its match. */
export function findRoute (routes: readonly Route[], method: string, url: URL): { route: Route, match: RouteMatch } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue
    if (typeof route.path === 'string') {
      if (route.path === url.pathname) return { route, match: { url, groups: null } }
      continue
    }
    const groups = route.path.exec(url.pathname)
    if (groups !== null) return { route, match: { url, groups } }
  }
  return undefined
}

/** The path of a request as the routes see it. */
export function requestUrl (req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://127.0.0.1')
}
