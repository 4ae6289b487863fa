// `mycel daemon`: runs a node in the foreground until SIGINT/SIGTERM. Logs go
// to stderr as JSON lines; stdout gets one "ready" report (JSON with --json)
// once the API is up, so scripts can wait for it.

// The daemon itself (libp2p, LevelDB, prom-client: most of a second to load) is imported only when
// this command runs, so every other command starts without it (issue #22, cli-start-ms).
import type { ReadyInfo } from '../../daemon/daemon.js'
import { LOG_LEVELS, Logger } from '../../daemon/log.js'
import { REPLICATE_MODES } from '../../daemon/blob/policy.js'
import type { Command, CommandContext } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { VERSION } from '../version.js'
import { readJoinToken } from '../join-token.js'
import { dataDir } from './shared.js'

export const daemon: Command = {
  name: 'daemon',
  summary: 'run a node in the foreground (founds a federation on an empty data dir)',
  options: {
    listen: { type: 'string', multiple: true, value: 'MULTIADDR', description: 'libp2p listen address, e.g. /ip4/0.0.0.0/tcp/4710; /p2p-circuit alone for a site behind NAT (reached through a member relay)' },
    join: { type: 'string', value: 'TOKEN', description: 'join the federation of an invite token (from `mycel invite`); - reads it from stdin' },
    'join-file': { type: 'string', value: 'FILE', description: 'as --join, with the token read from FILE (so it never shows in ps)', path: 'file' },
    via: { type: 'string', multiple: true, value: 'MULTIADDR', description: 'with --join: a member to present the token to first (/ip4/…/tcp/…/p2p/<id>)' },
    'log-level': { type: 'string', value: 'LEVEL', description: 'debug, info, warn or error (default: info)', choices: LOG_LEVELS },
    replicate: { type: 'string', value: 'MODE', description: "other members' blob bytes: eager (mirror at once), on-demand (at first fetch) or none (default: eager)", choices: REPLICATE_MODES },
    'max-upload-rate': { type: 'string', value: 'RATE', description: 'cap on the blob bytes served to members, e.g. 50M (bytes/s; K, M, G = 1000s); 0 for none (default: none)' },
    quota: { type: 'string', value: 'SIZE', description: "disk quota for blobs, e.g. 50GiB (KiB, MiB, GiB, TiB = 1024s; K, M, G, T = 1000s): past it other sites' on-demand bytes are evicted, least recently used first (default: none)" },
    'metrics-listen': { type: 'string', value: 'ADDR', description: 'also serve GET /metrics without the API token on HOST:PORT (e.g. 0.0.0.0:9464, :9464 for every interface), for a Prometheus on another host' },
    name: { type: 'string', value: 'NAME', description: 'this site\'s name, unique in the federation (default: from the host name); shown wherever a peer id was' },
    group: { type: 'string', multiple: true, value: 'GROUP', description: 'a group this site is in, for publish --wait-group (repeatable)' },
    registry: { type: 'string', value: 'ADDR', description: 'serve a container registry (OCI Distribution API) on HOST:PORT, e.g. 127.0.0.1:5000 (default: off; users: mycel registry login-token)' },
    npm: { type: 'string', value: 'ADDR', description: 'serve an npm registry on HOST:PORT, or PORT alone for 127.0.0.1:PORT (default: off; tokens: mycel registry login-token)' }
  },
  details: `Settings also come from <dir>/config.json (flags win): listen, logLevel, apiPort, maxPeers,
antiEntropyIntervalMs, maxBlobBytes, webhooks (docs/visibility.md), replicate, replicatePrefixes, blobChunkBytes,
blobGraceMs, maxUploadBytesPerSec (docs/blobs.md), quotaBytes (docs/rules.md), metricsListen, name, groups (docs/visibility.md), registryListen,
registryGcGraceMs, registryAnonymous (docs/registry.md), npmListen, npmAnonymous (docs/npm.md), relay (serve as a
circuit relay for members; default on unless listening on /p2p-circuit: docs/deployment.md "Sites behind NAT"). The local API listens on 127.0.0.1; its URL is written to
<dir>/api.json and its bearer token to <dir>/api.token (mode 0600). Stop with Ctrl-C or SIGTERM.
With --join (or --join-file FILE, or --join - for stdin: then the token is not in ps) the node presents the token to a member before it is ready. Exit codes: 2 malformed token;
5 refused (the reason is printed: expired, spent, wrong-federation, bad-signature, not-admin, revoked);
4 no member reachable. A data dir that already belongs to another federation is refused (exit 2).`,
  async run (ctx) {
    const [{ Daemon }, { mergeConfig, parseDaemonFlags, readConfigFile }, { heapGrowthGovernor }, { processMetrics }, { memorySettler }] = await Promise.all([
      import('../../daemon/daemon.js'),
      import('../../daemon/config.js'),
      import('../../daemon/heap-growth.js'),
      import('../../daemon/visibility/process-metrics.js'),
      import('../../daemon/memory-settle.js')
    ])
    const dir = dataDir(ctx)
    const flags = parseDaemonFlags(ctx.options)
    const config = mergeConfig(await readConfigFile(dir), flags)
    const join = await readJoinToken({ join: ctx.options.join as string | undefined, joinFile: ctx.options['join-file'] as string | undefined }, ctx.stdin ?? process.stdin)
    const log = new Logger({ level: config.logLevel })
    let fatal: Error | undefined
    let wake: () => void = () => {}
    const stopped = new Promise<void>(resolve => { wake = resolve })
    // Process-wide V8 tuning belongs to the process that runs a daemon, not to the Daemon class (tests run several in one process).
    const heapGrowth = heapGrowthGovernor()
    // After a burst of hostile input, hands its garbage back once things are quiet (memory-settle.ts).
    const settler = memorySettler()
    const node = new Daemon({ dir, config, join, via: ctx.options.via as string[] | undefined, version: VERSION }, {
      log,
      onFatal: err => { fatal = err; wake() },
      onBlobMoved: () => { heapGrowth.moved() },
      processMetrics: processMetrics(),
      onBurst: () => { settler?.note() }
    })
    let signals = 0
    const onSignal = (signal: string): void => {
      signals++
      if (signals > 1) {
        // A second Ctrl-C means "now": acknowledged writes are already on disk, so nothing is lost.
        log.warn('second signal: exiting without a clean stop', { signal })
        process.exit(EXIT.FAILURE)
      }
      log.info('signal received: stopping', { signal })
      wake()
    }
    const onInt = (): void => { onSignal('SIGINT') }
    const onTerm = (): void => { onSignal('SIGTERM') }
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
    // A safety net, not a way of handling errors: a promise rejection nobody
    // handled is a bug (logged at error level, with its stack, to be fixed), but
    // one failed stream must not take the whole node down with it.
    let unhandled = 0
    const onUnhandled = (reason: unknown): void => {
      unhandled++
      log.error('unhandled promise rejection (a bug; the daemon keeps running)', { count: unhandled, err: reason instanceof Error ? { message: reason.message, stack: reason.stack } : String(reason) })
    }
    process.on('unhandledRejection', onUnhandled)
    heapGrowth.start()
    try {
      let ready: ReadyInfo
      try {
        ready = await node.start()
      } catch (err) {
        await node.stop()
        throw err
      }
      printReady(ctx, ready)
      await stopped
      await node.stop()
    } finally {
      heapGrowth.stop()
      settler?.stop()
      process.off('unhandledRejection', onUnhandled)
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
    }
    if (fatal !== undefined) throw fatal
    return EXIT.OK
  }
}

function printReady (ctx: CommandContext, ready: ReadyInfo): void {
  if (ctx.options.json === true) {
    ctx.out.write(JSON.stringify({ ready: true, ...ready }) + '\n')
    return
  }
  ctx.out.write([
    `mycel daemon ready${ready.founded ? ' (founded a new federation)' : ''}`,
    `  peer id     ${ready.peerId}`,
    `  federation  ${ready.federation}`,
    `  listen      ${ready.listen.join('\n              ')}`,
    `  api         ${ready.api}`,
    ...(ready.metrics === undefined ? [] : [`  metrics     ${ready.metrics}`]),
    `  data dir    ${ready.dir}`,
    ''
  ].join('\n'))
}
