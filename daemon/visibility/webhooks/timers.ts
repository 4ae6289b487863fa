// Webhook delivery waits (retry delays, a POST's deadline) on the time port of
// protocol/ports.ts (`Timers`): the daemon's real ones (daemon/time.ts), or
// virtual ones in the tests (test/helpers/virtual-time.ts), where a day of
// retry schedule runs in milliseconds.

export type { Timers } from '../../../protocol/ports.js'

/** Node's setTimeout fires at once for a delay over 2^31-1 ms (~24.8 days): longer waits are taken in steps. */
export const MAX_TIMER_MS = 2_147_483_647
