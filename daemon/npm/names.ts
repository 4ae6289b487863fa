// What npm accepts as a package name, a version and a dist-tag, checked the
// way npm's own validate-npm-package-name and the public registry do for new
// packages, so a package published here can be published to npmjs.com too and
// a name npm would refuse never becomes a key.

import { builtinModules } from 'node:module'
import { MAX_NAME_CHARS, MAX_TAG_CHARS, MAX_VERSION_CHARS } from './constants.js'
import { NpmError } from './errors.js'

const BLOCKED = new Set(['node_modules', 'favicon.ico'])
const CORE = new Set(builtinModules.filter(m => !m.startsWith('_')))
/** One name part: what encodeURIComponent leaves alone, minus npm's specials (~'!()*). */
const PART = /^[a-z0-9-._]+$/
/** semver 2.0.0, as npm writes versions (no leading "v", no spaces). */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/
const TAG = /^[a-zA-Z][a-zA-Z0-9._-]*$/

/** Why `name` is not a valid new npm package name, or undefined when it is. */
export function nameProblem (name: string): string | undefined {
  if (name.length === 0) return 'the name is empty'
  if (name.length > MAX_NAME_CHARS) return `the name is longer than ${MAX_NAME_CHARS} characters`
  if (name !== name.trim()) return 'the name has leading or trailing spaces'
  if (name.toLowerCase() !== name) return 'the name has capital letters'
  if (BLOCKED.has(name)) return `${name} is not a valid package name`
  if (CORE.has(name)) return `${name} is a Node.js core module name`
  const scoped = /^@([^/]+)\/([^/]+)$/.exec(name)
  const parts = scoped === null ? [name] : [scoped[1] as string, scoped[2] as string]
  if (scoped === null && name.startsWith('@')) return 'a scoped name is @scope/name'
  for (const part of parts) {
    if (part.startsWith('.') || part.startsWith('_')) return 'a name cannot start with a period or an underscore'
    if (!PART.test(part)) return 'a name can only contain lowercase letters, digits, "-", "." and "_" (and one "/" after an @scope)'
  }
  return undefined
}

export function checkName (name: string): void {
  const problem = nameProblem(name)
  if (problem !== undefined) throw NpmError.badRequest(`invalid package name ${JSON.stringify(name.slice(0, 240))}: ${problem}`)
}

export function isVersion (v: string): boolean {
  return v.length <= MAX_VERSION_CHARS && SEMVER.test(v)
}

export function checkVersion (v: string): void {
  if (!isVersion(v)) throw NpmError.badRequest(`invalid version ${JSON.stringify(v.slice(0, 80))}: not a semver version`)
}

/** Tags are names for versions; one that reads as a version (or a range npm would parse) would be ambiguous in `npm install name@tag`. */
export function checkTag (tag: string): void {
  if (tag.length > MAX_TAG_CHARS || !TAG.test(tag) || /^v?\d/.test(tag)) {
    throw NpmError.badRequest(`invalid dist-tag ${JSON.stringify(tag.slice(0, 80))}: a letter, then letters, digits, ".", "_" or "-" (at most ${MAX_TAG_CHARS})`)
  }
}

/** The tarball's file name as npm forms it: the name without its scope, then the version. */
export function tarballFile (name: string, version: string): string {
  const base = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name
  return `${base}-${version}.tgz`
}

/** Semver order for sorting versions: numeric parts, a prerelease before its release. */
export function compareVersions (a: string, b: string): number {
  const pa = SEMVER.exec(a)
  const pb = SEMVER.exec(b)
  if (pa === null || pb === null) return a < b ? -1 : a > b ? 1 : 0
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i])
    if (d !== 0) return d < 0 ? -1 : 1
  }
  const ra = pa[4]
  const rb = pb[4]
  if (ra === undefined || rb === undefined) return ra === rb ? 0 : ra === undefined ? 1 : -1
  const xa = ra.split('.')
  const xb = rb.split('.')
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    const x = xa[i]
    const y = xb[i]
    if (x === undefined) return -1
    if (y === undefined) return 1
    const nx = /^\d+$/.test(x)
    const ny = /^\d+$/.test(y)
    if (nx && ny && Number(x) !== Number(y)) return Number(x) < Number(y) ? -1 : 1
    if (nx !== ny) return nx ? -1 : 1
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}
