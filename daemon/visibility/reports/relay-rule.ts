// Which held reports a node sends a connected member. Its own, always. Another site's only when that
// site does not reach the member itself: the author's own report says whom it is connected to, and it
// sends them its report directly. In a full mesh every site relaying every report to everyone cost
// O(sites³) frames per round: with 24 sites each idle daemon sent ~65 reports a second, each decoded
// and signature-checked by its receiver and nearly all of them duplicates, and 24 idle daemons used
// both cores of the machine (`npm run sites -- --sites 24`, docs/deployment.md).
//
// Should the author's connection to the member drop after its report, the member misses that report
// until the author's next one, which says the site is no longer connected and is relayed; reports are
// rewritten on every change of state and at least every REPORT_REFRESH_MS.

import type { SiteReport } from './report.js'

export function worthSending (report: Pick<SiteReport, 'author' | 'sites'>, selfId: string, to: string): boolean {
  if (report.author === to) return false
  if (report.author === selfId) return true
  return !report.sites.some(v => v.peer === to && v.state === 'connected')
}
