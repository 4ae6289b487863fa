// What the local API talks to: the current federation's LocalNode, which a
// `mycel join` on a running node replaces (Daemon.switchFederation). The API
// server is built once and keeps this facade.

import type { Entry, EntryPage, RulesInfo, InviteRequest, InviteResult, JoinResult, MemberInfo, PeerInfo, RemoveResult, RevokeResult, StatusInfo } from './contract.js'
import type { NodeApi } from './node-routes.js'

export interface NodeFacadeComponents {
  current: () => Omit<NodeApi, 'join'>
  join: (token: string, via: string[]) => Promise<JoinResult>
}

export class NodeFacade implements NodeApi {
  private readonly c: NodeFacadeComponents

  constructor (components: NodeFacadeComponents) {
    this.c = components
  }

  status (): StatusInfo { return this.c.current().status() }
  peers (): PeerInfo[] { return this.c.current().peers() }
  page (prefix: string, after: string | undefined, limit: number): EntryPage { return this.c.current().page(prefix, after, limit) }
  get (key: string): Entry | undefined { return this.c.current().get(key) }
  async publish (key: string, props: Record<string, string>, body: AsyncIterable<Uint8Array>): Promise<Entry> { return await this.c.current().publish(key, props, body) }
  async publishStaged (key: string, props: Record<string, string>, staged: string): Promise<Entry> { return await this.c.current().publishStaged(key, props, staged) }
  async remove (key: string): Promise<RemoveResult> { return await this.c.current().remove(key) }
  invite (req?: InviteRequest): InviteResult { return this.c.current().invite(req) }
  members (): MemberInfo[] { return this.c.current().members() }
  async revoke (peer: string): Promise<RevokeResult> { return await this.c.current().revoke(peer) }
  rules (): RulesInfo { return this.c.current().rules() }
  async setRules (rules: unknown): Promise<RulesInfo> { return await this.c.current().setRules(rules) }
  async join (token: string, via: string[]): Promise<JoinResult> { return await this.c.join(token, via) }
}
