// The local API's one route table. Every endpoint is a Route: method, path (an
// exact string, or a RegExp whose groups the handler reads), and whether it
// needs the bearer token. The server (server.ts) finds the route, checks the
// token unless the route is public, and runs the handler; a request no route
// matches is NOT_FOUND, after the token check, so a caller without the token
// learns nothing about which paths exist. A path that exists under other
// methods is 405 with `Allow` (allowedMethods), decided here once for every
// route. HEAD is served by a GET route (Node sends no body for HEAD; a handler
// that streams checks req.method itself).

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

/** The first route matching the request's method (HEAD: a GET route) and path, with its match. */
export function findRoute (routes: readonly Route[], method: string, url: URL): { route: Route, match: RouteMatch } | undefined {
  const wanted = method === 'HEAD' ? 'GET' : method
  for (const route of routes) {
    if (route.method !== wanted) continue
    const groups = matchPath(route, url)
    if (groups !== undefined) return { route, match: { url, groups } }
  }
  return undefined
}

/** The methods some route serves at this path, HEAD with GET (the `Allow` of a 405); empty if none. */
export function allowedMethods (routes: readonly Route[], url: URL): string[] {
  const methods = new Set<string>()
  for (const route of routes) {
    if (matchPath(route, url) === undefined) continue
    methods.add(route.method)
    if (route.method === 'GET') methods.add('HEAD')
  }
  return [...methods].sort()
}

/** null: an exact path matched; the RegExp's match; undefined: no match. */
function matchPath (route: Route, url: URL): RegExpExecArray | null | undefined {
  if (typeof route.path === 'string') return route.path === url.pathname ? null : undefined
  return route.path.exec(url.pathname) ?? undefined
}

/** The path of a request as the routes see it. */
export function requestUrl (req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://127.0.0.1')
}
