// An npm registry at every site (issue #24), with real daemons and the real
// npm CLI: a scoped package with two versions published at A installs at B
// with A stopped (npm checks the lockfile's integrity against what it
// downloaded), and so does a package depending on it by a range; npm view
// and npm dist-tag ls answer at B; a dist-tag moved at C is seen at A and B;
// npm deprecate reaches every site; a republish of a version is refused with
// npm's error; a reader token installs (at C, which holds no tarball yet and
// streams it from holders) but cannot publish; and one version published at
// two cut-off sites at once ends as one winner everywhere, with the losing
// site told (`conflict`).
import { readFile, writeFile, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'
import { firstEvent } from '../../helpers/events.js'
import { npm, npmOk, npmrc, packageDir, projectDir, publishBody, tarballOf } from '../../helpers/npm-cli.js'

describe('an npm registry at every site', () => {
  let a: Node, b: Node, c: Node
  let work: string
  let cutFile: string
  const tokens = new Map<string, string>()
  const url = (n: Node): string => (n.ready as unknown as { npm: string }).npm
  const token = (n: Node, role: string): string => tokens.get(`${n.dir}:${role}`) as string
  const rc = (n: Node, role: string): string => npmrc(url(n), token(n, role))
  const login = async (n: Node): Promise<void> => {
    for (const [user, role] of [['ops', 'admin'], ['ci', 'writer'], ['dev', 'reader']]) {
      const out = await cli(['registry', 'login-token', user, '--role', role, '--dir', n.dir])
      expect(out.code).toBe(0)
      tokens.set(`${n.dir}:${role}`, out.stdout.trim())
    }
  }
  /** The packument as site `n` serves it (the writer's token), or undefined while it has none. */
  const packument = async (n: Node, name: string): Promise<Record<string, any> | undefined> => {
    const res = await fetch(`${url(n)}/${name.replace('/', '%2f')}`, { headers: { authorization: `Bearer ${token(n, 'writer')}` } })
    return res.status === 200 ? await res.json() as Record<string, any> : undefined
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mycel-npm-'))
    // C replicates on demand: it holds no tarball until an install asks it for one.
    a = await Node.create(); b = await Node.create(); c = await Node.create({ replicate: 'on-demand' })
    cutFile = join(c.dir, 'cut-links')
    await writeFile(cutFile, '')
    await a.start(['--npm', '127.0.0.1:0'])
    await b.start(['--npm', '127.0.0.1:0', '--join', await a.invite({ role: 'writer' })])
    await c.start(['--npm', '127.0.0.1:0', '--join', await a.invite({ role: 'writer' })], 20_000, { MYCEL_TEST_LINK_FAULTS: cutFile })
    for (const n of [a, b, c]) await login(n)
  }, 90_000)

  afterAll(async () => {
    for (const n of [a, b, c]) await n.destroy()
  })

  it('a scoped package published at A installs at B with A stopped, also as a dependency by range; npm view and dist-tag ls answer there', async () => {
    const published: Record<string, string> = {}
    for (const version of ['1.0.0', '1.1.0']) {
      const dir = await packageDir(work, { name: '@acme/greet', version, description: 'greetings', main: 'index.js', license: 'MIT' }, `hello ${version}`, rc(a, 'writer'))
      // npm 10 prints the package's summary; npm 11 keys it by name.
      const out = JSON.parse(await npmOk(dir, ['publish', '--json'])) as { integrity?: string } & Record<string, { integrity: string }>
      published[version] = out.integrity ?? out['@acme/greet'].integrity
    }
    // A package depending on it by a range: npm resolves the range from the abbreviated packument.
    const appDir = await packageDir(work, { name: '@acme/app', version: '2.0.0', main: 'index.js', dependencies: { '@acme/greet': '^1.0.0' } }, 'app', rc(a, 'writer'))
    await npmOk(appDir, ['publish'])
    // B mirrors what it learns (eager): once it holds the three tarballs, A can go.
    await until('B has both versions', async () => Object.keys((await packument(b, '@acme/greet'))?.versions ?? {}).length === 2)
    await until('B holds the three tarballs', async () => {
      const keys = (await b.keys()).filter(k => /^npm\/@acme\/(greet|app)\/versions\//.test(k.key))
      for (const k of keys) if ((await b.api<{ local: string }>('GET', `/v1/blobs/${k.digest}`)).body.local !== 'complete') return false
      return keys.length === 3
    }, 60_000)
    await a.stop()
    try {
      const app = await projectDir(work, 'app-b', rc(b, 'reader'))
      await npmOk(app, ['install', '@acme/greet@1.1.0'])
      expect(await readFile(join(app, 'node_modules/@acme/greet/index.js'), 'utf8')).toBe('module.exports = "hello 1.1.0"\n')
      const lock = JSON.parse(await readFile(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { integrity: string }> }
      expect(lock.packages['node_modules/@acme/greet'].integrity).toBe(published['1.1.0'])
      expect(JSON.parse(await npmOk(app, ['view', '@acme/greet', 'versions', '--json']))).toEqual(['1.0.0', '1.1.0'])
      // A dependency by range: ^1.0.0 resolves to the highest 1.x here, installed beside its dependent.
      const withDeps = await projectDir(work, 'app-b-deps', rc(b, 'reader'))
      await npmOk(withDeps, ['install', '@acme/app@2.0.0'])
      const deps = JSON.parse(await readFile(join(withDeps, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> }
      expect(deps.packages['node_modules/@acme/app']?.version).toBe('2.0.0')
      expect(deps.packages['node_modules/@acme/greet']?.version).toBe('1.1.0')
      expect(await npmOk(app, ['dist-tag', 'ls', '@acme/greet'])).toContain('latest: 1.1.0')
    } finally {
      await a.start(['--npm', '127.0.0.1:0'])
      await login(a)
    }
  }, 180_000)

  it('a dist-tag moved at C is seen at A and B; npm deprecate at B reaches C', async () => {
    const dir = await projectDir(work, 'tags-c', rc(c, 'writer'))
    await npmOk(dir, ['dist-tag', 'add', '@acme/greet@1.0.0', 'stable'])
    await npmOk(dir, ['dist-tag', 'add', '@acme/greet@1.0.0', 'latest'])
    for (const n of [a, b]) {
      await until(`the tags at ${n === a ? 'A' : 'B'}`, async () => {
        const tags = (await packument(n, '@acme/greet'))?.['dist-tags'] as Record<string, string> | undefined
        return tags?.stable === '1.0.0' && tags.latest === '1.0.0'
      })
    }
    const at = await projectDir(work, 'tags-a', rc(a, 'reader'))
    expect(await npmOk(at, ['dist-tag', 'ls', '@acme/greet'])).toMatch(/latest: 1\.0\.0[\s\S]*stable: 1\.0\.0/)

    const bdir = await projectDir(work, 'deprecate-b', rc(b, 'writer'))
    await npmOk(bdir, ['deprecate', '@acme/greet@1.0.0', 'use 1.1.0 instead'])
    await until('the deprecation at C', async () => (await packument(c, '@acme/greet'))?.versions['1.0.0'].deprecated === 'use 1.1.0 instead')
    const cview = await projectDir(work, 'view-c', rc(c, 'reader'))
    expect((await npmOk(cview, ['view', '@acme/greet@1.0.0', 'deprecated'])).trim()).toBe('use 1.1.0 instead')
  }, 120_000)

  it('a republish of a version is refused with npm\'s error; a reader installs but cannot publish', async () => {
    const again = await packageDir(work, { name: '@acme/greet', version: '1.1.0', main: 'index.js' }, 'other bytes', rc(b, 'writer'))
    const refused = await npm(again, ['publish', '--tag', 'again'])
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain('You cannot publish over the previously published versions: 1.1.0.')

    const readerPkg = await packageDir(work, { name: '@acme/other', version: '1.0.0', main: 'index.js' }, 'x', rc(c, 'reader'))
    const denied = await npm(readerPkg, ['publish'])
    expect(denied.code).not.toBe(0)
    expect(denied.stderr).toContain('E403')
    expect(denied.stderr).toContain('this needs the writer role; dev is a reader')
    expect(await packument(c, '@acme/other')).toBeUndefined()
    // C holds none of the tarball's bytes: it streams them to npm as it fetches and verifies them.
    const digest = (await c.keys()).find(k => k.key === 'npm/@acme/greet/versions/1.1.0')?.digest as string
    expect((await c.api<{ local: string }>('GET', `/v1/blobs/${digest}`)).body.local).not.toBe('complete')
    const app = await projectDir(work, 'app-c-reader', rc(c, 'reader'))
    await npmOk(app, ['install', '@acme/greet@1.1.0'])
    expect(await readFile(join(app, 'node_modules/@acme/greet/index.js'), 'utf8')).toBe('module.exports = "hello 1.1.0"\n')
  }, 120_000)

  it('one version published at two cut-off sites ends as one winner everywhere, and the losing site reports the conflict', async () => {
    await writeFile(cutFile, `${a.ready?.peerId as string}\n${b.ready?.peerId as string}\n`)
    await until('C cut off', async () => (await c.api<Array<{ peerId: string, connected: boolean }>>('GET', '/v1/peers')).body.every(p => !p.connected))
    const manifest = { name: 'race', version: '1.0.0', main: 'index.js' }
    const atB = tarballOf(manifest, 'from B')
    const atC = tarballOf(manifest, 'from C')
    for (const [n, t] of [[b, atB], [c, atC]] as const) {
      const res = await fetch(`${url(n)}/race`, { method: 'PUT', headers: { authorization: `Bearer ${token(n, 'writer')}`, 'content-type': 'application/json' }, body: JSON.stringify(publishBody(manifest, t)) })
      expect(res.status).toBe(201)
    }
    await writeFile(cutFile, '')
    let winner = ''
    await until('one winner at A, B and C', async () => {
      const seen = await Promise.all([a, b, c].map(async n => (await packument(n, 'race'))?.versions['1.0.0']?.dist.integrity as string | undefined))
      winner = seen[0] ?? ''
      return seen.every(s => s !== undefined && s === seen[0])
    }, 60_000)
    expect([atB.integrity, atC.integrity]).toContain(winner)
    const loser = winner === atB.integrity ? c : b
    const event = await firstEvent(loser, 'conflict')
    expect(event).toMatchObject({ type: 'conflict', key: 'npm/race/versions/1.0.0', package: 'race@1.0.0' })
    expect(event.digest).not.toBe(event.lostDigest)
    expect(event.author).toBe((winner === atB.integrity ? b : c).ready?.peerId)
  }, 120_000)
})
