/**
 * A node's transport choice, which may name several: `transport: ['tcp', 'nats://127.0.0.1:4222']`, or a list in
 * MICRO_TRANSPORT separated by commas or spaces. Several become one multi-transport that listens on each and dials
 * by address scheme; one is resolved as any other concern.
 */
import type { Transport } from '../transport/transport.ts';
import { createMultiTransport } from '../transport/multi.ts';
import type { PluginChoice, PluginTable, ResolveContext, Resolved } from './table.ts';

/** One transport, or several listened on at once (the first is the node's primary address). */
export type TransportChoice = Transport | string | URL | readonly (Transport | string | URL)[];

const LIST = /[\s,]+/;

function listOf(choice: TransportChoice | undefined, envText: string | undefined): Array<PluginChoice<'transport'>> | undefined {
  if (choice === undefined) return envText === undefined || envText.trim() === '' ? undefined : envText.trim().split(LIST);
  if (Array.isArray(choice)) return [...(choice as readonly PluginChoice<'transport'>[])];
  if (typeof choice === 'string') return choice.trim().split(LIST);
  return [choice as PluginChoice<'transport'>];
}

/** Resolves the choice, else MICRO_TRANSPORT, else `fallback`; on a failure, what was made already is closed. */
export async function resolveTransports(
  table: PluginTable,
  ctx: ResolveContext<'transport'>,
  choice: TransportChoice | undefined,
  fallback: string,
): Promise<Resolved<'transport'>> {
  const list = listOf(choice, (ctx.env ?? process.env).MICRO_TRANSPORT);
  if (list === undefined || list.length <= 1) return table.resolveFromEnv('transport', ctx, { choice: list?.[0], fallback });
  const made: Array<Resolved<'transport'>> = [];
  try {
    for (const one of list) made.push(await table.resolve('transport', one, ctx));
  } catch (err) {
    for (const r of made) if (r.owned) await r.value.close().catch(() => {});
    throw err;
  }
  const value = createMultiTransport(made.map((r) => ({ transport: r.value, owned: r.owned })));
  return { value, owned: true, target: undefined, plugin: undefined };
}
