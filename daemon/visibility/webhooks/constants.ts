// Every limit and default of webhook delivery, together, each with why it is
// what it is (docs/visibility.md, "Webhooks", shows them to operators). The
// per-webhook ones are defaults a webhook's entry in config.json may change.

/** Webhooks one config may declare: each holds a bus subscription, a worker and a queue on disk. */
export const MAX_WEBHOOKS = 16

/** First retry delay. Short enough that a receiver restarting in a second or two gets the event at once. */
export const DEFAULT_RETRY_INITIAL_MS = 1_000

/** The delay doubles up to this: a receiver down for a day is still tried every hour, not every second. */
export const DEFAULT_RETRY_MAX_MS = 3_600_000

/**
 * A delivery not accepted within this long of being queued is given up (state `failed`, kept in the log,
 * redeliverable by id). A day covers a receiver down over a night or a weekend's first day; with 1 s
 * doubling to 1 h that is ~35 attempts.
 */
export const DEFAULT_RETRY_GIVE_UP_MS = 24 * 3_600_000

/** Jitter of each retry delay, ± this fraction: many nodes behind one receiver do not retry in step. */
export const RETRY_JITTER = 0.2

/** One POST's deadline. The Standard Webhooks spec recommends 15–30 s; a hung receiver holds only its own queue. */
export const DEFAULT_TIMEOUT_MS = 15_000

/**
 * Deliveries waiting per webhook. At the bound the oldest waiting delivery is dropped (counted, logged,
 * kept in the log as `dropped`, redeliverable while its body is kept). 10 000 is hours of a busy
 * site's events; each costs ~200 B of memory (its record; bodies stay on disk), ~2 MB per webhook.
 */
export const DEFAULT_MAX_PENDING = 10_000

/** Bytes of bodies waiting per webhook (on disk); the same drop-oldest at the bound. 16 MiB × 16 webhooks bounds the disk. */
export const DEFAULT_MAX_PENDING_BYTES = 16 * 1024 * 1024

/** Finished deliveries (delivered, failed, dropped) kept per webhook for `mycel webhooks log` and redelivery; oldest forgotten. */
export const MAX_LOG_ENTRIES = 1_000

/** Bytes of finished deliveries' bodies kept per webhook; oldest forgotten first. */
export const MAX_LOG_BYTES = 4 * 1024 * 1024

/** Custom headers per webhook, and their sizes: they go with every POST. */
export const MAX_CUSTOM_HEADERS = 32
export const MAX_HEADER_NAME_CHARS = 256
export const MAX_HEADER_VALUE_CHARS = 4_096

/** HMAC key sizes (the Standard Webhooks spec: at least 24 bytes; its whsec_ keys are at most 64). */
export const MIN_SECRET_BYTES = 24
export const MAX_SECRET_BYTES = 64
/** A raw (not whsec_) secret's UTF-8 bytes are the key; a long passphrase is allowed. */
export const MAX_RAW_SECRET_BYTES = 1_024

/** Largest `maxPending` / `maxPendingBytes` a config may set: records of 100 000 waiting deliveries are ~20 MB of memory. */
export const MAX_PENDING_LIMIT = 100_000
export const MAX_PENDING_BYTES_LIMIT = 1024 * 1024 * 1024

/** Rows one `mycel webhooks log` / `GET /v1/webhooks/log` answer lists at most (~4 MB of JSON); default 20. */
export const MAX_LOG_LIMIT = 20_000
export const DEFAULT_LOG_LIMIT = 20

/** A full queue logs one line per this long per webhook, with the number dropped since: a dead receiver must not flood the log. */
export const DROP_LOG_INTERVAL_MS = 60_000

/** Longest delay a config may ask for (retry cap, give-up, timeout): a year, so sums stay far from overflow. */
export const MAX_CONFIG_DELAY_MS = 365 * 24 * 3_600_000

/** The event types a body may carry besides the bus's: `ping` is asked for by `mycel webhooks ping`. */
export const PING_TYPE = 'ping'
