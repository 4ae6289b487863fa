// The daemon's settings: defaults, config.json, flags, and the USAGE errors for bad ones.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, mergeConfig, parseDaemonFlags, readConfigFile, relayServes, resolveDataDir, validateConfig } from '../../../daemon/config.js'

describe('config', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mycel-config-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('resolves the data dir: --dir, then MYCEL_DIR, then ~/.mycel', () => {
    expect(resolveDataDir('rel/d', { MYCEL_DIR: '/x' })).toBe(resolve('rel/d'))
    expect(resolveDataDir(undefined, { MYCEL_DIR: '/x' })).toBe('/x')
    expect(resolveDataDir(undefined, {})).toBe(join(homedir(), '.mycel'))
  })

  it('layers defaults < file < flags', async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify({ logLevel: 'debug', listen: ['/ip4/127.0.0.1/tcp/1'], maxPeers: 3 }))
    const file = await readConfigFile(dir)
    const config = mergeConfig(file, { listen: ['/ip4/127.0.0.1/tcp/2'], logLevel: undefined })
    expect(config).toEqual({ ...DEFAULT_CONFIG, logLevel: 'debug', listen: ['/ip4/127.0.0.1/tcp/2'], maxPeers: 3 })
    expect(mergeConfig({}, { listen: [] }).listen).toEqual(DEFAULT_CONFIG.listen)
  })

  it('listens on /p2p-circuit (a site behind NAT), never on a named relay; relays unless it is relayed or told not to', () => {
    expect(validateConfig({ listen: ['/p2p-circuit'], relay: false }, 'c')).toEqual({ listen: ['/p2p-circuit'], relay: false })
    expect(() => validateConfig({ listen: ['/ip4/1.2.3.4/tcp/4710/p2p/12D3KooWE79M4kM8K11t28yhxbnXfiCoRaiuF2iQm2rQ8WPmk9gr/p2p-circuit'] }, 'c')).toThrow(/a relay is not named/)
    expect(() => validateConfig({ relay: 'yes' }, 'c')).toThrow(/"relay" must be true or false/)
    expect(parseDaemonFlags({ listen: ['/p2p-circuit'] }).listen).toEqual(['/p2p-circuit'])
    expect(() => parseDaemonFlags({ listen: ['/ip4/1.2.3.4/tcp/1/p2p-circuit'] })).toThrow(/--listen/)
    expect(relayServes({ listen: ['/ip4/0.0.0.0/tcp/4710'] })).toBe(true)
    expect(relayServes({ listen: ['/p2p-circuit'] })).toBe(false)
    expect(relayServes({ listen: ['/ip4/0.0.0.0/tcp/4710', '/p2p-circuit'] })).toBe(false)
    expect(relayServes({ listen: ['/ip4/0.0.0.0/tcp/4710'], relay: false })).toBe(false)
    expect(relayServes({ listen: ['/p2p-circuit'], relay: true })).toBe(true)
  })

  it('a missing file is empty; a bad one is a USAGE error naming the field', async () => {
    expect(await readConfigFile(dir)).toEqual({})
    await writeFile(join(dir, 'config.json'), '{"maxPeers": "many"}')
    await expect(readConfigFile(dir)).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/maxPeers/) })
    await writeFile(join(dir, 'config.json'), '{"colour": "blue"}')
    await expect(readConfigFile(dir)).rejects.toThrow(/unknown setting "colour"/)
    await writeFile(join(dir, 'config.json'), '{"listen": ["/ip4/999.1.1.1/tcp/1"]}')
    await expect(readConfigFile(dir)).rejects.toThrow(/listen address "\/ip4\/999.1.1.1\/tcp\/1" is not a multiaddr \(Invalid IPv4/)
    await writeFile(join(dir, 'config.json'), '{oops')
    await expect(readConfigFile(dir)).rejects.toThrow(/not valid JSON/)
  })

  it('takes an upload cap of 0 (none) or at least 1 MB/s', async () => {
    expect(DEFAULT_CONFIG.maxUploadBytesPerSec).toBe(0)
    await writeFile(join(dir, 'config.json'), '{"maxUploadBytesPerSec": 50000000}')
    expect((await readConfigFile(dir)).maxUploadBytesPerSec).toBe(50_000_000)
    for (const bad of ['500', '-1', '"50M"', '1500000.5']) {
      await writeFile(join(dir, 'config.json'), `{"maxUploadBytesPerSec": ${bad}}`)
      await expect(readConfigFile(dir)).rejects.toThrow(/maxUploadBytesPerSec/)
    }
    expect(() => mergeConfig({}, { maxUploadBytesPerSec: 999 })).toThrow(/maxUploadBytesPerSec/)
  })

  it('takes a disk quota of bytes or a size (binary and decimal units), at least 1 MiB; none by default', async () => {
    expect(DEFAULT_CONFIG.quotaBytes).toBeUndefined()
    expect(parseDaemonFlags({}).quotaBytes).toBeUndefined()
    expect(parseDaemonFlags({ quota: '50GiB' }).quotaBytes).toBe(50 * 2 ** 30)
    expect(parseDaemonFlags({ quota: '1.5 TB' }).quotaBytes).toBe(1.5e12)
    expect(parseDaemonFlags({ quota: '800m' }).quotaBytes).toBe(800e6)
    expect(parseDaemonFlags({ quota: '1048576' }).quotaBytes).toBe(1048576)
    expect(() => parseDaemonFlags({ quota: 'lots' })).toThrow(/--quota must be a size such as 50GiB/)
    expect(() => parseDaemonFlags({ quota: '50' })).toThrow(/--quota must be at least 1048576 bytes \(1 MiB\)/)
    expect(() => parseDaemonFlags({ quota: '5PB' })).toThrow(/--quota must be a size/)
    await writeFile(join(dir, 'config.json'), '{"quotaBytes": "2GiB"}')
    expect((await readConfigFile(dir)).quotaBytes).toBe(2 * 2 ** 30)
    await writeFile(join(dir, 'config.json'), '{"quotaBytes": 5000000}')
    expect((await readConfigFile(dir)).quotaBytes).toBe(5_000_000)
    for (const bad of ['0', '-1', '1048576.5', 'true', '"2 gallons"', '"100KiB"']) {
      await writeFile(join(dir, 'config.json'), `{"quotaBytes": ${bad}}`)
      await expect(readConfigFile(dir)).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/"quotaBytes" must be/) })
    }
    // The flag wins over the file.
    expect(mergeConfig({ quotaBytes: 5_000_000 }, parseDaemonFlags({ quota: '10MiB' })).quotaBytes).toBe(10 * 2 ** 20)
  })
})
