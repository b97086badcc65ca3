/**
 * Auth as a node concern: `createNode({ auth: 'jwt', authOptions })` or MICRO_AUTH=jwt; `none` (the default) is off.
 * The plugin table's maps are extended here by declaration merging.
 */
import type { PluginFactory } from '../plugins/plugin.ts';
import type { Auth } from './auth.ts';
import { createDisabledAuth } from './disabled.ts';
import { createJwtAuth, type JwtAuthOptions } from './jwt-auth.ts';

/** Node-level settings for the auth concern, handed to every auth factory. */
export interface AuthConcernOptions extends JwtAuthOptions {}

declare module '../plugins/concerns.ts' {
  interface PluginConcerns {
    auth: Auth;
  }
  interface ConcernOptions {
    auth: AuthConcernOptions;
  }
}

export function builtinAuthFactories(): PluginFactory[] {
  return [
    {
      concern: 'auth',
      name: 'none',
      description: 'no auth (the default): every caller that reaches the node may call it',
      create: () => createDisabledAuth(),
    },
    {
      concern: 'auth',
      name: 'jwt',
      description: 'Ed25519 JWTs per service and node, access rules, signed HELLOs (keys in authOptions or MICRO_AUTH_*_KEY)',
      create: (_target, ctx) => createJwtAuth(ctx.options, { nodeId: ctx.nodeId, clock: ctx.clock, logger: ctx.logger, env: ctx.env }),
    },
  ];
}
