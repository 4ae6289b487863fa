// The data dir made private at start (issue #17): a 0755 dir and world-readable secrets are tightened
// to 0700/0600 and reported; a path that is not a directory is refused with a usage error.
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { securePrivateDir } from '../../../daemon/data-dir.js'

const mode = async (path: string): Promise<string> => ((await stat(path)).mode & 0o777).toString(8)

describe('securePrivateDir', () => {
  const made: string[] = []
  afterEach(async () => { await Promise.all(made.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) })) })

  it('tightens a 0755 dir, its store and its secrets, and says what it changed; then nothing is left to change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mycel-dd-'))
    made.push(dir)
    await chmod(dir, 0o755)
    await mkdir(join(dir, 'store'), { mode: 0o755 })
    await writeFile(join(dir, 'store', 'CURRENT'), 'x', { mode: 0o644 })
    await writeFile(join(dir, 'api.token'), 'secret', { mode: 0o644 })
    await writeFile(join(dir, 'identity.key'), 'key', { mode: 0o640 })
    const changed = await securePrivateDir(dir)
    expect(changed.map(c => [c.path.slice(dir.length), c.from, c.to])).toEqual([
      ['', '755', '700'], ['/store', '755', '700'], ['/identity.key', '640', '600'], ['/api.token', '644', '600'], ['/store/CURRENT', '644', '600']
    ])
    expect([await mode(dir), await mode(join(dir, 'store')), await mode(join(dir, 'api.token')), await mode(join(dir, 'store', 'CURRENT'))]).toEqual(['700', '700', '600', '600'])
    expect(await securePrivateDir(dir)).toEqual([])
  })

  it('creates a missing dir private, and refuses a path that is a file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mycel-dd-'))
    made.push(root)
    const dir = join(root, 'new', 'data')
    expect(await securePrivateDir(dir)).toEqual([])
    expect(await mode(dir)).toBe('700')
    const file = join(root, 'file')
    await writeFile(file, '')
    await expect(securePrivateDir(file)).rejects.toMatchObject({ code: 'USAGE' })
  })
})
