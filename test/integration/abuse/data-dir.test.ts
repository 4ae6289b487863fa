// Issue #17, secrets on disk, against a real daemon: a data dir the user made with mode 0755, with a
// world-readable token in it, is made private (0700/0600) at start and the daemon says so.
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Node } from '../../helpers/daemons.js'

const mode = async (path: string): Promise<string> => ((await stat(path)).mode & 0o777).toString(8)

describe('abuse: a data dir others can read', () => {
  let node: Node | undefined
  afterEach(async () => { await node?.destroy() })

  it('a pre-made 0755 data dir and its secrets are made private at start, and the log says what was changed', async () => {
    node = await Node.create()
    await chmod(node.dir, 0o755)
    await mkdir(join(node.dir, 'store'), { mode: 0o755 })
    await writeFile(join(node.dir, 'api.token'), 'f'.repeat(64) + '\n', { mode: 0o644 })
    await node.start()
    expect(await mode(node.dir)).toBe('700')
    expect(await mode(join(node.dir, 'store'))).toBe('700')
    expect(await mode(join(node.dir, 'api.token'))).toBe('600')
    expect(await mode(join(node.dir, 'identity.key'))).toBe('600')
    expect(node.log).toMatch(/"msg":"made private: it was readable by other users".*"was":"755"/)
    // The token the user had put there still works (kept, only its mode changed).
    expect((await node.api('GET', '/v1/status')).status).toBe(200)
  })
})
