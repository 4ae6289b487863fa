// A tiny OCI client over fetch() for the tests skopeo cannot express: a push
// split across sites, chunked and resumed uploads, mounts, referrers, and
// malformed requests.

import { request } from 'node:http'
import { basic, type Blob } from './harness.js'

export interface RawResponse { status: number, headers: Record<string, string | string[] | undefined>, body: string }

export class Client {
  readonly url: string
  readonly auth: string | undefined

  constructor (url: string, creds?: string) {
    this.url = url
    this.auth = creds === undefined ? undefined : basic(creds)
  }

  as (creds: string | undefined): Client {
    return new Client(this.url, creds)
  }

  async req (method: string, path: string, init: { body?: Uint8Array | string, headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...(this.auth === undefined ? {} : { authorization: this.auth }), ...init.headers }
    const body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : new Uint8Array(init.body)
    return await fetch(this.url + path, { method, headers, ...(body === undefined ? {} : { body }), redirect: 'manual' })
  }

  /**
   * A request with the path exactly as given (fetch() would resolve `..` and
   * the like first), and the body sent chunked (no Content-Length) when
   * `chunked`.
   */
  async raw (method: string, path: string, body?: Uint8Array, headers: Record<string, string> = {}, chunked = false): Promise<RawResponse> {
    const url = new URL(this.url)
    return await new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method, path, headers: { ...(this.auth === undefined ? {} : { authorization: this.auth }), ...headers } }, res => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => { text += d })
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }) })
        res.on('error', reject)
      })
      req.on('error', reject)
      if (body !== undefined && chunked) {
        // Two writes, so node sends Transfer-Encoding: chunked.
        req.write(body.subarray(0, body.byteLength >> 1))
        req.end(body.subarray(body.byteLength >> 1))
      } else {
        req.end(body)
      }
    })
  }

  /** POST + PUT (monolithic); the response of the PUT. */
  async pushBlob (repo: string, blob: Blob | { bytes: Uint8Array, digest: string }): Promise<Response> {
    const start = await this.req('POST', `/v2/${repo}/blobs/uploads/`)
    if (start.status !== 202) throw new Error(`POST upload: ${start.status} ${await start.text()}`)
    const location = start.headers.get('location') as string
    return await this.req('PUT', `${location}?digest=${blob.digest}`, { body: blob.bytes, headers: { 'content-type': 'application/octet-stream' } })
  }

  async pushManifest (repo: string, reference: string, m: Blob): Promise<Response> {
    return await this.req('PUT', `/v2/${repo}/manifests/${reference}`, { body: m.bytes, headers: { 'content-type': m.mediaType } })
  }

  async errorCode (res: Response): Promise<string> {
    const body = await res.json() as { errors: Array<{ code: string }> }
    return body.errors[0].code
  }
}
