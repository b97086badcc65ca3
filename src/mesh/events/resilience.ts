/**
 * How consumers are supervised: restart with backoff (a back end that is down is retried every few seconds at most),
 * never give up, never escalate, so a consumer comes back once its back end does.
 */
export const RESILIENT_EVENTS = { maxRestarts: 1_000_000, withinMs: 1000, backoff: { minMs: 100, maxMs: 2000 } } as const;
