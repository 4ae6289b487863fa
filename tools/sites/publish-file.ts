// Publishes a file at a site through its API, streaming it (a 256 MiB blob is never held in memory).

import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { request } from 'node:http'
import { token as apiToken } from '../bench/bench-blob.js'
import type { Site } from './fleet.js'

export async function publishFile (site: Site, key: string, path: string): Promise<{ digest: string }> {
  const api = site.node.ready?.api
  if (api === undefined) throw new Error(`${site.name} is not running`)
  const token = await apiToken(site.node)
  const { size } = await stat(path)
  const url = new URL(`/v1/keys/${encodeURIComponent(key)}`, api)
  return await new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-length': size } }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => {
        if (res.statusCode !== 201) reject(new Error(`publish at ${site.name} answered ${String(res.statusCode)}: ${body}`))
        else resolve(JSON.parse(body) as { digest: string })
      })
    })
    req.on('error', reject)
    createReadStream(path).on('error', reject).pipe(req)
  })
}
